"""Worker liveness: one live worker per id, and no live worker taken for gone between
two of its heartbeats (a real SQLite fleet file; rows written with chosen times)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from psrunbook.errors import ParameterError
from psrunbook.fleet.engine import WorkerOptions
from psrunbook.fleet.heartbeats import ALIVE_WITHIN_S, TABLE, Heartbeats
from psrunbook.fleet.location import fleet_database_url


def _no_takeover(worker_id: str, *, reason: str) -> int:
    raise AssertionError(f"no takeover expected here ({worker_id}: {reason})")


@pytest.fixture
def url(tmp_path: Path) -> str:
    return fleet_database_url(tmp_path)


@pytest.fixture
def dead_pid() -> int:
    """The pid of a process that has ended (and was reaped)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    return int(child.stdout)


def _heartbeats(url: str, worker_id: str, takeover_after_s: float = 120.0) -> Iterator[Heartbeats]:
    beats = Heartbeats(
        url, WorkerOptions(worker_id, takeover_after_s=takeover_after_s), _no_takeover
    )
    try:
        yield beats
    finally:
        beats.close()


def _seen(url: str, worker_id: str, host: str, pid: int, seconds_ago: float) -> None:
    """Record that ``worker_id`` (``pid`` on ``host``) beat ``seconds_ago``."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DELETE FROM {TABLE} WHERE worker_id = :w"), {"w": worker_id})
        conn.execute(
            sa.text(f"INSERT INTO {TABLE} VALUES (:w, :h, :p, :t)"),
            {"w": worker_id, "h": host, "p": pid, "t": int((time.time() - seconds_ago) * 1000)},
        )
    engine.dispose()


def test_a_worker_id_served_by_a_live_process_on_this_host_is_refused(url: str) -> None:
    """The second `psrunbook worker` without --id on one machine: exit 2, naming the first."""
    for beats in _heartbeats(url, "host-a"):
        _seen(url, "host-a", socket.gethostname(), os.getppid(), seconds_ago=1)
        with pytest.raises(
            ParameterError, match=f"worker host-a is already serving: pid {os.getppid()}"
        ):
            beats.claim()


def test_a_worker_id_last_served_by_an_ended_process_here_is_claimed_at_once(
    url: str, dead_pid: int
) -> None:
    """A worker restarted after a crash (same id, same machine) continues its runs."""
    for beats in _heartbeats(url, "w1"):
        _seen(url, "w1", socket.gethostname(), dead_pid, seconds_ago=0)
        beats.claim()
        assert [] == beats.silent()


def test_a_worker_id_beating_on_another_host_is_refused_until_it_falls_silent(url: str) -> None:
    """Another machine's worker of that id, heard from lately, may be serving; silent for
    longer than a heartbeat can be late, it is gone and its id free."""
    for beats in _heartbeats(url, "w1"):
        _seen(url, "w1", "elsewhere.example", 4242, seconds_ago=2)
        with pytest.raises(ParameterError, match=r"on host elsewhere\.example"):
            beats.claim()
        _seen(url, "w1", "elsewhere.example", 4242, seconds_ago=ALIVE_WITHIN_S + 1)
        beats.claim()


def test_a_short_takeover_timeout_never_takes_a_worker_between_two_heartbeats(url: str) -> None:
    """`--takeover-after 1` beside a worker that beats every 5 s: not taken for gone
    4 s after its beat, only once it missed beats."""
    for beats in _heartbeats(url, "impatient", takeover_after_s=1):
        _seen(url, "steady", "elsewhere.example", 4242, seconds_ago=4)
        assert [] == beats.silent()
        _seen(url, "steady", "elsewhere.example", 4242, seconds_ago=ALIVE_WITHIN_S + 1)
        assert ["steady"] == beats.silent()
