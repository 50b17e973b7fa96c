"""Issue 17: a worker SIGKILLed mid-step loses no run, and nothing is applied twice.

The crash point is a held pipeline: step 2 of ssis-clustered (add-resource) reaches its
node and waits there; the worker is killed; the pipeline then completes on the node, as
a script already sent to Windows would. The run is recovered and its interrupted step
re-checked (check mode first): the resource it added is seen, and not added again.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from psrunbook.journal_model import AttemptRecord
from psrunbook.sim.lab.cluster_fleet import ClusterFleet, ServedCluster
from tests.integration.fleet.harness import WAIT_S, Fleet, WorkerProcess

ADD_RESOURCE = "Add-ClusterResource -Name"


def _killed_mid_step(
    fleet: Fleet, served: ServedCluster, params: Path, worker_id: str, *args: str
) -> tuple[str, WorkerProcess]:
    """Submit a run, let ``worker_id`` reach step 2 on the node, SIGKILL it there."""
    hold = served.executor.hold(ADD_RESOURCE)
    (run_id,) = fleet.submit(
        "ssis-clustered", "-i", str(served.inventory_path), "--params-file", str(params)
    )
    worker = fleet.worker(worker_id, *args)
    assert hold.reached.wait(WAIT_S), "step 2 never reached its node"
    worker.kill()
    hold.release()
    fleet.wait_for(
        "the killed worker's Add-ClusterResource to complete on the node",
        lambda: [c[1] for c in served.changes()],
        lambda cmdlets: "Add-ClusterResource" in cmdlets,
    )
    return run_id, worker


def _rechecked_not_reapplied(served: ServedCluster, attempts: list[AttemptRecord]) -> None:
    step2 = [(a.check_only, a.status, a.changed) for a in attempts if a.step_index == 2]
    # Its script had ended on the node (the test waited for it); the worker that took
    # the run over looked first, and journaled it: ended, effect still unknown.
    assert (False, "failed", None) == step2[0], "the killed attempt is not made a success"
    killed = next(a for a in attempts if a.step_index == 2)
    assert "its process ended before its result" in str(killed.errors[0]["message"])
    assert (True, "succeeded", False) == step2[1], "re-checked before anything else"
    assert (False, "succeeded", False) == step2[-1], "applied again: nothing left to change"
    assert 1 == Counter(c[1] for c in served.changes())["Add-ClusterResource"]


def test_a_restarted_worker_recovers_its_runs_and_holds_the_cluster_meanwhile(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Same id again: its run continues; meanwhile the cluster's next changing run waits,
    and a read-only run on that cluster is not held back."""
    served = clusters.clusters[0]
    run_id, _ = _killed_mid_step(fleet, served, ssis_params, "w1", "--takeover-after", "0")
    inventory = str(served.inventory_path)
    (behind,) = fleet.submit("ssis-clustered", "-i", inventory, "--params-file", str(ssis_params))
    (report,) = fleet.submit("cluster-report", "-i", inventory)
    fleet.worker("other", "--takeover-after", "0")
    fleet.wait_outcomes([report])
    assert {run_id: "running", behind: "queued"} == fleet.states([run_id, behind])
    fleet.worker("w1", "--takeover-after", "0")
    fleet.wait_outcomes([run_id, behind])
    _rechecked_not_reapplied(served, fleet.attempts(run_id))
    first = max(a.finished_at for a in fleet.attempts(run_id) if a.finished_at)
    assert first <= min(a.started_at for a in fleet.attempts(behind))


def test_recover_from_lets_another_worker_continue_a_dead_workers_runs(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """`worker --recover-from ID`: the operator's word that ID is gone."""
    served = clusters.clusters[1]
    run_id, _ = _killed_mid_step(fleet, served, ssis_params, "gone", "--takeover-after", "0")
    successor = fleet.worker("successor", "--recover-from", "gone", "--takeover-after", "0")
    fleet.wait_outcomes([run_id])
    _rechecked_not_reapplied(served, fleet.attempts(run_id))
    takeovers = [e for e in successor.events() if e["event"].get("action") == "worker.takeover"]
    assert ["gone"] == [e["psrunbook"]["from_worker"] for e in takeovers]


def test_a_silent_worker_is_taken_over_after_the_timeout(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """No operator: a worker silent longer than --takeover-after loses its runs to another."""
    served = clusters.clusters[2]
    run_id, _ = _killed_mid_step(fleet, served, ssis_params, "silent", "--takeover-after", "0")
    successor = fleet.worker("successor", "--takeover-after", "1")
    fleet.wait_outcomes([run_id])
    _rechecked_not_reapplied(served, fleet.attempts(run_id))
    takeovers = [e for e in successor.events() if e["event"].get("action") == "worker.takeover"]
    assert "silent" == takeovers[0]["psrunbook"]["from_worker"]
