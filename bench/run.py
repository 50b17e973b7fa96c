"""Runs every benchmark, prints a Markdown table and writes ``bench/results.json``.

``python bench/run.py`` (or ``python -m bench``) measures with enough repetitions for
the README; ``--quick`` takes under two minutes; ``--smoke`` runs every measurement
once, in seconds, to prove the benchmarks still work (CI), and asserts nothing about
timings. ``--check`` exits 1 when a checked figure (a ratio measured side by side in one
run) misses its goal; ``--check-file FILE`` does the same for results written earlier.
CI never passes ``--check``: ratios on a shared 2-core machine are too noisy to gate on.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make the checkout importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cli_run import interpreter_start_ms
from bench.common import PROFILES, ROOT, Goal, Profile, Section, machine

DEFAULT_OUTPUT = ROOT / "bench" / "results.json"


def _measurements() -> dict[str, Callable[[Profile], Section]]:
    # Imported here so `--help` does not load pypsrp and the simulator.
    from bench import (
        evaluator_pipeline,
        fanout,
        fleet_runs,
        full_run,
        journal_backends,
        naive,
        render_lint,
        sim_pipeline,
        startup,
        step_overhead,
        waits,
    )

    return {
        "step-overhead": step_overhead.measure,
        "naive": naive.measure,
        "fanout": fanout.measure,
        "startup": startup.measure,
        "render-lint": render_lint.measure,
        "simulator": sim_pipeline.measure,
        "evaluator": evaluator_pipeline.measure,
        "full-run": full_run.measure,
        "journal": journal_backends.measure,
        "fleet": fleet_runs.measure,
        "waits": waits.measure,
    }


NAMES = (
    "step-overhead",
    "naive",
    "fanout",
    "startup",
    "render-lint",
    "simulator",
    "evaluator",
    "full-run",
    "journal",
    "fleet",
    "waits",
)


def _format(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    if value >= 100:
        return f"{value:.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def table(sections: list[Section]) -> str:
    lines = [
        "| # | measurement | value | goal | met | detail |",
        "|---|---|---|---|---|---|",
    ]
    for number, section in enumerate(sections, start=1):
        for figure in section.figures:
            met = "" if figure.met is None else ("yes" if figure.met else "**no**")
            goal = "" if figure.goal is None else str(figure.goal)
            if figure.goal is not None and not figure.checked:
                goal += " (not checked)"
            lines.append(
                f"| {number} | {figure.label} (`{figure.key}`) | {_format(figure.value)} "
                f"{figure.unit} | {goal} | {met} | {figure.detail} |"
            )
    return "\n".join(lines)


def results(sections: list[Section], profile: Profile, info: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {**info, "profile": profile.name}
    for section in sections:
        for figure in section.figures:
            data[figure.key] = figure.value
    data["figures"] = {f.key: f.as_json() for s in sections for f in s.figures}
    data["details"] = {s.name: s.raw for s in sections}
    return data


def _json_default(value: object) -> object:
    return str(value)


def missed(data: dict[str, Any]) -> list[str]:
    """The checked figures of a results document that miss their goal, one line each.

    The verdict is computed again from each figure's value and goal, not read from its
    ``met``. A figure without a goal, or with an unchecked one (an absolute time), never
    fails the check.
    """
    figures = data.get("figures")
    if not isinstance(figures, dict):
        raise ValueError("the results have no 'figures' table: write them with bench/run.py")
    failures = []
    for key, figure in figures.items():
        if figure.get("goal") is None:
            continue
        goal = Goal.from_json(figure["goal"])
        if goal.checked and not goal.met_by(float(figure["value"])):
            failures.append(f"{key} = {figure['value']:.3g} {figure['unit']}, goal {goal}")
    return failures


def check(data: dict[str, Any]) -> int:
    """Print the verdict of ``--check``; 0 when every checked figure meets its goal, else 1."""
    failures = missed(data)
    checked = sum(1 for f in data["figures"].values() if (f.get("goal") or {}).get("checked"))
    if failures:
        print(f"check: {len(failures)} of {checked} checked figures miss their goal:")
        for line in failures:
            print(f"  {line}")
        speed = data.get("interpreter_start_ms")
        if isinstance(speed, dict) and {"start", "end"} <= speed.keys():
            print(
                f"  (the machine's speed in these minutes: `python -c pass` took "
                f"{speed['start']:.0f} ms at the start, {speed['end']:.0f} ms at the end; "
                "a ratio of latency and CPU reads higher on a slower machine)"
            )
        return 1
    print(f"check: all {checked} checked figures meet their goal")
    return 0


def _check_file(path: Path) -> int:
    try:
        data = json.loads(path.read_text("utf-8"))
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        return check(data)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"error: --check-file {path}: {exc}; pass a results.json written by bench/run.py")
        return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__)
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="fewer repetitions (< 2 minutes)")
    mode.add_argument("--smoke", action="store_true", help="every measurement once (CI)")
    parser.add_argument(
        "--only",
        action="append",
        choices=NAMES,
        help="run only this measurement (repeatable)",
    )
    parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help="where to write the JSON results"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when a ratio misses its goal (not in CI: ratios are noisy there)",
    )
    parser.add_argument(
        "--check-file",
        type=Path,
        metavar="FILE",
        help="check results written earlier instead of measuring",
    )
    args = parser.parse_args(argv)
    if args.check_file is not None:
        return _check_file(args.check_file)
    if args.check and args.smoke:
        parser.error("--check with --smoke: smoke figures are single samples; use --quick")
    profile = PROFILES["smoke" if args.smoke else "quick" if args.quick else "full"]
    measurements = _measurements()
    info = machine()
    speed = {"start": interpreter_start_ms()}
    print(
        f"psrunbook benchmarks ({profile.name}): commit {info['commit']}, Python "
        f"{info['python']}, {info['cores']} cores, {info['cpu']}, {info['date']}; "
        f"`python -c pass` {speed['start']:.0f} ms",
        flush=True,
    )
    sections: list[Section] = []
    for name in args.only or NAMES:
        started = time.perf_counter()
        section = measurements[name](profile)
        sections.append(section)
        summary = ", ".join(f"{f.key}={_format(f.value)}" for f in section.figures)
        print(f"  {name}: {summary} ({time.perf_counter() - started:.1f} s)", flush=True)
    speed["end"] = interpreter_start_ms()
    info["interpreter_start_ms"] = speed
    print(f"`python -c pass` at the end: {speed['end']:.0f} ms (start: {speed['start']:.0f} ms)")
    print()
    print(table(sections))
    data = results(sections, profile, info)
    args.output.write_text(json.dumps(data, indent=1, default=_json_default) + "\n", "utf-8")
    print(f"\nresults written to {args.output}")
    return check(data) if args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
