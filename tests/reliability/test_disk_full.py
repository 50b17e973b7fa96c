"""A state directory or log file that runs out of room: clear errors, truthful journal.

Issue 14: with the state directory full, the journal's error was hidden (a node worker
died on it and the run hung; the failed release of the run's hold replaced it) and a
nearly full disk was reported as a corrupted journal; a log file that filled up mid-run
printed a traceback for every later record.

A full disk is produced for real, without root: psrunbook runs in a subprocess whose
file size limit (RLIMIT_FSIZE) is set, with SIGXFSZ ignored, so every write past the
limit fails with EFBIG, which psrunbook treats like ENOSPC. Pipes (stdout, stderr) are
not files and are unaffected.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.reliability import test_fault_matrix as matrix
from tests.reliability.harness import (
    STEP_SLUGS,
    Result,
    applied,
    applies,
    assert_no_traceback,
    attempts,
    create_lab,
    environment,
    error_line,
    lab_dump,
    latest_run_id,
    run_outcome,
    run_sim,
)

pytestmark = pytest.mark.reliability

clean = matrix.clean
"""The fault matrix's fixture: the lab after one clean run of ssis-clustered."""

WRAPPER = """\
import resource, runpy, signal, sys
limit = int(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
sys.argv = ["psrunbook", *sys.argv[2:]]
runpy.run_module("psrunbook", run_name="__main__")
"""


def limited(tmp_path: Path, limit: int, *args: str) -> Result:
    """Run psrunbook with no file allowed to grow past ``limit`` bytes."""
    wrapper = tmp_path / "fsize_limited.py"
    wrapper.write_text(WRAPPER, encoding="utf-8")
    completed = subprocess.run(
        [sys.executable, str(wrapper), str(limit), *args],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return Result(tuple(args), completed.returncode, completed.stdout, completed.stderr)


def test_a_full_state_directory_is_not_reported_as_a_corrupted_journal(tmp_path: Path) -> None:
    """The journal cannot even be created (its shared-memory file cannot grow): exit 2
    naming the state directory, the limit and the fix; never "corrupted"."""
    state = tmp_path / "state"
    result = limited(tmp_path, 20_000, "run", "ssis-clustered", "--sim", "--yes",
                     "--state-dir", str(state))  # fmt: skip
    assert 2 == result.code, result.describe()
    assert_no_traceback(result)
    message = error_line(result)
    assert message.startswith(f"error: state directory {state} is full: journal "), message
    assert "file size limit of 20000 bytes" in message and f"Free space in {state}" in message
    assert "corrupt" not in result.stderr.lower()


def test_a_state_directory_that_fills_mid_run_stops_it_truthfully(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    """The journal's write fails mid-run (the run hung before): exit 2, the journal's error
    first and alone, naming the state directory and `psrunbook resume RUN_ID`; no step
    starts after it; the journal is intact and says nothing untrue; once there is room,
    resume ends as a clean run with every change applied once."""
    create_lab(tmp_path)
    result = limited(tmp_path, 200_000, "run", "ssis-clustered", "--sim", "--yes",
                     "--state-dir", str(tmp_path))  # fmt: skip
    assert 2 == result.code, result.describe()
    assert_no_traceback(result)
    run_id = latest_run_id(tmp_path)
    message = error_line(result)
    assert message.startswith(f"error: state directory {tmp_path} is full: journal "), message
    assert f"`psrunbook resume {run_id}`" in message
    assert "corrupt" not in result.stderr.lower()
    with sqlite3.connect(tmp_path / "journal.sqlite3") as db:
        assert [("ok",)] == db.execute("PRAGMA integrity_check").fetchall()
    assert run_outcome(tmp_path, run_id) is None  # unfinished: its end could not be written
    # Steps were journaled in order and none after the one whose record failed; every
    # change the lab made is one a clean run makes.
    slugs = [slug for slug, _, _ in applies(attempts(tmp_path, run_id))]
    assert slugs and list(STEP_SLUGS[: len(set(slugs))]) == list(dict.fromkeys(slugs))
    assert len(set(slugs)) < len(STEP_SLUGS)
    assert not applied(lab_dump(tmp_path)) - applied(clean)
    matrix.assert_resumes_to_clean(tmp_path, run_id, clean)


def test_a_log_file_that_fills_mid_run_warns_once_and_the_run_goes_on(tmp_path: Path) -> None:
    """The --log-file reaches the limit part way through: one warning naming the file and
    the reason, no traceback per record, the run succeeds and the JSON log on stderr has
    every record."""
    create_lab(tmp_path)
    baseline = run_sim(tmp_path / "baseline")  # the JSON lines a whole run logs
    assert 0 == baseline.code, baseline.describe()
    limit = 4 << 20
    log = tmp_path / "run.log"
    log.write_bytes(b"x" * (limit - 3000))  # room for a few records only
    result = limited(tmp_path, limit, "--log-file", str(log), "run", "ssis-clustered", "--sim",
                     "--yes", "--state-dir", str(tmp_path))  # fmt: skip
    assert 0 == result.code, result.describe()
    assert_no_traceback(result)
    assert "Logging error" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert [f"warning: --log-file {log}: cannot write (File too large); further log records "
            "are not written to it, the run continues (the journal is the record of the run)"
            ] == warnings  # fmt: skip
    assert limit == log.stat().st_size  # filled up to the limit, then left alone
    events = [line for line in result.stderr.splitlines() if line.startswith("{")]
    assert len([x for x in baseline.stderr.splitlines() if x.startswith("{")]) == len(events)
    assert "succeeded" == run_outcome(tmp_path, latest_run_id(tmp_path))
