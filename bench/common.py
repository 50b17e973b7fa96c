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
    # Fan-out: 9 rounds. With 5, the 32-node median of one run read 1.25 to 1.52 x on
    # 2026-12-03 (6 runs, pooled 1.31 x): its goal of 1.5 x was met or missed by noise.
    "full": Profile("full", 9, 20, 20, (1, 4, 16, 32, 64), 9, 2.0, 5000, 5),
    "quick": Profile("quick", 5, 10, 20, (1, 4, 16, 32), 3, 0.5, 500, 3),
    "smoke": Profile("smoke", 1, 2, 1, (1, 4), 1, 0.05, 5, 1, warmup=0),
}


_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": lambda value, bound: value <= bound,
    "<": lambda value, bound: value < bound,
    ">=": lambda value, bound: value >= bound,
    ">": lambda value, bound: value > bound,
}


@dataclass(frozen=True)
class Goal:
    """What a figure should reach, and whether ``bench/run.py --check`` enforces it.

    Only ratios of variants measured side by side in one run (and counts, which are
    ratios of requests to steps) are ``checked``: an absolute time on a shared machine
    moves 3x with other load, so failing a build on one would be failing on noise.
    """

    op: str
    bound: float
    checked: bool
    why: str = ""

    def __post_init__(self) -> None:
        if self.op not in _COMPARE:
            raise ValueError(f"goal operator {self.op!r}: use one of {sorted(_COMPARE)}")

    def met_by(self, value: float) -> bool:
        return _COMPARE[self.op](value, self.bound)

    def __str__(self) -> str:
        return f"{self.op} {self.bound:g}"

    def as_json(self) -> dict[str, Any]:
        return {"op": self.op, "bound": self.bound, "checked": self.checked, "why": self.why}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Goal:
        return cls(
            str(data["op"]), float(data["bound"]), bool(data["checked"]), data.get("why", "")
        )


def ratio_goal(op: str, bound: float, why: str = "") -> Goal:
    """A goal on a ratio measured side by side in one run: ``--check`` enforces it."""
    return Goal(op, bound, checked=True, why=why)


def absolute_goal(op: str, bound: float, why: str = "") -> Goal:
    """A goal on an absolute time, rate or size: reported, never enforced (noise)."""
    return Goal(op, bound, checked=False, why=why)


@dataclass
class Figure:
    """One measured value with the goal it is compared against, if it has one."""

    key: str
    label: str
    value: float
    unit: str
    goal: Goal | None = None
    detail: str = ""

    @property
    def met(self) -> bool | None:
        """Whether the goal is reached; ``None`` for a figure without a goal (never met)."""
        return None if self.goal is None else self.goal.met_by(self.value)

    @property
    def checked(self) -> bool:
        return self.goal is not None and self.goal.checked

    def as_json(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "value": self.value,
            "unit": self.unit,
            "goal": None if self.goal is None else self.goal.as_json(),
            "checked": self.checked,
            "met": self.met,
            "detail": self.detail,
        }


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
