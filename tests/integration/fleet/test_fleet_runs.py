"""Issue 17: queued runs, executed by worker processes, are ordinary journaled runs."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.fleet.harness import Fleet


def test_submit_queues_one_journaled_run_per_cluster_and_a_worker_executes_them(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path, tmp_path: Path
) -> None:
    """Each run is journaled at submit (queued), then runs every step through the worker."""
    run_ids = fleet.submit(
        "ssis-clustered",
        "--inventory-dir",
        str(tmp_path / "inventories"),
        "--params-file",
        str(ssis_params),
    )
    assert 3 == len(set(run_ids))
    assert dict.fromkeys(run_ids, "queued") == fleet.states(run_ids)
    assert [c.name for c in clusters.clusters] == [fleet.run(r).cluster for r in run_ids]
    worker = fleet.worker("w1")
    fleet.wait_outcomes(run_ids)
    assert dict.fromkeys(run_ids, "finished") == fleet.settled_states(run_ids)
    for served in clusters.clusters:
        assert 1 == Counter(c[1] for c in served.changes())["Add-ClusterResource"]
    finished = [e for e in worker.events() if e["event"].get("action") == "step.finished"]
    # One event per step and node, as the journal's attempts (4 of the 11 steps run on both).
    journaled = {r: len(fleet.attempts(r)) for r in run_ids}
    assert dict.fromkeys(run_ids, 15) == journaled
    assert journaled == Counter(e["trace"]["id"] for e in finished)
