"""Simulated clusters for the benchmarks, served on loopback with a fixed latency.

:func:`start_fleet` serves the sample lab in this process; :mod:`bench.fleet` runs it in
another process and gives the same :class:`Lab` view of it.

Latency is injected at the endpoint with its ``delay`` fault hook, armed for every
request the benchmark can make, so each WSMan round trip costs what it would over a
WAN link of that delay.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from msgspec.structs import asdict

from psrunbook.inventory import Inventory, inventory_from_toml
from psrunbook.sim.endpoint.http_server import SimEndpoint, SimFleet
from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    Executor,
    OutputSink,
    PipelineRequest,
)
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import lab_facts, sample_lab
from psrunbook.sim.lab.serve import SIM_USER, inventory_toml
from psrunbook.sim.objects import ErrorRecordData, ProgressData
from psrunbook.sim.ps.values import to_string

ALWAYS = 10**9
"""A fault count no benchmark exhausts: the delay applies to every request."""


def set_latency(endpoint: SimEndpoint, seconds: float) -> None:
    """Delay every later request to ``endpoint`` by ``seconds`` (0 leaves it alone)."""
    if seconds > 0:
        endpoint.faults.delay(seconds, count=ALWAYS)


@dataclass
class Lab:
    """A served cluster as a client sees it: an inventory, a password, the counters."""

    inventory: Inventory
    inventory_text: str
    password: str
    counters: Callable[[], dict[str, dict[str, Any]]]
    """Every node's endpoint counters now, as plain data (see ``bench.fleet``)."""
    facts: dict[str, Any] = field(default_factory=dict)
    """The lab's facts (``psrunbook.sim.lab.lab_files.LabFacts``) as plain data."""
    set_latency: Callable[[float], None] | None = None
    """Changes every node's injected latency (seconds per request)."""

    def _address(self, node: str) -> tuple[str, int]:
        host, port, _ = self.inventory.endpoint_for(node)
        return host, port

    def wsman(self, node: str) -> Any:
        """A plain pypsrp connection to ``node``, as a script without psrunbook makes it."""
        from pypsrp.wsman import WSMan

        host, port = self._address(node)
        return WSMan(
            host,
            port=port,
            ssl=False,
            auth="basic",
            encryption="never",
            username=SIM_USER,
            password=self.password,
        )

    def client(self, node: str) -> Any:
        """A pypsrp ``Client`` for ``node`` (what ``execute_ps`` users create)."""
        from pypsrp.client import Client

        host, port = self._address(node)
        return Client(
            host,
            port=port,
            ssl=False,
            auth="basic",
            encryption="never",
            username=SIM_USER,
            password=self.password,
        )


class _StringSink:
    """Writes each output object as text, as ``Out-String -Stream`` does."""

    def __init__(self, inner: OutputSink) -> None:
        self._inner = inner

    def output(self, value: Any) -> None:
        self._inner.output(to_string(value))

    def error(self, record: ErrorRecordData) -> None:
        self._inner.error(record)

    def warning(self, message: str) -> None:
        self._inner.warning(message)

    def verbose(self, message: str) -> None:
        self._inner.verbose(message)

    def information(self, value: Any) -> None:
        self._inner.information(value)

    def debug(self, message: str) -> None:
        self._inner.debug(message)

    def progress(self, record: ProgressData) -> None:
        self._inner.progress(record)


class InvokeExpressionShim:
    """Runs ``Invoke-Expression -Command <script> | Out-String -Stream`` on the cluster.

    ``Client.execute_ps`` wraps every script that way; the cluster evaluator does not
    implement ``Invoke-Expression``, so this executor unwraps the script and turns the
    output into text. Every other pipeline goes to the cluster executor unchanged.
    """

    def __init__(self, inner: Executor) -> None:
        self._inner = inner

    def execute(
        self, request: PipelineRequest, context: ExecutionContext, sink: OutputSink
    ) -> None:
        first = request.commands[0] if request.commands else None
        if first is None or first.is_script or first.text.casefold() != "invoke-expression":
            self._inner.execute(request, context, sink)
            return
        script = next(str(value) for name, value in first.arguments if name in ("Command", None))
        unwrapped = PipelineRequest((CommandRequest(script, is_script=True),), request.input)
        self._inner.execute(unwrapped, context, _StringSink(sink))


def snapshot(endpoint: SimEndpoint) -> dict[str, Any]:
    """One endpoint's counters as plain data."""
    snap = endpoint.counters.snapshot()
    return {
        "requests": dict(snap.requests),
        "total_requests": snap.total_requests,
        "pipelines_created": snap.pipelines_created,
        "shells_created": snap.shells_created,
        "shells_open": snap.shells_open,
    }


def start_fleet(nodes: int, latency_s: float, sql_version: str) -> tuple[SimFleet, Lab]:
    """The sample lab on loopback endpoints in this process; the caller closes the fleet."""
    cluster = sample_lab(nodes, sql_version)
    password = secrets.token_urlsafe(18)
    executor = InvokeExpressionShim(cluster_executor(cluster))
    fleet = SimFleet(lab_facts(cluster).nodes, executor=executor, users={SIM_USER: password})
    for endpoint in fleet:
        set_latency(endpoint, latency_s)
    text = inventory_toml(fleet, cluster=cluster.name)
    inventory = inventory_from_toml(text, path=Path("<bench lab>"))

    def change_latency(seconds: float) -> None:
        for endpoint in fleet:
            endpoint.faults.clear()
            set_latency(endpoint, seconds)

    lab = Lab(
        inventory,
        text,
        password,
        lambda: {e.node: snapshot(e) for e in fleet},
        facts=asdict(lab_facts(cluster)),
        set_latency=change_latency,
    )
    return fleet, lab
