"""ACLs (Get-Acl, icacls) and cluster-level faults (node down, failing resource, moves)."""

from __future__ import annotations

from typing import Any

import pytest

from psrunbook.sim.lab.cluster_faults import (
    FailoverPlan,
    clear_resource_fault,
    fail_resource_online,
    move_group_after,
    move_group_now,
    node_down,
    node_up,
    pipeline_finished,
)
from psrunbook.sim.lab.cluster_model import SimCluster, SimModelError
from psrunbook.sim.lab.lab_files import sample_lab

from .conftest import Caller

GROUP = "SQL Server (MSSQLSERVER)"
GRANT = "SIMLAB\\svc-ssis:(OI)(CI)(RD,WD,AD,WEA,WA)"


def rules(call: Caller, path: str, node: str = "NODE1") -> list[tuple[str, str, str, bool]]:
    acl = call("Get-Acl", node, Path=[path]).output[0]
    return [
        (
            str(r.properties["IdentityReference"]),
            str(r.properties["FileSystemRights"]),
            str(r.properties["InheritanceFlags"]),
            r.properties["IsInherited"],
        )
        for r in acl.properties["Access"]
    ]


def test_get_acl_default_rules(call: Caller) -> None:
    """A new folder inherits the volume's rules (IsInherited), shown as .NET names."""
    call("New-Item", Path=["S:\\SSIS"], ItemType="Directory")
    assert [
        ("BUILTIN\\Administrators", "FullControl", "ContainerInherit, ObjectInherit", True),
        ("NT AUTHORITY\\SYSTEM", "FullControl", "ContainerInherit, ObjectInherit", True),
        ("BUILTIN\\Users", "ReadAndExecute, Synchronize", "ContainerInherit, ObjectInherit", True),
    ] == rules(call, "S:\\SSIS")


def test_get_acl_object_shape(call: Caller) -> None:
    """Get-Acl gives a DirectorySecurity with Access rules, Owner and AccessToString."""
    acl = call("Get-Acl", Path=["S:\\MSSQL"]).output[0]
    assert "System.Security.AccessControl.DirectorySecurity" == acl.type_names[0]
    assert "BUILTIN\\Administrators" == acl.properties["Owner"]
    rule = acl.properties["Access"][0]
    assert "System.Security.AccessControl.FileSystemAccessRule" == rule.type_names[0]
    assert ("Allow", 0) == (
        rule.properties["AccessControlType"].name,
        rule.properties["AccessControlType"].value,
    )
    assert "BUILTIN\\Administrators Allow  FullControl" in acl.properties["AccessToString"]


def test_get_acl_missing_path(call: Caller) -> None:
    """A missing path (or the shared disk on another node) is PathNotFound."""
    ctx = call("Get-Acl", "NODE2", Path=["S:\\MSSQL"])
    assert "PathNotFound,Microsoft.PowerShell.Commands.GetAclCommand" == ctx.error_ids[0]


def test_icacls_grant_list_folder_and_write(call: Caller, lab: SimCluster) -> None:
    """icacls /grant (OI)(CI)(RD,WD,AD,WEA,WA) is ReadData, Write inherited by children."""
    call("New-Item", Path=["S:\\SSIS\\Packages"], ItemType="Directory")
    ctx = call.native("icacls", "S:\\SSIS\\Packages", "/grant", GRANT)
    assert 0 == ctx.exit_code
    assert [
        "processed file: S:\\SSIS\\Packages",
        "Successfully processed 1 files; Failed processing 0 files",
    ] == ctx.output
    assert (
        "SIMLAB\\svc-ssis",
        "ReadData, Write",
        "ContainerInherit, ObjectInherit",
        False,
    ) == rules(call, "S:\\SSIS\\Packages")[0]
    call("Set-Content", Path=["S:\\SSIS\\Packages\\p.dtsx"], Value=["x"])
    inherited = [r for r in rules(call, "S:\\SSIS\\Packages\\p.dtsx") if r[0] == "SIMLAB\\svc-ssis"]
    assert [("SIMLAB\\svc-ssis", "ReadData, Write", "None", True)] == inherited
    assert 1 == lab.changes["icacls.exe"]


