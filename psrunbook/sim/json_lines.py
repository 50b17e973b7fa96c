"""A simulator served by a child process, driven by JSON lines over its stdin and stdout.

Benchmarks and fleets of simulated clusters serve the simulator from other processes so
that its work does not share one interpreter lock with the client or with every other
cluster. The child prints one JSON line when it is serving, then answers each command
line read from stdin with one JSON line (:func:`answer`), and ends on ``quit`` or when
its stdin closes, so a parent that dies leaves no child behind.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any


class JsonLinesChild:
    """The parent's side: starts the child, reads its first line, asks it; thread-safe."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        what: str = "a simulator process",
    ) -> None:
        self._what = what
        self._process = subprocess.Popen(  # noqa: S603 (this interpreter and our own modules)
            list(argv),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=None if env is None else dict(env),
            cwd=cwd,
        )
        self._lock = threading.Lock()
        try:
            self.hello = self._read()
            """The first line: what the child serves."""
        except BaseException:
            self.close()
            raise

    @property
    def pid(self) -> int:
        return self._process.pid

    @property
    def ended(self) -> bool:
        return self._process.poll() is not None

    def _stdin(self) -> IO[str]:
        assert self._process.stdin is not None
        return self._process.stdin

    def _read(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            code = self._process.wait()
            raise RuntimeError(f"{self._what} exited with status {code}")
        value: dict[str, Any] = json.loads(line)
        return value

    def ask(self, command: str) -> dict[str, Any]:
        """Send one command line; its one JSON answer."""
        with self._lock:
            self._stdin().write(command + "\n")
            self._stdin().flush()
            return self._read()

    def close(self) -> None:
        """Tell the child to quit (closing its stdin), wait for it, close the pipes."""
        try:
            if self._process.poll() is None:
                self._stdin().write("quit\n")
            self._stdin().close()
            self._process.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


def answer(value: Mapping[str, Any]) -> None:
    """The child's side: one JSON line on stdout, flushed at once."""
    sys.stdout.write(json.dumps(value) + "\n")
    sys.stdout.flush()


def serve_commands(commands: Mapping[str, Callable[[str], Mapping[str, Any]]]) -> None:
    """The child's side: answer each command line (``name [argument]``) until ``quit`` or
    the end of stdin; ``cpu`` (this process's CPU seconds) is always understood."""
    known = {"cpu": _cpu, **commands}
    for line in sys.stdin:
        command, _, argument = line.strip().partition(" ")
        if command == "quit":
            break
        handler = known.get(command)
        answer(handler(argument) if handler else {"error": f"unknown command {command!r}"})


def _cpu(_: str) -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu_s": usage.ru_utime + usage.ru_stime}
