"""`resume` leaves a fleet run alone while the fleet owns it or once it ended unrun.

A run queued, awaiting approval, rejected or cancelled was executed by `resume -i INV
--yes` (exit 0, every step applied, no approval), and a worker then rewrote its outcome.
`resume` now refuses such a run, exit 2, naming its state and what to do, before any
target is set up; and `runs` shows a run rejected while no worker runs as rejected.

No worker here: the operator's side alone, on the default local journal and the fleet
file beside it (``fleet.sqlite3``). A run under a worker is in test_fleet_ended_elsewhere.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from psrunbook.fleet.location import FLEET_FILE
from psrunbook.journal import JOURNAL_FILE
from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.conftest import Psrunbook
from tests.integration.fleet.harness import PASSWORD
from tests.json_documents import document

ENV = {"PSRUNBOOK_SIM_PASSWORD": PASSWORD, "PSRUNBOOK_JOURNAL": ""}


def _submit(psrunbook: Psrunbook, inventory: str, params: Path, *extra: str) -> list[str]:
    """``submit``'s line for the one run: run id, cluster, state (and hash to approve)."""
    return psrunbook(
        "submit", "ssis-clustered", "-i", inventory, "--params-file", str(params), *extra, env=ENV
    ).stdout.split()


def _refused_resume(psrunbook: Psrunbook, run_id: str, inventory: str) -> str:
    """`resume RUN_ID -i INV --yes` refused, exit 2, without a traceback: its stderr."""
    refused = psrunbook("resume", run_id, "-i", inventory, "--yes", env=ENV, expect=2)
    assert "Traceback" not in refused.output
    return refused.stderr


def test_resume_refuses_a_queued_run_naming_its_state_and_the_worker(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Exit 2 naming "queued", the worker and cancel; nothing attempted or changed."""
    served = clusters.clusters[0]
    inventory = str(served.inventory_path)
    run_id = _submit(psrunbook, inventory, ssis_params)[0]

    message = _refused_resume(psrunbook, run_id, inventory)

    assert f"run {run_id} is queued in the fleet" in message
    assert "psrunbook worker" in message
    assert f"psrunbook cancel {run_id}" in message
    assert [] == served.changes()
    assert [] == psrunbook.attempts(run_id)
    assert (None, 0) == (psrunbook.last_run().outcome, psrunbook.last_run().resumes)
    [listed] = document(psrunbook("runs", "--json", env=ENV).stdout, "run-list")["runs"]
    assert "queued" == listed["fleet_state"]


def test_resume_of_a_queued_run_on_another_target_names_its_state_not_the_inventory(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Given another cluster's inventory, the refusal is still about the fleet state."""
    first, second = (str(c.inventory_path) for c in clusters.clusters[:2])
    run_id = _submit(psrunbook, first, ssis_params)[0]

    message = _refused_resume(psrunbook, run_id, second)

    assert f"run {run_id} is queued in the fleet" in message
    assert "changed since the run" not in message


def test_resume_refuses_a_run_awaiting_approval_naming_the_approve_command(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Exit 2: nobody approved it; the message gives the approve and reject commands."""
    served = clusters.clusters[0]
    inventory = str(served.inventory_path)
    run_id, *_, sha256 = _submit(psrunbook, inventory, ssis_params, "--require-approval")

    message = _refused_resume(psrunbook, run_id, inventory)

    assert f"run {run_id} is awaiting approval" in message
    assert f"psrunbook approve {run_id} --sha256 {sha256}" in message
    assert f"psrunbook reject {run_id}" in message
    assert [] == served.changes()
    assert [] == psrunbook.attempts(run_id)


def test_a_run_rejected_with_no_worker_is_listed_rejected_and_not_resumed(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """`runs` and `runs show` say rejected (with the reason) before any worker took the
    decision up; `resume` refuses it, and a second decision is refused naming the state."""
    served = clusters.clusters[0]
    inventory = str(served.inventory_path)
    run_id = _submit(psrunbook, inventory, ssis_params, "--require-approval")[0]
    psrunbook("reject", run_id, "--reason", "not in this window", env=ENV)

    listed = psrunbook("runs", env=ENV).stdout
    shown = psrunbook("runs", "show", run_id, env=ENV).stdout
    message = _refused_resume(psrunbook, run_id, inventory)
    again = psrunbook("approve", run_id, "--sha256", "0" * 64, env=ENV, expect=2)

    line = next(line for line in listed.splitlines() if run_id in line)
    assert "rejected" in line
    assert "awaiting approval" not in line
    assert "fleet: rejected" in shown
    assert "reason: not in this window" in shown
    assert "psrunbook approve" not in shown
    assert f"run {run_id} was rejected (not in this window)" in message
    assert "nothing to resume" in message
    assert f"run {run_id} is rejected, not awaiting approval" in again.stderr
    assert [] == served.changes()
    assert [] == psrunbook.attempts(run_id)


def test_a_run_approved_with_no_worker_is_listed_queued(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Approved, waiting for a worker: `runs` says queued, `resume` refuses it as queued."""
    served = clusters.clusters[0]
    inventory = str(served.inventory_path)
    run_id, *_, sha256 = _submit(psrunbook, inventory, ssis_params, "--require-approval")
    psrunbook("approve", run_id, "--sha256", sha256, env=ENV)

    listed = document(psrunbook("runs", "--json", env=ENV).stdout, "run-list")
    message = _refused_resume(psrunbook, run_id, inventory)

    assert "queued" == listed["runs"][0]["fleet_state"]
    assert f"run {run_id} is queued in the fleet" in message
    assert [] == served.changes()


def test_resume_refuses_a_cancelled_run(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """A run cancelled before it ran stays over: exit 2 naming "cancelled", nothing run."""
    served = clusters.clusters[0]
    inventory = str(served.inventory_path)
    run_id = _submit(psrunbook, inventory, ssis_params)[0]
    psrunbook("cancel", run_id, env=ENV)

    message = _refused_resume(psrunbook, run_id, inventory)

    assert f"run {run_id} was cancelled in the fleet" in message
    assert "psrunbook submit" in message
    assert [] == served.changes()
    assert [] == psrunbook.attempts(run_id)
    assert ("interrupted", 0) == (psrunbook.last_run().outcome, psrunbook.last_run().resumes)


def test_an_unreadable_fleet_database_is_named_not_a_traceback(psrunbook: Psrunbook) -> None:
    """`resume` (which now asks the fleet) and `runs` exit 2 naming fleet.sqlite3 and the fix.

    The run is one journaled before the journal recorded submissions (``submitted``
    NULL): it may be a fleet's, so both ask the fleet. A run the journal knows `run`
    started is looked up in no fleet (test_resume_without_fleet_lookup).
    """
    psrunbook("run", "cluster-report", "--sim", "--yes")
    with sqlite3.connect(psrunbook.state_dir / JOURNAL_FILE) as conn:
        conn.execute("UPDATE runs SET submitted = NULL")
    conn.close()
    (psrunbook.state_dir / FLEET_FILE).write_bytes(b"not a database, not at all\n" * 10)

    resumed = psrunbook("resume", "last", "--sim", "--yes", env=ENV, expect=2)
    listed = psrunbook("runs", env=ENV, expect=2)

    for refused in (resumed, listed):
        assert f"cannot read fleet database {psrunbook.state_dir / FLEET_FILE}" in refused.stderr
        assert "move it aside" in refused.stderr
        assert "Traceback" not in refused.output
    assert 0 == psrunbook.last_run().resumes
