"""Services as a cluster node runs them: start type, state, what a running service loaded,
the Generic Service resource DLL, and the restart policy (issue 12).

Each test pins a place where the lab used to be kinder than Windows.
"""

from __future__ import annotations

import hashlib

import pytest

from psrunbook.sim.lab.cluster_faults import fail_service_start
from psrunbook.sim.lab.cluster_model import SimCluster, SimModelError
from psrunbook.sim.lab.lab_files import dump, load, sample_lab
from psrunbook.sim.ps.cmdlet_api import CmdletError

from .conftest import Caller, service
from .test_cluster_executor import Runner

GROUP = "SQL Server (MSSQLSERVER)"
SSIS = "MsDtsServer150"
KEY = "SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile"
DEFAULT_CONFIG = "C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MsDtsSrvr.ini.xml"


def _loaded(cluster: SimCluster, node: str) -> dict[str, object] | None:
    """What the SSIS service on ``node`` loaded, as the lab's dump shows it."""
    for raw in dump(cluster)["nodes"]:
        if raw["name"] == node:
            for svc in raw["services"]:
                if svc["name"] == SSIS:
                    loaded: dict[str, object] | None = svc["loaded"]
                    return loaded
    raise AssertionError(f"no {SSIS} on {node}")


def _add_ssis_resource(call: Caller, name: str = "SSIS") -> None:
    call("Add-ClusterResource", Name=name, Group=GROUP, ResourceType="Generic Service")
    call("Set-ClusterParameter", InputObject=name, Name="ServiceName", Value=SSIS)


def test_setup_leaves_ssis_automatic_and_running_on_every_node() -> None:
    """As SQL Server setup leaves it: Automatic, Running, loaded the default file."""
    lab = sample_lab(nodes=3)
    for node in ("NODE1", "NODE2", "NODE3"):
        ssis = service(lab, node, SSIS)
        assert ("Automatic", "Running") == (ssis.start_type, ssis.status)
        loaded = _loaded(lab, node)
        assert loaded is not None
        assert DEFAULT_CONFIG == loaded["config_file"]
        assert loaded["document_sha256"] is not None


def test_get_service_shows_start_type_and_status(call: Caller) -> None:
    obj = call("Get-Service", Name=[SSIS]).output[0]
    assert ("Automatic", "Running") == (
        str(obj.properties["StartType"]),
        str(obj.properties["Status"]),
    )


def test_set_service_startup_type_is_test_then_set(call: Caller, lab: SimCluster) -> None:
    """Set-Service changes the start type only (never the status), counted once."""
    for _ in range(2):
        assert [] == call("Set-Service", Name=SSIS, StartupType="manual").errors
    ssis = service(lab, "NODE1", SSIS)
    assert ("Manual", "Running") == (ssis.start_type, ssis.status)
    assert 1 == lab.changes["Set-Service"]
    assert "Automatic" == service(lab, "NODE2", SSIS).start_type


def test_set_service_refuses_an_unknown_start_type(call: Caller) -> None:
    with pytest.raises(CmdletError) as caught:
        call("Set-Service", Name=SSIS, StartupType="Sometimes")
    assert "CannotConvertArgumentNoMessage" == caught.value.record.error_id


def test_a_disabled_service_does_not_start(call: Caller, lab: SimCluster) -> None:
    call("Stop-Service", Name=[SSIS])
    call("Set-Service", Name=SSIS, StartupType="Disabled")
    ctx = call("Start-Service", Name=[SSIS])
    assert "CouldNotStartService" == ctx.errors[0].error_id
    assert "Stopped" == service(lab, "NODE1", SSIS).status


def test_a_running_service_keeps_what_it_loaded_until_it_restarts(
    call: Caller, lab: SimCluster
) -> None:
    """Changing the ServiceConfigFile value while it runs has no effect; a restart reads it."""
    before = _loaded(lab, "NODE1")
    call("Set-ItemProperty", Path=["HKLM:\\" + KEY], Name="(default)", Value="C:\\SSIS\\x.xml")
    assert before == _loaded(lab, "NODE1")
    call("Restart-Service", Name=[SSIS])
    assert {"config_file": "C:\\SSIS\\x.xml", "document_sha256": None} == _loaded(lab, "NODE1")
    call("Stop-Service", Name=[SSIS])
    assert _loaded(lab, "NODE1") is None


def test_what_a_service_loaded_survives_dump_and_load(lab: SimCluster) -> None:
    assert dump(lab) == dump(load(dump(lab)))
    assert _loaded(load(dump(lab)), "NODE2") == _loaded(lab, "NODE2")


