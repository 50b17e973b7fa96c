"""The cluster's WMI classes that map a Physical Disk resource to its volumes (issue 12):
two association hops, partitions only where the disk is mounted, administrators only."""

from __future__ import annotations

import pytest

from psrunbook.sim.executor_protocol import PipelineFailed
from psrunbook.sim.lab.lab_files import sample_lab

from .test_cluster_executor import Runner

MAP = (
    "param($Disk)\n"
    "$ErrorActionPreference = 'Stop'\n"
    "@(Get-CimInstance -Namespace 'root/MSCluster' -ClassName 'MSCluster_Resource' |"
    " Where-Object { $_.Name -eq $Disk } |"
    " Get-CimAssociatedInstance -ResultClassName 'MSCluster_Disk' |"
    " Get-CimAssociatedInstance -ResultClassName 'MSCluster_DiskPartition' |"
    " ForEach-Object { [string]$_.Path }) -join ','"
)


def test_the_disk_resource_maps_to_its_drive_on_the_owner() -> None:
    assert ["S:"] == Runner(sample_lab())(MAP, Disk="Cluster Disk 1").outputs


def test_a_node_that_does_not_own_the_disk_sees_no_partition() -> None:
    assert [""] == Runner(sample_lab())(MAP, "NODE2", Disk="Cluster Disk 1").outputs


def test_a_resource_that_is_not_a_disk_has_no_partition() -> None:
    assert [""] == Runner(sample_lab())(MAP, Disk="SQL Server").outputs


def test_partitions_are_two_hops_from_the_resource() -> None:
    script = (
        "param($Disk)\n"
        "@(Get-CimInstance -Namespace 'root/MSCluster' -ClassName 'MSCluster_Resource' |"
        " Where-Object { $_.Name -eq $Disk } |"
        " Get-CimAssociatedInstance -ResultClassName 'MSCluster_DiskPartition').Count"
    )
    assert [0] == Runner(sample_lab())(script, Disk="Cluster Disk 1").outputs


def test_a_plain_user_is_denied_the_cluster_namespace() -> None:
    lab = sample_lab()
    lab.remote_user_is_administrator = False
    with pytest.raises(PipelineFailed, match="Access denied"):
        Runner(lab)(MAP, Disk="Cluster Disk 1")
