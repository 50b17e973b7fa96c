"""Against a real Windows failover cluster: read-only checks, run only when configured.

Set ``PSRUNBOOK_LIVE_INVENTORY`` to an inventory file (and its ``password_env``
variable, or a Kerberos ticket) to run them; optionally ``PSRUNBOOK_LIVE_PARAMS`` to an
``ssis-clustered`` parameter file for the plan check. Nothing here changes the cluster:
``cluster-report`` only reads, and ``plan`` runs every step in check mode.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from psrunbook.cli.app import app
from psrunbook.journal import Journal

pytestmark = pytest.mark.live

INVENTORY = os.environ.get("PSRUNBOOK_LIVE_INVENTORY")
PARAMS = os.environ.get("PSRUNBOOK_LIVE_PARAMS")

needs_cluster = pytest.mark.skipif(
    not INVENTORY,
    reason="set PSRUNBOOK_LIVE_INVENTORY to an inventory of a real cluster to run live tests",
)


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


@needs_cluster
def test_cluster_report_reads_the_real_cluster(tmp_path: Path) -> None:
    """cluster-report succeeds on the real cluster and reports every inventory node."""
    assert INVENTORY is not None
    code, out = _run(
        "run", "cluster-report", "-i", INVENTORY, "--yes", "--state-dir", str(tmp_path)
    )
    assert 0 == code, out
    with Journal.open(tmp_path) as journal:
        run = journal.runs(1)[0]
        changed = [a for a in journal.attempts(run.run_id) if a.changed]
    assert "succeeded" == run.outcome
    assert [] == changed


@needs_cluster
@pytest.mark.skipif(
    not PARAMS, reason="set PSRUNBOOK_LIVE_PARAMS to an ssis-clustered parameter file"
)
def test_ssis_clustered_plan_changes_nothing(tmp_path: Path) -> None:
    """plan ssis-clustered runs every step in check mode on the real cluster."""
    assert INVENTORY is not None and PARAMS is not None
    code, out = _run(
        "plan",
        "ssis-clustered",
        "-i",
        INVENTORY,
        "--params-file",
        PARAMS,
        "--state-dir",
        str(tmp_path),
    )
    assert 0 == code, out
    with Journal.open(tmp_path) as journal:
        attempts = journal.attempts(journal.runs(1)[0].run_id)
    assert all(a.check_only for a in attempts)
