"""A blank path option is refused; an empty PSRUNBOOK_STATE_DIR means unset.

``--state-dir ""`` was ``Path("")``, the current folder: the journal and the simulated
lab appeared in whatever folder the command ran from. Through the real CLI, from an
empty working folder that must stay empty.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from psrunbook.cli.app import app
from tests.conftest import REPO


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current folder, which no command here may write into."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.mark.parametrize("blank", ["", "  "])
def test_a_blank_state_dir_exits_2_and_writes_nothing(workdir: Path, blank: str) -> None:
    """--state-dir "" names no folder: exit 2 naming the option, nothing created here."""
    result = CliRunner().invoke(app, ["runs", "--state-dir", blank])
    assert (2, []) == (result.exit_code, list(workdir.iterdir())), result.output
    assert "Invalid value for '--state-dir'" in result.output
    assert "a blank path names no folder or file" in result.output


def test_a_blank_state_dir_variable_exits_2(workdir: Path) -> None:
    """PSRUNBOOK_STATE_DIR of blanks is refused as the option is, naming the variable."""
    result = CliRunner().invoke(app, ["runs"], env={"PSRUNBOOK_STATE_DIR": "   "})
    assert (2, []) == (result.exit_code, list(workdir.iterdir())), result.output
    assert "PSRUNBOOK_STATE_DIR" in result.output


def test_an_empty_state_dir_variable_is_unset(workdir: Path, default_state_home: Path) -> None:
    """PSRUNBOOK_STATE_DIR="" is the default state folder (as an empty XDG_STATE_HOME is)."""
    result = CliRunner().invoke(app, ["runs"], env={"PSRUNBOOK_STATE_DIR": ""})
    assert (0, []) == (result.exit_code, list(workdir.iterdir())), result.output
    assert any(default_state_home.rglob("journal.sqlite3"))


def test_plan_with_a_blank_state_dir_creates_no_lab_here(workdir: Path) -> None:
    """plan --sim --state-dir "" refuses before the embedded lab is written."""
    params = REPO / "examples" / "ssis-clustered.toml"
    result = CliRunner().invoke(
        app, ["plan", "ssis-clustered", "--sim", "--state-dir", "", "--params-file", str(params)]
    )
    assert (2, []) == (result.exit_code, list(workdir.iterdir())), result.output


def test_export_to_a_blank_output_is_refused(workdir: Path) -> None:
    """export -o "" is refused naming the option (it was "cannot write bundle to .")."""
    result = CliRunner().invoke(
        app,
        [
            "export",
            "ssis-clustered",
            "-i",
            str(REPO / "examples" / "inventory.toml"),
            "--params-file",
            str(REPO / "examples" / "ssis-clustered.toml"),
            "-o",
            "",
        ],
    )
    assert (2, []) == (result.exit_code, list(workdir.iterdir())), result.output
    assert "Invalid value for '--output'" in result.output
