"""Issue 17: a run submitted with --require-approval runs only what the reviewer approved."""

from __future__ import annotations

import json
from pathlib import Path

from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.fleet.harness import Fleet
from tests.json_documents import document


def _submit_for_approval(fleet: Fleet, inventory: Path, params: Path) -> tuple[str, str]:
    done = fleet.cli(
        "submit",
        "ssis-clustered",
        "-i",
        str(inventory),
        "--params-file",
        str(params),
        "--require-approval",
        "--json",
    )
    (run,) = json.loads(done.stdout)["runs"]
    assert "awaiting approval" == run["state"]
    return run["run_id"], run["review_sha256"]


def test_approval_with_the_wrong_hash_is_refused_naming_both_then_the_right_one_runs(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """The run waits; a wrong hash is exit 2 with both hashes; the right one lets it run."""
    served = clusters.clusters[0]
    assert served.inventory_path is not None
    run_id, sha256 = _submit_for_approval(fleet, served.inventory_path, ssis_params)
    worker = fleet.worker("w1")
    fleet.wait_state(run_id, "awaiting approval")
    assert [] == served.changes()
    shown = fleet.cli("runs", "show", run_id).stdout
    assert f"psrunbook approve {run_id} --sha256 {sha256}" in shown
    wrong = "0" * 64
    refused = fleet.cli("approve", run_id, "--sha256", wrong, expect=2)
    assert wrong in refused.stderr
    assert sha256 in refused.stderr
    assert "Traceback" not in refused.stderr
    [event] = [
        json.loads(line)
        for line in refused.stderr.splitlines()
        if line.startswith("{") and '"run.approval_refused"' in line
    ]
    assert ("failure", run_id, wrong, sha256, "ssis-clustered") == (
        event["event"]["outcome"],
        event["trace"]["id"],
        event["psrunbook"]["given_sha256"],
        event["psrunbook"]["bundle_sha256"],
        event["psrunbook"]["runbook"],
    )
    approved = fleet.cli("approve", run_id, "--sha256", sha256)
    assert sha256 in approved.stdout
    fleet.wait_outcomes([run_id])
    assert "finished" == fleet.settled_states([run_id])[run_id]
    shown = fleet.cli("runs", "show", run_id).stdout
    [approval] = fleet.decisions(run_id)
    assert ("approved", sha256) == (approval.verdict, approval.bundle_sha256)
    assert approval.decided_by in approved.stdout
    when = approval.decided_at.isoformat()
    assert f"approved by {approval.decided_by} at {when}, review bundle sha256 {sha256}" in shown
    [journaled] = document(fleet.cli("runs", "show", run_id, "--json").stdout, "run")["decisions"]
    assert ("approved", approval.decided_by, sha256) == (
        journaled["verdict"],
        journaled["decided_by"],
        journaled["bundle_sha256"],
    )
    decisions = [e for e in worker.events() if e["event"].get("action") == "run.approved"]
    assert 1 == len(decisions)
    assert sha256 == decisions[0]["psrunbook"]["bundle_sha256"]
    assert decisions[0]["psrunbook"]["decided_by"]
    assert decisions[0]["psrunbook"]["decided_at"]
    assert "ssis-clustered" == decisions[0]["psrunbook"]["runbook"]


def test_a_rejected_run_ends_without_touching_its_cluster(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """`reject` ends the run as rejected: journaled as failed, no attempt, no change."""
    served = clusters.clusters[1]
    assert served.inventory_path is not None
    run_id, _ = _submit_for_approval(fleet, served.inventory_path, ssis_params)
    fleet.worker("w1")
    fleet.cli("reject", run_id, "--reason", "not in this change window")
    fleet.wait_outcomes([run_id], "failed")
    fleet.wait_state(run_id, "rejected")
    assert [] == fleet.attempts(run_id)
    assert [] == served.changes()
    [rejection] = fleet.decisions(run_id)
    assert ("rejected", None, "not in this change window") == (
        rejection.verdict,
        rejection.bundle_sha256,
        rejection.reason,
    )
    shown = fleet.cli("runs", "show", run_id).stdout
    assert f"rejected by {rejection.decided_by} at " in shown
