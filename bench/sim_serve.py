"""``psrunbook sim serve`` as a benchmark's simulated fleet, started as a user starts it.

The fan-out figure is measured through the command line on both sides: the nodes are
served by ``psrunbook sim serve --nodes N --latency-ms 20 --inventory-out FILE`` in its
own process (the latency is the option's, issue 16), and ``psrunbook run`` reaches them
through the inventory that command writes. :class:`ServeProcess` starts it, waits for
its "serving" line and stops it with SIGTERM, as Ctrl-C would.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

from msgspec.structs import asdict

from bench.common import script_path
from psrunbook.sim.lab.lab_files import lab_facts, sample_lab
from psrunbook.sim.lab.serve import PASSWORD_ENV

_CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class ServeProcess:
    """``psrunbook sim serve`` for ``nodes`` nodes at ``latency_ms``; closed on exit."""

    def __init__(
        self, nodes: int, *, latency_ms: float, work: Path, psrunbook: Sequence[str] = ()
    ) -> None:
        """``psrunbook``: the command that runs psrunbook (default: the console script)."""
        work.mkdir(parents=True, exist_ok=True)
        self.nodes = nodes
        self.password = secrets.token_urlsafe(18)
        self.inventory = work / "inventory.toml"
        self.facts: dict[str, Any] = asdict(lab_facts(sample_lab(nodes)))
        """The sample lab's facts, as ``sim serve`` builds the same lab."""
        self._process = subprocess.Popen(
            [
                *(psrunbook or [script_path("psrunbook")]),
                "sim",
                "serve",
                "--nodes",
                str(nodes),
                "--latency-ms",
                f"{latency_ms:g}",
                "--inventory-out",
                str(self.inventory),
            ],
            env={**os.environ, PASSWORD_ENV: self.password},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,  # the serving log: not for the benchmark
            text=True,
        )
        assert self._process.stdout is not None
        for line in self._process.stdout:
            if line.startswith("serving"):
                break
        else:
            code = self._process.wait()
            raise RuntimeError(f"psrunbook sim serve exited with status {code} before serving")

    def cpu_seconds(self) -> float:
        """CPU time the serving process has used so far (user + system), from /proc."""
        fields = Path(f"/proc/{self._process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.send_signal(signal.SIGTERM)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()

    def __enter__(self) -> ServeProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
