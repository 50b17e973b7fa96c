"""The runbook and template in docs/writing-runbooks.md work as written, in the simulator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from psrunbook.cli.app import app
from psrunbook.journal import Journal
from tests.conftest import REPO

pytestmark = pytest.mark.integration


def _doc_blocks(language: str) -> str:
    doc = (REPO / "docs" / "writing-runbooks.md").read_text("utf-8")
    block = next(b for lang, b in re.findall(r"```(\w+)\n(.*?)```", doc, re.S) if lang == language)
    return block.split("\n", 1)[1]  # the first line names the file


def _guide_example(tmp_path: Path) -> list[str]:
    """The guide's runbook and template in folders; the global options that load them."""
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "templates" / "demo").mkdir(parents=True)
    (tmp_path / "runbooks" / "greeting.py").write_text(_doc_blocks("python"), "utf-8")
    (tmp_path / "templates" / "demo" / "set_greeting.ps1.j2").write_text(
        _doc_blocks("powershell"), "utf-8"
    )
    return ["--runbooks", str(tmp_path / "runbooks"), "--templates", str(tmp_path / "templates")]


def test_guide_example_runs_then_changes_nothing(tmp_path: Path) -> None:
    """The guide's example applies on both nodes, then a second run has nothing to do."""
    args = _guide_example(tmp_path)
    run = [
        *args,
        "run",
        "greeting",
        "--sim",
        "-p",
        "name=world",
        "--state-dir",
        str(tmp_path / "s"),
    ]
    first = CliRunner().invoke(app, run)
    second = CliRunner().invoke(app, run)
    assert (0, 0) == (first.exit_code, second.exit_code), first.output + second.output
    assert "2 step/node pair(s) changed" in first.output
    assert "nothing to do" in second.output


def test_guide_example_takes_its_name_from_the_lab(tmp_path: Path) -> None:
    """Without -p name=..., the guide's lab_defaults hook greets the simulated cluster."""
    state = tmp_path / "s"
    args = [*_guide_example(tmp_path), "run", "greeting", "--sim", "--state-dir", str(state)]
    done = CliRunner().invoke(app, args)
    assert 0 == done.exit_code, done.output
    with Journal.open(state) as journal:
        [record] = journal.runs(1)
    assert "SIMCLUSTER" == record.parameters["name"]
