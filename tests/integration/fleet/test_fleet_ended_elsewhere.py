"""A worker leaves a run the journal says ended as it ended; `resume` leaves a running one.

A fleet run resumed by hand (before `resume` refused fleet runs) ended in the journal
while the fleet still had it queued or awaiting approval. The worker that took it up
then failed with a traceback (`JournalError: run ... already succeeded`) and rewrote its
outcome to failed. It now executes nothing, keeps the journaled outcome and logs why.
"""

from __future__ import annotations

from pathlib import Path

from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.fleet.harness import WAIT_S, Fleet, WorkerProcess

ADD_RESOURCE = "Add-ClusterResource -Name"
"""Text only the script of ssis-clustered's step 2 (add-resource) contains."""


def _end_in_journal(fleet: Fleet, run_id: str) -> None:
    """The run ended outside the fleet: its outcome is in the journal, as a resume by hand
    left it."""
    for journal in fleet.journal():
        journal.finish_run(run_id, "succeeded")


def _stderr(worker: WorkerProcess) -> str:
    return worker.log.with_suffix(".stderr").read_text(encoding="utf-8")


def _left_alone(worker: WorkerProcess, run_id: str) -> list[dict[str, object]]:
    return [
        e["psrunbook"]
        for e in worker.events()
        if e["event"].get("action") == "run.ended_elsewhere" and e["trace"]["id"] == run_id
    ]


def test_a_queued_run_that_ended_in_the_journal_is_left_as_it_ended(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Nothing executed, outcome kept, no traceback; the next run on the cluster runs."""
    served = clusters.clusters[0]
    inventory = str(served.inventory_path)
    (ended,) = fleet.submit("ssis-clustered", "-i", inventory, "--params-file", str(ssis_params))
    _end_in_journal(fleet, ended)
    (later,) = fleet.submit("ssis-clustered", "-i", inventory, "--params-file", str(ssis_params))

    worker = fleet.worker("w1")
    fleet.wait_outcomes([later])

    assert "finished" == fleet.settled_states([ended])[ended]
    assert "succeeded" == fleet.run(ended).outcome
    assert [] == fleet.attempts(ended)
    assert "Traceback" not in _stderr(worker)
    [left] = _left_alone(worker, ended)
    assert "succeeded" == left["run_outcome"]
    shown = fleet.cli("runs", "show", ended).stdout
    assert "outside the fleet" in shown


def test_an_approved_run_that_ended_in_the_journal_is_left_as_it_ended(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Its approval taken up by a worker: nothing executed, outcome kept, no traceback."""
    served = clusters.clusters[1]
    inventory = str(served.inventory_path)
    done = fleet.cli(
        "submit", "ssis-clustered", "-i", inventory, "--params-file", str(ssis_params),
        "--require-approval",
    )  # fmt: skip
    run_id, *_, sha256 = done.stdout.split()
    _end_in_journal(fleet, run_id)
    fleet.cli("approve", run_id, "--sha256", sha256)

    worker = fleet.worker("w1")
    fleet.wait_state(run_id, "finished")

    assert "succeeded" == fleet.run(run_id).outcome
    assert [] == fleet.attempts(run_id)
    assert [] == served.changes()
    assert "Traceback" not in _stderr(worker)
    assert 1 == len(_left_alone(worker, run_id))


def test_resume_refuses_a_run_a_worker_is_executing(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Exit 2 naming the worker, how to follow, stop or recover it; the run goes on."""
    served = clusters.clusters[2]
    inventory = str(served.inventory_path)
    hold = served.executor.hold(ADD_RESOURCE)
    (run_id,) = fleet.submit("ssis-clustered", "-i", inventory, "--params-file", str(ssis_params))
    fleet.worker("w1")
    assert hold.reached.wait(WAIT_S), "step 2 never reached its node"

    refused = fleet.cli("resume", run_id, "-i", inventory, "--yes", expect=2)
    hold.release()

    assert f"run {run_id} is running in the fleet (worker w1)" in refused.stderr
    assert f"psrunbook cancel {run_id}" in refused.stderr
    assert "psrunbook worker --recover-from w1" in refused.stderr
    assert "Traceback" not in refused.stderr
    [record] = fleet.wait_outcomes([run_id])
    assert 0 == record.resumes
