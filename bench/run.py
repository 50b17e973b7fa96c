"""Runs every benchmark, prints a Markdown table and writes ``bench/results.json``.

``python bench/run.py`` (or ``python -m bench``) measures with enough repetitions for
the README; ``--quick`` takes under two minutes; ``--smoke`` runs every measurement
once, in seconds, to prove the benchmarks still work (CI), and asserts nothing about
timings.
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

from bench.common import PROFILES, ROOT, Profile, Section, machine

DEFAULT_OUTPUT = ROOT / "bench" / "results.json"


def _measurements() -> dict[str, Callable[[Profile], Section]]:
    # Imported here so `--help` does not load pypsrp and the simulator.
    from bench import (
        fanout,
        full_run,
        naive,
        render_lint,
        sim_pipeline,
        startup,
        step_overhead,
    )

    return {
        "step-overhead": step_overhead.measure,
        "naive": naive.measure,
        "fanout": fanout.measure,
        "startup": startup.measure,
        "render-lint": render_lint.measure,
        "simulator": sim_pipeline.measure,
        "full-run": full_run.measure,
    }


NAMES = (
    "step-overhead",
    "naive",
    "fanout",
    "startup",
    "render-lint",
    "simulator",
    "full-run",
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
        "| # | measurement | value | target | met | detail |",
        "|---|---|---|---|---|---|",
    ]
    for number, section in enumerate(sections, start=1):
        for figure in section.figures:
            met = "" if figure.met is None else ("yes" if figure.met else "**no**")
            lines.append(
                f"| {number} | {figure.label} (`{figure.key}`) | {_format(figure.value)} "
                f"{figure.unit} | {figure.target} | {met} | {figure.detail} |"
            )
    return "\n".join(lines)


def results(sections: list[Section], profile: Profile, info: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {**info, "profile": profile.name}
    for section in sections:
        for figure in section.figures:
            data[figure.key] = figure.value
    data["targets"] = {
        f.key: {"target": f.target, "met": f.met} for s in sections for f in s.figures if f.target
    }
    data["details"] = {s.name: s.raw for s in sections}
    return data


def _json_default(value: object) -> object:
    return str(value)


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
    args = parser.parse_args(argv)
    profile = PROFILES["smoke" if args.smoke else "quick" if args.quick else "full"]
    measurements = _measurements()
    info = machine()
    print(
        f"psrunbook benchmarks ({profile.name}): commit {info['commit']}, Python "
        f"{info['python']}, {info['cores']} cores, {info['cpu']}, {info['date']}",
        flush=True,
    )
    sections: list[Section] = []
    for name in args.only or NAMES:
        started = time.perf_counter()
        section = measurements[name](profile)
        sections.append(section)
        summary = ", ".join(f"{f.key}={_format(f.value)}" for f in section.figures)
        print(f"  {name}: {summary} ({time.perf_counter() - started:.1f} s)", flush=True)
    print()
    print(table(sections))
    data = results(sections, profile, info)
    args.output.write_text(json.dumps(data, indent=1, default=_json_default) + "\n", "utf-8")
    print(f"\nresults written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
