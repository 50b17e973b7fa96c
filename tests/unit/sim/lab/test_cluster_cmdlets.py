"""FailoverClusters cmdlets: parameter sets, semantics from the facts, and error shapes."""

from __future__ import annotations

from typing import Any

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.objects import PSEnum, PSHashtable, PSObject
from psrunbook.sim.ps.cmdlet_api import CmdletError, CommandRefused

from .conftest import Caller, param_value, reg_value, service

GROUP = "SQL Server (MSSQLSERVER)"
FC = "Microsoft.FailoverClusters.PowerShell"


def add_ssis(call: Caller, name: str = "SSIS", service: str | None = "MsDtsServer150") -> PSObject:
    """A Generic Service resource in the SQL group, optionally with its ServiceName."""
    added = call("Add-ClusterResource", Name=name, Group=GROUP, ResourceType="Generic Service")
    resource: PSObject = added.output[0]
    if service is not None:
        call("Set-ClusterParameter", InputObject=resource, Name="ServiceName", Value=service)
    return resource


def state(call: Caller, name: str) -> str:
    return str(call("Get-ClusterResource", Name=[name]).output[0].properties["State"])


# -- Get-Cluster / Get-ClusterNode / Get-ClusterResourceType -----------------------------


def test_get_cluster_returns_cluster_object(call: Caller) -> None:
    """Get-Cluster gives the Cluster object, shown as its name."""
    cluster = call("Get-Cluster").output[0]
    assert f"{FC}.Cluster" == cluster.type_names[0]
    assert "SIMCLUSTER" == str(cluster)
    assert "SIMLAB" == cluster.properties["Domain"]


def test_get_cluster_other_name_is_a_connection_error(call: Caller) -> None:
    """Naming another cluster fails like an unreachable one (observed ClusterRpcConnection)."""
    with pytest.raises(CmdletError) as raised:
        call("Get-Cluster", Name="OTHERCL")
    record = raised.value.record
    assert f"ClusterRpcConnection,{FC}.GetClusterCommand" == record.fully_qualified_error_id
    assert "ConnectionError" == record.category


def test_cluster_parameter_accepts_own_name(call: Caller) -> None:
    """-Cluster with this cluster's name (any case) or a node name is accepted."""
    assert 2 == len(call("Get-ClusterNode", Cluster="simcluster").output)
    assert 2 == len(call("Get-ClusterNode", Cluster="NODE2").output)


def test_get_cluster_node_states(call: Caller, lab: SimCluster) -> None:
    """Get-ClusterNode lists nodes with ClusterNodeState enum values."""
    lab.set_node_state("NODE2", "Paused")
    nodes = call("Get-ClusterNode").output
    states = [n.properties["State"] for n in nodes]
    assert [("Up", 0), ("Paused", 2)] == [(s.name, s.value) for s in states]
    assert f"{FC}.ClusterNodeState" == states[0].type_name


def test_get_cluster_node_unknown_name(call: Caller) -> None:
    """An unknown node name is a non-terminating ObjectNotFound error with code 5042."""
    ctx = call("Get-ClusterNode", Name=["NODE1", "NODE9"])
    assert ["NODE1"] == [str(n) for n in ctx.output]
    assert [f"Get-ClusterNode,{FC}.GetNodeCommand"] == ctx.error_ids
    assert "ObjectNotFound" == ctx.errors[0].category
    assert "0x800713B2" in ctx.errors[0].message


def test_get_cluster_resource_type(call: Caller) -> None:
    """Get-ClusterResourceType lists the known types; an unknown name is an error."""
    names = [str(t) for t in call("Get-ClusterResourceType").output]
    assert {"Generic Service", "Physical Disk", "SQL Server", "Network Name", "IP Address"} <= set(
        names
    )
    ctx = call("Get-ClusterResourceType", Name=["generic service", "Nope"])
    assert ["Generic Service"] == [str(t) for t in ctx.output]
    assert 1 == len(ctx.errors)


# -- groups ------------------------------------------------------------------------------


def test_get_cluster_group_properties(call: Caller) -> None:
    """A ClusterGroup has Name, OwnerNode (a node object) and State Online (0)."""
    group = call("Get-ClusterGroup", Name=[GROUP]).output[0]
    assert GROUP == str(group)
    assert "NODE1" == str(group.properties["OwnerNode"])
    assert ("Online", 0) == (group.properties["State"].name, group.properties["State"].value)


def test_get_cluster_group_from_piped_node(call: Caller, lab: SimCluster) -> None:
    """A piped ClusterNode gives the groups it owns."""
    call("Move-ClusterGroup", Name=GROUP, Node="NODE2")
    node2 = call("Get-ClusterNode", Name=["NODE2"]).output[0]
    assert [GROUP] == [str(g) for g in call("Get-ClusterGroup", InputObject=node2).output]


