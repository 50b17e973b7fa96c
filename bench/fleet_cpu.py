"""CPU seconds of the processes a fleet benchmark runs, read from ``/proc``.

On a machine with fewer cores than runs in flight, the fleet's scaling is bounded by CPU,
not by the round trips it waits for: with ``L`` a run's latency-bound wall time and ``C``
its CPU over every process (worker, simulator, PostgreSQL), ``k`` workers on ``n`` cores
can be at most ``min(k, n (L + C) / C)`` times faster than one. The benchmark therefore
reports ``C`` by component, so a missed goal says where the CPU went.

Linux only (``/proc/PID/stat``); elsewhere every figure is 0.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: the fields after it follow its ')'.
    return text[text.rindex(")") + 2 :].split()


def process_cpu_s(pid: int, *, reaped_children: bool = False) -> float:
    """User + system seconds of ``pid`` (every thread); with ``reaped_children``, also of
    its children that ended and were waited for (PostgreSQL's backends)."""
    fields = _stat(pid)
    if fields is None:
        return 0.0
    # After ')': state is field 3, so utime (14) is index 11, stime 12, cutime 13, cstime 14.
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / _TICKS


def children_of(pid: int) -> list[int]:
    """The live child processes of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields is not None and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def postgres_cpu_s(data_dir: Path) -> float:
    """CPU seconds of a PostgreSQL server so far: the postmaster, its live processes and
    every backend that ended (a closed connection's CPU moves into the postmaster's)."""
    try:
        postmaster = int((data_dir / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 0.0
    return process_cpu_s(postmaster, reaped_children=True) + sum(
        process_cpu_s(child) for child in children_of(postmaster)
    )


def total_cpu_s(pids: Iterable[int]) -> float:
    return sum(process_cpu_s(pid) for pid in pids)


def per_run(before: Mapping[str, float], after: Mapping[str, float], runs: int) -> dict[str, float]:
    """CPU seconds per run of each component between two readings."""
    return {name: (after[name] - before[name]) / max(1, runs) for name in after}


def load_average() -> tuple[float, float, float]:
    try:
        return os.getloadavg()
    except OSError:
        return (0.0, 0.0, 0.0)
