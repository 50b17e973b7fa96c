"""A fleet of simulated clusters served by several processes (``cluster_groups``).

Real processes, real endpoints, real pypsrp over loopback HTTP: the clusters of one
fleet are spread over the group processes, reached through the inventories written for
them, and every change a cluster records comes back, stamped, from its own process.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from psrunbook.inventory import load_inventory
from psrunbook.sim.lab.cluster_groups import start_cluster_groups

pytestmark = pytest.mark.integration

PASSWORD = "groups-test-password"


def _run(inventory_path: Path, script: str) -> None:
    inventory = load_inventory(inventory_path)
    host, port, _ = inventory.endpoint_for(inventory.nodes[0])
    client = WSMan(
        host,
        port=port,
        username="psrunbook",
        password=PASSWORD,
        ssl=False,
        auth="basic",
        encryption="never",
        connection_timeout=5,
        read_timeout=30,
    )
    with RunspacePool(client) as pool:
        ps = PowerShell(pool)
        ps.add_script(script)
        ps.invoke()
        assert not ps.had_errors, [str(e) for e in ps.streams.error]


def test_clusters_are_spread_over_processes_and_their_changes_come_back(
    tmp_path: Path,
) -> None:
    before = time.time()
    with start_cluster_groups(
        3, processes=2, nodes=2, password=PASSWORD, inventory_dir=tmp_path, time_scale=0.0
    ) as fleet:
        assert ["SIMCLUSTER01", "SIMCLUSTER02", "SIMCLUSTER03"] == [c.name for c in fleet.clusters]
        assert 2 == len(set(fleet.pids))
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "SIMCLUSTER01.toml",
            "SIMCLUSTER02.toml",
            "SIMCLUSTER03.toml",
        ]
        second = fleet.clusters[1]
        assert second.inventory_path is not None
        assert "SIMCLUSTER02" == load_inventory(second.inventory_path).cluster.name

        _run(second.inventory_path, "(Get-ClusterResource 'SQL Server').RestartAction = 0")

        (change,) = second.changes()
        at, cmdlet, _node, target = change
        assert ("set restart_action", "SQL Server") == (cmdlet, target)
        assert before <= at <= time.time()
        assert [] == fleet.clusters[0].changes()
        assert [] == fleet.clusters[2].changes()


def test_a_group_process_ends_with_its_fleet(tmp_path: Path) -> None:
    with start_cluster_groups(2, processes=2, nodes=2, password=PASSWORD) as fleet:
        groups = list(fleet.groups)
    assert all(group.ended for group in groups)
