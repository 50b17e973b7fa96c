"""Issue 17: one changing run per cluster, fleet-wide, whoever starts it.

A fleet worker and a ``psrunbook run`` by hand take the same hold, ``cluster:<name>``,
in the same shared journal. Each order is tested with a real worker process, a real
``psrunbook run`` process, one simulated cluster and one PostgreSQL journal; the first
run is held mid-step at its node (a held pipeline), so the second one is certain to
meet it there.
"""

from __future__ import annotations

import subprocess
from collections import Counter
from pathlib import Path

from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.fleet.harness import PSRUNBOOK, WAIT_S, Fleet

ADD_RESOURCE = "Add-ClusterResource -Name"
"""Step 2 of ssis-clustered: the first change it makes."""


def _holds(fleet: Fleet, run_id: str) -> dict[str, str]:
    for journal in fleet.journal():
        return {resource: h.token for resource, h in journal.holds_of(run_id).items()}
    raise AssertionError("unreachable")


def _each_change_once(changes: list[tuple[float, str, str, str]]) -> None:
    assert all(1 == n for n in Counter(c[1:] for c in changes).values()), changes


def test_a_run_by_hand_is_refused_a_cluster_a_fleet_worker_is_changing(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Fleet first: ``run`` and ``resume`` by hand exit 2 naming the fleet run, its worker
    and how to proceed (``resume`` by the run's fleet state); a read-only run by hand is
    not held back; the fleet run ends well and gives its holds back."""
    served = clusters.clusters[0]
    inventory = str(served.inventory_path)
    hold = served.executor.hold(ADD_RESOURCE)
    (run_id,) = fleet.submit("ssis-clustered", "-i", inventory, "--params-file", str(ssis_params))
    fleet.worker("w1")
    try:
        assert hold.reached.wait(WAIT_S), "the fleet run never reached step 2"
        by_hand = fleet.cli(
            "run", "ssis-clustered", "-i", inventory, "--params-file", str(ssis_params), "--yes",
            expect=2,
        )  # fmt: skip
        resumed = fleet.cli("resume", run_id, "--yes", expect=2)
        report = fleet.cli("run", "cluster-report", "-i", inventory, "--yes", expect=0)
    finally:
        hold.release()
    for refused in (by_hand, resumed):
        assert "Traceback" not in refused.stderr
        assert f"`psrunbook cancel {run_id}`" in " ".join(refused.stderr.split())
    message = " ".join(by_hand.stderr.split())
    assert "cluster simcluster01 is held by a fleet worker: " in message, message
    assert f"fleet run {run_id} on worker w1 (pid " in message
    # resume refuses the run itself, by its fleet state, before it would meet the hold
    assert f"run {run_id} is running in the fleet (worker w1)" in resumed.stderr
    assert "Traceback" not in report.stderr
    fleet.wait_outcomes([run_id])
    assert {} == _holds(fleet, run_id)
    _each_change_once(served.changes())


def test_a_fleet_run_stays_queued_while_a_run_by_hand_changes_its_cluster(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Hand first: the worker leaves the fleet run queued (not failed), showing who holds
    the cluster, touches nothing, and runs it once the run by hand has ended."""
    served = clusters.clusters[1]
    inventory = str(served.inventory_path)
    hold = served.executor.hold(ADD_RESOURCE)
    by_hand = subprocess.Popen(
        [str(PSRUNBOOK), "run", "ssis-clustered", "-i", inventory,
         "--params-file", str(ssis_params), "--yes"],
        env=fleet.env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert hold.reached.wait(WAIT_S), "the run by hand never reached step 2"
        (run_id,) = fleet.submit(
            "ssis-clustered", "-i", inventory, "--params-file", str(ssis_params)
        )
        fleet.worker("w1")
        shown = fleet.wait_for(
            f"the worker to leave run {run_id} queued behind the run by hand",
            lambda: " ".join(fleet.cli("runs", "show", run_id).stdout.split()),
            lambda text: "is held by another psrunbook process" in text,
        )
        assert "fleet: queued (worker w1)" in shown
        assert f"pid {by_hand.pid} on host" in shown
        assert [] == fleet.attempts(run_id), "nothing of the fleet run may run meanwhile"
        assert "queued" == fleet.states([run_id])[run_id]
    finally:
        hold.release()
        out, err = by_hand.communicate(timeout=WAIT_S)
    assert 0 == by_hand.returncode, out + err
    fleet.wait_outcomes([run_id])
    first_fleet = min(a.started_at for a in fleet.attempts(run_id))
    for journal in fleet.journal():
        by_hand_id = next(r.run_id for r in journal.runs(10) if r.run_id != run_id)
        last_by_hand = max(a.finished_at for a in journal.attempts(by_hand_id) if a.finished_at)
        assert last_by_hand <= first_fleet
    assert {} == _holds(fleet, run_id)
    _each_change_once(served.changes())
