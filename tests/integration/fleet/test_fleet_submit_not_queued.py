"""`submit` that loses the fleet's database while queueing: nothing unapproved executes.

`submit` journals each run, then queues it. When queueing failed, the run stayed in the
journal, unfinished, in no queue: `resume` found no fleet state for it and executed it on
its cluster (a run submitted with `--require-approval` too, which nobody had approved),
and with several inventories the operator was not told which runs were queued.

The failure is a real one: the fleet's own SQLite file refuses the insert that queues a
run (a trigger raising as a full or failing disk would), after the runs before it were
queued.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from psrunbook.fleet.location import FLEET_FILE
from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.conftest import Psrunbook
from tests.integration.fleet.harness import PASSWORD

ENV = {"PSRUNBOOK_SIM_PASSWORD": PASSWORD, "PSRUNBOOK_JOURNAL": ""}


def _queue_fails_after(fleet_file: Path, queued: int) -> None:
    """From now on the fleet refuses to queue a workflow once ``queued`` are there."""
    with sqlite3.connect(fleet_file) as conn:
        conn.execute(
            "CREATE TRIGGER refuse_queueing BEFORE INSERT ON workflow_status"
            f" WHEN (SELECT count(*) FROM workflow_status) >= {queued}"
            " BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    conn.close()


def _first_submit(psrunbook: Psrunbook, inventory: str, params: Path) -> str:
    """One run queued the usual way (this also creates the fleet's database)."""
    return psrunbook(
        "submit", "ssis-clustered", "-i", inventory, "--params-file", str(params), env=ENV
    ).stdout.split()[0]


def test_an_unapproved_run_that_was_never_queued_is_not_resumed(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Exit 2 from `submit` naming the run; `resume` refuses it; its cluster is untouched."""
    first, second = (str(c.inventory_path) for c in clusters.clusters[:2])
    _first_submit(psrunbook, first, ssis_params)
    _queue_fails_after(psrunbook.state_dir / FLEET_FILE, 1)
    lab_before = clusters.clusters[1].cluster.change_log[:]

    refused = psrunbook(
        "submit",
        "ssis-clustered",
        "-i",
        second,
        "--params-file",
        str(ssis_params),
        "--require-approval",
        env=ENV,
        expect=2,
    )
    assert "Traceback" not in refused.stderr
    assert "database or disk is full" in refused.stderr
    (record,) = [r for r in psrunbook.runs() if r.cluster == clusters.clusters[1].name]
    assert f"run {record.run_id} (SIMCLUSTER02) is journaled but was not queued" in (
        refused.stderr
    )
    assert (True, "failed") == (record.submitted, record.outcome)

    resumed = psrunbook("resume", record.run_id, "--yes", env=ENV, expect=2)
    assert "nobody approved or queued it, so resume will not execute it" in resumed.stderr
    assert "psrunbook submit" in resumed.stderr
    assert [] == psrunbook.attempts(record.run_id)
    assert lab_before == clusters.clusters[1].cluster.change_log


def test_a_partial_submit_names_the_runs_queued_and_the_one_that_was_not(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path, tmp_path: Path
) -> None:
    """Three inventories, queueing fails at the second: the first is named queued (and
    is), the second journaled and not queued, the third not submitted at all."""
    _first_submit(psrunbook, str(clusters.clusters[0].inventory_path), ssis_params)
    _queue_fails_after(psrunbook.state_dir / FLEET_FILE, 2)

    refused = psrunbook(
        "submit",
        "ssis-clustered",
        "--inventory-dir",
        str(tmp_path / "inventories"),
        "--params-file",
        str(ssis_params),
        env=ENV,
        expect=2,
    )
    runs = {r.run_id: r for r in psrunbook.runs()}
    submitted_now = sorted(
        (r for r in runs.values() if r.started_at > min(x.started_at for x in runs.values())),
        key=lambda r: r.started_at,
    )
    queued, not_queued = submitted_now
    assert f"queued before the failure, and left queued: {queued.run_id} (SIMCLUSTER01)" in (
        refused.stderr
    )
    assert f"run {not_queued.run_id} (SIMCLUSTER02) is journaled but was not queued" in (
        refused.stderr
    )
    assert "1 more inventories were not submitted" in refused.stderr
    assert (None, "failed") == (queued.outcome, not_queued.outcome)
    listed = psrunbook("runs", env=ENV).stdout
    assert "queued" in next(line for line in listed.splitlines() if queued.run_id in line)
    assert 3 == len(runs)  # the first submit's, and two of this one's: the third never