def test_generic_service_online_sets_manual_and_adopts_a_running_service(
    call: Caller, lab: SimCluster
) -> None:
    """The resource DLL sets Manual, and "already running" is success: the process that
    setup started, with the default configuration it loaded, becomes the resource."""
    before = _loaded(lab, "NODE1")
    _add_ssis_resource(call)
    call("Start-ClusterResource", Name="SSIS")
    ssis = service(lab, "NODE1", SSIS)
    assert ("Online", "Manual", "Running") == (
        lab.resource("SSIS").state,
        ssis.start_type,
        ssis.status,
    )
    assert before == _loaded(lab, "NODE1")
    assert ("Automatic", "Running") == (
        service(lab, "NODE2", SSIS).start_type,
        service(lab, "NODE2", SSIS).status,
    )


def test_generic_service_online_starts_a_stopped_service_with_the_current_config(
    call: Caller, lab: SimCluster
) -> None:
    call("Stop-Service", Name=[SSIS])
    data = lab.node("NODE1").volumes["C"].entries
    digest = hashlib.sha256(data[DEFAULT_CONFIG[3:].casefold()].data).hexdigest()
    _add_ssis_resource(call)
    call("Start-ClusterResource", Name="SSIS")
    assert {"config_file": DEFAULT_CONFIG, "document_sha256": digest} == _loaded(lab, "NODE1")
    call("Stop-ClusterResource", Name="SSIS")
    assert ("Manual", "Stopped") == (
        service(lab, "NODE1", SSIS).start_type,
        service(lab, "NODE1", SSIS).status,
    )


def test_generic_service_of_a_disabled_service_cannot_come_online(
    call: Caller, lab: SimCluster
) -> None:
    call("Set-Service", Name=SSIS, StartupType="Disabled")
    _add_ssis_resource(call)
    lab.resource("SSIS").restart_action = 1
    ctx = call("Start-ClusterResource", Name="SSIS")
    assert ctx.errors
    assert "Failed" == lab.resource("SSIS").state
    assert "Disabled" == service(lab, "NODE1", SSIS).start_type


def test_restart_action_2_fails_the_whole_group_over(call: Caller, lab: SimCluster) -> None:
    """Default RestartAction 2: after the restart threshold the group moves, SQL Server
    with it (the documentation's "affect the other services in the group")."""
    call("Set-Service", Name=SSIS, StartupType="Disabled")
    _add_ssis_resource(call)
    assert 2 == lab.resource("SSIS").restart_action
    call("Start-ClusterResource", Name="SSIS")
    assert "NODE2" == lab.group(GROUP).owner
    assert "Online" == lab.resource("SQL Server").state
    assert "Online" == lab.resource("SSIS").state
    assert "Running" == service(lab, "NODE2", SSIS).status


def test_restart_action_1_fails_only_the_resource(call: Caller, lab: SimCluster) -> None:
    call("Set-Service", Name=SSIS, StartupType="Disabled")
    _add_ssis_resource(call)
    lab.resource("SSIS").restart_action = 1
    call("Start-ClusterResource", Name="SSIS")
    assert "NODE1" == lab.group(GROUP).owner
    assert ("Failed", "Online") == (
        lab.resource("SSIS").state,
        lab.resource("SQL Server").state,
    )


def test_restart_action_is_set_by_assignment_on_the_resource_object() -> None:
    """(Get-ClusterResource X).RestartAction = 1 writes through to the cluster."""
    run = Runner(sample_lab())
    sink = run(
        "$r = Get-ClusterResource -Name 'SQL Server'; $before = $r.RestartAction\n"
        "$r.RestartAction = 1\n"
        "$before; (Get-ClusterResource -Name 'SQL Server').RestartAction"
    )
    assert [2, 1] == sink.outputs
    assert 1 == run.cluster.resource("SQL Server").restart_action


def test_restart_action_out_of_range_is_refused() -> None:
    run = Runner(sample_lab())
    sink = run(
        "try { (Get-ClusterResource -Name 'SQL Server').RestartAction = 7 }\n"
        "catch { $_.FullyQualifiedErrorId }"
    )
    assert ["ExceptionWhenSetting"] == sink.outputs
    assert 2 == run.cluster.resource("SQL Server").restart_action


def _online_ssis(call: Caller, lab: SimCluster, restart_action: int) -> int:
    _add_ssis_resource(call)
    lab.resource("SSIS").restart_action = restart_action
    call("Start-ClusterResource", Name="SSIS")
    assert "Online" == lab.resource("SSIS").state
    return service(lab, "NODE1", SSIS).pid


def test_a_service_stopped_outside_the_cluster_is_restarted_by_it(
    call: Caller, lab: SimCluster
) -> None:
    """Stop-Service on the owner: IsAlive fails, the resource fails and the cluster
    restarts it there (issue 12); the service is running again, a new process."""
    pid = _online_ssis(call, lab, 1)
    call("Stop-Service", Name=[SSIS])
    ssis = service(lab, "NODE1", SSIS)
    assert ("Online", "Running", "NODE1") == (
        lab.resource("SSIS").state,
        ssis.status,
        lab.group(GROUP).owner,
    )
    assert pid != ssis.pid


