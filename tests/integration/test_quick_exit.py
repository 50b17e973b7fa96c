"""A ``--sim`` run through the console script's own exit keeps everything it wrote.

The ``psrunbook`` script ends with ``os._exit`` once the command is done
(:mod:`psrunbook.cli.quick_exit`), which is safe only because psrunbook closes what it
opens instead of leaving files to the garbage collector. Both are checked here, in
fresh interpreters: a run under the normal exit warns of no unclosed resource, and a run
under the quick exit leaves a complete log file, journal, lab and console output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from psrunbook.journal import Journal

pytestmark = pytest.mark.integration

RUN = ("run", "ssis-clustered", "--sim", "--yes")


def _psrunbook(
    entry: str, *args: str, python: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    code = (
        f"import sys; sys.argv[0] = 'psrunbook'; from psrunbook.cli.app import {entry}; {entry}()"
    )
    return subprocess.run(
        [sys.executable, *python, "-c", code, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith("PSRUNBOOK_")},
    )


def test_a_run_leaves_nothing_for_the_collector_to_close(tmp_path: Path) -> None:
    """Under the normal exit (``main``), with every ResourceWarning shown: none appears,
    so no file, socket or database of a run is closed by the teardown the script skips."""
    done = _psrunbook(
        "main",
        "--log-file",
        str(tmp_path / "events.log"),
        *RUN,
        "--state-dir",
        str(tmp_path / "state"),
        python=("-X", "dev", "-W", "always::ResourceWarning"),
    )
    assert 0 == done.returncode, done.stderr
    assert "ResourceWarning" not in done.stderr


def test_the_quick_exit_keeps_the_log_journal_lab_and_output(tmp_path: Path) -> None:
    state = tmp_path / "state"
    log = tmp_path / "events.log"
    done = _psrunbook("console_script", "--log-file", str(log), *RUN, "--state-dir", str(state))
    assert 0 == done.returncode, done.stderr
    assert done.stdout.endswith("succeeded: 9 step/node pair(s) changed\n")
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert "run.finished" == events[-1]["message"]
    with Journal.open(state) as journal:
        (record,) = journal.runs(10)
    assert "succeeded" == record.outcome
    lab = json.loads((state / "sim" / "lab.json").read_text(encoding="utf-8"))
    assert lab["nodes"]

    again = _psrunbook("console_script", *RUN, "--state-dir", str(state))
    assert 0 == again.returncode, again.stderr
    assert again.stdout.endswith("succeeded: 0 step/node pair(s) changed (nothing to do)\n")


def test_a_refused_command_keeps_its_status_and_message(tmp_path: Path) -> None:
    done = _psrunbook(
        "console_script", "run", "no-such-runbook", "--sim", "--state-dir", str(tmp_path)
    )
    assert 2 == done.returncode
    assert "no runbook named 'no-such-runbook'" in done.stderr
