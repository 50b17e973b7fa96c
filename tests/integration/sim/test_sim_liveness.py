"""Liveness of the lab through real pypsrp: no pipeline, stop or vanished client stalls it.

On Windows each node is its own machine and each pipeline its own thread: a script
spinning on one node never delays another node, a nested pipeline runs while its outer
pipeline does, Stop ends a running script, and WinRM deletes a shell whose client went
away once its IdleTimeOut passes. Bounds here are generous event waits, never timings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from pypsrp.exceptions import WSManFaultError
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.executor_protocol import (
    ExecutionContext,
    Executor,
    OutputSink,
    PipelineRequest,
)
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration

BOUND = 20.0
"""Seconds an event may take before the test calls the lab stuck (it answers in ms)."""


class _Watched:
    """The lab's executor, telling the test when each pipeline has ended."""

    def __init__(self, inner: Executor) -> None:
        self.inner = inner
        self.ended: list[threading.Event] = []
        self.started = threading.Event()
        self.log: list[tuple[str, str]] = []
        """("start" | "end", first command's text) in the order the pipelines did it."""
        self._lock = threading.Lock()

    def execute(
        self, request: PipelineRequest, context: ExecutionContext, sink: OutputSink
    ) -> None:
        ended = threading.Event()
        self.ended.append(ended)
        text = request.commands[0].text
        with self._lock:
            self.log.append(("start", text))
        self.started.set()
        try:
            self.inner.execute(request, context, sink)
        finally:
            with self._lock:
                self.log.append(("end", text))
            ended.set()


def _lab(**endpoint_options: Any) -> tuple[_Watched, dict[str, SimEndpoint]]:
    executor = _Watched(cluster_executor(sample_lab(), time_scale=1.0))
    endpoints = {
        name: SimEndpoint(executor, node=name, users={USER: PASSWORD}, **endpoint_options)
        for name in ("NODE1", "NODE2")
    }
    return executor, endpoints


@pytest.fixture
def lab() -> Iterator[tuple[_Watched, dict[str, SimEndpoint]]]:
    executor, endpoints = _lab()
    yield executor, endpoints
    for endpoint in endpoints.values():
        endpoint.close()


def _answers(call: Callable[[], Any]) -> tuple[threading.Event, list[Any]]:
    """Run ``call`` in a thread; the event is set once it has returned."""
    done = threading.Event()
    result: list[Any] = []

    def run() -> None:
        result.append(call())
        done.set()

    threading.Thread(target=run, daemon=True).start()
    return done, result


def _script(endpoint: SimEndpoint, script: str) -> list[Any]:
    with RunspacePool(client_for(endpoint)) as pool:
        ps = PowerShell(pool)
        ps.add_script(script)
        return list(ps.invoke())


def test_spinning_script_on_one_node_stops_no_other_node(lab):
    """While NODE1 runs `while ($true) {}`, NODE2 answers, and so does a nested pipeline."""
    executor, endpoints = lab
    with RunspacePool(client_for(endpoints["NODE1"])) as pool:
        spinning = PowerShell(pool)
        spinning.add_script("while ($true) {}")
        spinning.begin_invoke()
        assert executor.started.wait(BOUND)

        done, result = _answers(
            lambda: _script(endpoints["NODE2"], "(Get-ClusterNode -Name NODE2).State.ToString()")
        )
        assert done.wait(BOUND), "NODE2 did not answer while NODE1 was busy"
        assert [["Up"]] == result

        nested = spinning.create_nested_power_shell()
        nested.add_script("$env:COMPUTERNAME")
        done, result = _answers(nested.invoke)
        assert done.wait(BOUND), "a nested pipeline did not run beside its outer pipeline"
        assert [["NODE1"]] == result
        assert PSInvocationState.COMPLETED == nested.state

        spinning.stop()
        assert PSInvocationState.STOPPED == spinning.state
        assert [["NODE1"]] == [_script(endpoints["NODE1"], "$env:COMPUTERNAME")]


def test_a_pool_runs_at_most_max_runspaces_pipelines_and_queues_the_rest(lab):
    """max_runspaces=2: two spinning pipelines run at once, the third waits for a runspace.

    Windows queues a pipeline on a pool whose runspaces are all busy and starts it when
    one ends (the PowerShell SDK's RunspacePool); its Command is accepted at once.
    """
    executor, endpoints = lab
    with RunspacePool(client_for(endpoints["NODE1"]), max_runspaces=2) as pool:
        spinners = []
        for number in (1, 2):
            spinner = PowerShell(pool)
            spinner.add_script(f"while ($true) {{}} # {number}")
            spinner.begin_invoke()
            spinners.append(spinner)
        queued = PowerShell(pool)
        queued.add_script("'third'")
        queued.begin_invoke()

        spinners[0].stop()
        done, _ = _answers(queued.end_invoke)
        assert done.wait(BOUND), "the queued pipeline did not start when a runspace was free"
        assert ["third"] == queued.output
        spinners[1].stop()

    log = executor.log
    assert log.index(("start", "'third'")) > log.index(("end", "while ($true) {} # 1"))
    assert log.index(("start", "while ($true) {} # 2")) < log.index(("end", "while ($true) {} # 1"))


