"""4. CLI start-up: ``psrunbook --help``, ``list`` and ``show``, cold processes.

Every sample is a new interpreter, as an operator's shell starts it. The floor is
measured in the same run: ``python -c pass`` (the interpreter) and
``python -c "import typer"`` (the CLI framework), so the figure that matters is how
far above typer's own cost psrunbook's start-up is.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from bench.common import (
    Figure,
    Profile,
    Section,
    absolute_goal,
    alternate,
    median,
    ratio_goal,
    script_path,
)


def _spawn(command: list[str]) -> Callable[[], None]:
    def run() -> None:
        subprocess.run(
            command,
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    return run


def measure(profile: Profile) -> Section:
    section = Section("start-up")
    psrunbook = script_path("psrunbook")
    variants = {
        "python -c pass": _spawn([sys.executable, "-c", "pass"]),
        "python -c 'import typer'": _spawn([sys.executable, "-c", "import typer"]),
        "psrunbook --help": _spawn([psrunbook, "--help"]),
        "psrunbook list": _spawn([psrunbook, "list"]),
        "psrunbook show": _spawn([psrunbook, "show", "ssis-clustered"]),
    }
    samples = alternate(variants, profile.startup_runs, warmup=profile.warmup)
    ms = {name: median(values) * 1000 for name, values in samples.items()}
    help_ms = ms["psrunbook --help"]
    typer_ms = ms["python -c 'import typer'"]
    section.figures.append(
        Figure(
            "help_ms",
            f"psrunbook --help, cold, median of {profile.startup_runs}",
            help_ms,
            "ms",
            absolute_goal("<=", 150),
            f"python -c pass {ms['python -c pass']:.0f} ms, import typer {typer_ms:.0f} ms",
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
        value = ms[f"psrunbook {command}"]
        section.figures.append(
            Figure(
                f"{command}_vs_help_ratio",
                f"psrunbook {command} / psrunbook --help, cold, median of "
                f"{profile.startup_runs} each",
                value / help_ms,
                "x",
                ratio_goal("<=", 1.5, "issue 16"),
                f"{value:.0f} ms vs {help_ms:.0f} ms",
            )
        )
    section.raw = {"median_ms": ms}
    return section
