"""`cancel` of a run a worker takes between cancel's read and its cancel.

`cancel` read the run as queued, cancelled it, and, as no worker executed it, gave back
the run's holds and journaled it interrupted. A worker that took the run in between was
by then executing a step on the cluster: its holds were gone (another run could take the
cluster) and the journal said the run had ended while it ran. The holds now tell: a hold
whose worker process is still beating (same host and pid) is left to that worker, which
ends the run when it sees the cancel.

The interleaving is made, not waited for: cancel runs in this process, and right after
it read the run as queued, a worker takes the run and reaches step 2 (held in the lab).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import psrunbook.cli.fleet_cmds as fleet_cmds
from psrunbook.cli.app import app
from psrunbook.fleet.heartbeats import ALIVE_WITHIN_S, create_table, executing
from psrunbook.holds import Holder, fleet_holder
from psrunbook.journal_model import RunJournal
from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.fleet.harness import WAIT_S, Fleet

ADD_RESOURCE = "Add-ClusterResource -Name"
"""Text only the script of ssis-clustered's step 2 (add-resource) contains."""


def test_a_run_taken_by_a_worker_while_cancel_read_it_queued_keeps_its_holds(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    served = clusters.clusters[0]
    hold = served.executor.hold(ADD_RESOURCE)
    (run_id,) = fleet.submit(
        "ssis-clustered", "-i", str(served.inventory_path), "--params-file", str(ssis_params)
    )
    read = fleet_cmds._status

    def read_then_a_worker_takes_it(
        engine: object, journal: RunJournal, reference: str
    ) -> tuple[str, object]:
        found = read(engine, journal, reference)  # type: ignore[arg-type]
        assert "queued" == found[1].state
        fleet.worker("w1")
        assert hold.reached.wait(WAIT_S), "step 2 never reached its node"
        return found

    monkeypatch.setattr(fleet_cmds, "_status", read_then_a_worker_takes_it)
    done = CliRunner().invoke(app, ["cancel", run_id], env=fleet.env())
    assert 0 == done.exit_code, done.output
    assert f"cancelled run {run_id}: it stops when its current step ends" in done.stdout
    for journal in fleet.journal():
        holders = journal.holds_of(run_id)
        assert {"w1"} == {h.worker for h in holders.values()}
        assert 2 == len(holders)  # the run and its cluster, still the worker's
        assert journal.run(run_id).outcome is None  # still running: not ended by cancel
    hold.release()
    fleet.wait_outcomes([run_id], "interrupted")
    fleet.wait_state(run_id, "cancelled")
    assert 2 == max(a.step_index for a in fleet.attempts(run_id))
    for journal in fleet.journal():
        assert {} == journal.holds_of(run_id)


@pytest.fixture
def beats(tmp_path: Path) -> Iterator[tuple[str, sa.Engine]]:
    """A real workers' table (a SQLite fleet database) to write beats into."""
    url = f"sqlite:///{tmp_path / 'fleet.sqlite3'}"
    engine = sa.create_engine(url)
    create_table(engine)
    yield url, engine
    engine.dispose()


def _beat(engine: sa.Engine, worker: str, host: str, pid: int, seconds_ago: float) -> None:
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO psrunbook_fleet_workers (worker_id, host, pid, last_seen_ms)"
                " VALUES (:w, :h, :p, :t)"
            ),
            {"w": worker, "h": host, "p": pid, "t": int((time.time() - seconds_ago) * 1000)},
        )


def _held_by(worker: str, host: str, pid: int) -> Holder:
    holder = fleet_holder("20261205T000000Z-aaaaaa", worker, datetime.now(UTC))
    return Holder(holder.run_id, host, pid, holder.since, holder.token)


def test_only_holds_of_a_worker_process_still_beating_count_as_executing(
    beats: tuple[str, sa.Engine],
) -> None:
    """Same host and pid as the worker's beat, heard from lately, and (on this host) the
    process exists; a restarted worker (another pid), a silent one, a dead process, or a
    hold that is a process's own (not a fleet worker's) do not count."""
    url, engine = beats
    here = socket.gethostname()
    with subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"],
                          stdin=subprocess.PIPE) as alive:  # fmt: skip
        gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)  # fmt: skip
        dead_pid = int(gone.stdout)
        _beat(engine, "live", here, alive.pid, 1)
        _beat(engine, "restarted", here, alive.pid, 1)
        _beat(engine, "dead", here, dead_pid, 1)
        _beat(engine, "elsewhere", "other-host", 4242, 1)
        _beat(engine, "silent", "other-host", 4343, ALIVE_WITHIN_S + 5)
        live = _held_by("live", here, alive.pid)
        elsewhere = _held_by("elsewhere", "other-host", 4242)
        holders = [
            live,
            _held_by("restarted", here, alive.pid + 100000),
            _held_by("dead", here, dead_pid),
            elsewhere,
            _held_by("silent", "other-host", 4343),
            _held_by("never-beat", here, alive.pid),
            Holder("20261205T000000Z-aaaaaa", here, alive.pid, datetime.now(UTC), "own"),
        ]
        assert [live, elsewhere] == executing(url, holders)
        alive.stdin.close()  # type: ignore[union-attr]
    assert [elsewhere] == executing(url, holders)
    assert [] == executing(url, [])
