"""8. Simulator: the evaluator's speed on a loop-heavy script, in loop iterations a second.

A ``for`` loop of arithmetic and assignments runs through the simulated PowerShell
(``PowerShellExecutor``, no HTTP), so the figure is the language's own cost per
iteration: the tree walk, variable lookups and operators. Issue 13 measured about
22,000 iterations a second before the evaluator cached what it derives from each
node; the goal is five times that. It is an absolute rate, so it carries its goal but
is never checked (the machine's load moves it several-fold).
"""

from __future__ import annotations

import time

from bench.common import Figure, Profile, Section, absolute_goal, median
from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineRequest,
)
from psrunbook.sim.objects import ErrorRecordData, ProgressData
from psrunbook.sim.ps.powershell_executor import PowerShellExecutor

BEFORE = 22_000
"""Iterations a second in issue 13, before the caches."""

SCRIPT = """$sum = 0
for ($i = 0; $i -lt {n}; $i++) {{ $sum += $i * 2 }}
$sum"""


class _Sink:
    """Keeps the output; an error means the script did not run as meant."""

    def __init__(self) -> None:
        self.values: list[object] = []

    def output(self, value: object) -> None:
        self.values.append(value)

    def error(self, record: ErrorRecordData) -> None:
        raise RuntimeError(record.message)

    def warning(self, message: str) -> None: ...

    def verbose(self, message: str) -> None: ...

    def information(self, value: object) -> None: ...

    def debug(self, message: str) -> None: ...

    def progress(self, record: ProgressData) -> None: ...


def _rate(iterations: int) -> float:
    executor = PowerShellExecutor(lambda ctx: {})
    sink = _Sink()
    request = PipelineRequest((CommandRequest(SCRIPT.format(n=iterations), True, ()),))
    started = time.perf_counter()
    executor.execute(request, ExecutionContext("NODE1", "LAB\\bench"), sink)
    elapsed = time.perf_counter() - started
    if sink.values != [iterations * (iterations - 1)]:
        raise RuntimeError(f"loop gave {sink.values}")
    return iterations / elapsed


def measure(profile: Profile) -> Section:
    section = Section("evaluator")
    iterations = 2_000 if profile.name == "smoke" else 20_000
    _rate(200)  # warm: parse cache and first-use imports
    rates = [_rate(iterations) for _ in range(max(1, profile.repetitions))]
    rate = median(rates)
    section.figures.append(
        Figure(
            "evaluator_loop_per_s",
            f"simulated PowerShell: for-loop iterations a second ({iterations:,} per run)",
            rate,
            "it/s",
            absolute_goal(">=", 5 * BEFORE, f"5x the {BEFORE:,} it/s of issue 13"),
            f"{rate / BEFORE:.1f}x the issue's {BEFORE:,} it/s; median of {len(rates)}",
        )
    )
    section.raw = {"iterations": iterations, "rates": rates}
    return section
