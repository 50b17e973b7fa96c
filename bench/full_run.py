"""7. Full run: ``psrunbook run ssis-clustered --sim --yes``, end to end.

Each repetition is a new process with a fresh state directory, so it creates the
embedded lab, plans, confirms, runs every step over PSRP, journals, and saves the lab:
exactly what a first-time user sees. One untimed run first writes the bytecode caches,
Python's (``bench/cli_run.py`` lets the child write them) and the compiled templates (in
the user's cache directory), as any earlier command of the user's install has.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from bench.cli_run import ChildRun, run_psrunbook
from bench.common import Figure, Profile, Section, absolute_goal, median


def _once() -> ChildRun:
    with tempfile.TemporaryDirectory() as tmp:
        return run_psrunbook(
            ["run", "ssis-clustered", "--sim", "--yes", "--state-dir", str(Path(tmp) / "state")]
        )


def measure(profile: Profile) -> Section:
    section = Section("full run")
    _once()  # writes __pycache__ where this environment's PYTHONDONTWRITEBYTECODE would not
    runs = [_once() for _ in range(profile.full_runs)]
    wall = median([r.wall_s for r in runs])
    section.figures.append(
        Figure(
            "full_run_s",
            f"psrunbook run ssis-clustered --sim --yes, fresh state, median of {len(runs)}",
            wall,
            "s",
            absolute_goal("<=", 0.43, "issue 16: half of 0.85 s on a quiet machine"),
            f"CPU {median([r.cpu_s for r in runs]):.2f} s",
        )
    )
    section.figures.append(
        Figure(
            "full_run_peak_rss_mb",
            "peak RSS of that psrunbook process (its own, via bench/launch.py)",
            max(r.peak_rss_mb for r in runs),
            "MiB",
            detail=f"launcher floor {max(r.floor_mb for r in runs):.0f} MiB",
        )
    )
    section.raw = {
        "samples_s": [r.wall_s for r in runs],
        "peak_rss_mb": max(r.peak_rss_mb for r in runs),
        "cpu_s": median([r.cpu_s for r in runs]),
        # CPU (user + system) is steadier than wall time on a shared machine: compare it.
        "cpu_samples_s": [r.cpu_s for r in runs],
    }
    return section
