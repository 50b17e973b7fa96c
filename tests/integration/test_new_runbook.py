"""`psrunbook new`: the scaffold passes lint and show, runs against --sim, then changes nothing.

The scaffold's own lab test is run as its author would run it: pytest in a subprocess,
in the scaffold's folder, with nothing of this repository's test set-up around it.
"""

from __future__ import annotations

import os
import subprocess
import sys
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


def test_the_scaffolded_lab_test_passes_under_pytest(tmp_path: Path) -> None:
    code, out = invoke("new", "disk-check", "--dir", str(tmp_path))
    assert 0 == code, out
    lab_test = tmp_path / "tests" / "test_disk_check.py"
    assert f"python -m pytest {tmp_path / 'tests'}" in out
    compile(lab_test.read_text("utf-8"), str(lab_test), "exec")
    # This session's pytest settings (xdist worker, plug-in options) must not leak in.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "PSRUNBOOK_"))}
    tested = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert 0 == tested.returncode, tested.stdout + tested.stderr
    assert "2 passed" in tested.stdout
