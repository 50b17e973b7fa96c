"""6. Simulator: one pipeline's round trip on a reused RunspacePool, real PowerShell.

The endpoint and pypsrp share this process, so the figure is the whole cost of a
round trip (client and simulator CPU, loopback HTTP) with nothing else in the loop:
the protocol machinery every benchmark above sits on. The lab's cluster executor (the
simulator's PowerShell over the sample cluster) answers a real step: the SSIS services
probe of ``cluster-report``, with its parameters, as psrunbook sends it. Beside it, in
the same run: the trivial executor (the protocol alone, no PowerShell evaluation) and one
pipeline that streams 5,000 objects back (dominated by pypsrp's deserialisation).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.common import Figure, Profile, Section, absolute_goal, median
from bench.driver import services_step
from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from psrunbook.sim.executor_protocol import Executor
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import lab_facts, sample_lab
from psrunbook.templates import TemplateLibrary

USER = "psrunbook"
PASSWORD = "bench-password"
OBJECTS = 5000

Call = tuple[str, dict[str, Any]]


def _invoke(pool: Any, call: Call) -> tuple[float, int]:
    from pypsrp.powershell import PowerShell

    script, arguments = call
    ps = PowerShell(pool)
    ps.add_script(script)
    for name, value in arguments.items():
        ps.add_parameter(name, value)
    started = time.perf_counter()
    output = ps.invoke()
    elapsed = time.perf_counter() - started
    if ps.had_errors:
        raise RuntimeError(f"pipeline failed: {ps.streams.error}")
    return elapsed, len(output)


@contextmanager
def plain_pool(endpoint: SimEndpoint) -> Iterator[Any]:
    """A plain pypsrp pool on ``endpoint``, as raw pypsrp users open one."""
    from pypsrp.powershell import RunspacePool
    from pypsrp.wsman import WSMan

    wsman = WSMan(
        endpoint.host,
        port=endpoint.port,
        ssl=False,
        auth="basic",
        encryption="never",
        username=USER,
        password=PASSWORD,
    )
    with RunspacePool(wsman) as pool:
        yield pool


def _pipelines(executor: Executor, node: str, call: Call, count: int) -> tuple[list[float], float]:
    """``count`` pipelines of ``call`` on one pool: their times and requests per pipeline."""
    endpoint = SimEndpoint(executor, node=node, users={USER: PASSWORD})
    with endpoint, plain_pool(endpoint) as pool:
        _invoke(pool, call)  # warm: first-use imports on both sides
        before = endpoint.counters.snapshot().total_requests
        times = [_invoke(pool, call)[0] for _ in range(count)]
        requests = endpoint.counters.snapshot().total_requests - before
    return times, requests / count


def _objects(count: int) -> list[float]:
    endpoint = SimEndpoint(TrivialExecutor(), node="NODE1", users={USER: PASSWORD})
    with endpoint, plain_pool(endpoint) as pool:
        times = []
        for _ in range(count):
            elapsed, got = _invoke(pool, (f"count {OBJECTS}", {}))
            if got != OBJECTS:
                raise RuntimeError(f"expected {OBJECTS} objects, got {got}")
            times.append(elapsed)
    return times


def measure(profile: Profile) -> Section:
    section = Section("simulator")
    pipelines = max(1, profile.sim_pipelines)
    step = services_step(1)
    script = TemplateLibrary().render(step.template, step.arguments, step.structure)
    probe: Call = (script.text, dict(step.arguments))
    cluster = sample_lab(2, "2019")
    node = lab_facts(cluster).nodes[0]
    # Interleaved halves, so a noisy moment falls on both executors alike.
    real: list[float] = []
    trivial: list[float] = []
    requests = 0.0
    half = -(-pipelines // 2)
    for _ in range(2):
        times, requests = _pipelines(cluster_executor(cluster), node, probe, half)
        real += times
        trivial += _pipelines(TrivialExecutor(), "NODE1", ("output hello", {}), half)[0]
    big = _objects(max(1, min(5, pipelines // 20)))
    real_ms, trivial_ms = median(real) * 1000, median(trivial) * 1000
    section.figures.append(
        Figure(
            "sim_pipeline_ms",
            f"SSIS services probe on the lab's PowerShell, reused pool, median of {len(real)}",
            real_ms,
            "ms",
            absolute_goal("<=", 8),
            f"{requests:.1f} requests per pipeline; trivial executor (protocol only): "
            f"{trivial_ms:.2f} ms; {OBJECTS:,} objects in one pipeline: "
            f"{median(big) * 1000:.0f} ms",
        )
    )
    section.raw = {
        "pipelines": len(real),
        "requests_per_pipeline": requests,
        "mean_ms": sum(real) / len(real) * 1000,
        "p90_ms": sorted(real)[int(len(real) * 0.9)] * 1000,
        "trivial_ms": trivial_ms,
        "objects": OBJECTS,
        "objects_pipeline_ms": median(big) * 1000,
    }
    return section
