"""The drill's move step says why SSIS did not start, and never starts SQL Server or the
disk as a side effect (review: ``Start-ClusterResource -ErrorAction SilentlyContinue``).

After a move the step starts a Failed SSIS resource once, as an operator would. That
start's error record (here a logon failure, 1069: the service account's password changed
on one node) was dropped, and the step said only "is Failed". And Start-ClusterResource
brings a resource's providers online first (``failoverclusters.json`` simulator hints,
"[doc]"), so with SQL Server left Failed by the move the retry started SQL Server too; it is
now refused, naming the provider, as ``cluster/start_resource`` refuses it for
``ssis-clustered``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from psrunbook.sim.lab.cluster_faults import fail_resource_online, fail_service_start
from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from tests.integration.test_execution import _by_name, _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

RESOURCE = "SQL Server Integration Services"


@pytest.mark.parametrize("terminate", [True, False], ids=["terminating", "non-terminating"])
def test_the_clusters_error_is_in_the_failure(psrunbook: Psrunbook, terminate: bool) -> None:
    """The move step's own failure carries the cluster's error, whichever kind of error
    Start-ClusterResource raises (UNVERIFIED which one Windows does)."""
    lab = sample_lab(nodes=3)
    lab.cluster_errors_terminate = terminate
    _seed_lab(psrunbook, lab)
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    cluster = restore(psrunbook.lab_file)
    fail_service_start(cluster, "NODE2", "MsDtsServer150")
    save(cluster, psrunbook.lab_file)

    result = psrunbook("run", "ssis-failover-drill", "--sim", "--yes", expect=1)

    output = " ".join((result.stdout + result.stderr).split())
    assert f"resource '{RESOURCE}' is Failed on NODE2 after the move" in output
    assert "The service did not start due to a logon failure" in output
    assert "Online" == _by_name(psrunbook.lab()["resources"])[RESOURCE]["state"]  # home again


def test_a_provider_left_failed_by_the_move_is_not_started_with_ssis(
    psrunbook: Psrunbook,
) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    cluster = restore(psrunbook.lab_file)
    sql = cluster.resource("SQL Server")
    sql.restart_action = 0  # the cluster leaves it Failed, no restart, no failover
    # Its own online on NODE2 fails, and so does the start SSIS's online asks of it.
    fail_resource_online(cluster, "SQL Server", times=2)
    save(cluster, psrunbook.lab_file)
    before = psrunbook.lab()

    result = psrunbook("run", "ssis-failover-drill", "--sim", "--yes", expect=1)

    output = " ".join((result.stdout + result.stderr).split())
    assert (
        f"resource '{RESOURCE}' is Failed on NODE2 after the move and not started again: "
        "it depends on 'SQL Server' (Failed)" in output
    )
    after = psrunbook.lab()
    log = after["change_log"][len(before["change_log"]) :]
    assert [] == [entry for entry in log if entry[0] == "Start-ClusterResource"]
    assert "Online" != _by_name(after["resources"])["SQL Server"]["state"]
