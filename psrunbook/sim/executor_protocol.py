"""The narrow interface between the WSMan/PSRP endpoint and whatever runs a pipeline.

The endpoint knows the protocol and nothing about PowerShell; an executor knows
PowerShell (or pretends to, in the protocol tests) and nothing about the protocol.
Values crossing this line are the simulator's value types from
:mod:`psrunbook.sim.objects`; the endpoint converts them to and from PSRP objects.
Both modules sit beside the three rooms, not in any of them, so that the endpoint and
the language never import each other: the lab is the only room that joins them.
"""

from __future__ import annotations

import datetime
import threading
import uuid
from collections.abc import Iterable
from typing import Any, Protocol, TypeGuard, runtime_checkable

import msgspec

from psrunbook.sim.objects import ErrorRecordData, ProgressData

SESSION_PID = 4242
"""``$PID`` of every session and the ProcessId of every shell the endpoint creates: the
process hosting it (wsmprovhost.exe for PSRP; powershell.exe under a WinRS shell), a lab
value. The lab models no such process, so ``Get-Process -Id $PID`` is refused by name."""


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
    """A whole pipeline as the client sent it, with the objects piped into it.

    ``input`` is None for a pipeline created with NoInput; otherwise the objects the
    client sends, which may still be arriving while the pipeline runs (a
    :class:`~psrunbook.sim.streamed_input.StreamedInput`: iterating it waits for each).
    """

    commands: tuple[CommandRequest, ...]
    input: Iterable[Any] | None = None


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
RUNSPACE_DRIVE_LOCATIONS = "drive_locations"
"""The key of each FileSystem drive's current location in the runspace (letter -> path),
which ``Set-Location C:`` returns to (about_Locations)."""
RUNSPACE_PROFILE_LOADED = "profile_loaded"
"""The key set False in a runspace created without the user's profile
(``WINRS_NOPROFILE``): its environment is the system profile's and the user's profile
folders are not there; absent means loaded."""
RUNSPACE_WOW64 = "wow64"
"""The key set True in a runspace whose host process is 32-bit on the 64-bit node: a
session of the ``Microsoft.PowerShell32`` configuration, which WinRM hosts in a WOW64
process (about_Remote_Troubleshooting, "How to run a 32-bit ... session"). Its
``[Environment]::Is64BitProcess`` is False and its environment WOW64's; what Windows
redirects for such a process (the Registry Redirector's HKLM\\SOFTWARE, the File System
Redirector's %windir%\\System32) the lab does not model, so it refuses it by name. Absent
means a 64-bit host process."""
RUNSPACE_CONFIGURATION = "configuration_name"
"""The key of the session configuration the runspace's pool was created under, as the
client named it in the resource URI (``$PSSenderInfo.ConfigurationName``); absent means
``Microsoft.PowerShell``."""
RUNSPACE_PROVIDER_LOCATION = "provider_location"
"""The key of the runspace's location when it is another provider's root
(``Variable:\\``, as :attr:`~psrunbook.sim.ps.provider_roots.ProviderRoot.path` spells
it), which ``$PWD`` then shows; the FileSystem location is kept for a return to it."""


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


class HostCallObject(msgspec.Struct, frozen=True):
    """A host-call parameter PowerShell's ``RemoteHostEncoder`` sends as a bag of fields:
    ``<Obj><MS>`` with the fields in this order and no type names (a Coordinates is
    ``x``, ``y``; a ProgressRecord ``Activity``, ``ActivityId``, ...), as pypsrp 0.9.1's
    ``responses/test_psrp_pshost_*.yml`` show Windows sending them."""

    fields: tuple[tuple[str, Any], ...]


class HostCallArray(msgspec.Struct, frozen=True):
    """A typed .NET array parameter (``System.Int32[]``); a plain list goes as the
    ``System.Collections.ArrayList`` the encoder makes of a collection."""

    type_name: str
    items: tuple[Any, ...]


class HostChar(msgspec.Struct, frozen=True):
    """A ``System.Char`` (``<C>``, its UTF-16 code): a host-call parameter, or a
    property of an object a host call returned (``KeyInfo.Character``)."""

    code: int

    def __str__(self) -> str:
        return chr(self.code)


