"""Issue 17: `psrunbook cancel` stops a queued run, or a running one at a step boundary."""

from __future__ import annotations

import json
from pathlib import Path

from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.fleet.harness import WAIT_S, Fleet

ADD_RESOURCE = "Add-ClusterResource -Name"
"""Text only the script of ssis-clustered's step 2 (add-resource) contains."""


def test_a_cancelled_queued_run_never_runs(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Cancelled before any worker took it: journaled interrupted, never attempted."""
    served = clusters.clusters[0]
    inventory = str(served.inventory_path)
    (cancelled,) = fleet.submit(
        "ssis-clustered", "-i", inventory, "--params-file", str(ssis_params)
    )
    done = fleet.cli("cancel", cancelled)
    assert "interrupted" == fleet.run(cancelled).outcome
    # No worker ever sees it: the command logs its end, once.
    [event] = [
        json.loads(line)
        for line in done.stderr.splitlines()
        if line.startswith("{") and '"run.cancelled"' in line
    ]
    assert (cancelled, "ssis-clustered") == (event["trace"]["id"], event["psrunbook"]["runbook"])
    (later,) = fleet.submit("ssis-clustered", "-i", inventory, "--params-file", str(ssis_params))
    fleet.worker("w1")
    fleet.wait_outcomes([later])
    assert "cancelled" == fleet.states([cancelled])[cancelled]
    assert [] == fleet.attempts(cancelled)


def test_a_running_run_cancelled_stops_when_its_current_step_ends(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """The step running when cancel arrives finishes; no later step starts."""
    served = clusters.clusters[0]
    hold = served.executor.hold(ADD_RESOURCE)
    (run_id,) = fleet.submit(
        "ssis-clustered", "-i", str(served.inventory_path), "--params-file", str(ssis_params)
    )
    fleet.worker("w1")
    assert hold.reached.wait(WAIT_S), "step 2 never reached its node"
    fleet.cli("cancel", run_id)
    hold.release()
    fleet.wait_outcomes([run_id], "interrupted")
    fleet.wait_state(run_id, "cancelled")
    attempts = fleet.attempts(run_id)
    assert 2 == max(a.step_index for a in attempts)
    assert {"succeeded"} == {a.status for a in attempts if a.step_index == 2}