def test_get_cluster_group_missing(call: Caller) -> None:
    """A missing group is ObjectNotFound with the group-not-found code 5013."""
    ctx = call("Get-ClusterGroup", Name=["Nope"])
    assert [] == ctx.output
    assert "0x80071395" in ctx.errors[0].message
    assert "ObjectNotFound" == ctx.errors[0].category


def test_add_cluster_group_and_duplicate(call: Caller, lab: SimCluster) -> None:
    """Add-ClusterGroup creates an empty group on this node; a second one is 5010."""
    created = call("Add-ClusterGroup", "NODE2", Name=["Role1"]).output[0]
    assert ("Role1", "NODE2") == (str(created), str(created.properties["OwnerNode"]))
    ctx = call("Add-ClusterGroup", Name=["role1"])
    assert "ResourceExists" == ctx.errors[0].category
    assert "0x80071392" in ctx.errors[0].message
    assert 1 == lab.changes["Add-ClusterGroup"]


def test_group_state_partial_when_a_resource_is_offline(call: Caller) -> None:
    """Adding an Offline resource makes its group PartialOnline."""
    add_ssis(call)
    group = call("Get-ClusterGroup", Name=[GROUP]).output[0]
    assert "PartialOnline" == str(group.properties["State"])


def test_move_group_to_node(call: Caller, lab: SimCluster) -> None:
    """Move-ClusterGroup -Node changes the owner; resources stay Online."""
    moved = call("Move-ClusterGroup", Name=GROUP, Node="node2").output[0]
    assert "NODE2" == str(moved.properties["OwnerNode"])
    assert "Online" == state(call, "SQL Server")
    assert 1 == lab.changes["Move-ClusterGroup"]


def test_move_group_without_node_picks_another(call: Caller) -> None:
    """Without -Node the group goes to the best other node."""
    moved = call("Move-ClusterGroup", Name=GROUP).output[0]
    assert "NODE2" == str(moved.properties["OwnerNode"])


def test_move_group_piped(call: Caller) -> None:
    """A piped ClusterGroup is moved."""
    group = call("Get-ClusterGroup", Name=[GROUP]).output[0]
    assert "NODE2" == str(
        call("Move-ClusterGroup", InputObject=group, Node="NODE2").output[0].properties["OwnerNode"]
    )


def test_move_group_to_node_that_is_not_a_possible_owner(call: Caller) -> None:
    """Moving to a node a resource cannot run on fails with the observed shape."""
    call("Set-ClusterOwnerNode", Resource="SQL Server", Owners=["NODE1"])
    ctx = call("Move-ClusterGroup", Name=GROUP, Node="NODE2")
    assert [f"Move-ClusterGroup,{FC}.MoveClusterGroupCommand"] == ctx.error_ids
    message = ctx.errors[0].message
    assert message.startswith(f"An error occurred while moving the clustered role '{GROUP}'.\n")
    assert "not a possible owner of the group" in message
    assert "NotSpecified" == ctx.errors[0].category


def test_move_group_to_unknown_node(call: Caller) -> None:
    """An unknown target node is 5042."""
    ctx = call("Move-ClusterGroup", Name=GROUP, Node="NODE7")
    assert "0x800713B2" in ctx.errors[0].message


# -- resources ---------------------------------------------------------------------------


def test_get_cluster_resource_object_shape(call: Caller) -> None:
    """A ClusterResource has the facts' properties; nested objects show as names."""
    resource = call("Get-ClusterResource", Name=["SQL Server"]).output[0]
    props = resource.properties
    assert (f"{FC}.ClusterResource", "System.Object") == (
        resource.type_names[0],
        resource.type_names[-1],
    )
    assert "SQL Server" == str(resource)
    assert PSEnum(f"{FC}.ClusterResourceState", "Online", 2) == props["State"]
    assert GROUP == str(props["OwnerGroup"])
    assert "SQL Server" == str(props["ResourceType"])
    assert "NODE1" == str(props["OwnerNode"])
    assert 36 == len(props["Id"])


def test_get_cluster_resource_all_and_by_names(call: Caller) -> None:
    """No -Name lists every resource; -Name takes several names, any case."""
    assert 6 == len(call("Get-ClusterResource").output)
    named = call("Get-ClusterResource", Name=["cluster disk 1", "SQL Server"]).output
    assert ["Cluster Disk 1", "SQL Server"] == [str(r) for r in named]


def test_get_cluster_resource_missing(call: Caller) -> None:
    """A missing resource: ClusterCmdletException, ObjectNotFound, code 5007 in the message."""
    ctx = call("Get-ClusterResource", Name=["SSIS"])
    record = ctx.errors[0]
    assert f"Get-ClusterResource,{FC}.GetResourceCommand" == record.fully_qualified_error_id
    assert f"{FC}.ClusterCmdletException" == record.exception_type
    assert "ObjectNotFound" == record.category
    assert (
        "The cluster resource could not be found. (Exception from HRESULT: 0x8007138F)"
        in record.message
    )


