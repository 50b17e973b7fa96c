"""The narrow interface between the WSMan/PSRP endpoint and whatever runs a pipeline.

The endpoint knows the protocol and nothing about PowerShell; an executor knows
PowerShell (or pretends to, in the protocol tests) and nothing about the protocol.
Values crossing this line are the simulator's value types from
:mod:`psrunbook.sim.objects`; the endpoint converts them to and from PSRP objects.
Both modules sit beside the three rooms, not in any of them, so that the endpoint and
the language never import each other: the lab is the only room that joins them.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol, runtime_checkable

import msgspec

from psrunbook.sim.objects import ErrorRecordData, ProgressData


class CommandRequest(msgspec.Struct, frozen=True):
    """One command of a PSRP pipeline: a script text or a command name, with arguments.

    ``arguments`` keeps PSRP's order; a ``None`` name is a positional argument.
    ``ends_statement`` marks the last command of a statement (``add_statement()``);
    the commands after it form the next pipeline statement. ``use_local_scope`` is
    PSRP's UseLocalScope: unset or false runs a script in the runspace's global scope
    (its variables outlive the pipeline), true in a new child scope.

    ``merge_*`` are PSRP's MergeError/MergeWarning/... of this command: ``"none"`` keeps
    the stream, ``"output"`` sends its records into this command's output (as
    ``2>&1`` does), ``"null"`` discards them. ``merge_previous`` is
    MergeUnclaimedPreviousCommandResults.
    """

    text: str
    is_script: bool
    arguments: tuple[tuple[str | None, Any], ...] = ()
    ends_statement: bool = False
    use_local_scope: bool | None = None
    merge_error: str = "none"
    merge_warning: str = "none"
    merge_verbose: str = "none"
    merge_debug: str = "none"
    merge_information: str = "none"
    merge_previous: bool = False


class StreamRecord(msgspec.Struct, frozen=True):
    """A warning, verbose or debug record merged into the output stream.

    Windows sends it there as the record object itself (a WarningRecord, ...), not as
    its text, so the client sees the same type it would on its own stream.
    """

    kind: str
    """``Warning``, ``Verbose`` or ``Debug``."""
    message: str

    def __str__(self) -> str:
        return self.message


class InformationRecordValue(msgspec.Struct, frozen=True):
    """A Write-Information/Write-Host record merged into the output stream."""

    data: Any

    def __str__(self) -> str:
        return str(self.data)


class PipelineRequest(msgspec.Struct, frozen=True):
    """A whole pipeline as the client sent it, with the objects piped into it."""

    commands: tuple[CommandRequest, ...]
    input: tuple[Any, ...] = ()


class SenderInfo(msgspec.Struct, frozen=True):
    """Who opened the runspace pool and how: PowerShell's ``$PSSenderInfo``.

    ``application_arguments`` is the pool's ApplicationArguments (pypsrp's
    ``RunspacePool.open(application_arguments)``), ``connection_string`` the URL the
    client connected to.
    """

    connection_string: str
    application_arguments: Any = None


RUNSPACE_LOCATION = "location"
"""The key, in :attr:`ExecutionContext.runspace`, of the runspace's current FileSystem
location when whoever started it set one (a ``powershell.exe`` process: its working
directory); see :mod:`psrunbook.sim.ps.location`."""


class ExecutionContext(msgspec.Struct, frozen=True):
    """Where and as whom the pipeline runs; ``stop`` is set when the client stops it."""

    node: str
    user: str
    stop: threading.Event = msgspec.field(default_factory=threading.Event)
    runspace: dict[str, Any] = msgspec.field(default_factory=dict)
    """What the executor keeps between the pipelines of one runspace pool (the endpoint
    passes the same dict to every pipeline of a shell), as PowerShell keeps its global
    scope: variables set by one pipeline are there for the next."""
    sender: SenderInfo | None = None
    """The remote session's sender, when the pipeline came over PSRP."""


class OutputSink(Protocol):
    """Where an executor writes what a PowerShell pipeline would stream to the client."""

    def output(self, value: Any) -> None: ...

    def error(self, record: ErrorRecordData) -> None: ...

    def warning(self, message: str) -> None: ...

    def verbose(self, message: str) -> None: ...

    def information(self, value: Any) -> None: ...

    def debug(self, message: str) -> None: ...

    def progress(self, record: ProgressData) -> None: ...


class PipelineFailed(Exception):
    """The pipeline ended Failed; the endpoint sends ``record`` as ExceptionAsErrorRecord."""

    def __init__(self, record: ErrorRecordData) -> None:
        super().__init__(record.message)
        self.record = record


class PipelineStopped(Exception):
    """The pipeline was stopped at the client's request (state Stopped)."""


class Executor(Protocol):
    """Runs one pipeline to completion, writing to ``sink``.

    Returns normally for state Completed (errors written to the sink are
    non-terminating), raises :class:`PipelineFailed` for Failed and
    :class:`PipelineStopped` when ``context.stop`` was honoured.
    """

    def execute(
        self, request: PipelineRequest, context: ExecutionContext, sink: OutputSink
    ) -> None: ...


class ShellCommandRequest(msgspec.Struct, frozen=True):
    """One command of a WinRS cmd shell (``Process`` in pypsrp), as WinRM starts it.

    ``command_line`` is the CommandLine's Command and its Arguments joined by spaces,
    which WinRM hands to ``cmd.exe /c`` (unless ``skip_cmd_shell``); ``environment``
    and ``working_directory`` are the shell's, from its Create request.
    """

    command_line: str
    environment: tuple[tuple[str, str], ...] = ()
    working_directory: str | None = None
    skip_cmd_shell: bool = False
    codepage: int = 437


class ProcessIO(Protocol):
    """A WinRS process's standard streams: the client's stdin, our stdout and stderr."""

    def read_stdin(self) -> bytes:
        """Everything the client sends to stdin, once it has sent ``End``; blocks."""
        ...

    def stdout(self, data: bytes) -> None: ...

    def stderr(self, data: bytes) -> None: ...


@runtime_checkable
class CommandRunner(Protocol):
    """An executor that also runs WinRS cmd-shell commands; returns the exit code.

    Raises :class:`PipelineStopped` when ``context.stop`` was honoured. An executor
    without it (the protocol tests' trivial one) has no cmd shell: the endpoint
    answers the WinRS resource URI with a fault.
    """

    def run_command(
        self, request: ShellCommandRequest, context: ExecutionContext, io: ProcessIO
    ) -> int: ...
