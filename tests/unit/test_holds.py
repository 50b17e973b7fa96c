"""Holds in the SQLite journal: atomic, refused with the holder named, stale only when proven."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from psrunbook.errors import RunHeld
from psrunbook.holds import Holder, break_run_holds, take_hold, this_host
from psrunbook.journal import Journal

NOW = datetime(2025, 1, 31, 10, 0, tzinfo=UTC)


def _dead_pid() -> int:
    """The pid of a process that has ended and been reaped."""
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)  # fmt: skip
    return int(done.stdout)


def _holder(run_id: str, *, host: str | None = None, pid: int | None = None) -> Holder:
    return Holder(run_id, host or this_host(), pid or os.getpid(), NOW, f"token-{run_id}")


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    return Journal.open(tmp_path)


def test_a_hold_is_all_or_nothing_and_names_its_holder(journal: Journal) -> None:
    assert {} == journal.try_hold(["run:a", "cluster:c"], _holder("a"))
    blocking = journal.try_hold(["run:b", "cluster:c"], _holder("b"))
    assert ["cluster:c"] == list(blocking)
    assert {} == journal.holders(["run:b"])  # nothing of b was taken
    with pytest.raises(RunHeld) as info:
        take_hold(journal, ["run:b", "cluster:C".lower()], run_id="b", now=NOW)
    message = str(info.value)
    assert f"pid {os.getpid()} on host {this_host()} since 2025-01-31T10:00:00Z" in message
    assert "psrunbook runs unhold a" in message


def test_release_frees_only_the_holders_rows(journal: Journal) -> None:
    hold = take_hold(journal, ["run:a", "cluster:c"], run_id="a", now=NOW)
    journal.release_holds(["run:a", "cluster:c"], "someone else's token")
    assert 2 == len(journal.holders(["run:a", "cluster:c"]))
    hold.release()
    assert {} == journal.holders(["run:a", "cluster:c"])


def test_a_dead_holder_on_this_host_is_broken_a_live_or_remote_one_is_not(
    journal: Journal,
) -> None:
    journal.try_hold(["cluster:c"], _holder("dead", pid=_dead_pid()))
    take_hold(journal, ["run:new", "cluster:c"], run_id="new", now=NOW)
    assert "new" == journal.holders(["cluster:c"])["cluster:c"].run_id
    journal.try_hold(["cluster:d"], _holder("remote", host="elsewhere.example", pid=1))
    with pytest.raises(RunHeld, match=r"host elsewhere\.example"):
        take_hold(journal, ["run:x", "cluster:d"], run_id="x", now=NOW)


def test_unhold_checks_the_holder_before_breaking(journal: Journal) -> None:
    journal.try_hold(["run:live"], _holder("live"))
    with pytest.raises(RunHeld, match="still running"):
        break_run_holds(journal, "live", holder_gone=False)
    journal.try_hold(["run:remote"], _holder("remote", host="elsewhere.example", pid=1))
    with pytest.raises(RunHeld, match="--holder-gone"):
        break_run_holds(journal, "remote", holder_gone=False)
    assert ["run:remote"] == break_run_holds(journal, "remote", holder_gone=True)
    journal.try_hold(["run:dead"], _holder("dead", pid=_dead_pid()))
    assert ["run:dead"] == break_run_holds(journal, "dead", holder_gone=False)
