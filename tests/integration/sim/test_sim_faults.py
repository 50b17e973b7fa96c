"""Fault hooks and protocol faults, each seen by pypsrp as the matching exception."""

from __future__ import annotations

import threading

import pytest
import requests
from lxml import etree
from pypsrp.exceptions import WinRMTransportError, WSManFaultError
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool
from pypsrp.wsman import SelectorSet

from psrunbook.sim.endpoint import wsman
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration

_SHELL_ID = "11111111-2222-3333-4444-555555555555"


def _run(pool, script: str = "output ok") -> list:
    return PowerShell(pool).add_script(script).invoke()


def test_refused_connections_then_accepted_again(endpoint):
    """A node that stops listening refuses connections; it serves again on the same port."""
    port = endpoint.port
    endpoint.faults.refuse_connections()
    with pytest.raises(requests.exceptions.ConnectionError):
        RunspacePool(client_for(endpoint)).open()
    endpoint.faults.accept_connections()
    assert port == endpoint.port
    with RunspacePool(client_for(endpoint)) as pool:
        assert ["ok"] == _run(pool)


def test_refusing_drops_open_pools(endpoint, pool):
    """Open keep-alive connections are dropped too, so an open pool fails like a dead node."""
    endpoint.faults.refuse_connections()
    with pytest.raises(requests.exceptions.ConnectionError):
        _run(pool)
    endpoint.faults.accept_connections()


def test_delayed_answer_becomes_a_read_timeout(endpoint):
    """A response held longer than the client's read timeout raises ReadTimeout."""
    endpoint.faults.delay(30, action="Create")
    with pytest.raises(requests.exceptions.ReadTimeout):
        RunspacePool(client_for(endpoint, read_timeout=1)).open()


def test_delay_shorter_than_the_timeout_only_slows_down(endpoint):
    """A short delay is absorbed: the request still succeeds and the delay is used up."""
    endpoint.faults.delay(0.05, action="Create")
    with RunspacePool(client_for(endpoint)) as pool:
        assert ["ok"] == _run(pool)
    assert (0.0, None) == endpoint.faults.take("Create")[:2]


def test_connection_reset_in_the_middle_of_a_receive(endpoint, pool):
    """A reset while the client waits for Receive is a requests ConnectionError."""
    endpoint.faults.reset_connection(action="Receive")
    with pytest.raises(requests.exceptions.ConnectionError):
        _run(pool)


def test_http_500_for_the_next_command_only(endpoint, pool):
    """HTTP 500 without a body is a WinRMTransportError; the request after it works."""
    endpoint.faults.http_error(500, action="Command", count=1)
    with pytest.raises(WinRMTransportError) as info:
        _run(pool)
    assert 500 == info.value.code
    assert ["ok"] == _run(pool)


def test_wsman_fault_for_the_next_two_receives(endpoint, pool):
    """An armed WSMan fault reaches pypsrp with its code, for exactly the armed count."""
    endpoint.faults.wsman_fault(2150858843, "gone", action="Receive", count=2)
    for _ in range(2):
        with pytest.raises(WSManFaultError) as info:
            _run(pool)
        assert (2150858843, "gone") == (info.value.code, info.value.reason)
    assert ["ok"] == _run(pool)


def test_clear_disarms_every_fault(endpoint, pool):
    """clear() removes armed faults before they fire."""
    endpoint.faults.http_error(503, count=5)
    endpoint.faults.clear()
    assert ["ok"] == _run(pool)


def test_unknown_shell_is_the_invalid_selectors_fault(endpoint):
    """A request for a shell that does not exist gets fault 2150858843."""
    selectors = SelectorSet()
    selectors.add_option("ShellId", _SHELL_ID)
    with pytest.raises(WSManFaultError) as info:
        client_for(endpoint).get(wsman.POWERSHELL_URI, selector_set=selectors)
    assert 2150858843 == info.value.code


def test_unknown_command_receive_is_the_invalid_selectors_fault(pool):
    """A Receive for a command id the shell never had gets fault 2150858843."""
    with pytest.raises(WSManFaultError) as info:
        pool.shell.receive("stdout", command_id=_SHELL_ID)
    assert 2150858843 == info.value.code


def test_unsupported_action_fault(endpoint):
    """An action the endpoint does not serve gets ActionNotSupported (2150858771)."""
    with pytest.raises(WSManFaultError) as info:
        client_for(endpoint).put(wsman.POWERSHELL_URI)
    assert 2150858771 == info.value.code


def test_malformed_envelope_gets_an_invalid_xml_fault(endpoint):
    """Bytes that are not XML get HTTP 500 and a WSManFault with code 2150858819."""
    answer = requests.post(endpoint.url, data=b"<s:Envelope", auth=(USER, PASSWORD), timeout=10)
    fault = etree.fromstring(answer.content).find(".//{*}WSManFault")
    assert (500, "2150858819") == (answer.status_code, fault.get("Code"))


def test_an_envelope_above_max_envelope_size_gets_http_413(endpoint, pool):
    """Above the node's MaxEnvelopeSizekb (500, WinRM's default) a request is refused
    with HTTP 413 before it is read as XML; at the limit it is read (here: a fault for
    bytes that are not XML), and the node goes on serving."""
    limit = wsman.MAX_ENVELOPE_KB * 1024
    over = requests.post(
        endpoint.url, data=b"<" * (limit + 1), auth=(USER, PASSWORD), timeout=10
    )
    at = requests.post(endpoint.url, data=b"<" * limit, auth=(USER, PASSWORD), timeout=10)
    assert (413, b"", 500) == (over.status_code, over.content, at.status_code)
    assert ["ok"] == _run(pool)


def test_receive_long_polls_until_the_operation_timeout(endpoint, pool):
    """A Receive with nothing to send waits for OperationTimeout, then faults 2150858793."""
    ps = PowerShell(pool)
    ps.add_script("wait")
    ps.begin_invoke()
    with pytest.raises(WSManFaultError) as info:
        pool.shell.receive("stdout", command_id=ps._command_id, timeout=1)
    assert 2150858793 == info.value.code
    ps.stop()
    assert PSInvocationState.STOPPED == ps.state


def test_refuse_when_takes_the_node_down_while_it_answers_true(endpoint):
    """While refuse_when is true, connections and requests are reset; then it serves again."""
    down = threading.Event()
    endpoint.refuse_when = down.is_set
    with RunspacePool(client_for(endpoint)) as pool:
        down.set()
        with pytest.raises(requests.exceptions.ConnectionError):
            _run(pool)
        assert pool.is_alive() is False
    with pytest.raises(requests.exceptions.ConnectionError):
        RunspacePool(client_for(endpoint)).open()
    down.clear()
    with RunspacePool(client_for(endpoint)) as pool:
        assert ["ok"] == _run(pool)


def test_a_failing_refuse_when_check_counts_as_up(endpoint, pool):
    """A refuse_when check that raises is logged and the node keeps serving."""

    def broken() -> bool:
        raise RuntimeError("model unavailable")

    endpoint.refuse_when = broken
    assert ["ok"] == _run(pool)
