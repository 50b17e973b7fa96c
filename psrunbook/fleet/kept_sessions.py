"""One session per node for a whole fleet run, although each step is its own Runner.

A worker executes a run one step at a time (each step a checkpoint of the durable
engine), and every :class:`~psrunbook.execution.orchestrator.Runner` closes the sessions
it opened when its step ends. Opening a RunspacePool costs three round trips (DESIGN
section 6), so a run of eight steps would pay for eight pools where ``psrunbook run``
pays for one. :class:`KeptSessions` hands each Runner the same session per node and
ignores the Runner's close; the worker closes them once, when the run ends. A session
that broke is not a problem: a PSRP session checks its pool before every script and
opens a new one when the old one is gone.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from psrunbook.errors import EngineError
from psrunbook.transport.base import (
    PipelineRef,
    RawResult,
    ScriptCall,
    Session,
    Settlement,
    Transport,
)


class _Kept:
    """A node's session as a Runner sees it: everything but ``close`` goes through."""

    def __init__(self, inner: Session) -> None:
        self._inner = inner
        self.node = inner.node
        self.client_id = inner.client_id

    @property
    def user(self) -> str:
        """The account the node's session runs as (known once it connected)."""
        return self._inner.user

    @user.setter
    def user(self, value: str) -> None:
        self._inner.user = value

    def connect(self, *, retry: bool = True) -> None:
        self._inner.connect(retry=retry)

    def run(self, call: ScriptCall) -> RawResult:
        return self._inner.run(call)

    def interrupt(self) -> None:
        self._inner.interrupt()

    def settle(
        self, left: PipelineRef, wait_s: float, found: Callable[[], None] = lambda: None
    ) -> Settlement:
        return self._inner.settle(left, wait_s, found)

    def close(self) -> None:
        """Kept open for the run's next step; :meth:`KeptSessions.close` closes it."""


class KeptSessions:
    """A transport whose sessions live as long as the run, not as long as one step."""

    def __init__(self, inner: Transport) -> None:
        self._inner = inner
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, node: str) -> Session:
        with self._lock:
            session = self._sessions.get(node)
            if session is None:
                session = self._inner.open(node)
                self._sessions[node] = session
        return _Kept(session)

    def close(self) -> None:
        """Close every node's session (the run ended, or this worker lets it go)."""
        with self._lock:
            sessions, self._sessions = list(self._sessions.values()), {}
        for session in sessions:
            try:
                session.close()
            except EngineError:
                continue
