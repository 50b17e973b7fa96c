"""A Generic Service resource waits for its service, as the cluster's resource DLL does.

The Generic Service resource DLL starts its service and keeps the resource OnlinePending
while the service is StartPending (OfflinePending while it stops); the Resource Monitor
waits the resource's PendingTimeout (default 180000 ms, Microsoft's "PendingTimeout"
resource common property) and then terminates it: the resource is Failed and its restart
policy applies. The lab used to start and stop the service of a Generic Service resource at
once, whatever ``[timing] service_start_seconds``/``service_stop_seconds`` and an armed
hang said: kinder than Windows. Every test here runs real scripts through the lab's
evaluator on the virtual clock.
"""

from __future__ import annotations

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster, fold
from psrunbook.sim.lab.lab_files import dump, load, sample_lab
from tests.unit.sim.lab.scripts import run_on

GROUP = "SQL Server (MSSQLSERVER)"
SSIS = "MsDtsServer150"
TIMEOUT_S = 180.0
"""PendingTimeout's default, in seconds."""


def _lab(*, start_s: float = 0.0, stop_s: float = 0.0, online: bool = False) -> SimCluster:
    """The sample lab with a Generic Service resource 'SSIS' running SSIS in the SQL group
    (Online on NODE1 when ``online``, else Offline with NODE1's service stopped), and the
    service timings given."""
    lab = sample_lab()
    result = run_on(
        lab,
        f"$r = Add-ClusterResource -Name SSIS -Group '{GROUP}' -ResourceType 'Generic Service'; "
        f"$r | Set-ClusterParameter -Name ServiceName -Value {SSIS}; "
        + ("Start-ClusterResource -Name SSIS | Out-Null" if online else f"Stop-Service {SSIS}"),
    )
    assert result.failed is None and [] == result.errors, (result.failed, result.errors)
    lab.timing.service_start_seconds = start_s
    lab.timing.service_stop_seconds = stop_s
    lab.clock.now = 0.0
    return lab


def _status(lab: SimCluster, node: str = "NODE1") -> str:
    return lab.node(node).services[fold(SSIS)].status


def _ok(lab: SimCluster, script: str) -> list[object]:
    result = run_on(lab, script)
    assert result.failed is None, result.failed
    assert [] == result.errors, [e.message for e in result.errors]
    return [str(value) for value in result.output]


STATE = "[string](Get-ClusterResource -Name SSIS).State"
SERVICE = f"[string](Get-Service {SSIS}).Status"


def test_the_pending_timeout_property_is_the_one_the_lab_applies() -> None:
    assert ["180000"] == _ok(_lab(), "(Get-ClusterResource -Name SSIS).PendingTimeout")


def test_a_slow_start_keeps_the_resource_online_pending_until_the_service_runs() -> None:
    """-Wait 0, then reads: OnlinePending while the service is StartPending; a read does
    not end it (only the clock does), 20 s of Start-Sleep does."""
    lab = _lab(start_s=20.0)
    said = _ok(
        lab,
        f"$null = Start-ClusterResource -Name SSIS -Wait 0; {STATE}; {STATE}; {SERVICE}; "
        f"Start-Sleep -Seconds 19; {STATE}; Start-Sleep -Seconds 1; {STATE}; {SERVICE}",
    )
    assert [
        "OnlinePending",
        "OnlinePending",
        "StartPending",
        "OnlinePending",
        "Online",
        "Running",
    ] == said


def test_start_cluster_resource_waits_for_the_service_to_run() -> None:
    """Without -Wait the cmdlet waits for completion: 20 s of virtual time, then Online."""
    lab = _lab(start_s=20.0)
    assert ["Online", "Running"] == _ok(lab, f"(Start-ClusterResource -Name SSIS).State; {SERVICE}")
    assert 20.0 == pytest.approx(lab.clock.now)


def test_start_wait_shorter_than_the_service_start_returns_pending() -> None:
    lab = _lab(start_s=20.0)
    assert ["OnlinePending"] == _ok(lab, "[string](Start-ClusterResource -Name SSIS -Wait 5).State")
    assert 5.0 == pytest.approx(lab.clock.now)
    assert "StartPending" == _status(lab)


