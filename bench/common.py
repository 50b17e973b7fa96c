"""Timing, machine facts and result types shared by every measurement.

Machines that run benchmarks are noisy, so every figure that is compared against a
target is a ratio of two variants measured side by side: the variants alternate,
each repetition times both, and the reported value is the median.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
"""The checkout the benchmarks measure."""


@dataclass(frozen=True)
class Profile:
    """How hard each measurement works: ``full`` for figures, ``quick``, ``smoke`` for CI."""

    name: str
    repetitions: int
    steps: int
    startup_runs: int
    fanout_nodes: tuple[int, ...]
    fanout_repetitions: int
    render_seconds: float
    sim_pipelines: int
    full_runs: int
    warmup: int = 1


PROFILES = {
    "full": Profile("full", 9, 20, 20, (1, 4, 16, 32), 5, 2.0, 5000, 5),
    "quick": Profile("quick", 5, 10, 20, (1, 4, 16, 32), 3, 0.5, 500, 3),
    "smoke": Profile("smoke", 1, 2, 1, (1, 4), 1, 0.05, 5, 1, warmup=0),
}


@dataclass
class Figure:
    """One measured value with what it is compared against."""

    key: str
    label: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None
    detail: str = ""


@dataclass
class Section:
    """The figures one measurement produced, plus raw numbers for the JSON."""

    name: str
    figures: list[Figure] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


def timed(action: Callable[[], object]) -> float:
    """Seconds one call takes, by the monotonic performance counter."""
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def alternate(
    variants: Mapping[str, Callable[[], object]], repetitions: int, *, warmup: int = 1
) -> dict[str, list[float]]:
    """Time each variant ``repetitions`` times, interleaved, after ``warmup`` untimed rounds.

    The order rotates every round, so no variant always runs first (a cold cache or a
    CPU frequency step then falls on every variant alike).
    """
    names = list(variants)
    for _ in range(warmup):
        for name in names:
            variants[name]()
    samples: dict[str, list[float]] = {name: [] for name in names}
    for round_index in range(repetitions):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(timed(variants[name]))
    return samples


def commit() -> str:
    """The measured commit, with ``+dirty`` when the working tree has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def cores() -> int:
    """CPUs this process may run on (the affinity mask, not the host's total)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def machine() -> dict[str, Any]:
    return {
        "commit": commit(),
        "python": platform.python_version(),
        "cores": cores(),
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "platform": platform.platform(terse=True),
        "cpu": _cpu_model(),
        "executable": sys.executable,
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def script_path(name: str) -> str:
    """A console script installed next to this interpreter (``psrunbook``)."""
    candidate = Path(sys.executable).with_name(name)
    return str(candidate) if candidate.exists() else name
