"""The WinRS cmd shell: the resource URI ``.../windows/shell/cmd`` that pypsrp's
``Client.execute_cmd`` and ``pypsrp.shell.WinRS``/``Process`` use.

The protocol is MS-WSMV's Remote Shell: Create opens a shell (its environment,
working directory, ``WINRS_CODEPAGE``), Command starts a process in it, Send writes to
the process's stdin, Receive long-polls for its stdout/stderr (base64, in the order
written) and, once it has exited, answers ``End`` for each stream and ``CommandState``
``Done`` with the ``ExitCode``; Signal ``ctrl_c`` stops a process, ``terminate`` forgets
it; Delete closes the shell. The envelopes are those of the Windows Server recordings in
pypsrp's test suite (``tests/responses/test_winrs_*.yml``).

What a command does is the executor's business (:class:`CommandRunner`, the lab's
``cmd.exe``); this module only knows the protocol, as :mod:`psrp_host` does for PSRP.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Iterator
from concurrent.futures import Executor as JobRunner
from dataclasses import dataclass, field
from typing import Any

from psrunbook.sim.endpoint import wsman
from psrunbook.sim.endpoint.clixml import escape
from psrunbook.sim.endpoint.counters import EndpointCounters
from psrunbook.sim.executor_protocol import (
    CommandRunner,
    ExecutionContext,
    PipelineStopped,
    ShellCommandRequest,
)

log = logging.getLogger(__name__)

CMD_SHELL_URI = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell/cmd"
STATE_DONE = f"{wsman.NS_SHELL}/CommandState/Done"
STATE_RUNNING = f"{wsman.NS_SHELL}/CommandState/Running"
STOPPED_EXIT_CODE = 0xC000013A
"""STATUS_CONTROL_C_EXIT: how a console process ended by Ctrl+C exits (UNVERIFIED for
WinRS; Windows' NTSTATUS for a Ctrl+C exit)."""
_KEEP_FINISHED = 64


@dataclass
class _Process:
    """One command of the shell, from Command until it is terminated or the shell goes."""

    command_id: str
    context: ExecutionContext
    stdin: list[bytes] = field(default_factory=list)
    stdin_ended: bool = False
    output: deque[tuple[str, bytes]] = field(default_factory=deque)
    done: bool = False
    exit_code: int = 0


class _ProcessIO:
    """The :class:`~psrunbook.sim.executor_protocol.ProcessIO` one process writes to."""

    def __init__(self, shell: WinRSShell, process: _Process) -> None:
        self._shell = shell
        self._process = process

    def read_stdin(self) -> bytes:
        with self._shell.cond:
            while not self._process.stdin_ended:
                if self._process.context.stop.is_set() or self._shell.closed:
                    raise PipelineStopped
                self._shell.cond.wait()
            return b"".join(self._process.stdin)

    def _write(self, stream: str, data: bytes) -> None:
        if self._process.context.stop.is_set():
            raise PipelineStopped
        if not data:
            return
        with self._shell.cond:
            output = self._process.output
            if output and output[-1][0] == stream:
                output[-1] = (stream, output[-1][1] + data)
            else:
                output.append((stream, data))
            self._shell.cond.notify_all()

    def stdout(self, data: bytes) -> None:
        self._write("stdout", data)

    def stderr(self, data: bytes) -> None:
        self._write("stderr", data)


@dataclass(frozen=True)
class ShellOptions:
    """What the Create request asked of the shell."""

    environment: tuple[tuple[str, str], ...] = ()
    working_directory: str | None = None
    codepage: int = 437
    input_streams: str = "stdin"
    output_streams: str = "stdout stderr"


class WinRSShell:
    """One cmd shell behind a ShellId: its processes and their output."""

    resource_uri = CMD_SHELL_URI

    def __init__(
        self,
        shell_id: str,
        *,
        runner: CommandRunner,
        node: str,
        user: str,
        jobs: JobRunner,
        options: ShellOptions,
        idle_timeout: float,
    ) -> None:
        self.shell_id = shell_id
        self.idle_timeout = idle_timeout
        self.options = options
        self.cond = threading.Condition(threading.RLock())
        self.closed = False
        self._runner = runner
        self._node = node
        self._user = user
        self._jobs = jobs
        self._processes: OrderedDict[str, _Process] = OrderedDict()
        self._requests_in_progress = 0
        self._last_request = time.monotonic()

    # -- lifetime (the endpoint's reaper uses these, as for PowerShell shells) ---------

    @contextlib.contextmanager
    def in_use(self) -> Iterator[None]:
        """Mark a request on this shell: a shell is idle only with none in progress."""
        with self.cond:
            self._requests_in_progress += 1
        try:
            yield
        finally:
            with self.cond:
                self._requests_in_progress -= 1
                self._last_request = time.monotonic()

    def idle_deadline(self) -> float:
        with self.cond:
            if self._requests_in_progress:
                return time.monotonic() + self.idle_timeout
            return self._last_request + self.idle_timeout

    def close(self) -> None:
        """Delete the shell: stop every process and wake every waiting Receive."""
        with self.cond:
            self.closed = True
            for process in self._processes.values():
                process.context.stop.set()
            self._processes.clear()
            self.cond.notify_all()

    # -- the protocol ------------------------------------------------------------------

    def command(self, command_id: str | None, command_line: str, skip_cmd_shell: bool) -> str:
        """Start a process for ``command_line``; returns its CommandId."""
        cid = (command_id or str(uuid.uuid4())).upper()
        process = _Process(cid, ExecutionContext(node=self._node, user=self._user))
        request = ShellCommandRequest(
            command_line=command_line,
            environment=self.options.environment,
            working_directory=self.options.working_directory,
            skip_cmd_shell=skip_cmd_shell,
            codepage=self.options.codepage,
        )
        with self.cond:
            self._check_open()
            self._processes[cid] = process
            self._forget_finished()
        self._jobs.submit(self._run, process, request)
        return cid

    def send(self, command_id: str, data: bytes, end: bool) -> None:
        with self.cond:
            process = self._process(command_id)
            if process.stdin_ended:
                return  # UNVERIFIED: Windows' answer to input after End; ignored here
            process.stdin.append(data)
            process.stdin_ended = end
            self.cond.notify_all()

    def receive(
        self, command_id: str, envelope_size: int, timeout: float
    ) -> tuple[list[tuple[str, bytes]], bool, int]:
        """Long-poll for output: (stream, bytes) in order, whether done, the exit code.

        Output is answered as soon as there is some, as WinRM does for a cmd shell;
        ``done`` only once every byte has been taken.
        """
        budget = max((envelope_size - wsman.RECEIVE_OVERHEAD) * 3 // 4, 1024)
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                process = self._process(command_id)
                if process.output or process.done:
                    break
                wait = deadline - time.monotonic()
                if wait <= 0:
                    raise wsman.operation_timeout_fault()
                self.cond.wait(wait)
            taken: list[tuple[str, bytes]] = []
            used = 0
            while process.output and used < budget:
                stream, data = process.output.popleft()
                room = budget - used
                if len(data) > room:
                    process.output.appendleft((stream, data[room:]))
                    data = data[:room]
                taken.append((stream, data))
                used += len(data) + wsman.STREAM_OVERHEAD
            return taken, process.done and not process.output, process.exit_code

    def signal(self, command_id: str, code: str) -> None:
        """``ctrl_c`` (and ``ctrl_break``) stop the process; ``terminate`` forgets it."""
        with self.cond:
            process = self._process(command_id)
            process.context.stop.set()
            self.cond.notify_all()
            if code.casefold().endswith("terminate"):
                self._processes.pop(process.command_id, None)
            self.cond.notify_all()

    # -- running -----------------------------------------------------------------------

    def _run(self, process: _Process, request: ShellCommandRequest) -> None:
        io = _ProcessIO(self, process)
        try:
            code = self._runner.run_command(request, process.context, io)
        except PipelineStopped:
            code = STOPPED_EXIT_CODE
        except Exception as exc:
            log.exception("cmd shell command failed on %s", self._node)
            with contextlib.suppress(PipelineStopped):
                io.stderr(f"The simulator could not run this command: {exc}\r\n".encode())
            code = 1
        with self.cond:
            process.exit_code = code
            process.done = True
            self.cond.notify_all()

    def _process(self, command_id: str) -> _Process:
        self._check_open()
        process = self._processes.get(command_id.upper())
        if process is None:
            raise wsman.unknown_shell_fault("command")
        return process

    def _check_open(self) -> None:
        if self.closed:
            raise wsman.unknown_shell_fault()

    def _forget_finished(self) -> None:
        finished = [p for p in self._processes.values() if p.done]
        for process in finished[: max(len(finished) - _KEEP_FINISHED, 0)]:
            self._processes.pop(process.command_id, None)


def parse_create(request: wsman.WSManRequest, default_idle: float) -> tuple[ShellOptions, float]:
    """The shell options and idle timeout a Create of the cmd shell asks for."""
    shell_el = request.body_child("Shell")

    def text(name: str) -> str | None:
        element = shell_el.find(f"{{{wsman.NS_SHELL}}}{name}")
        return None if element is None else (element.text or "")

    environment: tuple[tuple[str, str], ...] = ()
    env_el = shell_el.find(f"{{{wsman.NS_SHELL}}}Environment")
    if env_el is not None:
        environment = tuple(
            (v.get("Name", ""), v.text or "")
            for v in env_el.findall(f"{{{wsman.NS_SHELL}}}Variable")
        )
    codepage_text = request.options.get("WINRS_CODEPAGE", "437")
    try:
        codepage = int(codepage_text)
        codec_for(codepage)
    except (ValueError, LookupError) as exc:
        raise wsman.invalid_xml_fault(
            f"WINRS_CODEPAGE {codepage_text!r} is not a code page the simulator knows."
        ) from exc
    options = ShellOptions(
        environment=environment,
        working_directory=text("WorkingDirectory") or None,
        codepage=codepage,
        input_streams=text("InputStreams") or "stdin",
        output_streams=text("OutputStreams") or "stdout stderr",
    )
    return options, wsman.parse_duration(text("IdleTimeOut"), default_idle)


def codec_for(codepage: int) -> str:
    """Python's codec for a Windows code page (65001 is UTF-8); LookupError if none."""
    name = "utf-8" if codepage == 65001 else f"cp{codepage}"
    "".encode(name)
    return name


def shell_body(
    shell_id: str,
    options: ShellOptions,
    *,
    owner: str,
    client_ip: str,
    idle_timeout: float,
    address: str | None = None,
) -> str:
    """``rsp:Shell`` of a cmd shell as Create (with ``address``) and Get answer it,
    element for element as in pypsrp's ``test_winrs_standard.yml`` recording."""
    created = ""
    if address is not None:
        created = (
            f"<x:ResourceCreated><a:Address>{escape(address)}</a:Address>"
            f"<a:ReferenceParameters><w:ResourceURI>{CMD_SHELL_URI}</w:ResourceURI>"
            f'<w:SelectorSet><w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet>'
            f"</a:ReferenceParameters></x:ResourceCreated>"
        )
    return (
        f'{created}<rsp:Shell xmlns:rsp="{wsman.NS_SHELL}"><rsp:ShellId>{shell_id}</rsp:ShellId>'
        f"<rsp:ResourceUri>{CMD_SHELL_URI}</rsp:ResourceUri><rsp:Owner>{escape(owner)}</rsp:Owner>"
        f"<rsp:ClientIP>{escape(client_ip)}</rsp:ClientIP>"
        f"<rsp:IdleTimeOut>PT{idle_timeout:.3f}S</rsp:IdleTimeOut>"
        f"<rsp:InputStreams>{escape(options.input_streams)}</rsp:InputStreams>"
        f"<rsp:OutputStreams>{escape(options.output_streams)}</rsp:OutputStreams>"
        f"<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime>"
        f"<rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>"
    )


def receive_body(
    command_id: str, chunks: list[tuple[str, bytes]], done: bool, exit_code: int
) -> str:
    """``rsp:ReceiveResponse`` as ``test_winrs_stderr_rc.yml`` shows it: the chunks in
    order, then (once the process has exited) an empty ``End`` stream for stdout and
    stderr and ``CommandState`` Done with the ExitCode; Running before that."""
    attr = f'CommandId="{command_id}"'
    parts = ["<rsp:ReceiveResponse>"]
    parts.extend(
        f'<rsp:Stream Name="{stream}" {attr}>{base64.b64encode(data).decode("ascii")}</rsp:Stream>'
        for stream, data in chunks
    )
    if done:
        parts.append(f'<rsp:Stream Name="stdout" {attr} End="true"></rsp:Stream>')
        parts.append(f'<rsp:Stream Name="stderr" {attr} End="true"></rsp:Stream>')
        parts.append(
            f'<rsp:CommandState {attr} State="{STATE_DONE}">'
            f"<rsp:ExitCode>{exit_code}</rsp:ExitCode></rsp:CommandState>"
        )
    else:
        parts.append(f'<rsp:CommandState {attr} State="{STATE_RUNNING}"/>')
    parts.append("</rsp:ReceiveResponse>")
    return "".join(parts)


class WinRSHost:
    """Answers the cmd shell's requests for one endpoint, over the endpoint's shell table.

    The shells live in the same table as the PowerShell ones, so the endpoint's idle
    reaper, Delete, close and counters treat both alike.
    """

    def __init__(
        self,
        *,
        shells: dict[str, Any],
        lock: threading.Lock,
        runner: object,
        node: str,
        jobs: JobRunner,
        counters: EndpointCounters,
        default_idle: float,
        address: str,
    ) -> None:
        self._shells = shells
        self._lock = lock
        self._runner = runner
        self._node = node
        self._jobs = jobs
        self._counters = counters
        self._default_idle = default_idle
        self._address = address

    def owns(self, request: wsman.WSManRequest) -> bool:
        """Whether the request's ShellId names a cmd shell (pypsrp's ``Get`` of a shell
        uses the generic shell URI, whatever the shell's own)."""
        with self._lock:
            shell = self._shells.get(request.selectors.get("ShellId", "").upper())
        return isinstance(shell, WinRSShell)

    def dispatch(self, request: wsman.WSManRequest, user: str, client_ip: str) -> bytes:
        if request.action == "Create":
            return self._create(request, user, client_ip)
        shell = self._shell(request)
        with shell.in_use():
            return self._on_shell(shell, request, user, client_ip)

    def _on_shell(
        self, shell: WinRSShell, request: wsman.WSManRequest, user: str, client_ip: str
    ) -> bytes:
        if request.action == "Command":
            line = request.body_child("CommandLine")
            command = line.find(f"{{{wsman.NS_SHELL}}}Command")
            words = [(command.text or "") if command is not None else ""]
            words += [a.text or "" for a in line.findall(f"{{{wsman.NS_SHELL}}}Arguments")]
            skip = request.options.get("WINRS_SKIP_CMD_SHELL", "False").casefold() == "true"
            cid = shell.command(line.get("CommandId"), " ".join(words).strip(), skip)
            body = (
                f"<rsp:CommandResponse><rsp:CommandId>{cid}</rsp:CommandId></rsp:CommandResponse>"
            )
            return wsman.response(request, body)
        if request.action == "Send":
            for stream in request.body_child("Send").findall(f"{{{wsman.NS_SHELL}}}Stream"):
                end = (stream.get("End") or "false").casefold() == "true"
                shell.send(stream.get("CommandId") or "", _b64(stream.text), end)
            return wsman.response(request, "<rsp:SendResponse/>")
        if request.action == "Receive":
            desired = request.body_child("Receive").find(f"{{{wsman.NS_SHELL}}}DesiredStream")
            cid = (desired.get("CommandId") if desired is not None else None) or ""
            chunks, done, code = shell.receive(
                cid, request.max_envelope_size, request.operation_timeout
            )
            return wsman.response(request, receive_body(cid.upper(), chunks, done, code))
        if request.action == "Signal":
            signal = request.body_child("Signal")
            code_el = signal.find(f"{{{wsman.NS_SHELL}}}Code")
            shell.signal(
                signal.get("CommandId") or "", (code_el.text or "") if code_el is not None else ""
            )
            return wsman.response(request, "<rsp:SignalResponse/>")
        if request.action == "Delete":
            with self._lock:
                removed = self._shells.pop(shell.shell_id, None)
            shell.close()
            if removed is not None:
                self._counters.shell_closed()
            return wsman.response(request, "")
        if request.action == "Get":
            body = shell_body(
                shell.shell_id, shell.options, owner=user, client_ip=client_ip,
                idle_timeout=shell.idle_timeout,
            )  # fmt: skip
            return wsman.response(request, body)
        raise wsman.unsupported_action_fault(request.action_uri)

    def _create(self, request: wsman.WSManRequest, user: str, client_ip: str) -> bytes:
        if not isinstance(self._runner, CommandRunner):
            raise wsman.resource_not_found_fault(request.resource_uri)
        options, idle = parse_create(request, self._default_idle)
        shell_id = (request.body_child("Shell").get("ShellId") or str(uuid.uuid4())).upper()
        shell = WinRSShell(
            shell_id, runner=self._runner, node=self._node, user=user, jobs=self._jobs,
            options=options, idle_timeout=idle,
        )  # fmt: skip
        with self._lock:
            self._shells[shell_id] = shell
        self._counters.shell_opened()
        body = shell_body(
            shell_id, options, owner=user, client_ip=client_ip, idle_timeout=idle,
            address=self._address,
        )  # fmt: skip
        return wsman.response(request, body)

    def _shell(self, request: wsman.WSManRequest) -> WinRSShell:
        with self._lock:
            shell = self._shells.get(request.selectors.get("ShellId", "").upper())
        if not isinstance(shell, WinRSShell):
            raise wsman.unknown_shell_fault()
        return shell


def _b64(text: str | None) -> bytes:
    try:
        return base64.b64decode((text or "").strip(), validate=True)
    except ValueError as exc:
        raise wsman.invalid_xml_fault("A stream is not valid base64.") from exc
