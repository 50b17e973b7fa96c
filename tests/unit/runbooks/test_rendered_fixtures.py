"""Every step of every runbook, for each SQL Server version, renders exactly as reviewed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rendered_cases import (
    CASES,
    REGEN_VARIABLE,
    ROOT,
    SCRIPTS,
    case_plan,
    expected_files,
    expected_scripts,
)

from psrunbook.lint import lint_script

REGENERATE = os.environ.get(REGEN_VARIABLE) == "1"


def _case_id(value: object) -> str:
    return str(value)


def _compare(directory: Path, expected: dict[str, str]) -> None:
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
def test_rendered_steps_match_fixtures(runbook_name: str, case: str) -> None:
    """Parameters in, exact script hashes and argument values out, as stored for review."""
    runbook, params = CASES[(runbook_name, case)]
    _compare(ROOT / runbook_name / case, expected_files(runbook, params))


def test_rendered_scripts_match_fixtures() -> None:
    """Every script text any case renders is stored exactly, once, and nothing else is."""
    _compare(SCRIPTS, expected_scripts())


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
        if runbook.is_dir() and runbook != SCRIPTS
        for case in runbook.iterdir()
        if case.is_dir()
    }
    assert sorted(CASES) == sorted(stored)
