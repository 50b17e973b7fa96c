"""The confirmation of a run against a real cluster: on the terminal, never on stdout.

``psrunbook run ... | tee change.log`` must not look hung: the plan goes to stdout (and
so into the change log) before the question, and the question itself goes to the
terminal, where the operator reads and answers it. Without a terminal to ask on, the run
is refused (exit 2) naming ``--yes``, and nothing runs. The cluster is the simulated lab
served in this process on loopback, reached through an inventory, as a real one would be.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from psrunbook.journal import Journal
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.serve import PASSWORD_ENV
from tests.integration.conftest import served_inventory
from tests.integration.terminal import Terminal, spawn
from tests.reliability.harness import PSRUNBOOK, environment

PASSWORD = "confirm-test-password"
QUESTION = "Run these steps now?"


@pytest.fixture
def inventory(tmp_path: Path) -> Iterator[Path]:
    with served_inventory(sample_lab(), tmp_path / "inventory.toml", PASSWORD) as path:
        yield path


def run_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in environment().items() if k not in {"NO_COLOR", "FORCE_COLOR"}}
    env.update(
        {"TERM": "xterm-256color", PASSWORD_ENV: PASSWORD, "PSRUNBOOK_STATE_DIR": str(tmp_path)}
    )
    return env


def read_all(fd: int) -> bytes:
    data = b""
    while chunk := os.read(fd, 65536):
        data += chunk
    return data


def run_piped(tmp_path: Path, inventory: Path, stderr: int | None = None) -> tuple[Terminal, int]:
    """``psrunbook run cluster-report -i INVENTORY | ...``, waiting at the question; the
    terminal and the read end of stdout's pipe."""
    reader, writer = os.pipe()
    try:
        term = spawn(
            ["run", "cluster-report", "-i", str(inventory)],
            run_env(tmp_path / "state"),
            tmp_path,
            stdout=writer,
            stderr=stderr,
        )
    finally:
        os.close(writer)
    term.read_until(QUESTION.encode().replace(b"?", rb"\?"))
    return term, reader


def test_piped_through_tee_the_question_is_on_the_terminal_and_the_plan_in_the_log(
    tmp_path: Path, inventory: Path
) -> None:
    term, reader = run_piped(tmp_path, inventory)
    with os.fdopen(reader, "rb") as log:
        os.set_blocking(log.fileno(), False)
        before_answer = log.read() or b""  # what tee has shown while the question waits
        term.press(b"y\r")
        assert 0 == term.wait()
        os.set_blocking(log.fileno(), True)
        change_log = (before_answer + read_all(log.fileno())).decode()
    assert "cluster-report" in before_answer.decode()  # the plan, before the question
    assert QUESTION not in change_log
    assert QUESTION in term.text


def test_with_stderr_in_a_file_too_the_question_is_still_on_the_terminal(
    tmp_path: Path, inventory: Path
) -> None:
    """``run ... 2>run.err | tee change.log``: neither file gets the question; no answer
    (Enter) is no, and nothing runs."""
    with (tmp_path / "run.err").open("wb") as err:
        term, reader = run_piped(tmp_path, inventory, stderr=err.fileno())
    with os.fdopen(reader, "rb") as log:
        term.press(b"\r")
        assert 1 == term.wait()
        change_log = read_all(log.fileno()).decode()
    assert "cluster-report" in change_log
    assert QUESTION not in change_log + (tmp_path / "run.err").read_text("utf-8")
    with Journal.open(tmp_path / "state") as journal:
        assert [] == journal.runs(10)


def test_without_a_terminal_and_without_yes_the_run_is_refused_naming_the_option(
    tmp_path: Path, inventory: Path
) -> None:
    done = subprocess.run(
        [PSRUNBOOK, "run", "cluster-report", "-i", str(inventory)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=run_env(tmp_path / "state"),
        check=False,
        timeout=300,
    )
    assert 2 == done.returncode, done.stdout + done.stderr
    assert "--yes" in done.stderr
    assert QUESTION not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