def test_icacls_grant_twice_is_one_change(call: Caller, lab: SimCluster) -> None:
    """Granting the same rights again leaves one rule and counts no second change."""
    call.native("icacls.exe", "S:\\MSSQL", "/grant", GRANT)
    call.native("icacls", "S:\\MSSQL", "/grant", GRANT)
    explicit = [r for r in rules(call, "S:\\MSSQL") if not r[3]]
    assert 1 == len(explicit)
    assert 1 == lab.changes["icacls.exe"]


def test_icacls_simple_rights_and_replace(call: Caller) -> None:
    """A simple right (M) carries Synchronize; /grant:r replaces the principal's rules."""
    call.native("icacls", "S:\\MSSQL", "/grant", "BUILTIN\\Users:(OI)(CI)M")
    call.native("icacls", "S:\\MSSQL", "/grant:r", "Users:(RX)")
    explicit = [r for r in rules(call, "S:\\MSSQL") if not r[3]]
    assert [("BUILTIN\\Users", "ReadAndExecute, Synchronize", "None", False)] == explicit


def test_icacls_remove(call: Caller) -> None:
    """/remove drops the principal's explicit rules."""
    call.native("icacls", "S:\\MSSQL", "/grant", GRANT)
    call.native("icacls", "S:\\MSSQL", "/remove", "SIMLAB\\svc-ssis")
    assert [] == [r for r in rules(call, "S:\\MSSQL") if not r[3]]


def test_icacls_missing_path(call: Caller) -> None:
    """A missing path exits 2 with icacls' message on stderr (a NativeCommandError record
    in a remote session), the summary on stdout."""
    ctx = call.native("icacls", "S:\\Nope", "/grant", GRANT)
    assert 2 == ctx.exit_code
    (error,) = ctx.errors
    assert ("S:\\Nope: The system cannot find the file specified.", "NativeCommandError") == (
        error.message,
        error.error_id,
    )
    assert "System.Management.Automation.RemoteException" == error.exception_type
    assert ["", "Successfully processed 0 files; Failed processing 1 files"] == ctx.output


def test_icacls_unknown_principal(call: Caller, lab: SimCluster) -> None:
    """An unknown principal exits 1332 and changes nothing."""
    ctx = call.native("icacls", "S:\\MSSQL", "/grant", "SIMLAB\\nobody:(OI)(CI)F")
    assert 1332 == ctx.exit_code
    assert "No mapping between account names and security IDs was done." in ctx.errors[0].message
    assert ["Successfully processed 0 files; Failed processing 1 files"] == ctx.output
    assert 0 == lab.changes["icacls.exe"]


@pytest.mark.parametrize(
    "argv", [["S:\\MSSQL", "/grant", "Users:(ZZ)"], ["S:\\MSSQL", "/frobnicate"], []]
)
def test_icacls_invalid_parameters(call: Caller, argv: Any) -> None:
    """Unknown rights or options exit 87 (invalid parameter)."""
    assert 87 == call.native("icacls", *argv).exit_code


def test_icacls_service_sid_principal(call: Caller) -> None:
    """Per-service accounts (NT SERVICE\\<service>) of installed services resolve."""
    assert (
        0
        == call.native(
            "icacls", "S:\\MSSQL", "/grant", "NT SERVICE\\MsDtsServer150:(OI)(CI)(RD,W)"
        ).exit_code
    )


def test_icacls_display(call: Caller) -> None:
    """Without an operation icacls lists the ACL, inherited rules marked (I)."""
    ctx = call.native("icacls", "S:\\MSSQL")
    assert 0 == ctx.exit_code
    assert "S:\\MSSQL BUILTIN\\Administrators:(I)(OI)(CI)(F)" == ctx.output[0]


# -- faults ------------------------------------------------------------------------------


