"""What every shell behind a ShellId shares: its lock, whether it is closed, and when it
was last used, which the endpoint's reaper reads to delete shells idle too long (as WinRM
does with IdleTimeOut). Both the PowerShell runspace pool and the WinRS cmd shell are one.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

from psrunbook.sim.endpoint.wsman import unknown_shell_fault


class ShellBase:
    """A shell's id, condition lock, closed flag and idle clock."""

    def __init__(self, shell_id: str, idle_timeout: float) -> None:
        self.shell_id = shell_id
        self.idle_timeout = idle_timeout
        self.cond = threading.Condition(threading.RLock())
        self.closed = False
        self._requests_in_progress = 0
        self._last_request = time.monotonic()

    @contextlib.contextmanager
    def in_use(self) -> Iterator[None]:
        """Mark a request on this shell: a shell is idle only with none in progress."""
        with self.cond:
            self._requests_in_progress += 1
        try:
            yield
        finally:
            with self.cond:
                self._requests_in_progress -= 1
                self._last_request = time.monotonic()

    def idle_deadline(self) -> float:
        """When (monotonic) the shell is idle too long; never while a request is in progress."""
        with self.cond:
            if self._requests_in_progress:
                return time.monotonic() + self.idle_timeout
            return self._last_request + self.idle_timeout

    def _check_open(self) -> None:
        if self.closed:
            raise unknown_shell_fault()