def test_stopping_a_queued_pipeline_ends_it_stopped_at_once(lab):
    """A pipeline waiting for a runspace that the client stops ends Stopped; it never ran."""
    executor, endpoints = lab
    with RunspacePool(client_for(endpoints["NODE1"])) as pool:
        spinner = PowerShell(pool)
        spinner.add_script("while ($true) {}")
        spinner.begin_invoke()
        assert executor.started.wait(BOUND)
        queued = PowerShell(pool)
        queued.add_script("'never'")
        queued.begin_invoke()
        queued.stop()
        assert PSInvocationState.STOPPED == queued.state
        assert [] == queued.output
        spinner.stop()
        assert PSInvocationState.STOPPED == spinner.state


def test_stop_ends_start_sleep_at_once(lab):
    """Start-Sleep really waits, and Stop ends the wait: the pipeline ends Stopped."""
    executor, endpoints = lab
    with RunspacePool(client_for(endpoints["NODE1"])) as pool:
        ps = PowerShell(pool)
        ps.add_script("Start-Sleep -Seconds 3600; 'woke up'")
        ps.begin_invoke()
        assert executor.started.wait(BOUND)
        ps.stop()
        assert PSInvocationState.STOPPED == ps.state
        assert [] == ps.output
        assert executor.ended[0].wait(BOUND)
        assert ["NODE1"] == _script(endpoints["NODE1"], "$env:COMPUTERNAME")


def test_long_cmdlet_with_short_operation_timeout_gets_its_output():
    """A Receive outlasting OperationTimeout faults w:TimedOut; pypsrp asks again, as on Windows.

    pypsrp's test_psrp_long_running_cmdlet scenario: Start-Sleep longer than the
    operation timeout, then output. The first Receive ends with the fault, the next
    one carries the output: Start-Sleep waited for real.
    """
    _, endpoints = _lab()
    try:
        client = client_for(endpoints["NODE1"], operation_timeout=1, read_timeout=10)
        with RunspacePool(client) as pool:
            before = endpoints["NODE1"].counters.snapshot().requests.get("Receive", 0)
            ps = PowerShell(pool)
            ps.add_script("Start-Sleep -Seconds 2; 'done'")
            assert ["done"] == ps.invoke()
            assert PSInvocationState.COMPLETED == ps.state
            receives = endpoints["NODE1"].counters.snapshot().requests["Receive"] - before
            assert receives >= 2
    finally:
        for endpoint in endpoints.values():
            endpoint.close()


def test_abandoned_client_is_reaped_after_the_idle_timeout():
    """A client that vanishes mid-pipeline: after one IdleTimeOut its shell is disconnected
    (the pipeline runs on, as on Windows), after another it is deleted and the pipeline
    stopped."""
    executor, endpoints = _lab(idle_timeout=0.5)
    node = endpoints["NODE1"]
    try:
        abandoned = RunspacePool(client_for(node))
        abandoned.open()
        ps = PowerShell(abandoned)
        ps.add_script("while ($true) {}")
        ps.begin_invoke()
        assert executor.started.wait(BOUND)
        # The client never sends another request; the idle timeout ends its shell.
        assert node.counters.wait_for_idle_disconnects(1, BOUND)
        assert executor.ended[0].wait(BOUND), "the abandoned pipeline was never stopped"
        assert () == node.shell_ids
        assert ["NODE1"] == _script(node, "$env:COMPUTERNAME")
        with pytest.raises(WSManFaultError) as info:
            ps.poll_invoke(timeout=1)
        assert 2150858843 == info.value.code
    finally:
        for endpoint in endpoints.values():
            endpoint.close()


def test_create_response_reports_the_idle_timeout():
    """The shell's IdleTimeOut in the Create response is the endpoint's (PT7200.000S default)."""
    _, endpoints = _lab(idle_timeout=90)
    try:
        with RunspacePool(client_for(endpoints["NODE1"])) as pool:
            assert "PT90.000S" == pool.shell.idle_time_out
    finally:
        for endpoint in endpoints.values():
            endpoint.close()
