"""Runs the ``psrunbook`` command as a child process and reads its resource usage.

The child's peak resident set size and CPU time come from ``wait4``, so they are the
command's own, without the benchmark or the simulator.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.common import script_path


@dataclass(frozen=True)
class ChildRun:
    """One finished command: wall seconds, peak RSS in MiB, CPU seconds, exit status."""

    wall_s: float
    peak_rss_mb: float
    cpu_s: float
    status: int
    output: str


def run_psrunbook(
    arguments: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> ChildRun:
    """Run ``psrunbook ARGUMENTS``; raise with its output when it fails."""
    command = [script_path("psrunbook"), *arguments]
    environment = {**os.environ, **(env or {})}
    started = time.perf_counter()
    child = subprocess.Popen(
        command,
        env=environment,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, raw_status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(raw_status)
    child.stdout.close()
    text = output.decode("utf-8", "replace")
    if child.returncode != 0:
        tail = "\n".join(text.splitlines()[-15:])
        raise RuntimeError(f"{' '.join(command)} exited with {child.returncode}:\n{tail}")
    return ChildRun(
        wall_s=wall,
        # ru_maxrss is in KiB on Linux.
        peak_rss_mb=usage.ru_maxrss / 1024,
        cpu_s=usage.ru_utime + usage.ru_stime,
        status=child.returncode,
        output=text,
    )
