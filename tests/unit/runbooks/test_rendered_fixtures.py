"""Every step of every runbook, for each SQL Server version, renders exactly as reviewed."""

from __future__ import annotations

import os

import pytest
from rendered_cases import CASES, REGEN_VARIABLE, ROOT, case_plan, expected_files

from engine.lint import lint_script

REGENERATE = os.environ.get(REGEN_VARIABLE) == "1"


def _case_id(value: object) -> str:
    return str(value)


@pytest.mark.parametrize(("runbook_name", "case"), sorted(CASES), ids=_case_id)
def test_rendered_scripts_match_fixtures(runbook_name: str, case: str) -> None:
    """Parameters in, exact scripts and argument values out, as stored in the fixture files."""
    runbook, params = CASES[(runbook_name, case)]
    directory = ROOT / runbook_name / case
    expected = expected_files(runbook, params)
    if REGENERATE:
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.iterdir():
            stale.unlink()
        for name, text in expected.items():
            (directory / name).write_bytes(text.encode("utf-8"))
    stored = {p.name: p.read_bytes().decode("utf-8") for p in directory.iterdir()}
    assert sorted(expected) == sorted(stored), f"set {REGEN_VARIABLE}=1 to regenerate"
    for name, text in expected.items():
        assert text == stored[name], f"{directory / name} differs; set {REGEN_VARIABLE}=1"


@pytest.mark.parametrize(("runbook_name", "case"), sorted(CASES), ids=_case_id)
def test_rendered_scripts_lint_clean(runbook_name: str, case: str) -> None:
    """The linter finds nothing in any rendered script."""
    findings = [
        str(finding)
        for planned in case_plan(runbook_name, case).steps
        for finding in lint_script(planned.script.text, source=planned.script.template_id)
    ]
    assert [] == findings


def test_fixture_tree_has_no_unknown_cases() -> None:
    """No fixture directory is left over from a removed case."""
    stored = {
        (runbook.name, case.name)
        for runbook in ROOT.iterdir()
        if runbook.is_dir()
        for case in runbook.iterdir()
        if case.is_dir()
    }
    assert sorted(CASES) == sorted(stored)
