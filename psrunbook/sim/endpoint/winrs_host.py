"""The WinRS cmd shell's requests and answers: Create, Command, Send, Receive, Signal,
Delete and Get on ``.../windows/shell/cmd``, parsed from pypsrp's envelopes and answered
element for element as in pypsrp's Windows recordings (``test_winrs_standard.yml``,
``test_winrs_stderr_rc.yml``, ``test_winrs_send.yml``). The shell itself is
:mod:`.winrs_shell`.
"""

from __future__ import annotations

import base64
import threading
import uuid
from concurrent.futures import Executor as JobRunner
from typing import Any

from psrunbook.sim.endpoint import wsman
from psrunbook.sim.endpoint.clixml import escape
from psrunbook.sim.endpoint.counters import EndpointCounters
from psrunbook.sim.endpoint.winrs_shell import (
    CMD_SHELL_URI,
    STATE_DONE,
    STATE_RUNNING,
    ShellOptions,
    WinRSShell,
)
from psrunbook.sim.executor_protocol import CommandRunner


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


def invalid_parameter_fault() -> wsman.WSManFaultResponse:
    """A cmd shell's Receive with no CommandId (pypsrp polling a Process before it was
    started): Windows faults with ERROR_INVALID_PARAMETER, 87, not the unknown-command
    fault 2150858843 a CommandId that names no process gets (pypsrp 0.9.1's
    ``test_winrs_fail_poll_process.yml`` against ``test_winrs_bad_cmd_id.yml``), naming
    the cmd shell's plugin as the provider, as that recording does."""
    return wsman.WSManFaultResponse(
        87,
        "The parameter is incorrect.",
        subcode="w:InvalidParameter",
        sender=True,
        detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidValue",
        provider=("Shell cmd plugin", "%systemroot%\\system32\\winrscmd.dll"),
    )


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
    element for element as in pypsrp's ``test_winrs_standard.yml`` recording; a shell
    created with a WorkingDirectory shows it after ClientIP (``test_winrs_extra_opts.yml``;
    UNVERIFIED for Get, which no recording shows with one)."""
    created = ""
    directory = ""
    if options.working_directory is not None:
        directory = (
            f"<rsp:WorkingDirectory>{escape(options.working_directory)}</rsp:WorkingDirectory>"
        )
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
        f"<rsp:ClientIP>{escape(client_ip)}</rsp:ClientIP>{directory}"
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
            if not cid:
                raise invalid_parameter_fault()
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
            options=options, idle_timeout=idle, client_ip=client_ip,
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