def test_get_cluster_resource_of_piped_group(call: Caller) -> None:
    """A piped ClusterGroup gives that group's resources."""
    group = call("Get-ClusterGroup", Name=["Cluster Group"]).output[0]
    assert {"Cluster IP Address", "Cluster Name"} == {
        str(r) for r in call("Get-ClusterResource", InputObject=group).output
    }


def test_add_cluster_resource_creates_offline(call: Caller, lab: SimCluster) -> None:
    """Add-ClusterResource returns it Offline in the group, every node a possible owner."""
    resource = add_ssis(call, service=None)
    assert ("Offline", 3) == (resource.properties["State"].name, resource.properties["State"].value)
    assert GROUP == str(resource.properties["OwnerGroup"])
    assert ["NODE1", "NODE2"] == lab.resource("SSIS").possible_owners
    assert 1 == lab.changes["Add-ClusterResource"]


def test_add_cluster_resource_from_piped_group(call: Caller) -> None:
    """A piped ClusterGroup names the target group."""
    group = call("Get-ClusterGroup", Name=[GROUP]).output[0]
    ctx = call("Add-ClusterResource", Name="X", ResourceType="Generic Service", InputObject=group)
    assert GROUP == str(ctx.output[0].properties["OwnerGroup"])


def test_add_cluster_resource_names_are_unique_cluster_wide(call: Caller) -> None:
    """A name used in another group is refused with 5010 (ResourceExists)."""
    ctx = call(
        "Add-ClusterResource", Name="cluster name", Group=GROUP, ResourceType="Generic Service"
    )
    assert [f"Add-ClusterResource,{FC}.AddClusterResourceCommand"] == ctx.error_ids
    assert "ResourceExists" == ctx.errors[0].category
    assert "The object already exists." in ctx.errors[0].message


@pytest.mark.parametrize(
    ("args", "hresult"),
    [
        ({"Group": GROUP, "ResourceType": "Bogus Type"}, "0x800713D6"),
        ({"Group": "No Group", "ResourceType": "Generic Service"}, "0x80071395"),
    ],
)
def test_add_cluster_resource_refusals(call: Caller, args: Any, hresult: Any) -> None:
    """An unknown type (5078) or group (5013) is refused and nothing is created."""
    ctx = call("Add-ClusterResource", Name="X", **args)
    assert hresult in ctx.errors[0].message
    assert [] == call("Get-ClusterResource", Name=["X"]).output


def test_add_cluster_resource_without_group(call: Caller) -> None:
    """Neither -Group nor a piped group: refused (documented choice)."""
    ctx = call("Add-ClusterResource", Name="X", ResourceType="Generic Service")
    assert ["InvalidParameterCombination"] == [e.error_id for e in ctx.errors]


def test_remove_cluster_resource_without_force_would_prompt(call: Caller, lab: SimCluster) -> None:
    """Without -Force the confirmation prompt fails terminating in a non-interactive host."""
    add_ssis(call)
    with pytest.raises(CmdletError) as raised:
        call("Remove-ClusterResource", Name=["SSIS"])
    record = raised.value.record
    assert raised.value.terminating
    assert (
        f"HostFunctionNotImplemented,{FC}.RemoveClusterResourceCommand"
        == record.fully_qualified_error_id
    )
    assert "System.Management.Automation.Host.HostException" == record.exception_type
    assert "ssis" in lab.resources


def test_remove_cluster_resource_with_force(call: Caller, lab: SimCluster) -> None:
    """-Force removes it; one another resource depends on is refused (5001) and stays
    (tests/unit/sim/lab/test_cluster_removals.py)."""
    add_ssis(call)
    call("Add-ClusterResourceDependency", Resource="SQL Server", Provider="SSIS")
    refused = call("Remove-ClusterResource", Name=["SSIS"], Force=True)
    assert "0x80071389" in refused.errors[0].message
    assert "ssis" in lab.resources
    call("Remove-ClusterResourceDependency", Resource="SQL Server", Provider="SSIS")
    call("Remove-ClusterResource", Name=["SSIS"], Force=True)
    assert "ssis" not in lab.resources
    assert [["Cluster Disk 1"], ["SQL Network Name (SQLVS01)"]] == lab.resource(
        "SQL Server"
    ).dependencies
    assert 1 == lab.changes["Remove-ClusterResource"]


def test_remove_cluster_resource_confirm_false_and_whatif(call: Caller, lab: SimCluster) -> None:
    """-WhatIf changes nothing; -Confirm:$false removes without a prompt."""
    add_ssis(call)
    call("Remove-ClusterResource", Name=["SSIS"], WhatIf=True)
    assert "ssis" in lab.resources
    call("Remove-ClusterResource", Name=["SSIS"], Confirm=False)
    assert "ssis" not in lab.resources


