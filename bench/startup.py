"""4. CLI start-up: ``psrunbook --help``, ``list`` and ``show``, cold processes.

Every sample is a new interpreter, as an operator's shell starts it, started through the
launcher (``bench/cli_run.py``) so its CPU time is its own. The floor is measured in the
same run: ``python -c pass`` (the interpreter) and ``python -c "import typer"`` (the CLI
framework), so the figure that matters is how far above typer's own cost psrunbook's
start-up is.

The ``list``/``show`` goals (issue 16) are ratios of CPU time: on this shared 2-core
machine a command's wall time is its CPU time plus however long it waited for a core,
which other jobs decide; the wall-time ratio is printed beside each.

``list`` and ``show`` read the built-in runbooks' index (``psrunbook/runbook/index.py``),
which the first of them after an install or upgrade builds: the samples use a cache
directory of their own, built before timing, and ``list_index_cold_ms`` is what that
first ``list`` costs.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from bench.cli_run import ChildRun, run_child
from bench.common import (
    Figure,
    Profile,
    Section,
    absolute_goal,
    median,
    ratio_goal,
    script_path,
)
from psrunbook.cache_dir import CACHE_ENV


def _rounds(
    variants: dict[str, list[str]], repetitions: int, warmup: int, env: dict[str, str]
) -> dict[str, list[ChildRun]]:
    """Each command ``repetitions`` times, interleaved, the order rotating every round."""
    names = list(variants)
    for _ in range(warmup):
        for name in names:
            run_child(variants[name], env=env)
    samples: dict[str, list[ChildRun]] = {name: [] for name in names}
    for round_index in range(repetitions):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(run_child(variants[name], env=env))
    return samples


def _cold_list(psrunbook: str, runs: int, work: Path) -> list[ChildRun]:
    """``list`` with an empty cache: it imports and describes every built-in runbook."""
    return [
        run_child([psrunbook, "list"], env={CACHE_ENV: str(work / f"cold-{index}")})
        for index in range(runs)
    ]


def measure(profile: Profile) -> Section:
    section = Section("start-up")
    psrunbook = script_path("psrunbook")
    variants = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -c 'import typer'": [sys.executable, "-c", "import typer"],
        "psrunbook --help": [psrunbook, "--help"],
        "psrunbook list": [psrunbook, "list"],
        "psrunbook show": [psrunbook, "show", "ssis-clustered"],
    }
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        env = {CACHE_ENV: str(work / "warm")}
        run_child([psrunbook, "list"], env=env)  # builds the index the samples read
        samples = _rounds(variants, profile.startup_runs, profile.warmup, env)
        cold = _cold_list(psrunbook, min(3, profile.startup_runs), work)
    wall = {name: median([r.wall_s for r in runs]) * 1000 for name, runs in samples.items()}
    cpu = {name: median([r.cpu_s for r in runs]) * 1000 for name, runs in samples.items()}
    help_ms = wall["psrunbook --help"]
    typer_ms = wall["python -c 'import typer'"]
    section.figures.append(
        Figure(
            "help_ms",
            f"psrunbook --help, cold, median of {profile.startup_runs}",
            help_ms,
            "ms",
            absolute_goal("<=", 150),
            f"python -c pass {wall['python -c pass']:.0f} ms, import typer {typer_ms:.0f} ms; "
            f"CPU {cpu['psrunbook --help']:.0f} ms",
        )
    )
    section.figures.append(
        Figure(
            "help_vs_import_typer_ratio",
            "psrunbook --help / python -c 'import typer'",
            help_ms / typer_ms,
            "x",
        )
    )
    for command in ("list", "show"):
        name = f"psrunbook {command}"
        section.figures.append(
            Figure(
                f"{command}_vs_help_ratio",
                f"psrunbook {command} / psrunbook --help, CPU time, cold process, median of "
                f"{profile.startup_runs} each",
                cpu[name] / cpu["psrunbook --help"],
                "x",
                ratio_goal("<=", 1.5, "issue 16"),
                f"CPU {cpu[name]:.0f} ms vs {cpu['psrunbook --help']:.0f} ms; wall "
                f"{wall[name]:.0f} ms vs {help_ms:.0f} ms ({wall[name] / help_ms:.2f}x)",
            )
        )
    cold_cpu = median([r.cpu_s for r in cold]) * 1000
    section.figures.append(
        Figure(
            "list_index_cold_ms",
            "psrunbook list building the runbook index (first run after an install), CPU",
            cold_cpu,
            "ms",
            detail=f"{cold_cpu / cpu['psrunbook list']:.1f}x a list that reads it",
        )
    )
    section.raw = {
        "median_wall_ms": wall,
        "median_cpu_ms": cpu,
        "list_index_cold_cpu_ms": [r.cpu_s * 1000 for r in cold],
    }
    return section
