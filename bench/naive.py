"""2. Against the naive baseline: a 10-step runbook versus ``Client.execute_ps`` per step.

``execute_ps`` is what most scripts use: it opens a RunspacePool, runs the script
through ``Invoke-Expression``, and deletes the pool again, for every script. psrunbook
keeps one pool per node for the run. Both variants run the same ten scripts with the
same values on the same node; the naive one has the values written into the script
text, because ``execute_ps`` takes no parameters. WSMan requests are counted at the
simulated endpoint, pool set-up included, so the round trips per step are measured, not
assumed, and the ratio is compared with the ceiling those counts allow.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from bench.common import Figure, Profile, Section, alternate, median, ratio_goal
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


POOL_REQUESTS = 3
"""What opening and closing one pool costs on the simulator: Create, one Receive for the
opening handshake, Delete (Windows answers the handshake over two Receives: 4)."""


def _round_trips(lab: Lab, node: str, action: Any, steps: int) -> dict[str, float]:
    """Every HTTP request one call of ``action`` cost the node, per step, pools included.

    Counted at the endpoint, nothing assumed: a run that opened a pool per step, or
    sent an extra request per pipeline, shows here.
    """
    before = lab.counters()[node]
    action()
    after = lab.counters()[node]
    total = after["total_requests"] - before["total_requests"]
    return {
        "total": total / steps,
        "requests": total,
        "pools": after["shells_created"] - before["shells_created"],
        "pipelines": after["pipelines_created"] - before["pipelines_created"],
    }


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
    ours, theirs = round_trips["psrunbook"], round_trips["execute_ps"]
    # With zero CPU on both sides, the time per step at a latency is requests x latency:
    # the protocol's ceiling for this ratio is the ratio of the requests.
    ceiling = theirs["total"] / ours["total"]
    for latency, ratio in ratios.items():
        ms = per_step_ms[f"{latency * 1000:g}ms"]
        label = f"{latency * 1000:g}ms"
        section.figures.append(
            Figure(
                f"vs_execute_ps_ratio_{label}",
                f"execute_ps per step / psrunbook, {STEPS} steps, {latency * 1000:g} ms latency",
                ratio,
                "x faster",
                detail=f"{ms['psrunbook']:.1f} ms vs {ms['execute_ps']:.1f} ms per step",
            )
        )
        if latency >= 0.02:
            section.figures.append(
                Figure(
                    f"vs_execute_ps_of_ceiling_{label}",
                    f"that ratio / what the requests allow ({theirs['total']:.1f} / "
                    f"{ours['total']:.1f} = {ceiling:.2f}x), {latency * 1000:g} ms latency",
                    ratio / ceiling,
                    "of ceiling",
                    ratio_goal(">=", 0.95, "issue 16: 95% of what the protocol allows"),
                    f"{ratio:.2f}x of {ceiling:.2f}x",
                )
            )
    floor = (2 * steps + POOL_REQUESTS) / steps
    section.figures.append(
        Figure(
            "round_trips_per_step",
            f"HTTP requests per step, psrunbook, {steps} steps, pool's open and close included",
            ours["total"],
            "requests",
            ratio_goal(
                "<=",
                round(floor, 6),
                f"2 per pipeline (Command, Receive) + {POOL_REQUESTS} for the run's one pool",
            ),
            f"{ours['requests']:.0f} requests, {ours['pools']:.0f} pool(s), "
            f"{ours['pipelines']:.0f} pipelines; execute_ps: {theirs['total']:.1f} a step, "
            f"{theirs['pools']:.0f} pools",
        )
    )
    section.raw = {"per_step_ms": per_step_ms, "round_trips": round_trips, "steps": steps}
    return section


def _set_latency(lab: Lab, seconds: float) -> None:
    if lab.set_latency is None:
        raise RuntimeError("this lab cannot change its latency")
    lab.set_latency(seconds)
