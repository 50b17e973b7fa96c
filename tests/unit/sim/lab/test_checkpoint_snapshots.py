"""When the cluster takes and restores its copy of a checkpointed key (KB 174070).

"When you specify a new registry key for the resource, the specified key is checkpointed";
"when the resource is brought offline, all the checkpoints associated with this resource
are saved"; "when the resource goes online, the registry keys are updated with the
previously checkpointed information". A value written on a node while the resource is not
Online is therefore lost at the next online.
"""

from __future__ import annotations

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster

from .conftest import Caller, reg_value

GROUP = "SQL Server (MSSQLSERVER)"
KEY = "SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile"
OLD = "S:\\SSIS\\MsDtsSrvr.ini.xml"
NEW = "S:\\SSIS2\\MsDtsSrvr.ini.xml"


def _add_ssis(call: Caller) -> None:
    added = call("Add-ClusterResource", Name="SSIS", Group=GROUP, ResourceType="Generic Service")
    call(
        "Set-ClusterParameter",
        InputObject=added.output[0],
        Name="ServiceName",
        Value="MsDtsServer150",
    )


def _write(call: Caller, value: str, node: str = "NODE1") -> None:
    call("Set-ItemProperty", node, Path=["HKLM:\\" + KEY], Name="(default)", Value=value)


def _fail(lab: SimCluster) -> None:
    """One online attempt that fails, leaving the resource Failed (RestartAction 0)."""
    lab.resource("SSIS").restart_action = 0
    lab.faults.fail_online["ssis"] = 1


@pytest.mark.parametrize("state", ["Offline", "Failed"])
def test_adding_a_checkpoint_snapshots_the_key_in_any_state(
    call: Caller, lab: SimCluster, state: str
) -> None:
    """Add-ClusterCheckpoint copies the key at once: a later write made while the resource
    is not Online is replaced by that copy at the next online."""
    _add_ssis(call)
    _write(call, OLD)
    if state == "Failed":
        _fail(lab)
        call("Start-ClusterResource", Name="SSIS")
        assert "Failed" == lab.resource("SSIS").state
    call("Add-ClusterCheckpoint", ResourceName="SSIS", RegistryCheckpoint=KEY)
    _write(call, NEW)

    call("Start-ClusterResource", Name="SSIS")

    assert "Online" == lab.resource("SSIS").state
    assert OLD == reg_value(lab, "NODE1", KEY, "").data


def test_removing_and_re_adding_the_checkpoint_takes_the_current_key(
    call: Caller, lab: SimCluster
) -> None:
    """Remove-ClusterCheckpoint drops the cluster's copy; adding again copies the key now."""
    _add_ssis(call)
    _write(call, OLD)
    added = call("Add-ClusterCheckpoint", ResourceName="SSIS", RegistryCheckpoint=KEY)
    (checkpoint,) = added.output
    _write(call, NEW)
    call("Remove-ClusterCheckpoint", InputObject=checkpoint, Force=True)
    call("Add-ClusterCheckpoint", ResourceName="SSIS", RegistryCheckpoint=KEY)

    call("Start-ClusterResource", Name="SSIS")

    assert NEW == reg_value(lab, "NODE1", KEY, "").data


def test_a_write_while_online_is_saved_at_offline_and_restored_at_online(
    call: Caller, lab: SimCluster
) -> None:
    """A change made on the owner while the resource is Online is what the offline saves:
    a write made after that, while Offline, is replaced by it at the next online."""
    _add_ssis(call)
    _write(call, OLD)
    call("Add-ClusterCheckpoint", ResourceName="SSIS", RegistryCheckpoint=KEY)
    call("Start-ClusterResource", Name="SSIS")
    _write(call, NEW)
    call("Stop-ClusterResource", Name="SSIS")
    _write(call, "C:\\elsewhere\\MsDtsSrvr.ini.xml")

    call("Start-ClusterResource", Name="SSIS")

    assert NEW == reg_value(lab, "NODE1", KEY, "").data


def test_the_copy_is_restored_on_the_node_the_resource_comes_online_on(
    call: Caller, lab: SimCluster
) -> None:
    """A node whose own value differs gets the cluster's copy when the group moves there."""
    _add_ssis(call)
    _write(call, NEW)
    _write(call, OLD, "NODE2")
    call("Add-ClusterCheckpoint", ResourceName="SSIS", RegistryCheckpoint=KEY)
    call("Start-ClusterResource", Name="SSIS")

    call("Move-ClusterGroup", Name=GROUP, Node="NODE2")

    assert NEW == reg_value(lab, "NODE2", KEY, "").data
