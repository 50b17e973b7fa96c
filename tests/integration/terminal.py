"""The installed ``psrunbook`` on a real pseudo-terminal, read as the operator's screen.

:func:`spawn` forks the console script onto a new pty as its controlling terminal, so
the process sees a terminal on stdin, stdout and stderr, and a ``^C`` written to the pty
reaches it as SIGINT exactly as from a keyboard. Reads wait for text to appear (bounded
generously, never a sleep); what the test asserts is every byte the terminal received.
"""

from __future__ import annotations

import os
import pty
import re
import select
import signal
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tests.reliability.harness import PSRUNBOOK

# An SGR sequence (ESC [ ... m) that sets a foreground or background colour.
COLOUR = re.compile(rb"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")
ESCAPE = b"\x1b"
# Any CSI sequence (colours, erase line, cursor moves): stripped to read the text.
CSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass
class Terminal:
    """One process on a pty, and everything it has written so far."""

    pid: int
    fd: int
    screen: bytearray = field(default_factory=bytearray)

    def read_until(self, pattern: bytes, *, timeout: float = 60.0) -> None:
        """Read until ``pattern`` (a regular expression over the text without its escape
        sequences) has appeared; fail with the screen."""
        deadline = time.monotonic() + timeout
        while not re.search(pattern, CSI.sub(b"", bytes(self.screen))):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not self._read(remaining):
                raise AssertionError(f"{pattern!r} never appeared:\n{self.text}")

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.fd, 65536)
        except OSError:  # EIO: the process closed the terminal
            return False
        self.screen += chunk
        return bool(chunk)

    def press(self, keys: bytes) -> None:
        os.write(self.fd, keys)

    def wait(self, *, timeout: float = 120.0) -> int:
        """Read to the end and return the exit code (killing the process if it hangs)."""
        deadline = time.monotonic() + timeout
        while self._read(max(deadline - time.monotonic(), 0)):
            pass
        if time.monotonic() >= deadline:
            os.kill(self.pid, signal.SIGKILL)
        _, status = os.waitpid(self.pid, 0)
        os.close(self.fd)
        return os.waitstatus_to_exitcode(status)

    @property
    def text(self) -> str:
        """What the operator read: the bytes without escape sequences."""
        return CSI.sub(b"", bytes(self.screen)).decode("utf-8", "replace")


def spawn(
    args: list[str],
    env: Mapping[str, str],
    cwd: Path,
    *,
    stdout: int | None = None,
    stderr: int | None = None,
) -> Terminal:
    """Start ``psrunbook ARGS`` with a pty as its controlling terminal.

    With ``stdout`` (a pipe's write end) standard output goes there instead, as in
    ``psrunbook ... | tee change.log``; with ``stderr`` (an open file) standard error, as
    in ``2>run.err``. Whatever is not redirected stays on the terminal.
    """
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once, nothing else runs here
        os.chdir(cwd)
        if stdout is not None:
            os.dup2(stdout, 1)
        if stderr is not None:
            os.dup2(stderr, 2)
        os.execve(PSRUNBOOK, [PSRUNBOOK, *args], dict(env))
    return Terminal(pid, fd)
