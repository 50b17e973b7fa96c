"""The Executor protocol: scripts and commands by name, streams, stop, failures, caching."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

import pytest

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineFailed,
    PipelineRequest,
    PipelineStopped,
)
from psrunbook.sim.objects import PSHashtable
from psrunbook.sim.ps import parser, powershell_executor
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletSpec
from psrunbook.sim.ps.evaluator import Evaluator
from psrunbook.sim.ps.exceptions import ScriptParseError
from psrunbook.sim.ps.parser import ParseCache
from psrunbook.sim.ps.powershell_executor import PowerShellExecutor

from .helpers import Sink, run, table


def execute(request: PipelineRequest, commands: dict[str, Any] | None = None) -> Sink:
    cmds = commands if commands is not None else table()
    sink = Sink()
    PowerShellExecutor(lambda ctx: cmds).execute(request, ExecutionContext("N1", "u"), sink)
    return sink


def test_command_by_name_with_arguments() -> None:
    """A PSRP command given by name binds its arguments like a script would."""
    request = PipelineRequest(
        (
            CommandRequest("Get-Thing", False, (("Name", ["beta"]),)),
            CommandRequest("Select-Object", False, (("ExpandProperty", "Value"),)),
        )
    )
    assert [2] == execute(request).result.output


def test_switch_parameter_by_name_without_value() -> None:
    """A PSRP switch sent with a null value counts as present."""
    commands = table()
    execute(PipelineRequest((CommandRequest("Get-Thing", False, (("Force", None),)),)), commands)
    assert [True] == [c["Force"] for c in commands["Get-Thing"].calls]


def test_pipeline_input_feeds_the_first_command() -> None:
    """Objects sent as pipeline input reach the first command."""
    request = PipelineRequest(
        (CommandRequest("Where-Object", False, ((None, "Length"), ("GT", None), (None, 1))),),
        input=("a", "bbb", "cc"),
    )
    assert ["bbb", "cc"] == execute(request).result.output


def test_script_then_command() -> None:
    """A script's output feeds the next PSRP command of the pipeline."""
    request = PipelineRequest(
        (
            CommandRequest("3, 1, 2", True),
            CommandRequest("Sort-Object", False, (("Descending", True),)),
        )
    )
    assert [3, 2, 1] == execute(request).result.output


def test_streams_reach_their_sink_methods() -> None:
    """Warning, verbose (only when asked) and information records go to their streams.

    Information records are sent under SilentlyContinue too, as Windows does
    (shared/recordings/test_psrp_stream_output_invocation.yml).
    """
    result = run(
        "Write-Warning 'w1'; Write-Verbose 'hidden'; Write-Verbose 'v1' -Verbose;"
        "$VerbosePreference = 'Continue'; Write-Verbose 'v2'; Write-Host 'h' 'i';"
        "Write-Information 'silent'; Write-Information 'shown' -InformationAction Continue;"
        "Write-Warning 'quiet' -WarningAction SilentlyContinue;"
        "Get-Thing -Name alpha -Force | Out-Null"
    )
    assert result.failed is None
    assert ["w1", "forced"] == result.warnings
    assert ["v1", "v2", "verbose from cmdlet"] == result.verbose
    assert ["h i", "silent", "shown"] == result.information
    assert [] == result.output


def test_cmdlet_verbose_only_with_verbose_switch() -> None:
    """A cmdlet's verbose messages are sent only with -Verbose or the preference."""
    assert [] == run("Get-Thing -Force | Out-Null").verbose
    assert ["verbose from cmdlet"] == run("Get-Thing -Force -Verbose | Out-Null").verbose


def test_stop_is_honoured_between_statements() -> None:
    """A set stop event ends the pipeline with PipelineStopped."""
    stop = threading.Event()

    class Stopper:
        spec = CmdletSpec("Stop-Me", "Sim.StopMe")

        def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
            stop.set()
            return None

    sink = Sink()
    executor = PowerShellExecutor(lambda ctx: {"Stop-Me": Stopper()})
    request = PipelineRequest((CommandRequest("'before'; Stop-Me; 'after'", True),))
    try:
        executor.execute(request, ExecutionContext("N1", "u", stop), sink)
    except PipelineStopped:
        stopped = True
    else:
        stopped = False
    assert stopped
    assert ["before"] == sink.result.output


def test_internal_error_becomes_failed_pipeline() -> None:
    """A bug in a cmdlet ends the pipeline Failed instead of escaping the executor."""

    class Broken:
        spec = CmdletSpec("Get-Broken", "Sim.Broken")

        def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
            raise KeyError("oops")

    sink = Sink()
    executor = PowerShellExecutor(lambda ctx: {"Get-Broken": Broken()})
    try:
        executor.execute(
            PipelineRequest((CommandRequest("Get-Broken", True),)), ExecutionContext("N", "u"), sink
        )
    except PipelineFailed as failed:
        record = failed.record
    assert "SimulatorInternalError" == record.error_id
    assert "KeyError" in record.message


