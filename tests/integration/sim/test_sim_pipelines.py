"""Pipelines through real pypsrp: pool reuse, parameters, output objects, input, stop."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from pypsrp.client import Client
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool
from pypsrp.serializer import TaggedValue

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from psrunbook.sim.executor_protocol import (
    ExecutionContext,
    OutputSink,
    PipelineRequest,
    PipelineStopped,
)
from psrunbook.sim.objects import PSHashtable, PSObject, SecureStringValue
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration


def test_pool_is_opened_once_and_reused_for_fifty_pipelines(endpoint, pool):
    """Fifty pipelines on one pool cost one shell and two WSMan round trips each."""
    before = endpoint.counters.snapshot()
    for i in range(50):
        ps = PowerShell(pool)
        ps.add_script("output $Value").add_parameter("Value", i)
        assert [i] == ps.invoke()
    after = endpoint.counters.snapshot()
    assert 100 == after.total_requests - before.total_requests
    assert 50 == after.requests["Command"] - before.requests["Command"]
    assert 50 == after.requests["Receive"] - before.requests["Receive"]
    assert 1 == after.shells_created
    assert 50 == after.pipelines_created - before.pipelines_created


def test_script_parameters_arrive_typed_and_in_order(pool):
    """Named parameters reach the executor with their types and come back unchanged."""
    ps = PowerShell(pool)
    ps.add_script("params").add_parameters(
        {"Name": "grp", "Count": 7, "Ratio": 1.25, "On": True, "Items": ["a", 2], "Map": {"k": 1}}
    )
    [obj] = ps.invoke()
    assert {
        "Name": "grp",
        "Count": 7,
        "Ratio": 1.25,
        "On": True,
        "Items": ["a", 2],
        "Map": {"k": 1},
    } == obj.extended_properties
    assert ["Sim.Arguments", "System.Management.Automation.PSCustomObject", "System.Object"] == (
        obj.types
    )


def test_command_with_named_and_positional_arguments(pool):
    """A command pipeline keeps positional arguments in order next to named ones."""
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-SimArguments").add_argument("first").add_parameter("Mode", "x")
    ps.add_argument(2)
    [obj] = ps.invoke()
    assert {"Arg0": "first", "Mode": "x", "Arg1": 2} == obj.extended_properties


def test_output_object_keeps_types_properties_and_depth_one(pool):
    """A PSObject arrives with type names, ordered properties, enum, and nested ToString."""
    ps = PowerShell(pool)
    ps.add_script("object")
    [obj] = ps.invoke()
    props = obj.extended_properties
    assert [
        "Name",
        "Count",
        "Big",
        "Ratio",
        "Flag",
        "Missing",
        "State",
        "Nested",
        "List",
        "Table",
    ] == list(props)
    assert ("sample", 3, 2**40, 0.5, True, None) == (
        props["Name"],
        props["Count"],
        props["Big"],
        props["Ratio"],
        props["Flag"],
        props["Missing"],
    )
    assert "nested-object" == props["Nested"]
    assert [1, "two"] == props["List"]
    assert {"Key": "value"} == props["Table"]
    assert "Online" == str(props["State"])
    assert "Sim.State" == props["State"].types[0]
    assert "sample" == obj.to_string


def test_statements_run_in_order(pool):
    """Commands separated by add_statement run as separate statements, in order."""
    ps = PowerShell(pool)
    ps.add_script("output one").add_statement().add_script("output two")
    assert ["one", "two"] == ps.invoke()


def test_pipeline_input_reaches_the_pipeline(pool):
    """Objects piped in by the client come back out in order and with their types."""
    ps = PowerShell(pool)
    ps.add_script("input")
    assert [1, "a", {"k": "v"}, [1, 2]] == ps.invoke(input=[1, "a", {"k": "v"}, [1, 2]])


def test_five_thousand_objects(pool):
    """5,000 output objects arrive complete and in order."""
    ps = PowerShell(pool)
    ps.add_script("count 5000")
    assert list(range(5000)) == ps.invoke()


def test_two_megabytes_of_output_across_receives(endpoint, pool):
    """2 MB in many objects and in one object both arrive intact over several Receives."""
    before = endpoint.counters.requests("Receive")
    ps = PowerShell(pool)
    ps.add_script("repeat 64 32768\nrepeat 1 2097152")
    out = ps.invoke()
    assert [32768] * 64 + [2097152] == [len(s) for s in out]
    assert "00000000" == out[-1][:8]
    assert endpoint.counters.requests("Receive") - before > 2


def test_one_megabyte_script_goes_through_send(endpoint, pool):
    """A 1 MB script is split by the client into Command plus Sends and runs whole."""
    script = "# " + "x" * (1024 * 1024) + "\nlength"
    before = endpoint.counters.requests("Send")
    ps = PowerShell(pool)
    ps.add_script(script)
    assert [len(script)] == ps.invoke()
    assert endpoint.counters.requests("Send") - before > 0


def test_execute_ps_returns_text_output(endpoint):
    """Client.execute_ps runs Invoke-Expression | Out-String and closes its shell."""
    client = Client(
        endpoint.host,
        port=endpoint.port,
        username=USER,
        password=PASSWORD,
        ssl=False,
        auth="basic",
        encryption="never",
    )
    output, streams, had_errors = client.execute_ps("output hello\ncount 2")
    assert ("hello\n0\n1", False, []) == (output, had_errors, streams.error)
    assert 0 == endpoint.counters.shells_open


def test_closing_the_pool_leaves_no_shells(endpoint):
    """A clean pool close deletes its shell on the endpoint."""
    with RunspacePool(client_for(endpoint)) as pool:
        assert 1 == len(endpoint.shell_ids)
        PowerShell(pool).add_script("output x").invoke()
    assert () == endpoint.shell_ids
    assert 0 == endpoint.counters.shells_open


def test_is_alive_on_an_open_pool(pool):
    """is_alive() answers True while the shell exists."""
    assert pool.is_alive() is True


def test_is_alive_after_the_node_went_away(endpoint, pool):
    """is_alive() answers False once the endpoint is gone."""
    endpoint.close()
    assert pool.is_alive() is False


class _CapturingExecutor:
    """Keeps every request, and the input each was sent (read to its end), and echoes
    its first argument back."""

    def __init__(self) -> None:
        self.requests: list[PipelineRequest] = []
        self.inputs: list[list[Any] | None] = []

    def execute(
        self, request: PipelineRequest, context: ExecutionContext, sink: OutputSink
    ) -> None:
        self.requests.append(request)
        self.inputs.append(None if request.input is None else list(request.input))
        sink.output(request.commands[0].arguments[0][1])


def test_secure_string_parameter_after_key_exchange():
    """After exchange_keys a SecureString parameter arrives decrypted and goes back encrypted."""
    executor = _CapturingExecutor()
    with (
        SimEndpoint(executor, node="NODE1", users={USER: PASSWORD}) as ep,
        RunspacePool(client_for(ep)) as pool,
    ):
        pool.exchange_keys()
        ps = PowerShell(pool)
        ps.add_script("output $Secret").add_parameter("Secret", TaggedValue("SS", "p@ss w0rd"))
        assert ["p@ss w0rd"] == ps.invoke()
    [(name, value)] = executor.requests[0].commands[0].arguments
    assert ("Secret", SecureStringValue("p@ss w0rd")) == (name, value)


class _BlockingExecutor:
    """Waits for the client to stop it and records that it saw the stop."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.stopped = threading.Event()

    def execute(
        self, request: PipelineRequest, context: ExecutionContext, sink: OutputSink
    ) -> None:
        sink.output("started")
        self.started.set()
        context.stop.wait()
        self.stopped.set()
        raise PipelineStopped


