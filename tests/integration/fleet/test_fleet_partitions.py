"""Issue 17: one changing run per cluster at a time, fleet-wide, proven from the lab.

Two workers race for the same clusters: three runs per cluster are queued at once. The
lab stamps every change with the moment the pipeline that made it ended; the journal
says when each run's attempts started and ended. No two runs on one cluster may
overlap, and every change the lab saw must fall inside exactly one run's window.
"""

from __future__ import annotations

from pathlib import Path

from psrunbook.sim.lab.cluster_fleet import ClusterFleet, overlaps
from tests.integration.fleet.harness import Fleet


def test_two_workers_racing_never_run_two_changing_runs_on_one_cluster_at_once(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path, tmp_path: Path
) -> None:
    """Serialised per cluster by the queue's partition; every change attributable."""
    inventories = str(tmp_path / "inventories")
    run_ids = [
        run_id
        for _ in range(3)
        for run_id in fleet.submit(
            "ssis-clustered", "--inventory-dir", inventories, "--params-file", str(ssis_params)
        )
    ]
    fleet.worker("a", "--concurrency", "4")
    fleet.worker("b", "--concurrency", "4")
    records = fleet.wait_outcomes(run_ids)
    for served in clusters.clusters:
        windows = []
        for record in records:
            if record.cluster != served.name:
                continue
            attempts = fleet.attempts(record.run_id)
            start = min(a.started_at for a in attempts).timestamp()
            end = max(a.finished_at for a in attempts if a.finished_at).timestamp()
            windows.append((start, end, record.run_id))
        assert 3 == len(windows)
        assert served.changes(), f"nothing changed on {served.name}"
        assert [] == overlaps(served.changes(), windows), served.name
