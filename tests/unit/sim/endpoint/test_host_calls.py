"""The wait for a host call's answer: woken by the answer, a failure, or the shell going."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from psrunbook.sim.endpoint.host_calls import HostCallChannel
from psrunbook.sim.executor_protocol import HostCallFailed, PipelineStopped


class _Waiter(threading.Thread):
    def __init__(self, channel: HostCallChannel, cond: threading.Condition, stop: list[bool]):
        super().__init__(daemon=True)
        self.channel, self.cond, self.stop = channel, cond, stop
        self.outcome: Any = None

    def run(self) -> None:
        with self.cond:
            try:
                self.outcome = self.channel.wait(1, lambda: self.stop[0])
            except (HostCallFailed, PipelineStopped) as exc:  # what ended the wait
                self.outcome = exc


def _waiting() -> tuple[HostCallChannel, threading.Condition, list[bool], _Waiter]:
    cond = threading.Condition(threading.RLock())
    channel = HostCallChannel(cond)
    stop = [False]
    with cond:
        channel.expect(1)
    waiter = _Waiter(channel, cond, stop)
    waiter.start()
    return channel, cond, stop, waiter


def test_an_answer_wakes_the_waiting_call() -> None:
    channel, cond, _, waiter = _waiting()
    with cond:
        channel.answer(1, "typed", None)
    waiter.join(10)
    assert "typed" == waiter.outcome


def test_a_failed_client_method_raises_its_message() -> None:
    channel, cond, _, waiter = _waiting()

    class Record:
        class Exception:  # the ErrorRecord's property name
            Message = "NotImplementedError when running HostMethodIdentifier.ReadLine"

    with cond:
        channel.answer(1, None, Record())
    waiter.join(10)
    assert isinstance(waiter.outcome, HostCallFailed)
    assert "NotImplementedError when running HostMethodIdentifier.ReadLine" == str(waiter.outcome)


@pytest.mark.parametrize("why", ["stopped", "shell deleted"])
def test_a_stop_or_the_shell_going_ends_the_wait(why: str) -> None:
    channel, cond, stop, waiter = _waiting()
    with cond:
        stop[0] = True  # what Signal (run.context.stop) or close() (shell.closed) sets
        cond.notify_all()
    waiter.join(10)
    assert isinstance(waiter.outcome, PipelineStopped), why
    with cond:  # a late answer for the abandoned call is dropped
        channel.answer(1, "late", None)
        assert not channel._answers