class ClientHostInfo(msgspec.Struct, frozen=True):
    """What the client said of its host (PSRP HostInfo, MS-PSRP 2.2.3.14).

    ``default_data`` is HostDefaultData by index (0 ForegroundColor ... 9 WindowTitle):
    a colour as its number, a Coordinates as ``(x, y)``, a Size as ``(width, height)``,
    CursorSize an int, WindowTitle a str; empty when the client sent none.
    """

    has_ui: bool
    has_raw_ui: bool
    default_data: tuple[Any, ...] = ()


class HostCallFailed(Exception):
    """The client's host method threw: the message of the ErrorRecord it sent back."""


class ClientHost(Protocol):
    """The client's PSHost as a server-side remote host reaches it (PSRP host calls).

    ``call`` sends the method (a ``RemoteHostMethodId`` name, MS-PSRP 2.2.3.17) with its
    parameters already shaped as the encoder sends them (str, bool, int for Int32,
    :class:`~psrunbook.sim.objects.PSInt64`, :class:`HostChar`, lists, :class:`HostCallArray`,
    :class:`HostCallObject`). A void method returns None at once; any other waits for
    the client's answer and returns it as a simulator value, raises
    :class:`HostCallFailed` when the client's method failed, and
    :class:`PipelineStopped` when the pipeline is stopped or the shell goes away first.
    """

    @property
    def info(self) -> ClientHostInfo: ...

    def call(self, method: str, parameters: list[Any]) -> Any: ...


@runtime_checkable
class HostingSink(Protocol):
    """An OutputSink that can reach the client's hosts: the pipeline's own
    (``pool=False``: its HostInfo, or the pool's when it asked for UseRunspaceHost,
    answered by PIPELINE_HOST_CALL) and the runspace pool's (RUNSPACEPOOL_HOST_CALL).
    None when the client has no host there (IsHostNull)."""

    def client_host(self, *, pool: bool) -> ClientHost | None: ...


class ForwardedEvent(msgspec.Struct, frozen=True):
    """A PowerShell engine event a subscriber forwards to the client (``-Forward``).

    The fields of ``PSEventArgs`` that ``RemotingEncoder.GeneratePSEventArgs`` puts in
    a USER_EVENT message (MS-PSRP 2.2.2.12); ``computer_name`` is None for an event
    raised on the server itself, ``runspace_id`` the InstanceId of the runspace that
    raised it.
    """

    event_identifier: int
    source_identifier: str | None
    time_generated: datetime.datetime
    sender: Any
    source_args: tuple[Any, ...] | None
    message_data: Any
    computer_name: str | None
    runspace_id: uuid.UUID


@runtime_checkable
class EventForwardingSink(Protocol):
    """An OutputSink whose client hears forwarded events (a PSRP runspace pool's).

    Windows sends them on the runspace pool, not the pipeline, as soon as they are
    raised (``ServerRunspacePoolDriver.HandleRunspacePoolForwardEvent``). A sink without
    it (a local ``powershell.exe``) has no one listening: the event is dropped.
    """

    def user_event(self, event: ForwardedEvent) -> None: ...


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


_IMPLEMENTS: dict[tuple[type, type], bool] = {}


def type_implements(kind: type, protocol: type) -> bool:
    """Whether instances of ``kind`` are instances of the runtime-checkable ``protocol``
    (whose members are methods), asked of the class once and remembered."""
    known = _IMPLEMENTS.get((kind, protocol))
    if known is None:
        known = _IMPLEMENTS[(kind, protocol)] = issubclass(kind, protocol)
    return known


def is_hosting_sink(sink: object) -> TypeGuard[HostingSink]:
    """``isinstance(sink, HostingSink)``, decided once per sink type: typing's check looks
    up every member of the protocol on every call (about 15 us in Python 3.11), and the
    executor asks it for every pipeline (issue 16). The sinks define their methods in
    their classes, so the class answers for its instances."""
    return type_implements(type(sink), HostingSink)


def is_event_forwarding_sink(sink: object) -> TypeGuard[EventForwardingSink]:
    """``isinstance(sink, EventForwardingSink)``, decided once per sink type (as
    :func:`is_hosting_sink`)."""
    return type_implements(type(sink), EventForwardingSink)

