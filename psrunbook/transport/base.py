"""The transport protocol: open a session to a node, run a script, close.

Everything above this line (orchestration, results, journal) is written against these
few types, so unit tests can run whole runbooks over :class:`FakeTransport` and the
real pypsrp transport stays one small, replaceable module.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, Protocol

import msgspec


class ScriptCall(msgspec.Struct, frozen=True):
    """One script with its parameter values; ``timeout_s`` bounds the whole call."""

    script: str
    arguments: Mapping[str, Any]
    timeout_s: float
    pipeline_id: str | None = None
    """The PSRP pipeline's id (its WSMan CommandId), chosen before the script is sent so
    the journal can name the pipeline a crash leaves behind; None: the transport's own."""


class PipelineRef(msgspec.Struct, frozen=True):
    """A pipeline an attempt sent, as a later process can find it on the node again.

    Both ids are the client's choice, made before the script is sent (so the journal
    holds them when the process dies): ``client_id`` is the WSMan ``SessionId`` header of
    every request of the session's pools (WinRM serves a connected shell to that client
    session only), ``pipeline_id`` the pipeline's ``CommandId``.
    """

    client_id: str
    pipeline_id: str


Settlement = Literal["absent", "finished", "stopped"]
"""What became of a pipeline a previous process left running: not on the node any more
(it ended and was collected, its shell was deleted, or the node restarted), waited for
until it ended, or stopped after the wait."""


class RawResult(msgspec.Struct, frozen=True):
    """What the node streamed back, still in the transport's own object types.

    ``had_errors`` is True only when the pipeline ended Failed; non-terminating errors
    appear only in ``errors``. Callers must check both.
    """

    output: list[Any]
    errors: list[Any]
    had_errors: bool
    warnings: list[str] = msgspec.field(default_factory=list)
    information: list[str] = msgspec.field(default_factory=list)


class Session(Protocol):
    """A connection to one node, reused for every script of a run."""

    node: str
    user: str
    client_id: str
    """The WSMan SessionId this session's requests carry (:class:`PipelineRef`)."""

    def connect(self, *, retry: bool = True) -> None:
        """Connect now; TransportError if the node cannot be reached (``retry``: within
        the connect deadline, else one attempt). ``run`` connects by itself when needed."""
        ...

    def run(self, call: ScriptCall) -> RawResult:
        """Run ``call``'s script as one pipeline and return what it wrote. A failure is a
        :class:`~psrunbook.errors.TransportError` (or ``RunInterrupted``) whose
        ``script_sent`` is False only when no part of the pipeline can have reached the
        node: a later run need not wait for it there."""
        ...

    def interrupt(self) -> None:
        """Stop the script running now, from another thread (its ``run`` then raises
        :class:`~psrunbook.errors.RunInterrupted`); nothing when none runs."""
        ...

    def settle(
        self, left: PipelineRef, wait_s: float, found: Callable[[], None] = lambda: None
    ) -> Settlement:
        """Find the pipeline ``left`` on the node and wait up to ``wait_s`` for it to end
        (then stop it), as the client session that sent it, calling ``found`` first when
        there is one to wait for; TransportError if the node cannot say. A resume calls
        it before sending a step an interrupted run left unfinished there."""
        ...

    def close(self) -> None: ...


class Transport(Protocol):
    """Opens sessions; one transport serves a whole run."""

    def open(self, node: str) -> Session: ...


Handler = Callable[[str, ScriptCall], RawResult]


Refusal = Callable[[str], Exception | None]
"""For a fake node: the error its connection fails with, or None when it connects."""


class FakeSession(msgspec.Struct, dict=True):
    """A session whose answers come from a transport's handler; tests may replace its
    methods on one instance (``dict=True`` gives it the ``__dict__`` that takes)."""

    node: str
    user: str
    handler: Handler
    refusal: Refusal | None = None
    closed: bool = False
    interrupted: bool = False
    client_id: str = "FAKE-CLIENT"

    def connect(self, *, retry: bool = True) -> None:
        error = self.refusal(self.node) if self.refusal is not None else None
        if error is not None:
            raise error

    def run(self, call: ScriptCall) -> RawResult:
        if self.closed:
            raise RuntimeError(f"session to {self.node} used after close")
        self.connect()
        return self.handler(self.node, call)

    def interrupt(self) -> None:
        self.interrupted = True

    def settle(
        self, left: PipelineRef, wait_s: float, found: Callable[[], None] = lambda: None
    ) -> Settlement:
        self.connect()
        return "absent"  # a fake node has nothing left running

    def close(self) -> None:
        self.closed = True


class FakeTransport(msgspec.Struct):
    """A transport whose answers come from a function, for unit tests of orchestration."""

    handler: Handler
    user: str = "fake-user"
    refusal: Refusal | None = None
    sessions: list[FakeSession] = msgspec.field(default_factory=list)

    def open(self, node: str) -> FakeSession:
        session = FakeSession(node=node, user=self.user, handler=self.handler, refusal=self.refusal)
        self.sessions.append(session)
        return session
