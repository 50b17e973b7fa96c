"""How the bring-online template waits for a transition, on the lab's virtual clock.

The lab keeps a resource ``OnlinePending`` until its virtual clock passes the lab's
``online_pending_seconds``; ``Start-Sleep`` moves that clock by what it asks for. So the
clock at the end is exactly the time the template paused (issue 16: it polled once a
second, so even a transition of a few milliseconds cost a whole second on Windows).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from psrunbook.sim.executor_protocol import PipelineFailed
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.objects import PSObject
from psrunbook.templates.environment import TemplateLibrary
from tests.unit.sim.lab.test_cluster_executor import Runner

TEMPLATE = "cluster/start_resource.ps1.j2"


def _offline_sql_server(transition_s: float) -> Runner:
    run = Runner(sample_lab())
    run.cluster.timing.observations = 10**6  # only the clock ends the transition
    run.cluster.timing.seconds = transition_s
    assert [] == run("$null = Stop-ClusterResource -Name 'SQL Server'").errors
    return run


def _start(run: Runner, timeout_s: int) -> tuple[list[Any], PSObject | None]:
    arguments = {"Name": "SQL Server", "TimeoutSeconds": timeout_s}
    sink = run(TemplateLibrary().render(TEMPLATE, arguments).text, **arguments)
    last = sink.outputs[-1] if sink.outputs else None
    return sink.errors, last if isinstance(last, PSObject) else None


def test_a_short_transition_is_seen_after_short_pauses() -> None:
    """A 0.25 s transition: pauses of 0.1 then 0.2 s find it Online, not a whole second."""
    run = _offline_sql_server(0.25)
    errors, result = _start(run, timeout_s=30)
    assert [] == errors
    assert result is not None
    assert 0.3 == pytest.approx(run.cluster.clock.now)
    assert "Online" == run.cluster.resource("SQL Server").state


@pytest.mark.parametrize(
    ("transition_s", "paused_s"),
    [(0.05, 0.1), (0.6, 0.7), (1.1, 1.2), (1.5, 1.7), (2.3, 2.7)],
)
def test_pauses_double_from_100_ms_up_to_half_a_second(
    transition_s: float, paused_s: float
) -> None:
    run = _offline_sql_server(transition_s)
    errors, _ = _start(run, timeout_s=30)
    assert [] == errors
    assert paused_s == pytest.approx(run.cluster.clock.now)


def test_the_wait_ends_at_the_timeout_exactly() -> None:
    """A transition longer than the timeout: the wait ends at the timeout, no later. The
    template reads a Stopwatch, so the pauses fill what the timeout leaves after the real
    time the script itself took (here, the lab evaluating it): never more than the
    timeout, and short of it only by that time."""
    run = _offline_sql_server(100.0)
    started = time.monotonic()
    with pytest.raises(PipelineFailed, match=r"OnlinePending after 2 s \(timeout 2 s\)"):
        _start(run, timeout_s=2)
    real_s = time.monotonic() - started
    paused_s = run.cluster.clock.now
    assert paused_s <= 2.0 + 1e-9
    assert paused_s + real_s >= 2.0 - 1e-3  # the Stopwatch's time: pauses and real time
