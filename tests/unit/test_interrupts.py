"""Which signals a run catches: SIGINT, SIGTERM and SIGHUP, unless the process ignores them.

``nohup`` starts a command with SIGHUP ignored so that it survives the terminal closing,
and a shell starts a background job with SIGINT ignored; a run must keep both promises.
Ignored signals are discarded by the kernel, so sending one here is deterministic.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager

from psrunbook.execution.interrupts import HANDLED, StopSignal, catch, handling_signals


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