def test_a_service_stopped_outside_with_restart_action_2_can_move_sql_server(
    call: Caller, lab: SimCluster
) -> None:
    """When the restart on the owner fails, RestartAction 2 fails the group over."""
    _online_ssis(call, lab, 2)
    lab.faults.fail_online["ssis"] = 1
    call("Stop-Service", Name=[SSIS])
    assert "NODE2" == lab.group(GROUP).owner
    assert ("Online", "Online") == (
        lab.resource("SSIS").state,
        lab.resource("SQL Server").state,
    )
    assert ("Stopped", "Running") == (
        service(lab, "NODE1", SSIS).status,
        service(lab, "NODE2", SSIS).status,
    )


def test_a_service_stopped_outside_with_restart_action_1_fails_only_ssis(
    call: Caller, lab: SimCluster
) -> None:
    _online_ssis(call, lab, 1)
    lab.faults.fail_online["ssis"] = 1
    call("Stop-Service", Name=[SSIS])
    assert "NODE1" == lab.group(GROUP).owner
    assert ("Failed", "Online") == (
        lab.resource("SSIS").state,
        lab.resource("SQL Server").state,
    )
    assert "Stopped" == service(lab, "NODE1", SSIS).status


def test_stopping_the_service_on_a_passive_node_fails_nothing(
    call: Caller, lab: SimCluster
) -> None:
    _online_ssis(call, lab, 2)
    call("Stop-Service", "NODE2", Name=[SSIS])
    assert ("Online", "NODE1") == (lab.resource("SSIS").state, lab.group(GROUP).owner)


def test_a_start_fault_fails_a_restart_after_its_stop_then_is_used_up(
    call: Caller, lab: SimCluster
) -> None:
    """A logon failure (the service account's password changed): Restart-Service stops the
    service, its start fails with the cmdlet's CouldNotStartService, the service stays
    stopped, and the stop is counted as a change. The fault fails exactly ``times``
    starts; then the service starts again."""
    fail_service_start(lab, "NODE1", SSIS, times=1)
    ctx = call("Restart-Service", Name=[SSIS])
    assert ["CouldNotStartService"] == [e.error_id for e in ctx.errors]
    assert "Stopped" == service(lab, "NODE1", SSIS).status
    assert [["Restart-Service", "NODE1", SSIS]] == lab.change_log
    assert [] == call("Start-Service", Name=[SSIS]).errors
    assert "Running" == service(lab, "NODE1", SSIS).status
    assert "Running" == service(lab, "NODE2", SSIS).status


def test_a_restart_of_a_stopped_service_that_cannot_start_changes_nothing(
    call: Caller, lab: SimCluster
) -> None:
    call("Stop-Service", Name=[SSIS])
    fail_service_start(lab, "NODE1", SSIS)
    before = list(lab.change_log)
    for _ in range(3):
        assert ["CouldNotStartService"] == [
            e.error_id for e in call("Restart-Service", Name=[SSIS]).errors
        ]
    assert before == lab.change_log
    assert -1 == lab.faults.fail_start["node1\\msdtsserver150"]


def test_a_start_fault_fails_the_generic_service_online_and_survives_dump_and_load(
    call: Caller, lab: SimCluster
) -> None:
    """The cluster's start of a stopped service fails as the SCM's does: the resource fails
    (RestartAction 1 here: it stays Failed); the attempt and the cluster's one restart
    (RestartThreshold 1) each use one failing start."""
    call("Stop-Service", Name=[SSIS])
    fail_service_start(lab, "NODE1", SSIS, times=5)
    assert dump(lab) == dump(load(dump(lab)))
    _add_ssis_resource(call)
    lab.resource("SSIS").restart_action = 1
    ctx = call("Start-ClusterResource", Name="SSIS")
    assert ctx.errors
    assert ("Failed", "Stopped") == (
        lab.resource("SSIS").state,
        service(lab, "NODE1", SSIS).status,
    )
    assert 3 == lab.faults.fail_start["node1\\msdtsserver150"]


def test_a_service_that_cannot_start_at_boot_stays_stopped(lab: SimCluster) -> None:
    fail_service_start(lab, "NODE2", SSIS)
    with lab.lock:
        lab.set_node_state("NODE2", "Down")
        lab.set_node_state("NODE2", "Up")
    assert "Stopped" == service(lab, "NODE2", SSIS).status


def test_a_start_fault_for_a_service_not_installed_is_refused(lab: SimCluster) -> None:
    with pytest.raises(SimModelError):
        fail_service_start(lab, "NODE1", "NoSuchService")