def test_node_down_fails_groups_over(lab: SimCluster, call: Caller) -> None:
    """A node going down moves its groups to another node; resources come back Online."""
    call("New-Item", Path=["S:\\SSIS"], ItemType="Directory")
    node_down(lab, "NODE1")
    assert lab.node_is_down("NODE1")
    assert "NODE2" == lab.group(GROUP).owner
    assert "NODE2" == lab.group("Cluster Group").owner
    assert "Online" == lab.observe(lab.resource("SQL Server"))
    assert [True] == call("Test-Path", "NODE2", Path=["S:\\SSIS"]).output
    node_up(lab, "NODE1")
    assert not lab.node_is_down("NODE1")
    assert "NODE2" == lab.group(GROUP).owner


def test_node_down_respects_preferred_owners(call: Caller) -> None:
    """Failover goes to the first preferred owner that is Up."""
    cluster = sample_lab(nodes=3)
    cluster.group(GROUP).preferred_owners = ["NODE1", "NODE3", "NODE2"]
    node_down(cluster, "NODE1")
    assert "NODE3" == cluster.group(GROUP).owner


def test_node_down_without_a_possible_owner_fails_resources(lab: SimCluster, call: Caller) -> None:
    """When no other node can host the group, its Online resources become Failed."""
    call("Set-ClusterOwnerNode", Resource="SQL Server", Owners=["NODE1"])
    node_down(lab, "NODE1")
    assert "NODE1" == lab.group(GROUP).owner
    assert "Failed" == lab.resource("SQL Server").state


def test_unknown_node_counts_as_down(lab: SimCluster) -> None:
    """The endpoint refuses names that are not cluster nodes."""
    assert lab.node_is_down("NODE9")


def test_resource_fails_to_come_online(lab: SimCluster, call: Caller) -> None:
    """An armed fault fails the next online attempt, then clears (RestartAction 0: no
    restart by the cluster, so the failure stays visible)."""
    call("Stop-ClusterResource", Name="SQL Server")
    lab.resource("SQL Server").restart_action = 0
    fail_resource_online(lab, "SQL Server", times=1)
    ctx = call("Start-ClusterResource", Name="SQL Server")
    assert "0x8007139A" in ctx.errors[0].message
    assert "Failed" == lab.resource("SQL Server").state
    assert "Online" == str(
        call("Start-ClusterResource", Name="SQL Server").output[0].properties["State"]
    )


def test_resource_fault_forever_and_cleared(lab: SimCluster, call: Caller) -> None:
    """times=-1 fails every attempt until cleared."""
    call("Stop-ClusterResource", Name="SQL Server")
    fail_resource_online(lab, "SQL Server")
    for _ in range(2):
        assert 1 == len(call("Start-ClusterResource", Name="SQL Server").errors)
    clear_resource_fault(lab, "SQL Server")
    assert [] == call("Start-ClusterResource", Name="SQL Server").errors


def test_fault_on_unknown_resource_is_refused(lab: SimCluster) -> None:
    """Arming a fault names an existing resource."""
    with pytest.raises(SimModelError):
        fail_resource_online(lab, "Nope")


def test_group_moves_between_steps(lab: SimCluster) -> None:
    """A scheduled move fires after the given number of finished pipelines."""
    move_group_after(lab, GROUP, pipelines=2)
    assert [] == pipeline_finished(lab)
    assert "NODE1" == lab.group(GROUP).owner
    assert [GROUP] == pipeline_finished(lab)
    assert "NODE2" == lab.group(GROUP).owner
    assert [] == lab.faults.scheduled_moves


def test_move_group_now_to_node(lab: SimCluster) -> None:
    """move_group_now moves to the named node and returns the owner."""
    assert "NODE2" == move_group_now(lab, GROUP, "NODE2")


def test_fault_plan_is_deterministic() -> None:
    """The same seed produces the same sequence of moves."""
    runs = []
    for _ in range(2):
        cluster = sample_lab(nodes=3)
        plan = FailoverPlan(seed=7, probability=0.5)
        runs.append([plan.after_pipeline(cluster) for _ in range(10)])
    assert runs[0] == runs[1]
    assert any(runs[0])
