"""One run model: a fleet run logs the events a local ``run`` logs, framed once."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.fleet.harness import Fleet


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
