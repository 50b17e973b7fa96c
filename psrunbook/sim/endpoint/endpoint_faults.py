"""Faults a test, a benchmark or the embedded lab's fault file arms on one endpoint.

Every fault is seen by the client exactly as a real network or WinRM failure:
refused connections, a slow answer, a connection reset while a Receive waits, an
HTTP 500 without a body, or a WSMan fault envelope. Faults are armed for the next N
requests of one action (``Create``, ``Command``, ``Send``, ``Receive``, ``Signal``,
``Delete``, ``Get``) or of any action, and are consumed in the order they were armed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Literal

import msgspec

FaultKind = Literal["delay", "reset", "http", "wsman", "hold"]


class ArmedFault(msgspec.Struct):
    """One armed fault; ``remaining`` counts the requests it still applies to."""

    kind: FaultKind
    action: str | None
    remaining: int
    seconds: float = 0.0
    status: int = 500
    code: int = 0
    reason: str = ""
    notify: Callable[[], None] | None = None
    after_dispatch: bool = False

    def matches(self, action: str) -> bool:
        return self.remaining > 0 and self.action in (None, action)


class EndpointFaultPlan:
    """The faults armed on one endpoint; safe to change while requests are served."""

    def __init__(self, set_listening: Callable[[bool], None]) -> None:
        self._set_listening = set_listening
        self._lock = threading.Lock()
        self._armed: list[ArmedFault] = []
        self._cancel = threading.Event()

    def refuse_connections(self) -> None:
        """Stop listening and drop open connections, like a node that went down."""
        self._set_listening(False)

    def accept_connections(self) -> None:
        """Listen again on the same port."""
        self._set_listening(True)

    def delay(self, seconds: float, *, action: str | None = None, count: int = 1) -> None:
        """Hold the answer to the next ``count`` requests for ``seconds``."""
        self._arm(ArmedFault("delay", action, count, seconds=seconds))

    def reset_connection(self, *, action: str = "Receive", count: int = 1) -> None:
        """Read the next request, then reset the TCP connection instead of answering."""
        self._arm(ArmedFault("reset", action, count))

    def http_error(self, status: int = 500, *, action: str | None = None, count: int = 1) -> None:
        """Answer the next ``count`` requests with this HTTP status and an empty body."""
        self._arm(ArmedFault("http", action, count, status=status))

    def wsman_fault(
        self,
        code: int,
        reason: str = "The WS-Management service cannot process the request.",
        *,
        action: str | None = None,
        count: int = 1,
    ) -> None:
        """Answer the next ``count`` requests with a WSMan fault carrying ``code``."""
        self._arm(ArmedFault("wsman", action, count, code=code, reason=reason))

    def hold(
        self,
        notify: Callable[[], None],
        *,
        action: str | None = None,
        after_dispatch: bool = False,
        count: int = 1,
    ) -> None:
        """Hold the next ``count`` requests until the plan is cleared, calling ``notify``.

        Before dispatch the request is never served (a script is never started); after
        dispatch it is served (the script ran and its answer is ready) but the answer is
        never sent. ``notify`` tells a waiting test, in another process if need be, that
        the client is now stuck at exactly this point: no polling, no sleeping.
        """
        self._arm(ArmedFault("hold", action, count, notify=notify, after_dispatch=after_dispatch))

    def clear(self) -> None:
        """Disarm everything and release answers currently held by a delay or a hold."""
        with self._lock:
            self._armed.clear()
            self._cancel.set()
            self._cancel = threading.Event()

    def _arm(self, fault: ArmedFault) -> None:
        if fault.remaining < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._armed.append(fault)

    def take(self, action: str) -> tuple[float, ArmedFault | None, threading.Event]:
        """Consume the faults for one request: total delay, the failure to answer with.

        The returned event is set when the plan is cleared, to cut a delay short.
        """
        delay = 0.0
        failure: ArmedFault | None = None
        with self._lock:
            for fault in self._armed:
                if not fault.matches(action):
                    continue
                if fault.kind == "delay":
                    delay += fault.seconds
                    fault.remaining -= 1
                elif failure is None:
                    failure = fault
                    fault.remaining -= 1
            self._armed = [f for f in self._armed if f.remaining > 0]
            return delay, failure, self._cancel
