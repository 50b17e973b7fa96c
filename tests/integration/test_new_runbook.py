"""`psrunbook new`: the scaffold passes lint and show, runs against --sim, then changes nothing."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from psrunbook.cli.app import app


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_new_runbook_lints_shows_and_runs_against_the_simulator(tmp_path: Path) -> None:
    code, out = invoke("new", "disk-check", "--dir", str(tmp_path))
    assert 0 == code, out
    load = ["--runbooks", str(tmp_path / "runbooks"), "--templates", str(tmp_path / "templates")]
    assert f"psrunbook {' '.join(load)} run disk-check --sim" in out
    code, linted = invoke(*load, "lint")
    assert 0 == code, linted
    assert linted.startswith("lint clean")
    code, shown = invoke(*load, "show", "disk-check")
    assert 0 == code, shown
    assert "value = 'hello'" in shown
    run = [*load, "run", "disk-check", "--sim", "--state-dir", str(tmp_path / "state")]
    first, second = invoke(*run), invoke(*run)
    assert (0, 0) == (first[0], second[0]), first[1] + second[1]
    assert "2 step/node pair(s) changed" in first[1]
    assert "nothing to do" in second[1]


def test_new_refuses_a_bad_name_and_existing_files(tmp_path: Path) -> None:
    code, out = invoke("new", "Disk_Check", "--dir", str(tmp_path))
    assert 2 == code
    assert "lowercase letters" in out
    assert (0, 2) == (
        invoke("new", "x", "--dir", str(tmp_path))[0],
        invoke("new", "x", "--dir", str(tmp_path))[0],
    )
    assert "already exists" in invoke("new", "x", "--dir", str(tmp_path))[1]
