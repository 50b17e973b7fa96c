"""Pipeline input that arrives while the pipeline runs, as Windows streams it.

Evidence: ``ServerPowerShellDriver`` starts the pipeline at CREATE_PIPELINE with an open
input collection; ``DlrScriptCommandProcessor`` gives a script without a ``process``
block the collection's enumerator as ``$input`` and runs ``end`` at once (see
:mod:`psrunbook.sim.streamed_input`). pypsrp 1.0's ``test_powershell_invoke_input_with_
failure`` and ``..._without_expecting_input`` wait for the pipeline's final state before
sending any input: on Windows they pass, so the pipeline ends without it.
"""

from __future__ import annotations

import threading

import pytest

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineFailed,
    PipelineRequest,
    PipelineStopped,
)
from psrunbook.sim.ps.powershell_executor import PowerShellExecutor
from psrunbook.sim.streamed_input import StreamedInput

from .helpers import Sink, table


class _SignallingSink(Sink):
    """A sink that says when output arrives."""

    def __init__(self) -> None:
        super().__init__()
        self.wrote = threading.Event()

    def output(self, value: object) -> None:
        super().output(value)
        self.wrote.set()


def _run_in_thread(script: str, source: StreamedInput, context: ExecutionContext):  # type: ignore[no-untyped-def]
    """Run ``script`` with ``source`` as its input on a worker, as the endpoint does."""
    sink = _SignallingSink()
    outcome: dict[str, BaseException | None] = {}
    done = threading.Event()

    def work() -> None:
        request = PipelineRequest((CommandRequest(script, True),), input=source)
        try:
            PowerShellExecutor(lambda ctx: table()).execute(request, context, sink)
            outcome["error"] = None
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc
        done.set()

    threading.Thread(target=work, daemon=True).start()
    return sink, outcome, done


def _feed(cond: threading.Condition, source: StreamedInput, *items: object, end: bool) -> None:
    with cond:
        for item in items:
            source.add(item)
        if end:
            source.complete()
        cond.notify_all()


def test_a_failing_begin_block_fails_before_any_input_arrives() -> None:
    cond, context = threading.Condition(), ExecutionContext("N1", "u")
    source = StreamedInput(cond, context.stop)
    script = "[CmdletBinding()] param([Parameter(ValueFromPipeline)]$InputObject) " \
             "begin { throw 'failure msg' } process { $InputObject } end { 'end' }"  # fmt: skip
    _, outcome, done = _run_in_thread(script, source, context)
    assert done.wait(30), "the pipeline waited for input its begin block never needed"
    assert isinstance(outcome["error"], PipelineFailed)
    assert "failure msg" == str(outcome["error"])


def test_a_script_without_process_block_ends_without_reading_its_input() -> None:
    cond, context = threading.Condition(), ExecutionContext("N1", "u")
    source = StreamedInput(cond, context.stop)
    sink, outcome, done = _run_in_thread("'done'", source, context)
    assert done.wait(30)
    assert outcome["error"] is None
    assert ["done"] == sink.result.output


def test_dollar_input_waits_for_the_end_of_the_input() -> None:
    cond, context = threading.Condition(), ExecutionContext("N1", "u")
    source = StreamedInput(cond, context.stop)
    sink, outcome, done = _run_in_thread("'first'; $input | ForEach-Object { $_ * 2 }", source,
                                         context)  # fmt: skip
    _feed(cond, source, 1, 2, end=False)
    assert not done.wait(0.2)  # still reading $input: the end has not come
    _feed(cond, source, 3, end=True)
    assert done.wait(30)
    assert outcome["error"] is None
    assert ["first", 2, 4, 6] == sink.result.output


def test_a_process_block_handles_each_object_as_it_arrives() -> None:
    cond, context = threading.Condition(), ExecutionContext("N1", "u")
    source = StreamedInput(cond, context.stop)
    sink, outcome, done = _run_in_thread("process { $_ + 1 }", source, context)
    _feed(cond, source, 1, end=False)
    assert sink.wrote.wait(30)  # the first object's output, before the input ends
    assert [2] == sink.result.output
    _feed(cond, source, 2, end=True)
    assert done.wait(30)
    assert outcome["error"] is None
    assert [2, 3] == sink.result.output


@pytest.mark.parametrize("script", ["process { $_ }", "$input"])
def test_a_stop_ends_the_wait_for_input(script: str) -> None:
    cond, context = threading.Condition(), ExecutionContext("N1", "u")
    source = StreamedInput(cond, context.stop)
    _, outcome, done = _run_in_thread(script, source, context)
    with cond:
        context.stop.set()
        cond.notify_all()
    assert done.wait(30)
    assert isinstance(outcome["error"], PipelineStopped)