def test_remove_missing_resource(call: Caller) -> None:
    """Removing a missing resource is 5007."""
    ctx = call("Remove-ClusterResource", Name=["Nope"], Force=True)
    assert "0x8007138F" in ctx.errors[0].message


# -- start / stop ------------------------------------------------------------------------


def test_start_generic_service_goes_online_and_runs_the_service(
    call: Caller, lab: SimCluster
) -> None:
    """Start-ClusterResource (waiting) returns Online; the service runs on the owner."""
    add_ssis(call)
    service(lab, "NODE1", "MsDtsServer150").status = "Stopped"
    started = call("Start-ClusterResource", Name="SSIS").output[0]
    assert "Online" == str(started.properties["State"])
    assert "Running" == service(lab, "NODE1", "MsDtsServer150").status
    assert 1 == lab.changes["Start-ClusterResource"]


def test_start_wait_zero_returns_online_pending_then_online(call: Caller) -> None:
    """-Wait 0 returns OnlinePending; the next observation sees Online."""
    add_ssis(call)
    started = call("Start-ClusterResource", Name="SSIS", Wait=0).output[0]
    assert ("OnlinePending", 129) == (
        started.properties["State"].name,
        started.properties["State"].value,
    )
    assert "Online" == state(call, "SSIS")


def test_pending_lasts_the_configured_observations(call: Caller, lab: SimCluster) -> None:
    """With observations=2, two reads still see OnlinePending; Start-Sleep also completes it."""
    lab.timing.observations = 2
    lab.timing.seconds = 5
    add_ssis(call)
    call("Start-ClusterResource", Name="SSIS", Wait=0)
    assert ["OnlinePending", "OnlinePending"] == [state(call, "SSIS"), state(call, "SSIS")]
    assert "Online" == state(call, "SSIS")
    add_ssis(call, "SSIS2")
    call("Start-ClusterResource", Name="SSIS2", Wait=0)
    call("Start-Sleep", Seconds=5)
    assert "Online" == state(call, "SSIS2")
    assert 5.0 == lab.clock.now


def test_start_wait_shorter_than_transition_returns_pending(call: Caller, lab: SimCluster) -> None:
    """-Wait N shorter than the transition returns it still pending and advances the clock."""
    lab.timing.observations = 5
    lab.timing.seconds = 10
    add_ssis(call)
    started = call("Start-ClusterResource", Name="SSIS", Wait=3).output[0]
    assert "OnlinePending" == str(started.properties["State"])
    assert 3.0 == lab.clock.now


def test_start_piped_resource(call: Caller) -> None:
    """A piped ClusterResource is started (identified by its Name)."""
    resource = add_ssis(call)
    assert "Online" == str(
        call("Start-ClusterResource", InputObject=resource).output[0].properties["State"]
    )


def test_start_without_service_name_fails(call: Caller) -> None:
    """A Generic Service without ServiceName fails to come online: state Failed, error 5018."""
    add_ssis(call, service=None)
    ctx = call("Start-ClusterResource", Name="SSIS")
    assert [f"Start-ClusterResource,{FC}.StartClusterResourceCommand"] == ctx.error_ids
    assert "0x8007139A" in ctx.errors[0].message
    assert "Failed" == state(call, "SSIS")


def test_start_with_service_missing_on_owner_fails(call: Caller, lab: SimCluster) -> None:
    """ServiceName must be installed on the owner node."""
    add_ssis(call, service="MsDtsServer160")
    ctx = call("Start-ClusterResource", Name="SSIS")
    assert "The specified service does not exist as an installed service." in ctx.errors[0].message
    assert "Failed" == state(call, "SSIS")


def test_start_wait_zero_failure_shows_on_next_observation(call: Caller) -> None:
    """With -Wait 0 the failure is not an error: the resource shows Failed when it settles."""
    add_ssis(call, service=None)
    ctx = call("Start-ClusterResource", Name="SSIS", Wait=0)
    assert ([], "OnlinePending") == (ctx.errors, str(ctx.output[0].properties["State"]))
    assert "Failed" == state(call, "SSIS")


def test_start_when_owner_is_not_a_possible_owner(call: Caller) -> None:
    """The owner node must be a possible owner of the resource (5071)."""
    add_ssis(call)
    call("Set-ClusterOwnerNode", Resource="SSIS", Owners=["NODE2"])
    ctx = call("Start-ClusterResource", Name="SSIS")
    assert "The owner node cannot run this resource." in ctx.errors[0].message


def test_start_brings_providers_online_first(call: Caller) -> None:
    """Start-ClusterResource starts Offline providers first (documented behaviour)."""
    add_ssis(call)
    call("Add-ClusterResourceDependency", Resource="SSIS", Provider="SQL Server")
    call("Stop-ClusterResource", Name="SQL Server")
    assert "Offline" == state(call, "SQL Server")
    call("Start-ClusterResource", Name="SSIS")
    assert ("Online", "Online") == (state(call, "SQL Server"), state(call, "SSIS"))


