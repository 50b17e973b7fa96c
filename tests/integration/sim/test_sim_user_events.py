"""Engine events: a forwarded event reaches the client as USER_EVENT on the runspace pool,
one nobody forwards stays in the runspace's event queue, through real pypsrp 0.9.1 over HTTP.

Evidence: PowerShell's EventManager.cs (``PSLocalEventManager``: ``CreateEvent`` leaves
ComputerName null and counts event identifiers from 1 per runspace;
``ProcessNewEventImplementation`` forwards or queues), ServerRunspacePoolDriver's
``HandleRunspacePoolForwardEvent`` and ``RemotingEncoder.GeneratePSEventArgs`` (the
USER_EVENT message, MS-PSRP 2.2.2.12); pypsrp 1.0's ``test_runspace_user_event``, which
passes against Windows, asserts the same fields. pypsrp 0.9.1 reads pool messages on a
Receive without CommandId, which ``get_available_runspaces`` sends.
"""

from __future__ import annotations

import pytest
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool

pytestmark = pytest.mark.integration

_SUBSCRIBE = (
    '$null = $Host.Runspace.Events.SubscribeEvent($null, "EventIdentifier", "EventIdentifier",'
    " $null, $null, $true, $true)\n"
)


def _run(pool: RunspacePool, script: str) -> list[object]:
    ps = PowerShell(pool)
    ps.add_script(script)
    output = ps.invoke()
    assert not ps.had_errors and not ps.streams.error, [str(e) for e in ps.streams.error]
    return output


def test_a_forwarded_event_reaches_the_client_as_user_event(lab_pool):
    _run(
        lab_pool,
        _SUBSCRIBE + '$null = $Host.Runspace.Events.GenerateEvent("EventIdentifier", "sender",'
        ' @("my", "args"), "extra data")',
    )
    lab_pool.get_available_runspaces()  # a Receive on the pool, where the event waits

    (event,) = lab_pool.user_events
    assert (event.event_id, event.source_id, event.sender, event.args, event.data) == (
        1,
        "EventIdentifier",
        "sender",
        ["my", "args"],
        "extra data",
    )
    assert event.computer is None
    assert event.time is not None
    # Not queued in the runspace: Get-Event finds nothing.
    assert _run(lab_pool, "@(Get-Event).Count") == [0]


def test_an_event_nobody_forwards_stays_in_the_queue(lab_pool):
    output = _run(
        lab_pool,
        "$e = New-Event -SourceIdentifier Local -Sender me -MessageData 42\n"
        "$e.EventIdentifier\n"
        "(Get-Event -SourceIdentifier Local).MessageData\n"
        "Remove-Event -SourceIdentifier Local\n"
        "@(Get-Event).Count",
    )
    assert output == [1, 42, 0]
    lab_pool.get_available_runspaces()
    assert lab_pool.user_events == []


def test_register_engine_event_forward_and_unregister(lab_pool):
    """Register-EngineEvent -Forward forwards New-Event's events until Unregister-Event;
    identifiers go on counting in the runspace."""
    _run(
        lab_pool,
        "Register-EngineEvent -SourceIdentifier Fw -Forward\n"
        "$null = New-Event -SourceIdentifier Fw -MessageData first\n"
        "Unregister-Event -SourceIdentifier Fw\n"
        "$null = New-Event -SourceIdentifier Fw -MessageData second",
    )
    assert _run(lab_pool, "(Get-Event -SourceIdentifier Fw).EventIdentifier") == [2]
    lab_pool.get_available_runspaces()
    assert [(e.event_id, e.data) for e in lab_pool.user_events] == [(1, "first")]


def test_register_engine_event_without_forward_or_action_is_windows_error(lab_pool):
    ps = PowerShell(lab_pool)
    ps.add_script("Register-EngineEvent -SourceIdentifier X")
    ps.invoke()
    (error,) = ps.streams.error
    assert str(error) == "Action must be specified for non-forwarded events."
    assert error.fq_error == (
        "ACTION_MANDATORY_FOR_LOCAL,Microsoft.PowerShell.Commands.RegisterEngineEventCommand"
    )


def test_an_event_action_is_refused_by_name(lab_pool):
    ps = PowerShell(lab_pool)
    ps.add_script("Register-EngineEvent -SourceIdentifier X -Action { 'hi' }")
    ps.invoke()
    assert ps.had_errors  # refused: the pipeline fails
    assert "script-block action" in str(ps.streams.error[0])


def test_the_event_reaches_the_client_while_its_pipeline_still_runs(lab_pool):
    """Windows sends it as it is raised, on the pool, not when the pipeline ends
    (pypsrp 1.0's ``test_runspace_user_event`` waits for it before sending input)."""
    ps = PowerShell(lab_pool)
    ps.add_script(
        _SUBSCRIBE + '$null = $Host.Runspace.Events.GenerateEvent("EventIdentifier", $null,'
        " $null, 'early')\n"
        "while ($true) { Start-Sleep -Milliseconds 10 }"
    )
    ps.begin_invoke()  # the script runs until stopped: the event cannot wait for its end
    try:
        for _ in range(100):  # each pool Receive answers once the pool has a message
            if lab_pool.user_events:
                break
            lab_pool.get_available_runspaces()
        assert [e.data for e in lab_pool.user_events] == ["early"]
    finally:
        ps.stop()
    assert ps.state == PSInvocationState.STOPPED
