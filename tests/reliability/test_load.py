"""Load: many simulated nodes run ssis-standalone while 2% of requests fail transiently.

The embedded lab (the one ``--sim`` uses, saving its state after every pipeline) is
started with N nodes, and every endpoint answers a seeded 2% of its requests with an
HTTP 500 or a connection reset. A run session runs the real plan through the real
transport and journal. Every node must complete through retries, no change may be
applied twice, the journal must hold exactly one successful attempt per step and node,
and the process's peak memory is reported (and bounded).
"""

from __future__ import annotations

import random
import resource
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest

from psrunbook.execution.session import ExecutionLimits, RunRequest, RunSession
from psrunbook.journal import Journal
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.sim.endpoint.endpoint_faults import ArmedFault, EndpointFaultPlan, FaultKind
from psrunbook.sim.lab.embedded import EmbeddedLab
from psrunbook.templates import TemplateLibrary
from psrunbook.transport.psrp import PsrpTransport
from tests.reliability.harness import FULL

pytestmark = pytest.mark.reliability

NODES = 64 if FULL else 8
FAILURE_RATE = 0.02
SEED = 20261129
PEAK_RSS_LIMIT_MB = 1536
"""A generous ceiling: the run must not grow without bound with nodes or requests."""


class SeededTransientFaults(EndpointFaultPlan):
    """Answers a seeded fraction of one endpoint's requests with HTTP 500 or a reset."""

    def __init__(self, inner: EndpointFaultPlan, node: str, rate: float) -> None:
        super().__init__(lambda listening: None)
        self._random = random.Random(f"{SEED}:{node}")
        self._rate = rate
        self._draw_lock = threading.Lock()
        self.injected = 0

    def take(self, action: str) -> tuple[float, ArmedFault | None, threading.Event]:
        with self._draw_lock:
            failing = self._random.random() < self._rate
            kind: FaultKind = "http" if self._random.random() < 0.5 else "reset"
            if failing:
                self.injected += 1
        if not failing:
            return super().take(action)
        return 0.0, ArmedFault(kind, None, 1, status=500), threading.Event()


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def test_every_node_completes_through_transient_faults(tmp_path: Path) -> None:
    """N nodes, 2% of requests failing: all complete, nothing applied twice, journal complete."""
    library = TemplateLibrary()
    with EmbeddedLab(tmp_path, nodes=NODES) as lab, Journal.open(tmp_path) as journal:
        plans = [SeededTransientFaults(ep.faults, ep.node, FAILURE_RATE) for ep in lab.fleet]
        for endpoint, plan_ in zip(lab.fleet, plans, strict=True):
            endpoint.faults = plan_
        session = RunSession(journal, RunbookRegistry.discover(), library)
        intent = session.resolve(RunRequest(runbook="ssis-standalone"))
        prepared = session.prepare(intent, lab.inventory, lab.facts)
        plan = prepared.plan
        transport = PsrpTransport(lab.inventory, password=lab.password)
        limits = ExecutionLimits(parallel=NODES, retries=5, backoff_s=0.05, step_timeout_s=120)
        report = session.run(prepared, transport, limits=limits, run_id="load")
        attempts = journal.attempts("load")
        change_log = [tuple(c) for c in lab.cluster.change_log]
    injected = sum(p.injected for p in plans)
    retries = sum(t.attempts - 1 for s in report.steps for t in s.targets)
    peak = _peak_rss_mb()
    print(  # the figures docs/reliability.md reports
        f"\nload: {NODES} nodes, {len(plan.steps)} steps, {injected} injected faults, "
        f"{retries} retries, peak RSS {peak:.0f} MB"
    )
    assert "succeeded" == report.outcome, report.first_failure()
    assert injected > 0
    done = Counter((a.step_index, a.node) for a in attempts if a.status == "succeeded")
    expected = {(p.index, n) for p in plan.steps for n in lab.node_names}
    assert expected == set(done)
    assert [] == [a for a in attempts if a.status == "running"]
    assert {1} == set(Counter(change_log).values())
    per_node = {n: sorted((c, t) for c, node, t in change_log if node == n) for n in lab.node_names}
    first = per_node[lab.node_names[0]]
    assert first
    assert all(first == changes for changes in per_node.values())
    assert peak < PEAK_RSS_LIMIT_MB