def test_strict_policy_refuses_when_a_dependency_is_offline(call: Caller, lab: SimCluster) -> None:
    """With the strict policy, Start fails (5004) while a dependency is not Online."""
    lab.start_brings_providers_online = False
    add_ssis(call)
    call("Add-ClusterResourceDependency", Resource="SSIS", Provider="SQL Server")
    call("Stop-ClusterResource", Name="SQL Server")
    ctx = call("Start-ClusterResource", Name="SSIS")
    assert "The cluster resource is not online." in ctx.errors[0].message
    assert "Offline" == state(call, "SSIS")


def test_start_online_resource_is_not_a_change(call: Caller, lab: SimCluster) -> None:
    """Starting an Online resource returns it and counts no change."""
    assert "Online" == str(
        call("Start-ClusterResource", Name="SQL Server").output[0].properties["State"]
    )
    assert 0 == lab.changes["Start-ClusterResource"]


def test_stop_takes_dependents_offline_first(call: Caller, lab: SimCluster) -> None:
    """Stopping the disk takes SQL Server (its dependent) offline too."""
    stopped = call("Stop-ClusterResource", Name="Cluster Disk 1").output[0]
    assert "Offline" == str(stopped.properties["State"])
    assert "Offline" == state(call, "SQL Server")
    assert "Online" == state(call, "SQL Network Name (SQLVS01)")


def test_stop_generic_service_stops_the_service(call: Caller, lab: SimCluster) -> None:
    """Taking a Generic Service offline stops its service on the owner."""
    add_ssis(call)
    call("Start-ClusterResource", Name="SSIS")
    call("Stop-ClusterResource", Name="SSIS")
    assert "Stopped" == service(lab, "NODE1", "MsDtsServer150").status


# -- checkpoints -------------------------------------------------------------------------

KEY = "SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile"


def test_add_and_get_registry_checkpoint(call: Caller) -> None:
    """Add-ClusterCheckpoint returns {Resource, Name}; Get lists it (filters by kind/name)."""
    add_ssis(call)
    added = call("Add-ClusterCheckpoint", ResourceName="SSIS", RegistryCheckpoint=KEY).output[0]
    assert (f"{FC}.ClusterRegistryCheckpoint", KEY, "SSIS") == (
        added.type_names[0],
        added.properties["Name"],
        str(added.properties["Resource"]),
    )
    listed = call("Get-ClusterCheckpoint", ResourceName=["SSIS"], RegistryCheckpoint=True).output
    assert [KEY] == [c.properties["Name"] for c in listed]
    assert [] == call("Get-ClusterCheckpoint", ResourceName=["SSIS"], CryptoCheckpoint=True).output
    assert [] == call("Get-ClusterCheckpoint", CheckpointName="*Other*").output
    assert 1 == len(call("Get-ClusterCheckpoint", CheckpointName="*SSIS*").output)


def test_checkpoint_key_prefix_is_normalised(call: Caller) -> None:
    """A key given with HKEY_LOCAL_MACHINE\\ is stored HKLM-relative."""
    add_ssis(call)
    added = call(
        "Add-ClusterCheckpoint",
        ResourceName="SSIS",
        RegistryCheckpoint="HKEY_LOCAL_MACHINE\\" + KEY,
    )
    assert KEY == added.output[0].properties["Name"]


def test_duplicate_checkpoint(call: Caller, lab: SimCluster) -> None:
    """A second identical checkpoint (any case) is refused and counted once."""
    add_ssis(call)
    call("Add-ClusterCheckpoint", ResourceName="SSIS", RegistryCheckpoint=KEY)
    ctx = call("Add-ClusterCheckpoint", ResourceName="SSIS", RegistryCheckpoint=KEY.upper())
    assert "0x800700B7" in ctx.errors[0].message
    assert 1 == lab.changes["Add-ClusterCheckpoint"]


def test_remove_checkpoint_needs_force(call: Caller, lab: SimCluster) -> None:
    """Remove-ClusterCheckpoint prompts without -Force; with -Force it removes."""
    add_ssis(call)
    added = call("Add-ClusterCheckpoint", ResourceName="SSIS", RegistryCheckpoint=KEY)
    (checkpoint,) = added.output
    with pytest.raises(CmdletError):
        call("Remove-ClusterCheckpoint", InputObject=checkpoint)
    call("Remove-ClusterCheckpoint", InputObject=checkpoint, Force=True)
    assert [] == lab.resource("SSIS").checkpoints


