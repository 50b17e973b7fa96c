"""Which signals a run catches: SIGINT, SIGTERM and SIGHUP, unless the process ignores them.

``nohup`` starts a command with SIGHUP ignored so that it survives the terminal closing,
and a shell starts a background job with SIGINT ignored; a run must keep both promises.
Ignored signals are discarded by the kernel, so sending one here is deterministic.
"""

from __future__ import annotations

import os
import queue
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from psrunbook.execution.interrupts import (
    HANDLED,
    StopSignal,
    catch,
    get_handling_signals,
    handling_signals,
    wait_handling_signals,
)


@contextmanager
def ignoring(sig: signal.Signals) -> Iterator[None]:
    """``sig`` ignored while the block runs, as ``nohup`` or a background job starts it."""
    previous = signal.signal(sig, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(sig, previous)


def test_a_run_catches_every_interrupt_the_process_does_not_ignore() -> None:
    """Each of SIGINT, SIGTERM and SIGHUP requests the stop, named in the request."""
    for sig in HANDLED:
        stop = StopSignal()
        notices: list[str] = []
        with handling_signals(stop, notice=notices.append):
            os.kill(os.getpid(), sig)
        assert stop.reason == sig.name
        assert notices and notices[0].startswith(f"{sig.name}: stopping the run")


def test_a_signal_ignored_when_the_run_starts_stays_ignored() -> None:
    """Under ``nohup`` a hang-up does not stop the run; SIGTERM still does."""
    stop = StopSignal()
    with ignoring(signal.SIGHUP):
        with handling_signals(stop):
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGHUP)
            assert not stop.is_set()
            os.kill(os.getpid(), signal.SIGTERM)
            assert stop.reason == "SIGTERM"
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN


def test_handlers_are_put_back_after_the_run() -> None:
    """What the run replaced is restored; what it left alone was never touched."""
    before = {sig: signal.getsignal(sig) for sig in HANDLED}
    with ignoring(signal.SIGINT):
        with handling_signals(StopSignal()):
            pass
        assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    assert {sig: signal.getsignal(sig) for sig in HANDLED} == before


def test_catch_returns_what_it_replaced_and_skips_the_ignored() -> None:
    """The fleet worker and ``sim serve`` use the same rule as a run."""
    seen: list[int] = []
    with ignoring(signal.SIGINT):
        previous = catch((signal.SIGINT, signal.SIGTERM), lambda sig, _frame: seen.append(sig))
        try:
            assert set(previous) == {signal.SIGTERM}
            os.kill(os.getpid(), signal.SIGINT)
            os.kill(os.getpid(), signal.SIGTERM)
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)
    assert seen == [signal.SIGTERM]


@pytest.mark.parametrize("wait", ["queue", "event"])
def test_a_signal_another_thread_takes_is_handled_while_the_main_thread_waits(wait: str) -> None:
    """The kernel gives a process's signal to any thread that does not block it; Python
    runs the handler in the main thread only when that thread next runs Python code. The
    main thread blocks SIGUSR1 here, so the kernel's only choice is the other thread:
    a plain ``get()`` or ``wait()`` would sleep until the watchdog (a second Ctrl-C
    waited for the next node's answer, 30 s in about one run in ten); the waits of
    ``interrupts`` handle it at once. The handler does what a run's stop listener does:
    it puts on the queue, or sets the event."""
    items: queue.SimpleQueue[str] = queue.SimpleQueue()
    stopped = threading.Event()

    def handler(_signum: int, _frame: object) -> None:
        items.put("handled")
        stopped.set()

    previous = signal.signal(signal.SIGUSR1, handler)
    ready, done = threading.Event(), threading.Event()
    other = threading.Thread(target=lambda: (ready.set(), done.wait(30)))
    other.start()
    ready.wait()
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    # Both timers inherit the blocked mask. The signal is sent once the main thread is
    # likely in its wait: sent earlier, the main thread would handle it before waiting
    # and the case would pass without showing anything, never fail.
    sender = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGUSR1))
    watchdog = threading.Timer(10, lambda: (items.put("not handled"), stopped.set()))
    try:
        sender.start()
        watchdog.start()
        if wait == "queue":
            assert "handled" == get_handling_signals(items)
        else:
            wait_handling_signals(stopped)
            assert "handled" == items.get_nowait()
    finally:
        sender.join()
        watchdog.cancel()
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1})
        done.set()
        other.join()
        signal.signal(signal.SIGUSR1, previous)


def test_a_wait_with_a_timeout_still_ends_empty() -> None:
    with pytest.raises(queue.Empty):
        get_handling_signals(queue.SimpleQueue(), timeout=0.01)
