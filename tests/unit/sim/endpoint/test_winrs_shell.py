"""The WinRS cmd shell's state machine: Command, Send, Receive, Signal, close."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from lxml import etree

from psrunbook.sim.endpoint import wsman
from psrunbook.sim.endpoint.winrs_host import parse_create, receive_body
from psrunbook.sim.endpoint.winrs_shell import (
    STATE_DONE,
    STATE_RUNNING,
    STOPPED_EXIT_CODE,
    ShellOptions,
    WinRSShell,
)
from psrunbook.sim.executor_protocol import (
    ExecutionContext,
    PipelineStopped,
    ProcessIO,
    ShellCommandRequest,
)

BOUND = 10.0


class ScriptedRunner:
    """A cmd shell whose commands are: ``out X``, ``err X``, ``cat`` (stdin to stdout),
    ``wait`` (until stopped), ``big N`` (N bytes), ``exit N``."""

    def __init__(self) -> None:
        self.requests: list[ShellCommandRequest] = []
        self.waiting = threading.Event()

    def run_command(
        self, request: ShellCommandRequest, context: ExecutionContext, io: ProcessIO
    ) -> int:
        self.requests.append(request)
        verb, _, rest = request.command_line.partition(" ")
        if verb == "out":
            io.stdout(rest.encode())
            io.stderr(b"e1")
            io.stdout(b"o2")
        elif verb == "cat":
            io.stdout(io.read_stdin())
        elif verb == "wait":
            self.waiting.set()
            context.stop.wait(BOUND)
            io.stdout(b"never")
        elif verb == "big":
            io.stdout(b"x" * int(rest))
        elif verb == "exit":
            return int(rest)
        return 0


@pytest.fixture
def jobs() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(4) as pool:
        yield pool


def _shell(runner: ScriptedRunner, jobs: ThreadPoolExecutor) -> WinRSShell:
    return WinRSShell(
        "S1", runner=runner, node="NODE1", user="u", jobs=jobs,
        options=ShellOptions(environment=(("A", "1"),), working_directory="C:\\x"),
        idle_timeout=60.0,
    )  # fmt: skip


def _drain(shell: WinRSShell, cid: str, envelope: int = 153600) -> tuple[list, int, int]:
    chunks: list[tuple[str, bytes]] = []
    receives = 0
    while True:
        taken, done, code = shell.receive(cid, envelope, BOUND)
        receives += 1
        chunks.extend(taken)
        if done:
            return chunks, code, receives


def test_output_keeps_order_and_stream_then_done_with_exit_code(jobs) -> None:
    runner = ScriptedRunner()
    shell = _shell(runner, jobs)
    cid = shell.command(None, "out o1", skip_cmd_shell=False)
    chunks, code, _ = _drain(shell, cid)
    joined: list[tuple[str, bytes]] = []
    for stream, data in chunks:
        if joined and joined[-1][0] == stream:
            joined[-1] = (stream, joined[-1][1] + data)
        else:
            joined.append((stream, data))
    assert [("stdout", b"o1"), ("stderr", b"e1"), ("stdout", b"o2")] == joined
    assert 0 == code
    request = runner.requests[0]
    assert ((("A", "1"),), "C:\\x", 437) == (
        request.environment,
        request.working_directory,
        request.codepage,
    )


def test_exit_code_and_given_command_id(jobs) -> None:
    shell = _shell(ScriptedRunner(), jobs)
    cid = shell.command("ab-12", "exit 5", skip_cmd_shell=False)
    assert "AB-12" == cid
    assert 5 == _drain(shell, "ab-12")[1]


def test_stdin_is_read_after_end(jobs) -> None:
    shell = _shell(ScriptedRunner(), jobs)
    cid = shell.command(None, "cat", skip_cmd_shell=False)
    shell.send(cid, b"one ", end=False)
    shell.send(cid, b"two", end=True)
    assert ([("stdout", b"one two")], 0) == _drain(shell, cid)[:2]


def test_receive_without_output_times_out(jobs) -> None:
    runner = ScriptedRunner()
    shell = _shell(runner, jobs)
    cid = shell.command(None, "wait", skip_cmd_shell=False)
    assert runner.waiting.wait(BOUND)
    with pytest.raises(wsman.WSManFaultResponse) as info:
        shell.receive(cid, 153600, 0.01)
    assert "w:TimedOut" == info.value.subcode
    shell.signal(cid, f"{wsman.NS_SHELL}/signal/ctrl_c")
    chunks, code, _ = _drain(shell, cid)
    assert ([], STOPPED_EXIT_CODE) == (chunks, code)


def test_output_larger_than_the_envelope_spans_receives(jobs) -> None:
    shell = _shell(ScriptedRunner(), jobs)
    cid = shell.command(None, "big 20000", skip_cmd_shell=False)
    chunks, _, receives = _drain(shell, cid, envelope=8192)
    assert 20000 == sum(len(data) for _, data in chunks)
    assert receives >= 3


def test_terminate_forgets_the_command(jobs) -> None:
    shell = _shell(ScriptedRunner(), jobs)
    cid = shell.command(None, "exit 0", skip_cmd_shell=False)
    shell.signal(cid, f"{wsman.NS_SHELL}/signal/Terminate")
    with pytest.raises(wsman.WSManFaultResponse) as info:
        shell.receive(cid, 153600, BOUND)
    assert 2150858843 == info.value.code


def test_close_stops_processes_and_refuses_further_requests(jobs) -> None:
    runner = ScriptedRunner()
    shell = _shell(runner, jobs)
    cid = shell.command(None, "cat", skip_cmd_shell=False)
    shell.close()
    for call in (
        lambda: shell.receive(cid, 153600, BOUND),
        lambda: shell.command(None, "exit 0", skip_cmd_shell=False),
        lambda: shell.send(cid, b"x", end=True),
    ):
        with pytest.raises(wsman.WSManFaultResponse):
            call()


def test_stdin_reader_is_stopped_by_close(jobs) -> None:
    """A process blocked on stdin ends when the shell is deleted (or reaped)."""
    stopped = threading.Event()

    class Reader(ScriptedRunner):
        def run_command(self, request, context, io):  # type: ignore[no-untyped-def]
            self.waiting.set()
            try:
                io.read_stdin()
            except PipelineStopped:
                stopped.set()
                raise
            return 0

    runner = Reader()
    shell = _shell(runner, jobs)
    shell.command(None, "x", skip_cmd_shell=False)
    assert runner.waiting.wait(BOUND)
    shell.close()
    assert stopped.wait(BOUND)


def test_idle_deadline_waits_for_requests_in_progress(jobs) -> None:
    shell = _shell(ScriptedRunner(), jobs)
    before = shell.idle_deadline()
    with shell.in_use():
        assert shell.idle_deadline() >= before
    assert shell.idle_deadline() >= before


def test_receive_body_ends_both_streams_when_done() -> None:
    done = receive_body("C1", [("stdout", b"hi\r\n")], True, 3)
    assert (
        '<rsp:Stream Name="stdout" CommandId="C1">aGkNCg==</rsp:Stream>'
        '<rsp:Stream Name="stdout" CommandId="C1" End="true"></rsp:Stream>'
        '<rsp:Stream Name="stderr" CommandId="C1" End="true"></rsp:Stream>'
        f'<rsp:CommandState CommandId="C1" State="{STATE_DONE}">'
        "<rsp:ExitCode>3</rsp:ExitCode></rsp:CommandState>"
    ) in done
    running = receive_body("C1", [], False, 0)
    assert f'State="{STATE_RUNNING}"/>' in running


def _create(shell_xml: str, options: str = "") -> wsman.WSManRequest:
    envelope = (
        f'<s:Envelope xmlns:s="{wsman.NS_SOAP}" xmlns:a="{wsman.NS_ADDRESSING}" '
        f'xmlns:w="{wsman.NS_WSMAN}" xmlns:rsp="{wsman.NS_SHELL}"><s:Header>'
        f"<a:Action>{wsman.NS_TRANSFER}/Create</a:Action><a:MessageID>uuid:1</a:MessageID>"
        f"<w:OptionSet>{options}</w:OptionSet></s:Header><s:Body>{shell_xml}</s:Body>"
        "</s:Envelope>"
    )
    etree.fromstring(envelope.encode())
    return wsman.parse_request(envelope.encode())


def test_create_options_are_parsed() -> None:
    request = _create(
        "<rsp:Shell><rsp:InputStreams>stdin</rsp:InputStreams>"
        "<rsp:OutputStreams>stdout stderr</rsp:OutputStreams>"
        '<rsp:Environment><rsp:Variable Name="k">v</rsp:Variable></rsp:Environment>'
        "<rsp:IdleTimeOut>PT30S</rsp:IdleTimeOut>"
        "<rsp:WorkingDirectory>C:\\Temp</rsp:WorkingDirectory></rsp:Shell>",
        '<w:Option Name="WINRS_CODEPAGE">65001</w:Option>'
        '<w:Option Name="WINRS_NOPROFILE">TRUE</w:Option>',
    )
    options, idle = parse_create(request, 7200.0)
    assert (options.environment, options.working_directory, options.codepage, idle) == (
        (("k", "v"),),
        "C:\\Temp",
        65001,
        30.0,
    )


def test_unknown_codepage_is_a_fault() -> None:
    request = _create("<rsp:Shell/>", '<w:Option Name="WINRS_CODEPAGE">99999</w:Option>')
    with pytest.raises(wsman.WSManFaultResponse):
        parse_create(request, 7200.0)
