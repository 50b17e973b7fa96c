"""Services that take time to start or stop, and the waits Windows makes around them.

Windows PowerShell 5.1's Start/Stop/Restart-Service ask the SCM and then call
``ServiceController.WaitForStatus(target, 2 s)`` for as long as the service stays
StartPending/StopPending, writing "Waiting for service '...' to start..." after each turn
and never giving up (PowerShell's Service.cs, DoWaitForStatus). A ServiceController's own
``WaitForStatus(status, timeout)`` throws System.ServiceProcess.TimeoutException after its
timeout. The lab models both on its virtual clock; a service that never settles (an armed
hang) holds the cmdlet until the pipeline is stopped, as on Windows.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineRequest,
    PipelineStopped,
)
from psrunbook.sim.lab.cluster_executor import ClusterExecutor
from psrunbook.sim.lab.cluster_model import SimCluster, fold
from psrunbook.sim.lab.lab_files import LabError, LabSpec, build_lab, dump, load, sample_lab
from tests.unit.sim.lab.scripts import run_on
from tests.unit.sim.ps.helpers import Sink

SSIS = "MsDtsServer150"
WAITING_START = f"Waiting for service 'SQL Server Integration Services 15.0 ({SSIS})' to start..."
WAITING_STOP = f"Waiting for service 'SQL Server Integration Services 15.0 ({SSIS})' to stop..."


def _lab(start_s: float = 0.0, stop_s: float = 0.0) -> SimCluster:
    lab = sample_lab()
    lab.timing.service_start_seconds = start_s
    lab.timing.service_stop_seconds = stop_s
    return lab


def _status(lab: SimCluster, node: str = "NODE1") -> str:
    return lab.node(node).services[fold(SSIS)].status


def test_a_slow_stop_reads_stop_pending_until_its_time_has_passed() -> None:
    """ServiceController.Stop() returns at once; Refresh() shows StopPending, as does
    Win32_Service (spelled 'Stop Pending'); the cached Status stays what it was."""
    lab = _lab(stop_s=5.0)
    result = run_on(
        lab,
        f"$s = Get-Service {SSIS}; $s.Stop(); [string]$s.Status; $s.Refresh(); "
        "[string]$s.Status; (Get-CimInstance -ClassName Win32_Service | Where-Object "
        f"{{ $_.Name -eq '{SSIS}' }}).State",
    )
    assert ["Running", "StopPending", "Stop Pending"] == result.output
    assert "StopPending" == _status(lab)


def test_stop_service_waits_in_two_second_turns_with_a_warning_each() -> None:
    """A 5 s stop: two 2 s turns time out (a warning each), the third sees Stopped."""
    lab = _lab(stop_s=5.0)
    result = run_on(lab, f"Stop-Service -Name {SSIS}")
    assert [] == result.errors
    assert [WAITING_STOP, WAITING_STOP] == result.warnings
    assert "Stopped" == _status(lab)
    assert 5.0 == pytest.approx(lab.clock.now)


def test_restart_service_waits_for_the_stop_then_the_start() -> None:
    lab = _lab(start_s=3.0, stop_s=3.0)
    result = run_on(lab, f"Restart-Service -Name {SSIS}")
    assert [WAITING_STOP, WAITING_START] == result.warnings
    assert "Running" == _status(lab)
    assert [["Restart-Service", "NODE1", SSIS]] == lab.change_log


def test_wait_for_status_throws_a_catchable_timeout_exception() -> None:
    """WaitForStatus with a bound: System.ServiceProcess.TimeoutException, caught by type;
    PowerShell's text is the MethodInvocationException around it."""
    lab = _lab(stop_s=30.0)
    script = (
        f"$s = Get-Service {SSIS}; $s.Stop()\n"
        "try { $s.WaitForStatus('Stopped', [TimeSpan]::FromSeconds(10)) } "
        "catch [System.ServiceProcess.TimeoutException] { 'caught: ' + $_.Exception.Message }\n"
        "[string]$s.Status\n"
        "$s.WaitForStatus('Stopped', [TimeSpan]::FromSeconds(10))"
    )
    result = run_on(lab, script)
    assert [
        "caught: Time out has expired and the operation has not been completed.",
        "StopPending",
    ] == result.output
    [error] = result.errors  # outside try: statement-terminating, as PowerShell writes it
    assert (
        'Exception calling "WaitForStatus" with "2" argument(s): "Time out has expired and '
        'the operation has not been completed."'
    ) == error.message
    assert "TimeoutException" == error.fully_qualified_error_id
    assert 20.5 == pytest.approx(lab.clock.now)  # two bounds, each ending at its next read


def test_wait_for_status_returns_at_the_read_that_sees_the_status() -> None:
    """WaitForStatus reads every 250 ms: a 1.1 s start is seen at 1.25 s."""
    lab = _lab(start_s=1.1)
    lab.stop_service(lab.node("NODE1").services[fold(SSIS)])
    result = run_on(
        lab,
        f"$s = Get-Service {SSIS}; $s.Start(); "
        "$s.WaitForStatus('Running', [TimeSpan]::FromSeconds(5)); [string]$s.Status",
    )
    assert ["Running"] == result.output
    assert 1.25 == pytest.approx(lab.clock.now)