def test_remove_checkpoint_of_a_resource_without_a_name_is_refused(
    call: Caller, lab: SimCluster
) -> None:
    """What the resource-only form removes is not documented: refused by name, nothing
    removed (pipe the checkpoint objects, the help's Example 1)."""
    add_ssis(call)
    call("Add-ClusterCheckpoint", ResourceName="SSIS", RegistryCheckpoint=KEY)
    with pytest.raises(CommandRefused, match="without -CheckpointName"):
        call("Remove-ClusterCheckpoint", ResourceName="SSIS", RegistryCheckpoint=True, Force=True)
    assert [KEY] == lab.resource("SSIS").checkpoints


def test_a_checkpoint_name_a_pattern_reads_differently_is_refused(
    call: Caller, lab: SimCluster
) -> None:
    """-CheckpointName is a regular expression by the module's HelpMessage and a plain name
    by the online help: a key path (backslashes, digits after them) is refused, not read
    either way, and nothing is removed."""
    add_ssis(call)
    call("Add-ClusterCheckpoint", ResourceName="SSIS", RegistryCheckpoint=KEY)
    with pytest.raises(CommandRefused, match="-CheckpointName"):
        call("Remove-ClusterCheckpoint", ResourceName="SSIS", CheckpointName=KEY, Force=True)
    assert [KEY] == lab.resource("SSIS").checkpoints


def test_checkpoint_replicates_key_on_failover(call: Caller, lab: SimCluster) -> None:
    """A checkpointed key changed on the owner is restored on the node the group fails to."""
    add_ssis(call)
    call("Add-ClusterCheckpoint", ResourceName="SSIS", RegistryCheckpoint=KEY)
    call("Start-ClusterResource", Name="SSIS")
    call(
        "Set-ItemProperty",
        Path=["HKLM:\\" + KEY],
        Name="(default)",
        Value="S:\\SSIS\\MsDtsSrvr.ini.xml",
    )
    call("Move-ClusterGroup", Name=GROUP, Node="NODE2")
    value = reg_value(lab, "NODE2", KEY, "")
    assert "S:\\SSIS\\MsDtsSrvr.ini.xml" == value.data


# -- owners ------------------------------------------------------------------------------


def test_get_possible_owners(call: Caller) -> None:
    """Get-ClusterOwnerNode -Resource lists possible owners as node objects."""
    owners = call("Get-ClusterOwnerNode", Resource="SQL Server").output[0]
    assert f"{FC}.ClusterOwnerNodeList" == owners.type_names[0]
    assert ["NODE1", "NODE2"] == [n.properties["Name"] for n in owners.properties["OwnerNodes"]]
    assert "SQL Server" == str(owners.properties["ClusterObject"])


def test_set_possible_owners_and_idempotence(call: Caller, lab: SimCluster) -> None:
    """Set-ClusterOwnerNode -Resource sets possible owners; the same set again is no change."""
    add_ssis(call)
    call("Set-ClusterOwnerNode", Resource="SSIS", Owners=["node2"])
    call("Set-ClusterOwnerNode", Resource="SSIS", Owners=["NODE2"])
    assert ["NODE2"] == lab.resource("SSIS").possible_owners
    assert 1 == lab.changes["Set-ClusterOwnerNode"]
    call("Set-ClusterOwnerNode", Resource="SSIS", Owners=["NODE2", "NODE1"])
    call("Set-ClusterOwnerNode", Resource="SSIS", Owners=["NODE1", "NODE2"])
    assert 2 == lab.changes["Set-ClusterOwnerNode"]


def test_owners_given_as_one_comma_string(call: Caller, lab: SimCluster) -> None:
    """'NODE1,NODE2' as one string is one node name, never split: 5042, nothing changes."""
    add_ssis(call)
    before = list(lab.resource("SSIS").possible_owners)
    ctx = call("Set-ClusterOwnerNode", Resource="SSIS", Owners=["NODE1,NODE2"])
    assert "0x800713B2" in ctx.errors[0].message
    assert before == lab.resource("SSIS").possible_owners
    assert 0 == lab.changes["Set-ClusterOwnerNode"]
    call("Set-ClusterOwnerNode", Resource="SSIS", Owners=["NODE1"])
    assert ["NODE1"] == lab.resource("SSIS").possible_owners


def test_group_preferred_owners_are_ordered(call: Caller, lab: SimCluster) -> None:
    """-Group sets the ordered preferred owners; Get -Group lists them (empty by default)."""
    empty = call("Get-ClusterOwnerNode", Group=GROUP).output[0]
    assert [] == empty.properties["OwnerNodes"]
    call("Set-ClusterOwnerNode", Group=GROUP, Owners=["NODE2", "NODE1"])
    owners = call("Get-ClusterOwnerNode", Group=GROUP).output[0].properties["OwnerNodes"]
    assert ["NODE2", "NODE1"] == [str(n) for n in owners]


def test_set_owner_unknown_node(call: Caller) -> None:
    """An unknown owner node is 5042 and nothing changes."""
    ctx = call("Set-ClusterOwnerNode", Resource="SQL Server", Owners=["NODE1", "NODE9"])
    assert "0x800713B2" in ctx.errors[0].message


