"""Settling a pipeline a vanished client left on a node, over real pypsrp to the lab.

The abandoned client is pypsrp itself: it sends a pipeline and then goes away without a
Receive, a Signal or a Delete, as a killed process does. The lab, like WinRM, runs the
pipeline on in a shell that stays connected to that client session.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from psrunbook.errors import RunInterrupted, WSManFault
from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.lab.serve import SIM_USER
from psrunbook.transport import left_pipelines
from psrunbook.transport.base import PipelineRef, ScriptCall
from psrunbook.transport.psrp import PsrpSession
from tests.integration.conftest import NODE_PASSWORD, node_session

pytestmark = pytest.mark.integration

PASSWORD = NODE_PASSWORD
TIMEOUT_S = 30.0


@pytest.fixture
def fleet(one_node: SimFleet) -> SimFleet:
    """NODE1 over Basic, and over NTLM with every message sealed, as a domain serves it
    (the settling connection authenticates and seals on its own)."""
    return one_node


def _session(fleet: SimFleet) -> PsrpSession:
    session: PsrpSession = node_session(fleet)
    return session


def _wsman(fleet: SimFleet) -> Any:
    """A pypsrp client of NODE1, as its own session."""
    auth = fleet["NODE1"].auth
    return WSMan(
        "127.0.0.1",
        port=fleet["NODE1"].port,
        ssl=False,
        username=SIM_USER,
        password=PASSWORD,
        auth=auth,
        encryption="never" if auth == "basic" else "auto",
    )


def _abandoned(fleet: SimFleet, script: str, *, disconnect: bool = False) -> PipelineRef:
    """Send ``script`` as a client that then vanishes; the pipeline's reference."""
    wsman = _wsman(fleet)
    pool = RunspacePool(wsman)
    pool.open()
    ps = PowerShell(pool)
    ps.id = str(uuid.uuid4()).upper()
    ps.add_script(script)
    ps.begin_invoke()
    if disconnect:
        pool.disconnect()
    wsman.close()  # gone: no Receive, no Signal, no Delete
    return PipelineRef(client_id=wsman.session_id.upper(), pipeline_id=ps.id)


def test_a_pipeline_that_outlives_the_wait_is_stopped_and_its_shell_deleted(
    fleet: SimFleet,
) -> None:
    left = _abandoned(fleet, "wait")
    session = _session(fleet)
    try:
        assert "stopped" == session.settle(left, 0.2)
    finally:
        session.close()
    assert fleet["NODE1"].counters.wait_for_open_shells(0, TIMEOUT_S)


def test_a_pipeline_that_ended_unreceived_is_finished(fleet: SimFleet) -> None:
    left = _abandoned(fleet, "count 3")
    session = _session(fleet)
    try:
        assert "finished" == session.settle(left, TIMEOUT_S)
        assert "absent" == session.settle(left, TIMEOUT_S)  # nothing left the second time
    finally:
        session.close()
    assert fleet["NODE1"].counters.wait_for_open_shells(0, TIMEOUT_S)


def test_a_pipeline_no_shell_holds_is_absent(fleet: SimFleet) -> None:
    session = _session(fleet)
    try:
        left = PipelineRef(client_id=session.client_id, pipeline_id=str(uuid.uuid4()).upper())
        assert "absent" == session.settle(left, TIMEOUT_S)
    finally:
        session.close()


def test_a_disconnected_shell_is_reconnected_as_the_same_client_session(
    fleet: SimFleet,
) -> None:
    """Reconnect is the sending client's alone (another session gets a fault and stops
    nothing): the reason every attempt journals its client's SessionId."""
    left = _abandoned(fleet, "wait", disconnect=True)
    session = _session(fleet)
    try:
        stranger = PipelineRef(client_id=str(uuid.uuid4()).upper(), pipeline_id=left.pipeline_id)
        with pytest.raises(WSManFault):
            session.settle(stranger, 0.2)
        assert "stopped" == session.settle(left, 0.2)
    finally:
        session.close()
    assert fleet["NODE1"].counters.wait_for_open_shells(0, TIMEOUT_S)


def test_a_script_call_is_sent_as_the_pipeline_it_names(fleet: SimFleet) -> None:
    """The CommandId on the wire is the journaled one, and every request carries the
    session's client id: another process finds the pipeline by them and stops it."""
    session = _session(fleet)
    pipeline_id = str(uuid.uuid4()).upper()
    ended: list[BaseException] = []

    def run() -> None:
        try:
            session.run(ScriptCall("wait", {}, TIMEOUT_S, pipeline_id=pipeline_id))
        except BaseException as exc:  # noqa: BLE001 (kept for the assertion below)
            ended.append(exc)

    runner = threading.Thread(target=run)
    runner.start()
    try:
        assert fleet["NODE1"].counters.wait_for_pipelines(1, TIMEOUT_S)
        wsman = _wsman(fleet)
        wsman.session_id = session.client_id
        try:
            assert left_pipelines.find(wsman, pipeline_id) is not None
        finally:
            wsman.close()
        other = _session(fleet)
        try:
            left = PipelineRef(client_id=session.client_id, pipeline_id=pipeline_id)
            assert "stopped" == other.settle(left, 0.2)
        finally:
            other.close()
    finally:
        runner.join(TIMEOUT_S)
    # The sender learns its pipeline was stopped, or that its shell is gone, whichever
    # of its Receive and the settling client's Delete comes first.
    assert 1 == len(ended)
    assert isinstance(ended[0], RunInterrupted | WSManFault)


def test_an_interrupt_ends_the_wait_for_a_left_pipeline(fleet: SimFleet) -> None:
    """Ctrl-C during the wait: the settle gives up within one short poll, as the run's
    other waits do, and leaves the pipeline as it is for the next resume."""
    left = _abandoned(fleet, "wait")
    session = _session(fleet)
    found = threading.Event()
    ended: list[BaseException] = []

    def settle() -> None:
        try:
            session.settle(left, TIMEOUT_S * 10, found.set)
        except BaseException as exc:  # noqa: BLE001 (kept for the assertion below)
            ended.append(exc)

    waiter = threading.Thread(target=settle)
    waiter.start()
    try:
        assert found.wait(TIMEOUT_S)
        session.interrupt()
    finally:
        waiter.join(TIMEOUT_S)
        session.close()
    assert not waiter.is_alive()
    assert [RunInterrupted] == [type(e) for e in ended]
    other = _session(fleet)
    try:
        assert "stopped" == other.settle(left, 0.2)  # still there for the next resume
    finally:
        other.close()
