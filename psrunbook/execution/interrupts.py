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
import queue
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any, TypeVar

T = TypeVar("T")

EXIT_INTERRUPTED = 130
"""128 + SIGINT, what a shell reports for a command stopped by Ctrl-C."""

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

SIGNAL_CHECK_S = 0.25
"""The longest the main thread waits at once in :func:`get_handling_signals` and
:func:`wait_handling_signals`.

The kernel hands a signal sent to the process to any of its threads that does not
block it; CPython runs the Python handler in the main thread only, the next time that
thread runs Python code, and a wait the main thread is blocked in is not woken when
another thread took the signal (the signal module's documentation: "Python signal
handlers are always executed in the main Python thread"). So a main thread blocked for
good (on the nodes' results, on a stop event) handled a second Ctrl-C only when a node
next answered: up to a whole HTTP read timeout later (30 s, seen in about one run in
ten). Waiting in slices bounds that delay to this many seconds, at no cost worth
measuring (a wake-up four times a second while a step runs)."""


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


def get_handling_signals(items: queue.SimpleQueue[T], timeout: float | None = None) -> T:
    """``items.get(timeout=timeout)`` in the main thread, which runs the signal handlers
    within :data:`SIGNAL_CHECK_S` of a signal whichever thread the kernel gave it to.
    Raises :class:`queue.Empty` once ``timeout`` (None: never) has passed."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        wait = SIGNAL_CHECK_S
        if deadline is not None:
            wait = min(wait, deadline - time.monotonic())
            if wait <= 0:
                raise queue.Empty
        try:
            return items.get(timeout=wait)
        except queue.Empty:
            continue


def wait_handling_signals(event: threading.Event) -> None:
    """``event.wait()`` in the main thread, running the signal handlers within
    :data:`SIGNAL_CHECK_S` of a signal (see there)."""
    while not event.wait(SIGNAL_CHECK_S):
        pass
