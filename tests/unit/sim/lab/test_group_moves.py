"""Moving a group, and failing it over when its node goes down (issue 12).

A resource's possible owners restrict where its whole group can be owned; a move carries
the group's disk and resources, stops each Generic Service's service on the old owner and
brings it online on the new one, where it loads the configuration that node now points at.
"""

from __future__ import annotations

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import sample_lab

from .conftest import Caller, service
from .test_cluster_executor import Runner

GROUP = "SQL Server (MSSQLSERVER)"
SSIS = "MsDtsServer150"


def _lab_with_ssis(owners: list[str]) -> tuple[SimCluster, Caller]:
    """A 3-node lab whose SQL group holds an Online SSIS resource with these owners."""
    lab = sample_lab(nodes=3)
    call = Caller(lab)
    call("Add-ClusterResource", Name="SSIS", Group=GROUP, ResourceType="Generic Service")
    call("Set-ClusterParameter", InputObject="SSIS", Name="ServiceName", Value=SSIS)
    call("Set-ClusterOwnerNode", Resource="SSIS", Owners=owners)
    lab.resource("SSIS").restart_action = 1
    call("Start-ClusterResource", Name="SSIS")
    assert "Online" == lab.resource("SSIS").state
    return lab, call


def _where(lab: SimCluster) -> dict[str, str]:
    return {n.name: service(lab, n.name, SSIS).status for n in lab.nodes.values()}


def test_get_cluster_owner_node_reads_a_resources_possible_owners() -> None:
    run = Runner(sample_lab(nodes=3))
    run.cluster.resource("SQL Server").possible_owners = ["NODE1", "NODE3"]
    sink = run(
        "(Get-ClusterOwnerNode -Resource 'SQL Server').OwnerNodes | ForEach-Object { $_.Name }"
    )
    assert ["NODE1", "NODE3"] == sink.outputs


def test_move_carries_disk_resources_and_the_service_to_the_new_owner() -> None:
    lab, call = _lab_with_ssis(["NODE1", "NODE2"])
    call("Move-ClusterGroup", Name=GROUP, Node="NODE2")
    assert "NODE2" == lab.group(GROUP).owner
    assert {r.name: r.state for r in lab.group_resources(GROUP)} == dict.fromkeys(
        (r.name for r in lab.group_resources(GROUP)), "Online"
    )
    assert {"NODE1": "Stopped", "NODE2": "Running", "NODE3": "Running"} == _where(lab)
    assert "Manual" == service(lab, "NODE2", SSIS).start_type
    assert lab.volume_for("NODE2", "S") is not None
    assert lab.volume_for("NODE1", "S") is None


def test_move_to_a_node_that_cannot_own_one_resource_fails_and_changes_nothing() -> None:
    """SSIS may run on NODE1 and NODE2 only, so its group, SQL Server included, cannot be
    moved to NODE3 (the observed Move-ClusterGroup error: "the node is not a possible owner
    of the group")."""
    lab, call = _lab_with_ssis(["NODE1", "NODE2"])
    ctx = call("Move-ClusterGroup", Name=GROUP, Node="NODE3")
    assert "not a possible owner of the group" in ctx.errors[0].message
    assert "NODE1" == lab.group(GROUP).owner
    assert "Online" == lab.resource("SQL Server").state == lab.resource("SSIS").state


def test_move_to_a_paused_node_fails() -> None:
    """A Paused node takes no groups (ClusterNodeState Paused); the move is refused."""
    lab, call = _lab_with_ssis(["NODE1", "NODE2", "NODE3"])
    lab.set_node_state("NODE2", "Paused")
    ctx = call("Move-ClusterGroup", Name=GROUP, Node="NODE2")
    assert ctx.errors
    assert "NODE1" == lab.group(GROUP).owner


def test_failover_goes_only_to_a_node_every_resource_can_run_on() -> None:
    """NODE2 comes first by name, but SSIS cannot run there: the group goes to NODE3."""
    lab, _ = _lab_with_ssis(["NODE1", "NODE3"])
    lab.set_node_state("NODE1", "Down")
    assert "NODE3" == lab.group(GROUP).owner
    assert "Online" == lab.resource("SSIS").state == lab.resource("SQL Server").state
    assert "Running" == service(lab, "NODE3", SSIS).status


def test_failover_without_a_node_that_can_own_the_group_leaves_it_failed() -> None:
    lab, _ = _lab_with_ssis(["NODE1"])
    lab.set_node_state("NODE1", "Down")
    assert "NODE1" == lab.group(GROUP).owner
    assert "Failed" == lab.resource("SQL Server").state


def test_a_node_going_down_stops_its_services_and_coming_up_starts_the_automatic_ones() -> None:
    """Down is the machine gone: no process survives it. Up again is a boot: the SCM starts
    Automatic services, which load the configuration the registry names now; Manual ones
    stay stopped (the cluster starts them when it brings their resource online)."""
    lab, _ = _lab_with_ssis(["NODE1", "NODE2", "NODE3"])
    lab.set_node_state("NODE3", "Down")
    ssis3 = service(lab, "NODE3", SSIS)
    assert ("Stopped", None) == (ssis3.status, ssis3.loaded)
    lab.set_node_state("NODE3", "Up")
    assert "Running" == ssis3.status
    assert ssis3.loaded is not None
    assert "NODE1" == lab.group(GROUP).owner

    lab.set_node_state("NODE1", "Down")
    owner = lab.group(GROUP).owner
    assert "Stopped" == service(lab, "NODE1", SSIS).status
    lab.set_node_state("NODE1", "Up")
    assert ("Manual", "Stopped") == (
        service(lab, "NODE1", SSIS).start_type,
        service(lab, "NODE1", SSIS).status,
    )
    assert owner == lab.group(GROUP).owner