def test_set_owner_needs_a_target(call: Caller) -> None:
    """Neither -Resource, -Group nor a piped object: refused."""
    with pytest.raises(CmdletError):
        call("Set-ClusterOwnerNode", Owners=["NODE1"])


# -- dependencies ------------------------------------------------------------------------


def test_add_dependency_and_expression(call: Caller, lab: SimCluster) -> None:
    """Add-ClusterResourceDependency ANDs providers; Get renders "[A] and [B]"."""
    add_ssis(call)
    returned = call("Add-ClusterResourceDependency", Resource="SSIS", Provider="SQL Server").output[
        0
    ]
    assert "SSIS" == str(returned)
    call("Add-ClusterResourceDependency", Resource="SSIS", Provider="Cluster Disk 1")
    dependency = call("Get-ClusterResourceDependency", Resource=["SSIS"]).output[0]
    assert "[SQL Server] and [Cluster Disk 1]" == dependency.properties["DependencyExpression"]
    assert "SSIS" == str(dependency.properties["Resource"])


def test_dependency_expression_empty_without_dependencies(call: Caller) -> None:
    """A resource without dependencies has an empty expression."""
    add_ssis(call)
    assert (
        ""
        == call("Get-ClusterResourceDependency", Resource=["SSIS"])
        .output[0]
        .properties["DependencyExpression"]
    )


@pytest.mark.parametrize(
    ("resource", "provider", "hresult"),
    [
        ("SSIS", "Cluster Name", "0x80070057"),
        ("SSIS", "SSIS", "0x80070423"),
        ("SSIS", "Nope", "0x8007138F"),
        ("SQL Server", "SSIS", "0x80070423"),
    ],
)
def test_dependency_refusals(call: Caller, resource: Any, provider: Any, hresult: Any) -> None:
    """Other group (87), self (1059), missing (5007), cycle (1059) are refused."""
    add_ssis(call)
    call("Add-ClusterResourceDependency", Resource="SSIS", Provider="SQL Server")
    ctx = call("Add-ClusterResourceDependency", Resource=resource, Provider=provider)
    assert hresult in ctx.errors[0].message


def test_duplicate_dependency(call: Caller, lab: SimCluster) -> None:
    """The same provider twice is 5003 and counted once."""
    add_ssis(call)
    call("Add-ClusterResourceDependency", Resource="SSIS", Provider="SQL Server")
    ctx = call("Add-ClusterResourceDependency", Resource="SSIS", Provider="sql server")
    assert "ResourceExists" == ctx.errors[0].category
    assert "0x8007138B" in ctx.errors[0].message
    assert 1 == lab.changes["Add-ClusterResourceDependency"]


def test_remove_dependency(call: Caller, lab: SimCluster) -> None:
    """Remove-ClusterResourceDependency removes a provider; a missing one is 5002."""
    call("Remove-ClusterResourceDependency", Resource="SQL Server", Provider="Cluster Disk 1")
    assert [["SQL Network Name (SQLVS01)"]] == lab.resource("SQL Server").dependencies
    ctx = call("Remove-ClusterResourceDependency", Resource="SQL Server", Provider="Cluster Disk 1")
    assert "The cluster resource dependency cannot be found." in ctx.errors[0].message
    assert "0x8007138A" in ctx.errors[0].message


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("[SQL Server] and [Cluster Disk 1]", [["SQL Server"], ["Cluster Disk 1"]]),
        ("[SQL Server] or [Cluster Disk 1]", [["SQL Server", "Cluster Disk 1"]]),
        (
            "([SQL Server] or [Cluster Disk 1]) and [SQL Network Name (SQLVS01)]",
            [["SQL Server", "Cluster Disk 1"], ["SQL Network Name (SQLVS01)"]],
        ),
        ("", []),
    ],
)
def test_set_dependency_expression(
    call: Caller, lab: SimCluster, expression: Any, expected: Any
) -> None:
    """Set-ClusterResourceDependency replaces the expression ("" clears it)."""
    add_ssis(call)
    call("Add-ClusterResourceDependency", Resource="SSIS", Provider="SQL Server")
    call("Set-ClusterResourceDependency", Resource="SSIS", Dependency=expression)
    assert expected == lab.resource("SSIS").dependencies


def test_set_dependency_renders_or_clauses(call: Caller) -> None:
    """Mixed expressions render with parentheses around OR clauses."""
    add_ssis(call)
    call(
        "Set-ClusterResourceDependency",
        Resource="SSIS",
        Dependency="([SQL Server] or [Cluster Disk 1]) and [SQL Network Name (SQLVS01)]",
    )
    rendered = (
        call("Get-ClusterResourceDependency", Resource=["SSIS"])
        .output[0]
        .properties["DependencyExpression"]
    )
    assert "([SQL Server] or [Cluster Disk 1]) and [SQL Network Name (SQLVS01)]" == rendered