def test_stop_reaches_the_running_pipeline():
    """PowerShell.stop() signals the server, which stops the executor; the pool stays usable."""
    executor = _BlockingExecutor()
    with (
        SimEndpoint(executor, node="NODE1", users={USER: PASSWORD}) as ep,
        RunspacePool(client_for(ep)) as pool,
    ):
        ps = PowerShell(pool)
        ps.add_script("wait")
        ps.begin_invoke()
        assert executor.started.wait(10)
        ps.stop()
        assert executor.stopped.wait(10)
        assert PSInvocationState.STOPPED == ps.state
        assert 1 == ep.counters.requests("Signal")


def test_every_response_fits_the_requested_envelope():
    """With a small MaxEnvelopeSize, large output spreads over Receives that each fit it."""
    with (
        SimEndpoint(
            TrivialExecutor(), node="NODE1", users={USER: PASSWORD}, record_exchanges=True
        ) as ep,
        RunspacePool(client_for(ep, max_envelope_size=51200)) as pool,
    ):
        ps = PowerShell(pool)
        ps.add_script("repeat 1 300000\ncount 2000")
        out = ps.invoke()
        sizes = [len(body) for _, _, body in ep.exchanges or []]
    assert [300000, *range(2000)] == [len(out[0]), *out[1:]]
    assert max(sizes) <= 51200
    assert sum(1 for size in sizes if size > 40000) > 4


def test_incoming_values_become_simulator_types():
    """Client hashtables, arrays and objects arrive as PSHashtable, list and PSObject."""
    from pypsrp.complex_objects import GenericComplexObject  # noqa: PLC0415 - only here

    obj = GenericComplexObject()
    obj.types = ["My.Type", "System.Object"]
    obj.extended_properties = {"A": 1, "B": "x"}
    obj.to_string = "my object"
    executor = _CapturingExecutor()
    with (
        SimEndpoint(executor, node="NODE1", users={USER: PASSWORD}) as ep,
        RunspacePool(client_for(ep)) as pool,
    ):
        ps = PowerShell(pool)
        ps.add_script("x").add_parameter("Table", {"k": [1, 2]}).add_parameter("Obj", obj)
        ps.invoke(input=[obj, [1, 2]])
    [request] = executor.requests
    (_, table), (_, received) = request.commands[0].arguments
    assert isinstance(table, PSHashtable)
    assert [1, 2] == table["K"]
    assert isinstance(received, PSObject)
    assert ("Deserialized.My.Type", "my object", {"A": 1, "B": "x"}) == (
        received.type_names[0],
        received.to_string,
        dict(received.properties),
    )
    [sent] = executor.inputs
    assert sent is not None
    assert received == sent[0]
    assert [1, 2] == sent[1]


def test_set_runspace_limits_and_get_available_runspaces(pool):
    """SET_MAX/MIN_RUNSPACES (pypsrp's ``CI`` spelling) and GET_AVAILABLE_RUNSPACES answer."""
    pool.max_runspaces = 4
    pool.min_runspaces = 2
    assert (2, 4) == (pool.min_runspaces, pool.max_runspaces)
    assert 4 == pool.get_available_runspaces()
