"""The cluster model behind real endpoints, driven by real pypsrp over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

import pytest
import requests
from pypsrp.powershell import PowerShell, RunspacePool

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.cluster_faults import node_down
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration


@pytest.fixture
def cluster() -> SimCluster:
    return sample_lab()


@pytest.fixture
def endpoints(cluster: SimCluster) -> Iterator[dict[str, SimEndpoint]]:
    executor = cluster_executor(cluster)
    opened: dict[str, SimEndpoint] = {}
    try:
        for name in ("NODE1", "NODE2"):
            opened[name] = SimEndpoint(
                executor,
                node=name,
                users={USER: PASSWORD},
                refuse_when=partial(cluster.node_is_down, name),
            )
        yield opened
    finally:
        for endpoint in opened.values():
            endpoint.close()


def run_script(endpoint: SimEndpoint, script: str) -> tuple[list[Any], list[Any]]:
    with RunspacePool(client_for(endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_script(script)
        output = ps.invoke()
        return list(output), list(ps.streams.error)


def test_resources_reach_the_client(endpoints: dict[str, SimEndpoint]) -> None:
    """Cluster resources serialise at depth 1: nested objects arrive as their names."""
    output, errors = run_script(
        endpoints["NODE1"],
        "Get-ClusterResource -Name 'SQL Server' |"
        " ForEach-Object { [string]$_.OwnerGroup; [string]$_.State }",
    )
    assert [] == errors
    assert ["SQL Server (MSSQLSERVER)", "Online"] == output


def test_shared_disk_visible_only_on_owner_over_psrp(endpoints: dict[str, SimEndpoint]) -> None:
    """Test-Path S:\\ is True on the owner and False on the other node."""
    assert [True] == run_script(endpoints["NODE1"], "Test-Path -Path 'S:\\'")[0]
    assert [False] == run_script(endpoints["NODE2"], "Test-Path -Path 'S:\\'")[0]


def test_cluster_error_reaches_the_error_stream(endpoints: dict[str, SimEndpoint]) -> None:
    """A missing resource arrives as an ErrorRecord with the FailoverClusters error id."""
    output, errors = run_script(endpoints["NODE2"], "Get-ClusterResource -Name 'Nope'; 'after'")
    assert ["after"] == output
    assert 1 == len(errors)
    assert "Get-ClusterResource,Microsoft.FailoverClusters.PowerShell.GetResourceCommand" == (
        errors[0].fq_error
    )


def test_down_node_refuses_and_group_fails_over(
    cluster: SimCluster, endpoints: dict[str, SimEndpoint]
) -> None:
    """After NODE1 goes down its endpoint refuses and NODE2 owns the SQL group."""
    node_down(cluster, "NODE1")
    with pytest.raises(requests.exceptions.ConnectionError):
        run_script(endpoints["NODE1"], "Get-Cluster")
    output, _ = run_script(
        endpoints["NODE2"], "[string](Get-ClusterGroup -Name 'SQL Server (MSSQLSERVER)').OwnerNode"
    )
    assert ["NODE2"] == output
