"""The runbook and template in docs/writing-runbooks.md work as written, in the simulator."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from psrunbook.cli.app import app
from tests.conftest import REPO

pytestmark = pytest.mark.integration


def _doc_blocks(language: str) -> str:
    doc = (REPO / "docs" / "writing-runbooks.md").read_text("utf-8")
    block = next(b for lang, b in re.findall(r"```(\w+)\n(.*?)```", doc, re.S) if lang == language)
    return block.split("\n", 1)[1]  # the first line names the file


def test_guide_example_runs_then_changes_nothing(tmp_path: Path) -> None:
    """The guide's example applies on both nodes, then a second run has nothing to do."""
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "templates" / "demo").mkdir(parents=True)
    (tmp_path / "runbooks" / "greeting.py").write_text(_doc_blocks("python"), "utf-8")
    (tmp_path / "templates" / "demo" / "set_greeting.ps1.j2").write_text(
        _doc_blocks("powershell"), "utf-8"
    )
    args = ["--runbooks", str(tmp_path / "runbooks"), "--templates", str(tmp_path / "templates")]
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
