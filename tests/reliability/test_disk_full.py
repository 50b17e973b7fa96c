"""A state directory or log file that runs out of room: clear errors, truthful journal.

Issue 14: with the state directory full, the journal's error was hidden (a node worker
died on it and the run hung; the failed release of the run's hold replaced it) and a
nearly full disk was reported as a corrupted journal; a log file that filled up mid-run
printed a traceback for every later record; the embedded lab's save on a full disk
ended in a traceback; nothing refused a run that started with almost no room.

A full disk is produced two ways. A file size limit (RLIMIT_FSIZE, with SIGXFSZ ignored)
makes every write past it fail with EFBIG, without root. A real small file system (a
tmpfs the test mounts, see ``small_fs``) is filled for real, so writes fail with ENOSPC:
its bytes (SQLite's own "disk full") or its inodes (no new file, the lab's save).
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from psrunbook.sim.lab.fault_file import FaultSpec
from psrunbook.sim.lab.serve import PASSWORD_ENV
from tests.reliability import test_fault_matrix as matrix
from tests.reliability import test_runs_and_interrupts as interrupts
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
    hold_channels,
    lab_dump,
    lab_file,
    latest_run_id,
    psrunbook,
    run_outcome,
    run_sim,
)
from tests.reliability.small_fs import fill_bytes, fill_files, small_filesystem

pytestmark = pytest.mark.reliability

clean = matrix.clean
"""The fault matrix's fixture: the lab after one clean run of ssis-clustered."""

