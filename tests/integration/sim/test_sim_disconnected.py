"""Disconnected operations through pypsrp: Disconnect, Reconnect, Connect, Enumerate.

A PowerShell shell outlives its client as on Windows (MS-PSRP 3.1.4.10,
about_Remote_Disconnected_Sessions): the client disconnects, its pipelines run on, and
the same client reconnects or another one finds the pool with
``RunspacePool.get_runspace_pools``, connects and takes the pipelines' output. The
envelopes are compared with Windows' in ``test_sim_recordings.py``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from xml.etree import ElementTree

import pytest
from pypsrp.exceptions import WSManFaultError
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool, RunspacePoolState
from pypsrp.wsman import NAMESPACES, SelectorSet, WSMan

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.sim.simclient import PASSWORD, USER, client_for, invoke_script

pytestmark = pytest.mark.integration

SHELL_DISCONNECTED = 2150859204
STREAM_DISCONNECTED = 2150859230
CONNECTED_TO_OTHER_CLIENT = 2150859213
SESSION_MISMATCH = 2150859206
UNKNOWN_SHELL = 2150858843

BOUND = 10.0
"""Seconds a test waits for the endpoint at most (a bound, never a pause)."""

FLAG = r"C:\Windows\Temp\go.txt"
WAITING_SCRIPT = f"""
'first'
while (-not (Test-Path -LiteralPath '{FLAG}')) {{ Start-Sleep -Milliseconds 100 }}
'second'
"""
"""Writes one object, waits until another client writes the flag file, writes another."""


@pytest.fixture
def node() -> Iterator[SimEndpoint]:
    executor = cluster_executor(sample_lab(), time_scale=0.001)
    with SimEndpoint(executor, node="NODE1", users={USER: PASSWORD, "other": PASSWORD}) as ep:
        yield ep


def _fault_code(call: Callable[[], object]) -> int:
    with pytest.raises(WSManFaultError) as info:
        call()
    return int(info.value.code)


def _raise_flag(node: SimEndpoint) -> None:
    with RunspacePool(client_for(node)) as pool:
        invoke_script(pool, f"Set-Content -LiteralPath '{FLAG}' -Value go")


def test_a_disconnected_pool_refuses_requests_until_its_client_reconnects(node):
    pool = RunspacePool(client_for(node))
    pool.open()
    invoke_script(pool, "$kept = 'state survives'")
    pool.disconnect()
    assert RunspacePoolState.DISCONNECTED == pool.state
    assert "Disconnected" == pool.shell._get_shell()["State"]
    ps = PowerShell(pool)
    ps.add_script("'x'")
    assert SHELL_DISCONNECTED == _fault_code(ps.begin_invoke)

    pool.connect()  # the same client: Reconnect
    assert RunspacePoolState.OPENED == pool.state
    assert "Connected" == pool.shell._get_shell()["State"]
    assert ["state survives"] == invoke_script(pool, "$kept")
    pool.close()
    assert () == node.shell_ids


def test_another_client_connects_and_takes_the_output_of_a_pipeline_that_ran_on(node):
    first = RunspacePool(client_for(node))
    first.open()
    running = PowerShell(first)
    running.add_script(WAITING_SCRIPT)
    running.begin_invoke()
    first.disconnect()
    _raise_flag(node)  # the pipeline finishes while no client is connected

    second_client = client_for(node)
    pools = RunspacePool.get_runspace_pools(second_client)
    assert [first.id.upper()] == [p.id.upper() for p in pools]
    (pool,) = pools
    assert RunspacePoolState.DISCONNECTED == pool.state
    pool.connect()
    (pipeline,) = pool.create_disconnected_power_shells()
    assert running.id.upper() == pipeline.id.upper()
    assert ["first", "second"] == pipeline.connect()
    assert PSInvocationState.COMPLETED == pipeline.state
    # Windows sends no RUNSPACEPOOL_STATE after a Connect, so pypsrp 0.9.1 still sees the
    # pool Disconnected and reconnects it before using it, as in the recording.
    pool.connect()
    assert RunspacePoolState.OPENED == pool.state
    assert ["after"] == invoke_script(pool, "'after'")

    # The first client's pool is taken: it may not use or reconnect it any more.
    assert CONNECTED_TO_OTHER_CLIENT == _fault_code(lambda: first.shell.receive("stdout"))
    assert CONNECTED_TO_OTHER_CLIENT == _fault_code(first.connect)
    pool.close()


def test_a_running_pipeline_goes_on_while_nobody_is_connected(node):
    pool = RunspacePool(client_for(node))
    pool.open()
    ps = PowerShell(pool)
    ps.add_script(WAITING_SCRIPT)
    ps.begin_invoke()
    pool.disconnect()

    other = client_for(node)
    (found,) = RunspacePool.get_runspace_pools(other)
    assert 1 == len(found.pipelines)
    found.connect()
    (pipeline,) = found.create_disconnected_power_shells()
    pipeline.connect_async()
    _raise_flag(node)
    assert ["first", "second"] == pipeline.end_invoke()
    found.connect()  # Reconnect: pypsrp 0.9.1 sees the pool opened only then
    found.disconnect()

    # Nothing is left to connect to: the pipeline's output was taken.
    (again,) = RunspacePool.get_runspace_pools(client_for(node))
    assert {} == again.pipelines
    again.connect()
    again.close()


def test_a_receive_waiting_when_the_client_disconnects_ends_at_once(node):
    pool = RunspacePool(client_for(node, operation_timeout=20, read_timeout=30))
    pool.open()
    ended: list[int] = []

    def wait_for_pool_messages() -> None:
        try:
            pool.shell.receive("stdout")
        except WSManFaultError as fault:
            ended.append(int(fault.code))

    waiter = threading.Thread(target=wait_for_pool_messages)
    waiter.start()
    try:
        # The Receive waits (nothing is queued for the pool); the Disconnect wakes it.
        assert node.counters.wait_for_waiting_receives(1, BOUND)
        pool.disconnect()
    finally:
        waiter.join(10)
    assert [STREAM_DISCONNECTED] == ended
    pool.connect()
    pool.close()


def test_only_the_client_that_disconnected_may_reconnect(node):
    pool = RunspacePool(client_for(node))
    pool.open()
    pool.disconnect()
    stranger = WSMan(node.host, port=node.port, username=USER, password=PASSWORD, ssl=False,
                     auth="basic", encryption="never")  # fmt: skip
    pool.connection = stranger  # the same pool object, another client session
    pool.shell.wsman = stranger
    assert SESSION_MISMATCH == _fault_code(pool.connect)
    (found,) = RunspacePool.get_runspace_pools(stranger)
    found.connect()  # a new client connects with Connect, not Reconnect
    found.close()


def test_enumeration_lists_the_users_own_shells_with_their_state(node):
    mine = RunspacePool(client_for(node))
    mine.open()
    theirs = RunspacePool(client_for(node, username="other"))
    theirs.open()
    try:
        listed = RunspacePool.get_runspace_pools(client_for(node))
        assert [mine.id.upper()] == [p.id.upper() for p in listed]
        mine.disconnect()
        shells = client_for(node).enumerate(
            "http://schemas.microsoft.com/wbem/wsman/1/windows/shell", _enumerate_body()
        )
        states = [e.text for e in shells.iter() if e.tag.endswith("}State")]
        assert ["Disconnected"] == states
        mine.connect()
    finally:
        mine.close()
        theirs.close()


def _enumerate_body() -> ElementTree.Element:
    wsen = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
    wsman = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
    body = ElementTree.Element(f"{{{wsen}}}Enumerate")
    ElementTree.SubElement(body, f"{{{wsman}}}OptimizeEnumeration")
    ElementTree.SubElement(body, f"{{{wsman}}}MaxElements").text = "32000"
    return body


def test_a_connect_to_a_pool_in_use_is_refused(node):
    with RunspacePool(client_for(node)) as pool:
        (listed,) = RunspacePool.get_runspace_pools(client_for(node))
        assert CONNECTED_TO_OTHER_CLIENT == _fault_code(listed.connect)
        assert ["still mine"] == invoke_script(pool, "'still mine'")


def test_an_idle_shell_is_disconnected_then_deleted():
    """IdleTimeOut without a request disconnects the shell (Windows' recorded Get shows
    ``Disconnected`` after it); a second IdleTimeOut deletes it."""
    executor = cluster_executor(sample_lab(), time_scale=0.001)
    with SimEndpoint(executor, node="NODE1", users={USER: PASSWORD}, idle_timeout=0.3) as ep:
        pool = RunspacePool(client_for(ep))
        pool.open()
        assert ep.counters.wait_for_idle_disconnects(1, BOUND)
        assert pool.is_alive() is False
        assert SHELL_DISCONNECTED == _fault_code(lambda: pool.shell.receive("stdout"))
        assert ep.counters.wait_for_open_shells(0, BOUND)
        assert UNKNOWN_SHELL == _fault_code(lambda: pool.shell.receive("stdout"))


def test_another_users_shell_is_out_of_their_reach(node):
    pool = RunspacePool(client_for(node))
    pool.open()
    pool.disconnect()
    stranger = client_for(node, username="other")
    assert [] == RunspacePool.get_runspace_pools(stranger)
    # A pool aimed at the shell by its id, as get_runspace_pools would have made it.
    aimed = RunspacePool(stranger)
    aimed.id = aimed.shell.id = pool.id
    aimed.shell.opened = True
    aimed._new_client = True
    aimed.state = RunspacePoolState.DISCONNECTED
    assert UNKNOWN_SHELL == _fault_code(aimed.connect)
    assert UNKNOWN_SHELL == _fault_code(aimed.shell.close)
    pool.connect()
    assert ["mine"] == invoke_script(pool, "'mine'")
    pool.close()


def test_disconnect_sets_the_idle_timeout_and_buffer_mode_and_comes_once(node):

    pool = RunspacePool(client_for(node))
    pool.open()
    selectors = SelectorSet()
    selectors.add_option("ShellId", pool.shell.id)

    def disconnect() -> None:
        body = ElementTree.Element(f"{{{NAMESPACES['rsp']}}}Disconnect")
        ElementTree.SubElement(body, f"{{{NAMESPACES['rsp']}}}IdleTimeOut").text = "PT90S"
        ElementTree.SubElement(body, f"{{{NAMESPACES['rsp']}}}BufferMode").text = "Drop"
        pool.connection.disconnect(pool.shell.resource_uri, body, selector_set=selectors)

    disconnect()
    shell = pool.shell._get_shell()
    assert ("Disconnected", "PT90.000S", "Drop") == (
        shell["State"],
        shell["IdleTimeOut"],
        shell["BufferMode"],
    )
    assert 2150859215 == _fault_code(disconnect)
    pool.state = RunspacePoolState.DISCONNECTED
    pool.connect()
    pool.close()
