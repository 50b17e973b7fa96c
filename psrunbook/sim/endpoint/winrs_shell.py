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

import contextlib
import logging
import time
import uuid
from collections import OrderedDict, deque
from concurrent.futures import Executor as JobRunner

import msgspec

from psrunbook.sim.endpoint import wsman
from psrunbook.sim.endpoint.shell_base import ShellBase
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


class _Process(msgspec.Struct):
    """One command of the shell, from Command until it is terminated or the shell goes."""

    command_id: str
    context: ExecutionContext
    stdin: list[bytes] = msgspec.field(default_factory=list)
    stdin_ended: bool = False
    output: deque[tuple[str, bytes]] = msgspec.field(default_factory=deque)
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


class ShellOptions(msgspec.Struct, frozen=True):
    """What the Create request asked of the shell."""

    environment: tuple[tuple[str, str], ...] = ()
    working_directory: str | None = None
    codepage: int = 437
    input_streams: str = "stdin"
    output_streams: str = "stdout stderr"


class WinRSShell(ShellBase):
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
        client_ip: str = "",
    ) -> None:
        super().__init__(shell_id, idle_timeout, owner=user, client_ip=client_ip)
        self.options = options
        self._runner = runner
        self._node = node
        self._user = user
        self._jobs = jobs
        self._processes: OrderedDict[str, _Process] = OrderedDict()

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

    def commands(self) -> list[tuple[str, str]]:
        """``(CommandId, state)`` of every process not yet terminated whose output a
        client can still take: ``Running``, or ``Done`` with output left."""
        with self.cond:
            return [
                (p.command_id, "Done" if p.done else "Running")
                for p in self._processes.values()
                if not p.done or p.output
            ]

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

    def _forget_finished(self) -> None:
        finished = [p for p in self._processes.values() if p.done]
        for process in finished[: max(len(finished) - _KEEP_FINISHED, 0)]:
            self._processes.pop(process.command_id, None)
