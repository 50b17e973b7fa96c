"""Issue 17: what `submit` refuses, and how `runs` shows queued runs (local journal).

No worker here: these are the operator's side alone, on the default local journal and
the fleet file beside it (``fleet.sqlite3`` in the state directory).
"""

from __future__ import annotations

from pathlib import Path

from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.conftest import Psrunbook
from tests.integration.fleet.harness import PASSWORD
from tests.json_documents import document

ENV = {"PSRUNBOOK_SIM_PASSWORD": PASSWORD, "PSRUNBOOK_JOURNAL": ""}


def test_runs_shows_queued_and_awaiting_approval_runs_with_the_hash_to_approve(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """`runs` names the fleet state; `runs show` the hash and the approve command."""
    first, second = (str(c.inventory_path) for c in clusters.clusters[:2])
    queued = psrunbook(
        "submit", "ssis-clustered", "-i", first, "--params-file", str(ssis_params), env=ENV
    ).stdout.split()[0]
    waiting = psrunbook(
        "submit",
        "ssis-clustered",
        "-i",
        second,
        "--params-file",
        str(ssis_params),
        "--require-approval",
        env=ENV,
    ).stdout.split()
    listed = psrunbook("runs", env=ENV).stdout
    assert "queued" in next(line for line in listed.splitlines() if queued in line)
    assert "awaiting approval" in next(line for line in listed.splitlines() if waiting[0] in line)
    shown = psrunbook("runs", "show", waiting[0], env=ENV).stdout
    sha256 = waiting[-1]
    assert f"psrunbook approve {waiting[0]} --sha256 {sha256}" in shown

    listed_json = document(psrunbook("runs", "--json", env=ENV).stdout, "run-list")
    states = {run["run_id"]: run["fleet_state"] for run in listed_json["runs"]}
    assert {queued: "queued", waiting[0]: "awaiting approval"} == states
    detail = document(psrunbook("runs", "show", waiting[0], "--json", env=ENV).stdout, "run")
    assert ("awaiting approval", []) == (detail["run"]["fleet_state"], detail["decisions"])


def test_submit_refuses_bad_input_before_queueing_anything(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path, tmp_path: Path
) -> None:
    """Exit 2 naming the fix; the journal stays empty."""
    inventory = str(clusters.clusters[0].inventory_path)
    neither = psrunbook("submit", "ssis-clustered", env=ENV, expect=2)
    assert "--inventory-dir" in neither.stderr
    both = psrunbook(
        "submit",
        "ssis-clustered",
        "-i",
        inventory,
        "--inventory-dir",
        str(tmp_path),
        env=ENV,
        expect=2,
    )
    assert "one of the two" in both.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    none = psrunbook("submit", "ssis-clustered", "--inventory-dir", str(empty), env=ENV, expect=2)
    assert "no *.toml inventory" in none.stderr
    missing = psrunbook("submit", "ssis-clustered", "-i", inventory, env=ENV, expect=2)
    assert "sql_resource" in missing.stderr
    assert "Traceback" not in missing.stderr
    assert [] == psrunbook.runs()


def test_approve_and_cancel_refuse_runs_in_the_wrong_state(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Approving a run that awaits no approval, or cancelling an ended one, is exit 2."""
    inventory = str(clusters.clusters[0].inventory_path)
    run_id = psrunbook(
        "submit", "ssis-clustered", "-i", inventory, "--params-file", str(ssis_params), env=ENV
    ).stdout.split()[0]
    refused = psrunbook("approve", run_id, "--sha256", "0" * 64, env=ENV, expect=2)
    assert "queued, not awaiting approval" in refused.stderr
    psrunbook("cancel", run_id, env=ENV)
    again = psrunbook("cancel", run_id, env=ENV, expect=2)
    assert "cancelled already" in again.stderr
    assert "interrupted" == psrunbook.last_run().outcome


def test_approve_and_reject_on_the_local_journal_say_what_they_did(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Both print their decision and exit 0 on the default local journal (they recorded it,
    then failed reading the closed journal: exit 2 while the run went on)."""
    first, second = (str(c.inventory_path) for c in clusters.clusters[:2])
    submitted = [
        psrunbook(
            "submit", "ssis-clustered", "-i", inventory, "--params-file", str(ssis_params),
            "--require-approval", env=ENV,
        ).stdout.split()
        for inventory in (first, second)
    ]  # fmt: skip
    (approve_id, *_, sha256), (reject_id, *_) = submitted
    approved = psrunbook("approve", approve_id, "--sha256", sha256, env=ENV)
    assert f"approved run {approve_id} (sha256 {sha256}) as " in approved.stdout
    assert "error" not in approved.stderr
    rejected = psrunbook("reject", reject_id, "--reason", "not in this window", env=ENV)
    assert f"rejected run {reject_id} as " in rejected.stdout
    shown = psrunbook("runs", "show", approve_id, env=ENV).stdout
    assert f"review bundle sha256 {sha256}" in shown