@pytest.mark.parametrize(
    "expression",
    [
        "[A] and",
        "[SQL Server] [Cluster Disk 1]",
        "SQL Server",
        "[SQL Server] and [Cluster Disk 1] or [SSIS]",
    ],
)
def test_set_dependency_invalid_expression(call: Caller, expression: Any) -> None:
    """Malformed expressions are refused with ERROR_INVALID_PARAMETER."""
    add_ssis(call)
    ctx = call("Set-ClusterResourceDependency", Resource="SSIS", Dependency=expression)
    assert "0x80070057" in ctx.errors[0].message


def test_get_dependency_with_guid(call: Caller, lab: SimCluster) -> None:
    """-Guid renders provider ids instead of names."""
    expression = call("Get-ClusterResourceDependency", Resource=["SQL Server"], Guid=True).output[0]
    assert f"[{lab.resource('Cluster Disk 1').id}]" in expression.properties["DependencyExpression"]


# -- parameters --------------------------------------------------------------------------


def test_generic_service_private_parameters(call: Caller) -> None:
    """A new Generic Service has ServiceName, StartupParameters, UseNetworkName."""
    resource = add_ssis(call, service=None)
    params = call("Get-ClusterParameter", InputObject=resource).output
    assert ["ServiceName", "StartupParameters", "UseNetworkName"] == [
        p.properties["Name"] for p in params
    ]
    assert f"{FC}.ClusterParameter" == params[0].type_names[0]
    assert "SSIS" == str(params[0].properties["ClusterObject"])
    assert ("UInt32", 2) == (
        params[2].properties["ParameterType"].name,
        params[2].properties["ParameterType"].value,
    )


def test_set_and_get_service_name(call: Caller, lab: SimCluster) -> None:
    """Set-ClusterParameter -Name/-Value sets ServiceName; the same value again is no change."""
    resource = add_ssis(call)
    call("Set-ClusterParameter", InputObject=resource, Name="ServiceName", Value="MsDtsServer150")
    got = call("Get-ClusterParameter", InputObject=resource, Name=["servicename"]).output
    assert ["MsDtsServer150"] == [p.properties["Value"] for p in got]
    assert 1 == lab.changes["Set-ClusterParameter"]


def test_set_multiple_parameters(call: Caller, lab: SimCluster) -> None:
    """-Multiple sets several private properties at once; UseNetworkName is a number."""
    resource = add_ssis(call, service=None)
    values = PSHashtable([("ServiceName", "MsDtsServer150"), ("UseNetworkName", True)])
    call("Set-ClusterParameter", InputObject=resource, Multiple=values)
    assert ("MsDtsServer150", 1) == (
        param_value(lab, "SSIS", "ServiceName"),
        param_value(lab, "SSIS", "UseNetworkName"),
    )


def test_set_from_piped_cluster_parameter(call: Caller, lab: SimCluster) -> None:
    """A piped ClusterParameter object is written back to its owner."""
    resource = add_ssis(call, service=None)
    param = call("Get-ClusterParameter", InputObject=resource, Name=["ServiceName"]).output[0]
    param.properties["Value"] = "MsDtsServer150"
    call("Set-ClusterParameter", InputObject=param)
    assert "MsDtsServer150" == param_value(lab, "SSIS", "ServiceName")


def test_unknown_generic_service_parameter(call: Caller, lab: SimCluster) -> None:
    """An unknown private property is refused unless -Create; -Delete removes it."""
    resource = add_ssis(call)
    ctx = call("Set-ClusterParameter", InputObject=resource, Name="Bogus", Value="x")
    assert "0x80070057" in ctx.errors[0].message
    call("Set-ClusterParameter", InputObject=resource, Name="Bogus", Value="x", Create=True)
    assert "x" == param_value(lab, "SSIS", "Bogus")
    call("Set-ClusterParameter", InputObject=resource, Name="Bogus", Delete=True)
    assert lab.resource("SSIS").parameter("Bogus") is None


def test_get_missing_parameter_is_an_error(call: Caller) -> None:
    """Get-ClusterParameter -Name for a property the object lacks writes an error."""
    resource = add_ssis(call)
    ctx = call("Get-ClusterParameter", InputObject=resource, Name=["Nope"])
    assert ([], 1) == (ctx.output, len(ctx.errors))


def test_set_parameter_on_online_resource_warns(call: Caller) -> None:
    """Changing a private property of an Online resource warns it applies at next online."""
    resource = add_ssis(call)
    call("Start-ClusterResource", Name="SSIS")
    ctx = call("Set-ClusterParameter", InputObject=resource, Name="StartupParameters", Value="-x")
    assert 1 == len(ctx.warnings)
    assert "taken offline and then online again" in ctx.warnings[0]