def test_a_service_slower_than_pending_timeout_fails_its_online() -> None:
    """A 200 s start with RestartAction 0: Failed when PendingTimeout runs out, although the
    service goes on starting (the lab leaves the process alone)."""
    lab = _lab(start_s=200.0)
    lab.resource("SSIS").restart_action = 0
    _ok(lab, f"$null = Start-ClusterResource -Name SSIS -Wait 0; {STATE}")
    assert ["OnlinePending"] == _ok(lab, f"Start-Sleep -Seconds 179; {STATE}")
    assert ["Failed", "StartPending"] == _ok(lab, f"Start-Sleep -Seconds 1; {STATE}; {SERVICE}")


def test_a_hung_start_fails_at_pending_timeout_and_each_restart_hangs_again() -> None:
    """RestartAction 1, threshold 1: the online fails after 180 s, the restart adopts the
    still-starting service and fails 180 s later, and the resource stays Failed on NODE1;
    the service is StartPending all along (the hang is used up by the start it holds)."""
    lab = _lab()
    lab.hang_service("NODE1", SSIS, "start")
    lab.resource("SSIS").restart_action = 1
    _ok(lab, f"$null = Start-ClusterResource -Name SSIS -Wait 0; {STATE}")
    assert ["OnlinePending"] == _ok(lab, f"Start-Sleep -Seconds 179; {STATE}")
    assert ["OnlinePending"] == _ok(lab, f"Start-Sleep -Seconds 1; {STATE}")  # the restart
    assert ["Failed", "StartPending"] == _ok(lab, f"Start-Sleep -Seconds 180; {STATE}; {SERVICE}")
    assert {} == lab.faults.hang_service
    assert "NODE1" == lab.group(GROUP).owner


def test_a_hung_start_fails_start_cluster_resource_after_pending_timeout() -> None:
    """Without -Wait the cmdlet waits for the outcome, which is a failure 180 s later: the
    error names the resource (5018); the restart policy is already trying again."""
    lab = _lab()
    lab.hang_service("NODE1", SSIS, "start")
    result = run_on(lab, "Start-ClusterResource -Name SSIS")
    assert 1 == len(result.errors)
    message = result.errors[0].message
    assert "Failed to bring resource 'SSIS' online." in message
    assert "0x8007139A" in message
    assert TIMEOUT_S == pytest.approx(lab.clock.now)
    assert "OnlinePending" == lab.resource("SSIS").state


def test_start_wait_shorter_than_pending_timeout_returns_pending_on_a_hung_start() -> None:
    lab = _lab()
    lab.hang_service("NODE1", SSIS, "start")
    said = _ok(lab, "[string](Start-ClusterResource -Name SSIS -Wait 120).State")
    assert ["OnlinePending"] == said
    assert 120.0 == pytest.approx(lab.clock.now)


def test_a_hung_start_fails_the_group_over_after_the_restart_threshold() -> None:
    """RestartAction 2 (the default), threshold 1: after the online and its restart ran out
    (360 s), the group fails over to NODE2, where SSIS runs and the resource is Online."""
    lab = _lab()
    lab.hang_service("NODE1", SSIS, "start")
    _ok(lab, f"$null = Start-ClusterResource -Name SSIS -Wait 0; {STATE}")
    _ok(lab, "Start-Sleep -Seconds 360")
    assert "NODE2" == lab.group(GROUP).owner
    assert "Online" == lab.resource("SSIS").state
    assert ("StartPending", "Running") == (_status(lab, "NODE1"), _status(lab, "NODE2"))


def test_a_resource_waiting_for_its_service_survives_dump_and_load() -> None:
    lab = _lab(start_s=30.0)
    _ok(lab, f"$null = Start-ClusterResource -Name SSIS -Wait 0; {STATE}")
    again = load(dump(lab))
    assert "OnlinePending" == again.resource("SSIS").state
    assert ["Online"] == _ok(again, f"Start-Sleep -Seconds 30; {STATE}")