WRAPPER = """\
import resource, runpy, signal, sys
# No bytecode written: under the limit a module's .pyc would be cut off at it and left in
# the checkout's __pycache__, where every later psrunbook process fails to load it
# ("marshal data too short"); CPython does not check the length it wrote.
sys.dont_write_bytecode = True
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


# ------------------------------------------------------------------- a real full disk


def test_a_nearly_full_file_system_refuses_a_run_before_it_starts(tmp_path: Path) -> None:
    """Below the documented free space (64 MiB, PSRUNBOOK_MIN_FREE_MB) a run is refused
    with exit 2 naming the state directory, what is free and what is needed; nothing is
    written there. The variable lowers the threshold, and a bad value is named."""
    with small_filesystem(tmp_path / "state", size="8m") as state:
        refused = run_sim(state)
        assert 2 == refused.code, refused.describe()
        assert_no_traceback(refused)
        message = error_line(refused)
        assert message.startswith(f"error: state directory {state} is nearly full ("), message
        assert "MiB free, a run needs at least 64.0 MiB" in message
        assert "PSRUNBOOK_MIN_FREE_MB" in message and "nothing was run" in message
        assert [] == list(state.iterdir())  # no journal, no lab
        bad = run_sim(state, env={"PSRUNBOOK_MIN_FREE_MB": "lots"})
        assert 2 == bad.code, bad.describe()
        assert "PSRUNBOOK_MIN_FREE_MB is 'lots': give a whole number of MiB" in error_line(bad)
        lowered = run_sim(state, env={"PSRUNBOOK_MIN_FREE_MB": "4"})
        assert 0 == lowered.code, lowered.describe()


def test_the_lab_save_on_a_full_disk_stops_the_run_and_keeps_the_lab_file(
    tmp_path: Path, clean: dict[str, Any]
) -> None:
    """The disk has no inode left for the lab's next save (ENOSPC) while the journal, whose
    files exist, still writes: the run stops (exit 2) naming the state directory and the
    lab; the step is failed in the journal; the lab file is byte for byte the last state it
    saved, with no partial file; once there is room, resume ends as a clean run.

    The check before the run would refuse a disk without inodes: it is turned off here
    (PSRUNBOOK_MIN_FREE_MB=0) to reach the failure it cannot prevent, a disk that fills
    after the run started."""
    off = {"PSRUNBOOK_MIN_FREE_MB": "0"}
    with small_filesystem(tmp_path / "state", size="80m", inodes=400) as state:
        create_lab(state)
        planned = psrunbook("plan", "ssis-clustered", "--sim", state_dir=state, env=off)
        assert 0 == planned.code, planned.describe()  # journal, lock and inventory exist now
        before = lab_file(state).read_bytes()
        # Opening the journal creates its -wal and -shm files: room for those two only.
        fillers = fill_files(state, leave=2)
        result = run_sim(state, env=off)
        assert 2 == result.code, result.describe()
        assert_no_traceback(result)
        message = error_line(result)
        assert message.startswith(
            f"error: state directory {state} is full: the simulated lab cannot be saved to "
            f"{lab_file(state)} (No space left on device)"
        ), message
        assert "psrunbook resume RUN_ID --sim" in message
        assert before == lab_file(state).read_bytes()
        assert not lab_file(state).with_name("lab.json.partial").exists()
        run_id = result.run_id
        records = attempts(state, run_id)
        assert records and all("failed" == a.status for a in records), records
        assert all("cannot be saved" in str(a.errors[0].get("message")) for a in records)
        for filler in fillers:
            filler.unlink()
        matrix.assert_resumes_to_clean(state, run_id, clean)


served = interrupts.served
"""A lab served on loopback in this process, reached through a real inventory."""


def test_a_file_system_that_fills_mid_run_loses_nothing_recorded(
    served: interrupts.Served, tmp_path: Path
) -> None:
    """The state directory's file system fills (ENOSPC) while a step waits on a node: the
    run stops with exit 2 naming the state directory and the resume command, never
    "corrupted"; the log file warns once and keeps every record written before; every
    attempt the journal had recorded is still there; once there is room, resume re-checks
    the step whose end was lost and every change is applied once."""
    room = {"PSRUNBOOK_MIN_FREE_MB": "1", PASSWORD_ENV: interrupts.PASSWORD}
    with small_filesystem(served.state, size="8m") as state:
        log = state / "run.log"
        with hold_channels(tmp_path, ["NODE1"]) as holds:
            # Step 06 on NODE1 (its 7th Command), held before its script runs.
            served.arm(
                [
                    FaultSpec(
                        "NODE1", "Command", 7, "hold", "Command", notify=str(holds.paths["NODE1"])
                    )
                ]
            )
            process = subprocess.Popen(
                served.command("--log-file", str(log), "run", "ssis-clustered",
                               "--params-file", str(interrupts.PARAMS), "--yes"),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                text=True,
                env=environment(room),
            )  # fmt: skip
            try:
                holds.wait()
                run_id = latest_run_id(state)
                recorded = [a for a in attempts(state, run_id) if a.status != "running"]
                logged = log.read_bytes()
                filler = fill_bytes(state)
            finally:
                served.release()
                out, err = process.communicate(timeout=120)
        result = Result(("run",), process.returncode, out, err)
        assert 2 == result.code, result.describe()
        assert_no_traceback(result)
        message = error_line(result)
        assert message.startswith(f"error: state directory {state} is full: journal "), message
        assert f"psrunbook resume {run_id}" in message
        assert "corrupt" not in result.stderr.lower()
        warnings = [line for line in err.splitlines() if line.startswith("warning: --log-file")]
        assert len(warnings) <= 1 and all("No space left on device" in w for w in warnings)
        assert log.read_bytes().startswith(logged)
        filler.unlink()
        with sqlite3.connect(state / "journal.sqlite3") as db:
            assert [("ok",)] == db.execute("PRAGMA integrity_check").fetchall()
        after = {a.attempt_id: a for a in attempts(state, run_id)}
        assert all(after[a.attempt_id] == a for a in recorded)
        assert run_outcome(state, run_id) is None
        resumed = subprocess.run(
            served.command("resume", run_id, "--yes"),
            capture_output=True,
            text=True,
            env=environment(room),
            timeout=120,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        assert 0 == resumed.returncode, resumed.stdout + resumed.stderr
        final = attempts(state, run_id)
        rechecks = [a for a in final if a.step_name == "config-registry" and a.node == "NODE1"]
        assert any(a.check_only for a in rechecks), rechecks
        assert "succeeded" == run_outcome(state, run_id)
    assert all(1 == n for n in Counter(tuple(c) for c in served.cluster.change_log).values())
