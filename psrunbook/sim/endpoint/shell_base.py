"""What every shell behind a ShellId shares: its lock, whether it is closed, its owner,
and when it was last used, which the endpoint's reaper reads to act on shells idle too
long (as WinRM does with IdleTimeOut: :meth:`ShellBase.idle_expired`). Both the
PowerShell runspace pool and the WinRS cmd shell are one.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

from psrunbook.sim.endpoint.wsman import unknown_shell_fault


class ShellBase:
    """A shell's id, condition lock, closed flag and idle clock."""

    def __init__(
        self, shell_id: str, idle_timeout: float, *, owner: str = "", client_ip: str = ""
    ) -> None:
        self.shell_id = shell_id
        self.idle_timeout = idle_timeout
        self.owner = owner
        """The user who created the shell: Enumerate lists a user's own shells only."""
        self.client_ip = client_ip
        self.cond = threading.Condition(threading.RLock())
        self.closed = False
        self.created = time.monotonic()
        self._requests_in_progress = 0
        self._last_request = self.created

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

    def inactivity(self) -> float:
        """Seconds since the last request ended (0 while one is in progress)."""
        with self.cond:
            if self._requests_in_progress:
                return 0.0
            return time.monotonic() - self._last_request

    def idle_expired(self) -> bool:
        """The shell has been idle for its IdleTimeOut: True when it is to be deleted.

        A cmd shell is deleted; a PowerShell shell is disconnected first
        (:meth:`~psrunbook.sim.endpoint.psrp_host.ShellSession.idle_expired`)."""
        return True

    def restart_idle_clock(self) -> None:
        """Count the shell's idle time from now."""
        with self.cond:
            self._last_request = time.monotonic()

    def _check_open(self) -> None:
        if self.closed:
            raise unknown_shell_fault()
