"""6. Simulator: one pipeline's round trip on a reused RunspacePool.

The endpoint and pypsrp share this process, so the figure is the whole cost of a
round trip (client and simulator CPU, loopback HTTP) with nothing else in the loop:
the protocol machinery every benchmark above sits on. The simulator's trivial
executor answers, so PowerShell evaluation is not part of it. Also reported: one
pipeline that streams 5,000 objects back, which is dominated by pypsrp's
deserialisation.
"""

from __future__ import annotations

import time
from typing import Any

from bench.common import Figure, Profile, Section, median
from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor

USER = "psrunbook"
PASSWORD = "bench-password"
OBJECTS = 5000


def _invoke(pool: Any, script: str) -> tuple[float, int]:
    from pypsrp.powershell import PowerShell

    ps = PowerShell(pool)
    ps.add_script(script)
    started = time.perf_counter()
    output = ps.invoke()
    elapsed = time.perf_counter() - started
    if ps.had_errors:
        raise RuntimeError(f"pipeline failed: {ps.streams.error}")
    return elapsed, len(output)


def measure(profile: Profile) -> Section:
    from pypsrp.powershell import RunspacePool
    from pypsrp.wsman import WSMan

    section = Section("simulator")
    pipelines = max(1, profile.sim_pipelines)
    with SimEndpoint(TrivialExecutor(), node="NODE1", users={USER: PASSWORD}) as endpoint:
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
            _invoke(pool, "output warm")
            before = endpoint.counters.snapshot().total_requests
            small = [_invoke(pool, "output hello")[0] for _ in range(pipelines)]
            requests = endpoint.counters.snapshot().total_requests - before
            big_runs = max(1, min(5, pipelines // 20))
            big = []
            for _ in range(big_runs):
                elapsed, count = _invoke(pool, f"count {OBJECTS}")
                if count != OBJECTS:
                    raise RuntimeError(f"expected {OBJECTS} objects, got {count}")
                big.append(elapsed)
    small_ms = median(small) * 1000
    section.figures.append(
        Figure(
            "sim_pipeline_ms",
            f"pipeline round trip on a reused pool, median of {pipelines}",
            small_ms,
            "ms",
            "<= 8",
            small_ms <= 8,
            f"{requests / pipelines:.1f} requests per pipeline; "
            f"{OBJECTS:,} objects in one pipeline: {median(big) * 1000:.0f} ms",
        )
    )
    section.raw = {
        "pipelines": pipelines,
        "requests_per_pipeline": requests / pipelines,
        "mean_ms": sum(small) / len(small) * 1000,
        "p90_ms": sorted(small)[int(len(small) * 0.9)] * 1000 if len(small) > 1 else small_ms,
        "objects": OBJECTS,
        "objects_pipeline_ms": median(big) * 1000,
    }
    return section
