"""8b. Simulator: the cost of a pipeline-heavy script, per object, in the evaluator.

``1..N | ForEach-Object {...} | Where-Object {...} | Select-Object -Property @{...} |
Measure-Object`` hands every number through four commands, so its figure is the cost
of streaming (each object going from one command's frame into the next one's, a script
block per object) more than of the language itself. The streaming rewrite of issue 13
(``psrunbook/sim/ps/pipeline.py``) made this script about twice as slow as the
evaluator that collected each command's output first; the goal is that cost or less.

As in :mod:`bench.evaluator_loop`, the checked figure is a ratio measured in the same
run: the cost of one object in objects through the same chain of generators in plain
Python (``_python_pipeline``), the two timed alternately, so load moves both alike.
"""

from __future__ import annotations

from bench.common import Figure, Profile, Section, median, ratio_goal
from bench.evaluator_loop import _Sink, alternate, cpu_clock
from bench.evaluator_loop import measure as measure_loop
from bench.own_process import section_in_own_process
from psrunbook.sim.executor_protocol import CommandRequest, ExecutionContext, PipelineRequest
from psrunbook.sim.ps.powershell_executor import PowerShellExecutor

SCRIPT = (
    "1..{n} | ForEach-Object {{ $_ * 2 }} | Where-Object {{ $_ % 3 -eq 0 }} | "
    "Select-Object -Property @{{Name='V'; Expression={{ $_ + 1 }}}} | "
    "Measure-Object -Property V -Sum"
)

COLLECTING_COST = 150
"""Plain-Python pipeline objects per PowerShell object of the evaluator before streaming
(main at a0f2679, which collected each command's output before the next ran), the two
measured alternately in one process on the shared 2-core VM of 2026-12-02: medians of
145 to 196 in four runs of five under load average 16, 155 and 167 under load 3; the
goal rounds down to 150. In the same runs the streaming evaluator as merged (aff1901)
read 170 to 218 and 204 to 215 (1.3-1.7 s against 0.9-1.0 s for 20,000 numbers), the
per-object hand-off of this module's commit 92 to 143 and 115 to 126 (0.7 s). The loop
figure of :mod:`bench.evaluator_loop` stayed at 46 to 47 for all three."""

PYTHON_OBJECTS = 200_000
"""Objects through the yardstick per sample: long enough to time."""


def _rate(count: int) -> float:
    """Objects a second through the PowerShell pipeline of ``count`` numbers."""
    executor = PowerShellExecutor(lambda ctx: {})
    sink = _Sink()
    request = PipelineRequest((CommandRequest(SCRIPT.format(n=count), True, ()),))
    started = cpu_clock()
    executor.execute(request, ExecutionContext("NODE1", "LAB\\bench"), sink)
    elapsed = cpu_clock() - started
    expected = sum(v + 1 for v in range(2, 2 * count + 1, 2) if v % 3 == 0)
    measured = getattr(sink.values[0], "properties", {}).get("Sum") if sink.values else None
    if measured != expected:
        raise RuntimeError(f"pipeline gave {sink.values}")
    return count / elapsed


def _python_pipeline(count: int) -> float:
    """The same chain as generators in plain Python, objects a second: the yardstick."""
    started = cpu_clock()
    doubled = (number * 2 for number in range(1, count + 1))
    kept = (value for value in doubled if value % 3 == 0)
    shaped = ({"V": value + 1} for value in kept)
    total = sum(item["V"] for item in shaped)
    elapsed = cpu_clock() - started
    if total != sum(v + 1 for v in range(2, 2 * count + 1, 2) if v % 3 == 0):
        raise RuntimeError(f"yardstick gave {total}")
    return count / elapsed


def pipeline_figure(profile: Profile) -> tuple[Figure, dict[str, object]]:
    """The pipeline's cost per object in yardstick objects, and its raw samples."""
    count = {"smoke": 1_000, "quick": 5_000}.get(profile.name, 20_000)
    _rate(200)  # warm: parse cache and first-use imports
    rates, costs = alternate(
        lambda: _python_pipeline(PYTHON_OBJECTS), lambda: _rate(count), profile.repetitions
    )
    cost = median(costs)
    figure = Figure(
        "evaluator_pipeline_cost",
        "simulated PowerShell: one object through ForEach/Where/Select/Measure in objects "
        "through the same generators in plain Python (same run)",
        cost,
        "x",
        ratio_goal(
            "<=",
            COLLECTING_COST,
            f"no slower than before streaming ({COLLECTING_COST} Python objects)",
        ),
        f"{median(rates):,.0f} objects/s; {count:,} per run; median of {len(costs)}",
    )
    return figure, {"objects": count, "rates": rates, "costs": costs}


def measure(profile: Profile) -> Section:
    """:func:`measure_here` in a process of its own (:mod:`bench.own_process`): a
    simulated node evaluates in its own process, not on the heap of earlier sections."""
    return section_in_own_process("bench.evaluator_pipeline", profile)


def measure_here(profile: Profile) -> Section:
    """The loop figures of :mod:`bench.evaluator_loop`, then the pipeline's."""
    section = measure_loop(profile)
    figure, raw = pipeline_figure(profile)
    section.figures.append(figure)
    section.raw = {**section.raw, "pipeline": raw}
    return section
