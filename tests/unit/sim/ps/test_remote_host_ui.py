"""``$Host``'s UI forwarding to a client host, with a recording stand-in for the endpoint.

What goes on the wire is tested through real pypsrp in
``tests/integration/sim/test_sim_host_calls.py``; here the PowerShell side: overloads
to method identifiers, parameter encoding, a failing client method, no client host.
"""

from __future__ import annotations

from typing import Any

from psrunbook.sim.executor_protocol import (
    ClientHostInfo,
    CommandRequest,
    ExecutionContext,
    HostCallArray,
    HostCallFailed,
    HostCallObject,
    HostChar,
    PipelineFailed,
    PipelineRequest,
)
from psrunbook.sim.objects import PSHashtable, PSInt64
from psrunbook.sim.ps.powershell_executor import PowerShellExecutor
from tests.unit.sim.ps.helpers import Result, Sink

_RAW_DEFAULTS = (15, 9, (1, 2), (3, 4), 50, (80, 80), (80, 80), (80, 80), (80, 80), "title")


class RecordingHost:
    """A client host: records every call, answers from ``answers`` (an exception fails)."""

    def __init__(self, answers: dict[str, Any], *, ui: bool = True, raw_ui: bool = True) -> None:
        self.answers = answers
        self.calls: list[tuple[str, list[Any]]] = []
        self._info = ClientHostInfo(ui, raw_ui, _RAW_DEFAULTS if raw_ui else ())

    @property
    def info(self) -> ClientHostInfo:
        return self._info

    def call(self, method: str, parameters: list[Any]) -> Any:
        self.calls.append((method, parameters))
        answer = self.answers.get(method)
        if isinstance(answer, Exception):
            raise answer
        return answer


class HostingSink(Sink):
    def __init__(self, pipeline: RecordingHost | None, pool: RecordingHost | None = None) -> None:
        super().__init__()
        self._hosts = {False: pipeline, True: pool}

    def client_host(self, *, pool: bool) -> RecordingHost | None:
        return self._hosts[pool]


def _run(script: str, sink: Sink) -> Result:
    request = PipelineRequest((CommandRequest(script, True),))
    try:
        PowerShellExecutor(lambda ctx: {}).execute(request, ExecutionContext("N1", "u"), sink)
    except PipelineFailed as failed:
        sink.result.failed = failed.record
    return sink.result


def test_ui_overloads_become_their_host_methods() -> None:
    host = RecordingHost({"ReadLine": "typed"})
    result = _run(
        "$host.UI.Write('a'); $host.UI.Write([ConsoleColor]::Blue, [ConsoleColor]::White, 'b')\n"
        "$host.UI.WriteLine(); $host.UI.WriteLine('c')\n"
        "$host.UI.WriteLine([System.ConsoleColor]::Gray, 'Green', 'd')\n"
        "$host.UI.WriteDebugLine('dbg'); $host.UI.ReadLine(); $host.SetShouldExit(3)",
        HostingSink(host),
    )
    assert result.failed is None, result.failed
    assert ["typed"] == result.output
    assert ["dbg"] == result.debug  # the record first, whatever $DebugPreference says
    assert [
        ("Write1", ["a"]),
        ("Write2", [9, 15, "b"]),
        ("WriteLine1", []),
        ("WriteLine2", ["c"]),
        ("WriteLine3", [7, 10, "d"]),
        ("WriteDebugLine", ["dbg"]),
        ("ReadLine", []),
        ("SetShouldExit", [3]),
    ] == host.calls