def test_stop_cluster_resource_waits_for_a_slow_stop() -> None:
    lab = _lab(stop_s=15.0, online=True)
    assert ["Offline", "Stopped"] == _ok(lab, f"(Stop-ClusterResource -Name SSIS).State; {SERVICE}")
    assert 15.0 == pytest.approx(lab.clock.now)


def test_stop_wait_0_returns_offline_pending() -> None:
    lab = _lab(stop_s=15.0, online=True)
    said = _ok(lab, f"[string](Stop-ClusterResource -Name SSIS -Wait 0).State; {SERVICE}")
    assert ["OfflinePending", "StopPending"] == said
    assert ["Offline"] == _ok(lab, f"Start-Sleep -Seconds 15; {STATE}")


def test_a_hung_stop_fails_the_offline_after_pending_timeout() -> None:
    """The Resource Monitor terminates the resource after PendingTimeout: Failed; the
    cmdlet reports it (5038); the service is still StopPending on NODE1."""
    lab = _lab(online=True)
    lab.hang_service("NODE1", SSIS, "stop")
    result = run_on(lab, "Stop-ClusterResource -Name SSIS")
    assert 1 == len(result.errors)
    message = result.errors[0].message
    assert "Failed to take resource 'SSIS' offline." in message
    assert "0x800713AE" in message
    assert TIMEOUT_S == pytest.approx(lab.clock.now)
    assert ("Failed", "StopPending") == (lab.resource("SSIS").state, _status(lab))


def test_remove_cluster_resource_waits_for_the_offline_then_removes() -> None:
    lab = _lab(online=True)
    lab.hang_service("NODE1", SSIS, "stop")
    _ok(lab, "Remove-ClusterResource -Name SSIS -Force")
    assert "ssis" not in lab.resources
    assert TIMEOUT_S == pytest.approx(lab.clock.now)
    assert "StopPending" == _status(lab)


def test_a_move_waits_for_the_stop_on_the_old_owner_and_the_start_on_the_new() -> None:
    lab = _lab(stop_s=10.0, start_s=20.0, online=True)
    lab.stop_service(lab.node("NODE2").services[fold(SSIS)])
    said = _ok(lab, f"[string](Move-ClusterGroup -Name '{GROUP}' -Node NODE2).State; {STATE}")
    assert ["Online", "Online"] == said
    assert 30.0 == pytest.approx(lab.clock.now)
    assert ("Stopped", "Running") == (_status(lab, "NODE1"), _status(lab, "NODE2"))


def test_a_move_with_a_hung_stop_goes_on_after_pending_timeout() -> None:
    """The old owner's offline runs out after 180 s; the resource is terminated and the
    move goes on: SSIS Online on NODE2, NODE1's service still StopPending."""
    lab = _lab(online=True)
    lab.hang_service("NODE1", SSIS, "stop")
    said = _ok(lab, f"[string](Move-ClusterGroup -Name '{GROUP}' -Node NODE2).OwnerNode; {STATE}")
    assert ["NODE2", "Online"] == said
    assert TIMEOUT_S == pytest.approx(lab.clock.now)
    assert ("StopPending", "Running") == (_status(lab, "NODE1"), _status(lab, "NODE2"))


def test_a_move_whose_offline_outlasts_its_wait_is_refused_by_name() -> None:
    lab = _lab(online=True)
    lab.hang_service("NODE1", SSIS, "stop")
    result = run_on(lab, f"Move-ClusterGroup -Name '{GROUP}' -Node NODE2 -Wait 120")
    assert result.failed is not None
    assert "the lab does not model a move" in result.failed.message
    assert ("NODE1", "Online", "Running") == (
        lab.group(GROUP).owner,
        lab.resource("SSIS").state,
        _status(lab),
    )


def test_a_group_with_a_resource_waiting_for_its_service_is_pending() -> None:
    lab = _lab(start_s=20.0)
    group_state = f"[string](Get-ClusterGroup '{GROUP}').State"
    said = _ok(lab, f"$null = Start-ClusterResource -Name SSIS -Wait 0; {group_state}")
    assert ["Pending"] == said
