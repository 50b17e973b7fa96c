"""``psrunbook new NAME``: the smallest user runbook that follows every rule, to start from.

It writes ``runbooks/<module>.py``, ``templates/<module>/set_<module>.ps1.j2`` and
``tests/test_<module>.py`` under ``--dir`` (default: the current folder): a parameter
model with an example (what ``show`` and ``lint`` build the steps from), one
test-then-set step on every node that honours ``-CheckOnly`` and emits one result, and a
pytest lab test that drives the installed ``psrunbook`` (``python -m psrunbook``, the
public command line, not our internals) against the simulated cluster: lint is clean, a
plan shows a change, a run makes it, and a plan afterwards shows nothing left to do. The
three pass as written. Existing files are never overwritten.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Final

import typer

from psrunbook.cli.exit_codes import EXIT_USAGE, fail

_NAME: Final = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")

_RUNBOOK: Final = '''"""__TITLE__: sets one registry value on every node (a scaffold; edit freely).

Loaded with ``psrunbook --runbooks __RUNBOOKS__ --templates __TEMPLATES__``.
See docs/writing-runbooks.md for the rules the engine and the linter enforce.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from psrunbook import Inventory, Runbook, Step, StepResult, Target


class Parameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    value: str = Field(
        default="hello", description="The value to set on every node.", examples=["hello"]
    )


class SettingResult(StepResult):
    Before: str | None
    After: str


def steps(params: Parameters, inventory: Inventory) -> list[Step]:
    return [
        Step(
            name="set-value",
            title="Set the __NAME__ value on every node",
            template="__MODULE__/set___MODULE__.ps1.j2",
            target=Target.EVERY_NODE,
            arguments={"Value": params.value},
            result=SettingResult,
        )
    ]


runbook = Runbook(
    name="__NAME__",
    summary="Sets the __NAME__ registry value on every node",
    parameters=Parameters,
    build_steps=steps,
)
'''

_TEMPLATE: Final = """param(
    [Parameter(Mandatory = $true)][string]$Value,
    [switch]$CheckOnly
)
{% include '_lib/prelude.ps1.j2' %}
# Test, then set: read the current value, change it only when it differs, and never
# with -CheckOnly (a plan reports what would change and changes nothing).
$key = 'HKLM:\\SOFTWARE\\psrunbook\\__NAME__'
$before = $null
$values = Get-ItemProperty -Path $key -Name 'Value' -ErrorAction SilentlyContinue
if ($null -ne $values) {
    $before = [string]$values.Value
}
$changed = $before -ne $Value
if ($changed -and -not $CheckOnly) {
    if (-not (Test-Path -Path $key)) {
        New-Item -Path $key -Force | Out-Null
    }
    Set-ItemProperty -Path $key -Name 'Value' -Value $Value
}
$result = [ordered]@{ Before = $before; After = $Value }
{% include '_lib/result.ps1.j2' %}
"""


_LAB_TEST: Final = '''"""Lab test of the __NAME__ runbook against psrunbook's simulated cluster.

Runs the installed command line (``python -m psrunbook``) as an operator would, with its
own state folder per test (``PSRUNBOOK_STATE_DIR``: journal and simulated lab), so tests
are independent. ``plan --detailed-exitcode`` exits 0 when nothing would change and 2
when changes are pending (Terraform's convention): the runbook must be idempotent.
Run it with ``python -m pytest __TESTS__``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LOAD = [
    "--runbooks",
    str(HERE.parent / "runbooks"),
    "--templates",
    str(HERE.parent / "templates"),
]
NO_CHANGES, CHANGES_PENDING = 0, 2


def psrunbook(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``psrunbook --runbooks ... --templates ... ARGS`` with its own state folder."""
    return subprocess.run(
        [sys.executable, "-m", "psrunbook", *LOAD, *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PSRUNBOOK_STATE_DIR": str(state), "NO_COLOR": "1"},
        check=False,
        timeout=600,
    )


def test_lint_is_clean(tmp_path: Path) -> None:
    linted = psrunbook(tmp_path, "lint")
    assert 0 == linted.returncode, linted.stdout + linted.stderr


def test_run_sets_the_value_and_a_second_plan_has_nothing_to_do(tmp_path: Path) -> None:
    value = ["-p", "value=set-by-the-lab-test"]
    plan = ["plan", "__NAME__", "--sim", "--detailed-exitcode", *value]
    before = psrunbook(tmp_path, *plan)
    assert CHANGES_PENDING == before.returncode, before.stdout + before.stderr
    run = psrunbook(tmp_path, "run", "__NAME__", "--sim", *value)
    assert 0 == run.returncode, run.stdout + run.stderr
    after = psrunbook(tmp_path, *plan)
    assert NO_CHANGES == after.returncode, after.stdout + after.stderr
'''


def new(
    name: Annotated[str, typer.Argument(help="The runbook's name: lowercase words and hyphens.")],
    directory: Annotated[
        Path, typer.Option("--dir", help="Where runbooks/ and templates/ are written.")
    ] = Path(),
) -> None:
    """Scaffold a runbook, its template and a lab test that pass lint and run against --sim."""
    if not _NAME.fullmatch(name):
        raise fail(
            f"runbook name {name!r}: use lowercase letters, digits and single hyphens, "
            "starting with a letter (for example disk-check)",
            EXIT_USAGE,
        )
    module = name.replace("-", "_")
    runbooks, templates = directory / "runbooks", directory / "templates"
    tests = directory / "tests"
    files = {
        runbooks / f"{module}.py": _RUNBOOK,
        templates / module / f"set_{module}.ps1.j2": _TEMPLATE,
        tests / f"test_{module}.py": _LAB_TEST,
    }
    existing = [str(path) for path in files if path.exists()]
    if existing:
        raise fail(
            f"{', '.join(existing)} already exists; choose another name or --dir", EXIT_USAGE
        )
    words = {
        "__NAME__": name,
        "__MODULE__": module,
        "__TITLE__": name.replace("-", " ").capitalize(),
        "__RUNBOOKS__": str(runbooks),
        "__TEMPLATES__": str(templates),
        "__TESTS__": str(tests),
    }
    for path, scaffold in files.items():
        text = scaffold
        for word, value in words.items():
            text = text.replace(word, value)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise fail(f"{path}: cannot write ({exc.strerror or exc})", EXIT_USAGE) from None
        typer.echo(f"wrote {path}")
    options = f"--runbooks {runbooks} --templates {templates}"
    typer.echo(f"next: psrunbook {options} lint")
    typer.echo(f"      psrunbook {options} run {name} --sim")
    typer.echo(f"      python -m pytest {tests}")


def register(app: typer.Typer) -> None:
    app.command("new")(new)
