"""Stopping a run on request: Ctrl-C, SIGTERM and SIGHUP, handled alike.

An interrupt must stop the run *now*, not after the nodes' timeouts and retries: no new
step or attempt starts, running pipelines are asked to stop (a PSRP Signal), what
finished is journaled as it finished, what did not is journaled as interrupted, and the
run ends ``interrupted`` with its remote pools closed. A second interrupt forces the
process out at once (exit 130), leaving any attempt still in flight ``running`` in the
journal, which resume treats as unknown and re-checks.

:class:`StopSignal` is the one flag every part of a run looks at; the engine sets it
from no terminal. :func:`handling_signals` is what a command line installs around a
run so that the process's signals set it.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

EXIT_INTERRUPTED = 130
"""128 + SIGINT, what a shell reports for a command stopped by Ctrl-C."""

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class StopSignal:
    """A request to stop a run, set once, seen by the orchestrator and its workers.

    :meth:`request` is safe to call from a signal handler: it sets an event and calls
    the listeners, which must themselves only do what is safe there (put on a
    :class:`queue.SimpleQueue`, set an event).
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._listeners: list[Callable[[], None]] = []
        self.reason: str | None = None

    def request(self, reason: str) -> None:
        if self.reason is None:
            self.reason = reason
        self._event.set()
        for listener in list(self._listeners):
            listener()

    def is_set(self) -> bool:
        return self._event.is_set()

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds, waking at once when a stop is requested."""
        return self._event.wait(timeout)

    @contextmanager
    def listening(self, listener: Callable[[], None]) -> Iterator[None]:
        """Call ``listener`` on a request made while the block runs."""
        self._listeners.append(listener)
        try:
            yield
        finally:
            self._listeners.remove(listener)


SignalHandler = Callable[[int, FrameType | None], object]


def catch(signals: Iterable[signal.Signals], handler: SignalHandler) -> dict[int, Any]:
    """Install ``handler`` for each of ``signals`` the process does not ignore; returns
    what each replaced, to put back.

    A signal the process was started with ignored stays ignored: ``nohup`` ignores SIGHUP
    so that a change keeps going when the operator's terminal closes, and a shell starts
    a background job with SIGINT ignored so that Ctrl-C at the terminal is not for it.
    Catching them anyway would stop what its operator took care to keep running (the
    convention Python itself keeps for SIGINT, and POSIX shells for ``trap``).
    """
    return {
        sig: signal.signal(sig, handler)
        for sig in signals
        if signal.getsignal(sig) is not signal.SIG_IGN
    }


@contextmanager
def handling_signals(
    stop: StopSignal,
    *,
    notice: Callable[[str], None] = lambda _text: None,
    force: Callable[[], None] | None = None,
    grace_s: float | None = None,
) -> Iterator[None]:
    """Turn SIGINT, SIGTERM and SIGHUP into ``stop`` while the block runs (main thread only).

    The first signal requests the stop and calls ``notice``, which says how long running
    scripts are given to stop (``grace_s``, when the caller knows it: no silent wait); a
    second calls ``force`` (default: exit 130 at once, without waiting for nodes).
    Signals the process ignores stay ignored (:func:`catch`).
    """
    given = "" if grace_s is None else f" and given {grace_s:g} s to answer"
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def forced() -> None:
        os._exit(EXIT_INTERRUPTED)

    def handler(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():
            notice(f"{name} again: exiting now; attempts still in flight stay 'running'")
            (force or forced)()
            return
        # The stop is requested before the notice is printed, so whoever sees the notice
        # (an operator, a test reading stderr) knows a further signal forces the exit.
        stop.request(name)
        notice(
            f"{name}: stopping the run (running scripts are asked to stop{given}; no new "
            "work starts); interrupt again to exit at once"
        )

    previous = catch(HANDLED, handler)
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
