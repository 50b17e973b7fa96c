"""Runs a command (usually ``psrunbook``) as a child process and reads its resource usage.

The child is started from a small launcher process (``bench/launch.py``), not from the
benchmark process: on Linux a child's ``ru_maxrss`` includes the high-water mark of the
address space it was started from, so a child of the (large) benchmark process reported
the benchmark's peak, not its own. Through the launcher the inherited part is the
launcher's own peak (``floor_mb``, about 10 MiB), so the peak RSS, CPU time and wall
time are the command's own, without the benchmark or the simulator.

The child runs *with* bytecode caches, as a user's install has them: this environment
sets ``PYTHONDONTWRITEBYTECODE=1``, under which every new interpreter compiles every
module it imports from source (about 0.4 s of a full ``--sim`` run), so the variable is
left out of the child's environment and the first run of a command writes the caches
(the benchmarks run each command once, untimed, before timing it).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import script_path

LAUNCHER = Path(__file__).resolve().with_name("launch.py")


@dataclass(frozen=True)
class ChildRun:
    """One finished command: wall seconds, peak RSS in MiB, CPU seconds, exit status.

    ``floor_mb`` is the peak the child inherited from the launcher: a ``peak_rss_mb``
    at or near it means the command itself used no more than that.
    """

    wall_s: float
    peak_rss_mb: float
    cpu_s: float
    status: int
    output: str
    floor_mb: float = 0.0


def child_environment(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment plus ``env``, without ``PYTHONDONTWRITEBYTECODE``.

    A user's interpreter reads and writes ``__pycache__``; a child that could not would
    measure compiling psrunbook, not running it.
    """
    environment = {**os.environ, **(env or {})}
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    return environment


def run_child(
    command: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    check: bool = True,
) -> ChildRun:
    """Run ``command`` through the launcher; raise with its output when it fails and ``check``."""
    environment = child_environment(env)
    with tempfile.TemporaryDirectory(prefix="bench-launch-") as tmp:
        report = Path(tmp) / "usage.json"
        done = subprocess.run(
            [sys.executable, "-I", "-S", str(LAUNCHER), str(report), *command],
            env=environment,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            check=False,
        )
        text = done.stdout.decode("utf-8", "replace")
        if not report.exists():
            raise RuntimeError(f"the launcher failed ({done.returncode}) for {command}:\n{text}")
        usage = json.loads(report.read_text("utf-8"))
    status = int(usage["status"])
    if check and status != 0:
        tail = "\n".join(text.splitlines()[-15:])
        raise RuntimeError(f"{' '.join(command)} exited with {status}:\n{tail}")
    return ChildRun(
        wall_s=float(usage["wall_s"]),
        peak_rss_mb=usage["peak_rss_kib"] / 1024,
        cpu_s=float(usage["cpu_s"]),
        status=status,
        output=text,
        floor_mb=usage["floor_kib"] / 1024,
    )


def interpreter_start_ms(python: str = sys.executable, samples: int = 7) -> float:
    """Median wall time, in ms, of ``python -c pass`` (as :mod:`bench.startup` times it):
    the machine's speed in the minutes it is called.

    The checked ratios weigh a fixed latency (20 ms a request) against CPU time, and CPU
    time grows when a shared machine is slow, so the same code can meet a goal in quiet
    minutes and miss it in slow ones (issue 16: this start-up read about 10 ms on the
    quiet 2-core VM and 20 to 33 ms in its slow hours). :mod:`bench.run` records it at the
    start and the end of a run, so a results file says which minutes it saw.
    """
    runs = [run_child([python, "-c", "pass"]) for _ in range(samples)]
    return statistics.median(run.wall_s for run in runs) * 1000


def run_psrunbook(
    arguments: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> ChildRun:
    """Run ``psrunbook ARGUMENTS`` (the installed console script); raise when it fails."""
    return run_child([script_path("psrunbook"), *arguments], env=env, cwd=cwd)
