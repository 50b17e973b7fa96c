"""One broken plug-in does not break the others (issue 15), through the real CLI.

``--runbooks DIR`` holds a working runbook (``psrunbook new``) beside files that fail in
each way a plug-in fails: a syntax error, a failed import, an exception at import, and a
runbook whose template is missing. ``list`` shows the rest and names each broken file
(exit 0); ``show``/``plan``/``run`` of a broken one exit 2 naming the file and the error;
``lint`` reports each as an error (exit 1) after linting the others; the working one runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

BROKEN = {
    "syntax_bad": ("def oops(:\n", "SyntaxError"),
    "import_bad": ("import psrunbook_no_such_module\n", "ModuleNotFoundError"),
    "raises": ("raise RuntimeError('boom at import')\n", "RuntimeError: boom at import"),
}


@pytest.fixture
def plugins(psrunbook: Psrunbook, tmp_path: Path) -> list[str]:
    """The global options that load the folder of good and broken plug-ins."""
    psrunbook("new", "disk-check", "--dir", str(tmp_path))
    runbooks = tmp_path / "runbooks"
    for stem, (text, _) in BROKEN.items():
        (runbooks / f"{stem}.py").write_text(text, encoding="utf-8")
    good = (runbooks / "disk_check.py").read_text(encoding="utf-8")
    (runbooks / "no_template.py").write_text(
        good.replace('name="disk-check"', 'name="no-template"').replace(
            "disk_check/set_disk_check.ps1.j2", "disk_check/missing.ps1.j2"
        ),
        encoding="utf-8",
    )
    return ["--runbooks", str(runbooks), "--templates", str(tmp_path / "templates")]


def test_list_shows_the_rest_and_names_each_broken_file(
    psrunbook: Psrunbook, plugins: list[str], tmp_path: Path
) -> None:
    listed = psrunbook(*plugins, "list")
    for name in ("disk-check", "no-template", "ssis-clustered", "cluster-report"):
        assert name in listed.stdout
    for stem, (_, error) in BROKEN.items():
        line = next(line for line in listed.stderr.splitlines() if f"{stem}.py" in line)
        assert line.startswith(f"warning: plug-in {tmp_path / 'runbooks' / stem}.py: ")
        assert error in line
    assert "Traceback" not in listed.output


@pytest.mark.parametrize("stem", sorted(BROKEN))
@pytest.mark.parametrize("command", ["show", "plan", "run"])
def test_a_broken_plugin_is_refused_naming_its_file(
    psrunbook: Psrunbook, plugins: list[str], tmp_path: Path, command: str, stem: str
) -> None:
    name = stem.replace("_", "-")
    target = [] if command == "show" else ["--sim"]
    refused = psrunbook(*plugins, command, name, *target, expect=2)
    assert f"runbook {name!r} cannot be loaded: {tmp_path / 'runbooks' / stem}.py" in refused.stderr
    assert BROKEN[stem][1] in refused.stderr
    assert "Traceback" not in refused.output
    assert [] == psrunbook.runs()


def test_a_missing_template_names_the_runbook_file(
    psrunbook: Psrunbook, plugins: list[str], tmp_path: Path
) -> None:
    refused = psrunbook(*plugins, "plan", "no-template", "--sim", expect=2)
    assert f"({tmp_path / 'runbooks' / 'no_template.py'})" in refused.stderr
    assert "'disk_check/missing.ps1.j2' not found" in refused.stderr


def test_lint_reports_every_broken_plugin_and_lints_the_rest(
    psrunbook: Psrunbook, plugins: list[str]
) -> None:
    linted = psrunbook(*plugins, "lint", expect=1)
    for stem in BROKEN:
        assert f"{stem}.py" in linted.stdout
    assert "runbook no-template" in linted.stdout
    assert "4 lint error(s)" in linted.stderr
    assert "Traceback" not in linted.output


def test_the_good_plugin_still_runs(psrunbook: Psrunbook, plugins: list[str]) -> None:
    ran = psrunbook(*plugins, "run", "disk-check", "--sim")
    assert "2 step/node pair(s) changed" in ran.stdout
    assert "succeeded" == psrunbook.last_run().outcome
