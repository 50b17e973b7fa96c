"""A reader that goes away (``| head``, a ``tee`` that dies) must not stop or hang a run.

rich ends the process with ``SystemExit`` when a print meets a closed pipe, and the
progress lines are printed from the node worker threads: such a thread used to vanish
without a word, and the run waited for its node forever. Now the console goes quiet, the
run finishes, the journal records it, and the exit code is the run's.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.reliability.harness import PSRUNBOOK, environment, latest_run_id, run_outcome


def _run_until_a_node_has_started(args: list[str], state: Path) -> subprocess.Popen[str]:
    """Start the command and read its output until a node worker has printed a line."""
    process = subprocess.Popen(
        [PSRUNBOOK, *args, "--state-dir", str(state)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=environment(),
    )
    assert process.stdout is not None
    for line in process.stdout:
        # "01-preflight  NODE1  started": printed by the node's worker thread; every
        # later line is too, until the summary at the end.
        if line.split()[-1:] == ["started"]:
            break
    else:
        raise AssertionError("the run printed no progress line")
    process.stdout.close()  # the reader goes away
    return process


def _exit_code(process: subprocess.Popen[str]) -> int:
    try:
        return process.wait(timeout=180)  # a guard against the old hang, not a timing
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_run_whose_reader_goes_away_finishes_and_is_journaled(tmp_path: Path) -> None:
    state = tmp_path / "state"
    process = _run_until_a_node_has_started(["run", "ssis-clustered", "--sim", "--yes"], state)
    assert 0 == _exit_code(process)
    assert "succeeded" == run_outcome(state, latest_run_id(state))


def test_a_plan_whose_reader_goes_away_ends(tmp_path: Path) -> None:
    state = tmp_path / "state"
    process = _run_until_a_node_has_started(["plan", "ssis-clustered", "--sim"], state)
    assert 0 == _exit_code(process)
    assert "succeeded" == run_outcome(state, latest_run_id(state))