def test_cmdlets_for_receives_the_context() -> None:
    """The executor asks for the node's cmdlet table with the execution context."""
    seen: list[str] = []

    def cmdlets_for(ctx: ExecutionContext) -> dict[str, Any]:
        seen.append(ctx.node)
        return {}

    sink = Sink()
    PowerShellExecutor(cmdlets_for).execute(
        PipelineRequest((CommandRequest("$env:COMPUTERNAME", True),)),
        ExecutionContext("NODE7", "u"),
        sink,
    )
    assert (["NODE7"], ["NODE7"]) == (seen, sink.result.output)


def test_parse_cache_is_bounded_and_reused() -> None:
    """The same text is parsed once; the cache keeps at most its size."""
    cache = ParseCache(size=2)
    first = cache.get("'a'")
    assert first is cache.get("'a'")
    cache.get("'b'")
    cache.get("'c'")
    assert 2 == len(cache)
    assert first is not cache.get("'a'")


class _WatchedCondition(threading.Condition):
    """A condition that says when a thread starts waiting on it."""

    def __init__(self, lock: threading.Lock, waiting: threading.Event) -> None:
        super().__init__(lock)
        self._waiting = waiting

    def wait(self, timeout: float | None = None) -> bool:
        self._waiting.set()
        return super().wait(timeout)


def _parse_held_open(
    monkeypatch: pytest.MonkeyPatch, fail: bool = False
) -> tuple[list[str], threading.Event, threading.Event, threading.Event]:
    """parse_uncached counting its calls; the first holds until released, and a second
    call sets ``either`` (so does a thread waiting on the cache, see the tests)."""
    calls: list[str] = []
    inside, release, either = threading.Event(), threading.Event(), threading.Event()
    real = parser.parse_uncached

    def held(text: str) -> parser.ParsedScript:
        calls.append(text)
        if len(calls) == 1:
            inside.set()
            assert release.wait(10)
        else:
            either.set()
        if fail:
            raise ScriptParseError(1, 1, "refused", text)
        return real(text)

    monkeypatch.setattr(parser, "parse_uncached", held)
    return calls, inside, release, either


def _ask_twice(
    cache: ParseCache, inside: threading.Event, release: threading.Event
) -> tuple[threading.Thread, threading.Thread, list[object]]:
    """Two threads ask for one text; the second asks while the first is parsing it."""
    got: list[object] = []

    def ask() -> None:
        try:
            got.append(cache.get("'same'"))
        except ScriptParseError as error:
            got.append(error)

    first = threading.Thread(target=ask)
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=ask)
    second.start()
    return first, second, got


def test_a_text_asked_for_by_two_threads_at_once_is_parsed_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The nodes of a step send one script together: the second waits for the first's
    parse instead of parsing it too (without the wait both parse: two calls)."""
    calls, inside, release, either = _parse_held_open(monkeypatch)
    cache = ParseCache()
    cache._parsed = _WatchedCondition(cache._lock, either)
    first, second, got = _ask_twice(cache, inside, release)
    assert either.wait(10)  # the second thread waits, or (wrongly) parses too
    release.set()
    first.join(10)
    second.join(10)
    assert ["'same'"] == calls
    assert 2 == len(got) and got[0] is got[1]


def test_a_failed_parse_lets_the_waiting_thread_parse_for_its_own_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Errors are not cached: a thread that waited on a parse that failed parses the text
    itself and gets its own error; nothing is left marked as being parsed."""
    calls, inside, release, _ = _parse_held_open(monkeypatch, fail=True)
    cache = ParseCache()
    waiting = threading.Event()
    cache._parsed = _WatchedCondition(cache._lock, waiting)
    first, second, got = _ask_twice(cache, inside, release)
    assert waiting.wait(10)
    release.set()
    first.join(10)
    second.join(10)
    assert ["'same'", "'same'"] == calls
    assert 2 == len(got) and all(isinstance(e, ScriptParseError) for e in got)
    assert got[0] is not got[1]
    assert not cache._parsing and 0 == len(cache)


def test_each_pipeline_gets_fresh_variables() -> None:
    """Variables do not leak from one pipeline to the next."""
    commands = table()
    executor = PowerShellExecutor(lambda ctx: commands)
    sinks = [Sink(), Sink()]
    for script, sink in zip(["$leak = 1", "$null -eq $leak"], sinks, strict=True):
        executor.execute(
            PipelineRequest((CommandRequest(script, True),)), ExecutionContext("N", "u"), sink
        )
    assert [True] == sinks[1].result.output


def test_a_finished_pipeline_is_freed_without_the_cycle_collector(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 16: everything a pipeline touched is freed when it ends, not at the next
    sweep of the cyclic collector (in a fan-out those sweeps cost a tenth of the lab's CPU)."""
    evaluators: list[weakref.ref[Evaluator]] = []

    class Tracked(Evaluator):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            evaluators.append(weakref.ref(self))

    monkeypatch.setattr(powershell_executor, "Evaluator", Tracked)
    script = "$t = @{ Name = 'a' }; @(1, 2) | Where-Object { $_ -gt 1 } | % { $t.Name + $_ }"
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        sink = execute(PipelineRequest((CommandRequest(script, True, ()),)))
        assert ["a2"] == sink.result.output
        assert [None] == [ref() for ref in evaluators]
    finally:
        if was_enabled:
            gc.enable()