def test_parameters_are_encoded_as_windows_sends_them() -> None:
    host = RecordingHost({"PromptForChoice": 1})
    result = _run(
        "$p = New-Object System.Management.Automation.ProgressRecord -ArgumentList 2, 'a', 's'\n"
        "$host.UI.WriteProgress(1, $p)\n"
        "$c = New-Object System.Management.Automation.Host.ChoiceDescription 'L', 'H'\n"
        "$host.UI.PromptForChoice('cap', 'msg', @($c), 0)\n"
        "$cell = New-Object System.Management.Automation.Host.BufferCell -ArgumentList 'Z', "
        "([ConsoleColor]::Red), ([ConsoleColor]::Green), "
        "([System.Management.Automation.Host.BufferCellType]::Complete)\n"
        "$cells = New-Object 'System.Management.Automation.Host.BufferCell[,]' -ArgumentList 1,2\n"
        "$cells[0,1] = $cell\n"
        "$at = New-Object System.Management.Automation.Host.Coordinates -ArgumentList 15, 16\n"
        "$host.UI.RawUI.SetBufferContents($at, $cells)",
        HostingSink(host),
    )
    assert result.failed is None, result.failed
    assert [1] == result.output
    # New-Object is the runspace's first module command: Windows' progress record first.
    assert ["Preparing modules for first use.", "a"] == [p.activity for p in result.progress]
    (method, (source, record)) = host.calls[0]
    assert ("WriteProgress", PSInt64(1)) == (method, source)
    assert isinstance(source, PSInt64)
    assert isinstance(record, HostCallObject)
    assert ["Activity", "ActivityId", "StatusDescription", "CurrentOperation"] == [
        name for name, _ in record.fields[:4]
    ]
    choice = HostCallObject((("label", "L"), ("helpMessage", "H")))
    assert ("PromptForChoice", ["cap", "msg", [choice], 0]) == host.calls[1]
    cell = HostCallObject(
        (
            ("character", HostChar(ord("Z"))),
            ("foregroundColor", 12),
            ("backgroundColor", 10),
            ("bufferCellType", 0),
        )
    )
    cells = HostCallObject(
        (("mae", [None, cell]), ("mal", HostCallArray("System.Int32[]", (1, 2))))
    )
    coordinates = HostCallObject((("x", 15), ("y", 16)))
    assert ("SetBufferContents2", [coordinates, cells]) == host.calls[2]


def test_raw_ui_reads_host_default_data_and_setters_call_the_host() -> None:
    host = RecordingHost({})
    result = _run(
        "$host.UI.RawUI.ForegroundColor; $host.UI.RawUI.ForegroundColor = 'Green'\n"
        '$host.UI.RawUI.ForegroundColor; "$($host.UI.RawUI.CursorPosition)"',
        HostingSink(host),
    )
    assert result.failed is None, result.failed
    assert ["White", "Green", "1,2"] == [str(v) for v in result.output]
    assert [("SetForegroundColor", [10])] == host.calls


def test_a_failing_client_method_is_a_method_invocation_error() -> None:
    host = RecordingHost({"ReadLine": HostCallFailed("NotImplementedError when running it")})
    result = _run("$host.UI.ReadLine(); 'after'", HostingSink(host))
    assert ["after"] == result.output  # statement-terminating: the script goes on
    (error,) = result.errors
    assert (
        'Exception calling "ReadLine" with "0" argument(s): "NotImplementedError when running it"'
        == error.message
    )
    assert "System.Management.Automation.MethodInvocationException" == error.exception_type


def test_the_runspace_host_is_the_pools() -> None:
    pipeline, pool = RecordingHost({}), RecordingHost({"ReadLine": "pool line"})
    result = _run(
        "$rs = [Runspace]::DefaultRunspace\n"
        '$h = $rs.GetType().GetProperty("Host", 60).GetValue($rs)\n'
        "$h.UI.WriteLine('x'); $h.UI.ReadLine()",
        HostingSink(pipeline, pool),
    )
    assert result.failed is None, result.failed
    assert ["pool line"] == result.output
    assert [] == pipeline.calls
    assert [("WriteLine2", ["x"]), ("ReadLine", [])] == pool.calls


def test_without_a_client_ui_writes_do_nothing_and_reads_are_refused() -> None:
    result = _run(
        "$host.UI.WriteLine('x'); $host.UI.WriteVerboseLine('v'); 'after'", HostingSink(None)
    )
    assert result.failed is None, result.failed
    assert ["after"] == result.output
    assert ["v"] == result.verbose  # the informational buffer still gets the record
    refused = _run("$host.UI.ReadLine()", HostingSink(RecordingHost({}, ui=False)))
    assert refused.failed is not None
    assert "UnsupportedConstruct" == refused.failed.error_id
    assert "$Host.UI.ReadLine() without a client host UI" in refused.failed.message


def test_read_host_prompts_through_a_client_host_ui() -> None:
    host = RecordingHost({"ReadLine": "typed", "Prompt": PSHashtable([("Your name", "given")])})
    result = _run("Read-Host; Read-Host -Prompt 'Your', 'name'", HostingSink(host))
    assert result.failed is None, result.failed
    assert ["typed", "given"] == result.output
    method, (caption, message, (field,)) = host.calls[1]
    assert ("Prompt", "", "") == (method, caption, message)
    assert ("name", "Your name") == field.fields[0]


def test_read_host_without_a_client_ui_is_refused_before_anything_runs() -> None:
    result = _run("$script:x = 'ran'; Write-Output 'first'\nRead-Host", HostingSink(None))
    assert [] == result.output
    assert result.failed is not None
    assert "command Read-Host" in result.failed.message