def test_wait_for_status_without_a_timeout_is_refused() -> None:
    """The one-argument form may wait forever: refused by name, never run."""
    result = run_on(_lab(), f"(Get-Service {SSIS}).WaitForStatus('Running')")
    assert result.failed is not None
    assert "WaitForStatus without a timeout" in result.failed.message


def test_the_controller_refuses_what_the_scm_refuses() -> None:
    """Start() of a running service and Stop() of a stopped one: .NET's
    InvalidOperationException, caught by type."""
    lab = _lab()
    result = run_on(
        lab,
        f"$s = Get-Service {SSIS}\n"
        "try { $s.Start() } catch [System.InvalidOperationException] { $_.Exception.Message }\n"
        "$s.Stop(); $s.Refresh()\n"
        "try { $s.Stop() } catch [System.InvalidOperationException] { $_.Exception.Message }",
    )
    assert [
        f"Cannot start service {SSIS} on computer '.'.",
        f"Cannot stop {SSIS} service on computer '.'.",
    ] == result.output


def test_start_service_of_a_stopping_service_fails_as_windows_does() -> None:
    """The SCM refuses to start a service that is not Stopped (ERROR_SERVICE_ALREADY_
    RUNNING, which Start-Service ignores), so DoWaitForStatus then finds it neither
    StartPending nor Running: StartServiceFailed."""
    lab = _lab(stop_s=30.0)
    result = run_on(lab, f"(Get-Service {SSIS}).Stop(); Start-Service -Name {SSIS}")
    assert ["StartServiceFailed,Microsoft.PowerShell.Commands.StartServiceCommand"] == [
        e.fully_qualified_error_id for e in result.errors
    ]
    assert (
        f"Failed to start service 'SQL Server Integration Services 15.0 ({SSIS})'."
        == result.errors[0].message
    )


def test_stop_service_of_a_starting_service_is_refused() -> None:
    """A pending service accepts no stop control: CouldNotStopService (the stricter
    reading; the Win32 code Windows gives is UNVERIFIED)."""
    lab = _lab(start_s=30.0)
    lab.stop_service(lab.node("NODE1").services[fold(SSIS)])
    result = run_on(lab, f"(Get-Service {SSIS}).Start(); Stop-Service -Name {SSIS}")
    assert ["CouldNotStopService,Microsoft.PowerShell.Commands.StopServiceCommand"] == [
        e.fully_qualified_error_id for e in result.errors
    ]
    assert "StartPending" == _status(lab)


class _StopAtFirstWarning(Sink):
    """Stops the pipeline when the first warning arrives, as a client's timeout would."""

    def __init__(self, stop: threading.Event) -> None:
        super().__init__()
        self._stop = stop

    def warning(self, message: str) -> None:
        super().warning(message)
        self._stop.set()


def test_a_hung_stop_holds_stop_service_until_the_pipeline_is_stopped() -> None:
    """An armed hang: StopPending for good. Stop-Service keeps waiting (a warning after
    its first turn) and ends only when the client stops the pipeline."""
    lab = _lab()
    lab.hang_service("NODE1", SSIS, "stop")
    stop = threading.Event()
    sink = _StopAtFirstWarning(stop)
    request = PipelineRequest((CommandRequest(f"Stop-Service -Name {SSIS}", True, ()),), ())
    with pytest.raises(PipelineStopped):
        ClusterExecutor(lab, time_scale=0.0).execute(
            request, ExecutionContext("NODE1", "SIMLAB\\admin", stop), sink
        )
    assert [WAITING_STOP] == sink.result.warnings
    assert "StopPending" == _status(lab)
    assert {} == lab.faults.hang_service, "the hang was used by this stop"


def test_a_bounded_wait_on_a_hung_service_ends_at_its_bound() -> None:
    lab = _lab()
    lab.hang_service("NODE1", SSIS, "stop")
    result = run_on(
        lab,
        f"$s = Get-Service {SSIS}; $s.Stop()\n"
        "try { $s.WaitForStatus('Stopped', [TimeSpan]::FromSeconds(30)) } "
        "catch [System.ServiceProcess.TimeoutException] { [string]$s.Status }",
    )
    assert ["StopPending"] == result.output


def test_pending_states_and_timing_survive_dump_and_load() -> None:
    lab = _lab(start_s=2.0, stop_s=4.0)
    lab.hang_service("NODE2", SSIS, "start")
    run_on(lab, f"(Get-Service {SSIS}).Stop()")
    again = load(dump(lab))
    assert dump(lab) == dump(again)
    service = again.node("NODE1").services[fold(SSIS)]
    assert ("StopPending", 4.0, False) == (service.status, service.pending_due, service.hung)
    assert {"node2\\msdtsserver150": "start"} == again.faults.hang_service


@pytest.mark.parametrize(
    ("timing", "expected"),
    [
        ({"service_start_seconds": 12, "service_stop_seconds": 3.5}, (12.0, 3.5)),
        ({}, (0.0, 0.0)),
    ],
)
def test_lab_files_set_the_service_timing(
    timing: dict[str, Any], expected: tuple[float, float]
) -> None:
    lab = build_lab(LabSpec.from_mapping({"timing": timing}))
    assert expected == (lab.timing.service_start_seconds, lab.timing.service_stop_seconds)


def test_a_negative_service_time_is_refused() -> None:
    with pytest.raises(LabError, match=r"timing\.service_stop_seconds"):
        LabSpec.from_mapping({"timing": {"service_stop_seconds": -1}})
