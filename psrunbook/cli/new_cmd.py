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

import contextlib
import os
import re
from pathlib import Path
from typing import Annotated, Final

import typer

from psrunbook.cli.context import Settings, settings
from psrunbook.cli.exit_codes import EXIT_USAGE, exits_cleanly, fail

_NAME: Final = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MAX_NAME: Final = 64
"""The longest runbook name ``new`` scaffolds: its files' names stay well within a file
system's 255 bytes, and a name that long is already hard to type."""

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
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The runbook's name: lowercase words and hyphens.")],
    directory: Annotated[
        Path, typer.Option("--dir", help="Where runbooks/ and templates/ are written.")
    ] = Path(),
) -> None:
    """Scaffold a runbook, its template and a lab test that pass lint and run against --sim.

    Everything is checked before the first folder is made: the name, the files (none may
    exist), the folders (each one there or creatable), and that no runbook has the name
    already (built-in, plug-in, or in the folders given); a write that fails removes
    what this command wrote.
    """
    if not _NAME.fullmatch(name) or len(name) > MAX_NAME:
        raise fail(
            f"runbook name {_shown_name(name)}: use lowercase letters, digits and single "
            f"hyphens, starting with a letter, at most {MAX_NAME} characters "
            "(for example disk-check)",
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
    existing = [str(path) for path in files if os.path.lexists(path)]
    if existing:
        raise fail(
            f"{', '.join(existing)} already exists; choose another name or --dir", EXIT_USAGE
        )
    for path in files:
        _check_folder(path.parent)
    _check_name_free(settings(ctx), name, runbooks)
    words = {
        "__NAME__": name,
        "__MODULE__": module,
        "__TITLE__": name.replace("-", " ").capitalize(),
        "__RUNBOOKS__": str(runbooks),
        "__TEMPLATES__": str(templates),
        "__TESTS__": str(tests),
    }
    written: list[Path] = []
    for path, scaffold in files.items():
        text = scaffold
        for word, value in words.items():
            text = text.replace(word, value)
        try:
            written.extend(_made_folders(path.parent))
            with path.open("x", encoding="utf-8") as out:
                written.append(path)
                out.write(text)
        except OSError as exc:
            _remove(written)
            raise fail(f"{path}: cannot write ({exc.strerror or exc})", EXIT_USAGE) from None
    for path in files:
        typer.echo(f"wrote {path}")
    options = f"--runbooks {runbooks} --templates {templates}"
    typer.echo(f"next: psrunbook {options} lint")
    typer.echo(f"      psrunbook {options} run {name} --sim")
    typer.echo(f"      python -m pytest {tests}")


def _shown_name(name: str) -> str:
    return repr(name if len(name) <= MAX_NAME else name[:MAX_NAME] + "...")


def _check_folder(folder: Path) -> None:
    """Refuse unless ``folder`` is a writable directory, or can be made in one."""
    existing = folder
    while not os.path.lexists(existing) and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise fail(
            f"--dir: {existing} is not a directory, so {folder} cannot be made there; "
            "give a folder for the scaffold",
            EXIT_USAGE,
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise fail(
            f"--dir: {existing} is not writable, so {folder} cannot be written; make it "
            "writable or give another --dir",
            EXIT_USAGE,
        )


def _check_name_free(current: Settings, name: str, runbooks: Path) -> None:
    """Refuse a name a runbook already has: a second would be refused as defined twice."""
    from psrunbook.runbook.registry import RunbookRegistry

    given = {folder.resolve() for folder in current.runbook_dirs}
    if runbooks.is_dir() and runbooks.resolve() not in given:
        # Where the scaffold goes, and is loaded from beside the runbooks there.
        registry = RunbookRegistry.discover((*current.runbook_dirs, runbooks))
    else:
        registry = current.registry()
    taken = [(r.name, r.origin) for r in registry.found]
    taken += [(claimed, b.origin) for b in registry.broken for claimed in b.names]
    wanted = name.casefold()
    for other, origin in taken:
        if other.replace("_", "-").casefold() == wanted:
            where = "a built-in runbook" if origin == "builtin" else f"defined by {origin}"
            raise fail(
                f"runbook name {name!r} is taken ({where}); a second runbook of that name "
                "would be refused as defined twice: choose another name",
                EXIT_USAGE,
            )


def _made_folders(folder: Path) -> list[Path]:
    """Make ``folder`` and its missing parents; the ones made, deepest last."""
    missing = []
    while not os.path.lexists(folder) and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    made = []
    for path in reversed(missing):
        path.mkdir()
        made.append(path)
    return made


def _remove(written: list[Path]) -> None:
    """Undo a scaffold half written: its files, then the folders it made, deepest first."""
    for path in reversed(written):
        with contextlib.suppress(OSError):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink()


def register(app: typer.Typer) -> None:
    app.command("new")(exits_cleanly(new))
