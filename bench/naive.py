"""2. Against the naive baseline: a 10-step runbook versus ``Client.execute_ps`` per step.

``execute_ps`` is what most scripts use: it opens a RunspacePool, runs the script
through ``Invoke-Expression``, and deletes the pool again, for every script. psrunbook
keeps one pool per node for the run. Both variants run the same ten scripts with the
same values on the same node; the naive one has the values written into the script
text, because ``execute_ps`` takes no parameters. WSMan requests are counted at the
simulated endpoint, so the round trips per step are measured, not assumed.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.common import Figure, Profile, Section, alternate, median
from bench.driver import mixed_steps, plan_for, probe_runbook, psrunbook_runner
from bench.fleet import remote_lab
from bench.lab import Lab
from psrunbook.runbook.planner import Plan, PlannedStep
from psrunbook.templates import TemplateLibrary
from psrunbook.templates.literal import ps_literal

STEPS = 10
LATENCIES_S = (0.0, 0.020)


def inline_values(planned: PlannedStep) -> str:
    """The script with its ``param()`` block replaced by assignments of the step's values."""
    text = planned.script.text
    start = text.index("param(")
    depth = 0
    end = start
    for index in range(start + len("param"), len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                end = index + 1
                break
    values = {"CheckOnly": False, **planned.arguments}
    assignments = "".join(f"${name} = {ps_literal(value)}\n" for name, value in values.items())
    return text[:start] + assignments + text[end:]


def naive_scripts(plan: Plan) -> list[str]:
    return [inline_values(planned) for planned in plan.steps]


def execute_ps_each(lab: Lab, scripts: list[str], node: str) -> None:
    """One ``Client.execute_ps`` per step, as a hand-written script does it."""
    client = lab.client(node)
    for script in scripts:
        output, streams, had_errors = client.execute_ps(script)
        if had_errors or streams.error or "PSRunbookResult" not in output:
            raise RuntimeError(f"execute_ps step failed: {[str(e) for e in streams.error]}")


def _requests(lab: Lab, node: str, action: str | None = None) -> int:
    counters = lab.counters()[node]
    if action is None:
        return int(counters["total_requests"])
    return int(counters["requests"].get(action, 0))


def _round_trips(lab: Lab, node: str, action: Any, steps: int) -> dict[str, float]:
    """Requests per step of one call of ``action``: all of them, and without pool set-up."""
    before = lab.counters()[node]
    action()
    after = lab.counters()[node]
    total = after["total_requests"] - before["total_requests"]
    shells = after["shells_created"] - before["shells_created"]
    # Opening a pool costs one Create and one Receive on the simulator, closing one
    # Delete; what is left is what the steps themselves cost.
    steady = total - 3 * shells
    return {"total": total / steps, "pipelines_only": steady / steps, "pools": shells}


def measure(profile: Profile) -> Section:
    section = Section("naive baseline")
    library = TemplateLibrary()
    ratios: dict[float, float] = {}
    per_step_ms: dict[str, dict[str, float]] = {}
    round_trips: dict[str, dict[str, float]] = {}
    with remote_lab(2) as lab, tempfile.TemporaryDirectory() as tmp:
        plan = plan_for(probe_runbook(mixed_steps(STEPS)), lab, library)
        steps = len(plan.steps)
        node = plan.nodes[0]
        scripts = naive_scripts(plan)
        with psrunbook_runner(lab, Path(tmp)) as runner:
            variants = {
                "execute_ps": lambda: execute_ps_each(lab, scripts, node),
                "psrunbook": lambda: runner.run(plan),
            }
            round_trips = {
                name: _round_trips(lab, node, action, steps) for name, action in variants.items()
            }
            for latency in LATENCIES_S:
                _set_latency(lab, latency)
                samples = alternate(variants, profile.repetitions, warmup=profile.warmup)
                ratios[latency] = median(
                    [
                        a / b
                        for a, b in zip(samples["execute_ps"], samples["psrunbook"], strict=True)
                    ]
                )
                per_step_ms[f"{latency * 1000:g}ms"] = {
                    name: median(values) / steps * 1000 for name, values in samples.items()
                }
            _set_latency(lab, 0.0)
    for latency, ratio in ratios.items():
        ms = per_step_ms[f"{latency * 1000:g}ms"]
        met = ratio >= 2.8 if latency >= 0.02 else None
        section.figures.append(
            Figure(
                f"vs_execute_ps_ratio_{latency * 1000:g}ms",
                f"execute_ps per step / psrunbook, {STEPS} steps, {latency * 1000:g} ms latency",
                ratio,
                "x faster",
                ">= 2.8" if latency >= 0.02 else "",
                met,
                f"{ms['psrunbook']:.1f} ms vs {ms['execute_ps']:.1f} ms per step",
            )
        )
    ours = round_trips["psrunbook"]
    section.figures.append(
        Figure(
            "round_trips_per_step",
            "WSMan round trips per step, psrunbook (pool set-up excluded)",
            ours["pipelines_only"],
            "requests",
            "= 2",
            ours["pipelines_only"] == 2,
            f"{ours['total']:.1f} with the pool's open and close spread over {steps} steps; "
            f"execute_ps: {round_trips['execute_ps']['total']:.1f}",
        )
    )
    section.raw = {"per_step_ms": per_step_ms, "round_trips": round_trips, "steps": steps}
    return section


def _set_latency(lab: Lab, seconds: float) -> None:
    if lab.set_latency is None:
        raise RuntimeError("this lab cannot change its latency")
    lab.set_latency(seconds)
