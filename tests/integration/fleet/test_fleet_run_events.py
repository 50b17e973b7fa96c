"""One run model: a fleet run logs the events a local ``run`` logs, framed once."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg

from psrunbook.sim.lab.cluster_fleet import ClusterFleet, PipelineHold
from tests.integration.fleet.harness import PSRUNBOOK, WAIT_S, Fleet


def _actions(events: list[dict[str, Any]], run_id: str) -> Counter[str]:
    return Counter(
        e["event"]["action"]
        for e in events
        if e.get("trace", {}).get("id") == run_id and e.get("event", {}).get("action")
    )


def test_a_fleet_run_logs_one_run_started_and_one_run_finished_like_a_local_run(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path, tmp_path: Path
) -> None:
    """Run on one cluster by a worker, step by step, and on another by ``run``: the same
    events, ``run.started`` and ``run.finished`` once each, the finish counting every change."""
    inventories = sorted((tmp_path / "inventories").glob("*.toml"))
    [run_id] = fleet.submit(
        "ssis-clustered", "-i", str(inventories[0]), "--params-file", str(ssis_params)
    )
    worker = fleet.worker("w1")
    fleet.wait_outcomes([run_id])
    local_log = tmp_path / "local.jsonl"
    fleet.cli(
        "--log-format",
        "json",
        "--log-file",
        str(local_log),
        "run",
        "ssis-clustered",
        "-i",
        str(inventories[1]),
        "--params-file",
        str(ssis_params),
        "--yes",
    )
    local_events = [json.loads(line) for line in local_log.read_text().splitlines()]
    [local_id] = {e["trace"]["id"] for e in local_events if e.get("trace", {}).get("id")}

    fleet_actions = _actions(worker.events(), run_id)
    assert 1 == fleet_actions["run.started"]
    assert 1 == fleet_actions["run.finished"]
    assert _actions(local_events, local_id) == fleet_actions
    [finished] = [e for e in worker.events() if e["event"].get("action") == "run.finished"]
    [local_finished] = [e for e in local_events if e["event"].get("action") == "run.finished"]
    assert "success" == finished["event"]["outcome"]
    assert local_finished["psrunbook"]["changed_count"] == finished["psrunbook"]["changed_count"]
    [started] = [e for e in worker.events() if e["event"].get("action") == "run.started"]
    [local_started] = [e for e in local_events if e["event"].get("action") == "run.started"]
    assert 11 == local_started["psrunbook"]["steps"] == started["psrunbook"]["steps"]


REPORT_STEP = "$groups = @(Get-ClusterGroup"
"""In the one step of ``cluster-report -p include_ssis=false``: the run's last step."""
REPORT = ("cluster-report", "-p", "include_ssis=false")
RUN_EVENTS = ("run.", "step.", "cluster.")
END_OF_RUN = "UPDATE psrunbook.runs SET outcome"
"""The journal's statement that records a run's end (``finish_run``)."""


@contextlib.contextmanager
def _end_blocked(fleet: Fleet, hold: PipelineHold, run_id: Callable[[], str]) -> Iterator[None]:
    """With a run held at its node in its last step: lock its journal row, let the step
    end, and yield once the run's process waits to record the run's end (nothing
    else writes that row meanwhile). The caller kills the process; that end is then
    never recorded, and the lock goes."""
    try:
        assert hold.reached.wait(WAIT_S), "the run's last step never reached its node"
        with psycopg.connect(fleet.journal_url) as lock:
            lock.execute(
                "SELECT 1 FROM psrunbook.runs WHERE run_id = %s FOR NO KEY UPDATE", (run_id(),)
            )
            hold.release()
            fleet.wait_for(
                "the run's end to wait for its locked journal row",
                lambda: _lock_waiters(fleet),
                lambda queries: any(q.startswith(END_OF_RUN) for q in queries),
            )
            yield
            # The process is dead; its statement and COMMIT, sent together, wait in the
            # server: end that session too, as a machine gone takes its connection.
            lock.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE wait_event_type = 'Lock' AND query LIKE %s",
                (f"{END_OF_RUN}%",),
            )
    finally:
        hold.release()


def _lock_waiters(fleet: Fleet) -> list[str]:
    with psycopg.connect(fleet.journal_url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT query FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        ).fetchall()
    return [str(row[0]) for row in rows]


def _latest(fleet: Fleet) -> str:
    for journal in fleet.journal():
        return journal.runs(1)[0].run_id
    raise AssertionError("unreachable")


def _run_events(events: list[dict[str, Any]], run_id: str) -> list[tuple[Any, ...]]:
    """What a run's events say, in order: the action, and the fields a resume sets."""
    found = []
    for e in events:
        action = e.get("event", {}).get("action", "")
        if e.get("trace", {}).get("id") == run_id and action.startswith(RUN_EVENTS):
            fields = e.get("psrunbook", {})
            found.append(
                (action, fields.get("resumed"), fields.get("steps"), fields.get("run_outcome"),
                 fields.get("changed_count"), e["event"].get("outcome"))
            )  # fmt: skip
    return found


def test_a_run_recovered_after_its_last_step_logs_its_end_like_resume(
    fleet: Fleet, clusters: ClusterFleet, tmp_path: Path
) -> None:
    """A worker SIGKILLed after the run's last step, before the run's end is recorded:
    the worker that continues it logs run.started (resumed) and run.finished, exactly
    as `resume` of a local run killed at the same point does."""
    fleet_cluster, local_cluster = clusters.clusters[:2]
    hold = fleet_cluster.executor.hold(REPORT_STEP)
    (run_id,) = fleet.submit(*REPORT, "-i", str(fleet_cluster.inventory_path))
    first = fleet.worker("w1", "--takeover-after", "0")
    with _end_blocked(fleet, hold, lambda: run_id):
        first.kill()
    again = fleet.worker("w1", "--takeover-after", "0")
    fleet.wait_outcomes([run_id])

    local_log = tmp_path / "local.jsonl"
    hold = local_cluster.executor.hold(REPORT_STEP)
    local = subprocess.Popen(
        [str(PSRUNBOOK), "--log-format", "json", "--log-file", str(local_log), "run",
         *REPORT, "-i", str(local_cluster.inventory_path), "--yes"],
        env=fleet.env(), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    with _end_blocked(fleet, hold, lambda: _latest(fleet)):
        local.kill()
        local.wait(WAIT_S)
    local_id = _latest(fleet)
    resume_log = tmp_path / "resume.jsonl"
    fleet.cli("--log-format", "json", "--log-file", str(resume_log), "resume", local_id, "--yes")
    resumed = [json.loads(line) for line in resume_log.read_text().splitlines()]

    expected = _run_events(resumed, local_id)
    assert [("run.started", True, 1), ("run.finished", None, None)] == [e[:3] for e in expected]
    assert expected == _run_events(again.events(), run_id)
    assert "run.finished" not in [e[0] for e in _run_events(first.events(), run_id)]
