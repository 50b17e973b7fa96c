"""One WSMan shell = one PSRP runspace pool, with its pipelines and their output.

psrpcore's server side decodes what the client sends and answers the runspace-pool
handshake (session capability, init data, key exchange, min/max runspaces). Pipeline
output is written here straight into PSRP fragments (see :mod:`psrunbook.sim.endpoint.clixml`)
and kept in one outbox per target, the pool or a pipeline, until a Receive for that
target takes it. A fragment never spans two Receive responses.

The executor runs in a worker thread, so a Receive can long-poll and a Signal can stop
the pipeline while it runs. Everything touching the psrpcore pool or the outboxes
holds the shell's condition lock.
"""

from __future__ import annotations

import base64
import datetime
import logging
import struct
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import Executor as JobRunner
from typing import Any

import msgspec

from psrunbook.sim import command_history
from psrunbook.sim.endpoint.clixml import ClixmlWriter, fresh_copy, from_psrp
from psrunbook.sim.endpoint.command_metadata import command_metadata_shape
from psrunbook.sim.endpoint.counters import EndpointCounters
from psrunbook.sim.endpoint.host_calls import (
    VOID_CALL_ID,
    HostCallChannel,
    RemoteClientHost,
    client_host_info,
    method_identifier,
)
from psrunbook.sim.endpoint.runspace_pool import (
    PipelineShape,
    max_runspaces_allowed,
    min_runspaces_allowed,
    pipeline_shape,
    runspace_pool_class,
)
from psrunbook.sim.endpoint.runspace_reset import reset_allowed, reset_runspace
from psrunbook.sim.endpoint.shell_base import ShellBase
from psrunbook.sim.endpoint.wsman import (
    POWERSHELL_URI,
    POWERSHELL_URI_PREFIX,
    RECEIVE_OVERHEAD,
    STREAM_OVERHEAD,
    WSManFaultResponse,
    connected_to_other_client_fault,
    disconnect_not_valid_fault,
    operation_timeout_fault,
    session_mismatch_fault,
    shell_disconnected_fault,
    stream_disconnected_fault,
    unknown_configuration_fault,
    unknown_shell_fault,
    unmodelled_configuration_fault,
)
from psrunbook.sim.executor_protocol import (
    RUNSPACE_CONFIGURATION,
    RUNSPACE_PROFILE_LOADED,
    RUNSPACE_WOW64,
    ClientHost,
    ExecutionContext,
    Executor,
    ForwardedEvent,
    InformationRecordValue,
    PipelineFailed,
    PipelineRequest,
    PipelineStopped,
    SenderInfo,
    StreamRecord,
)
from psrunbook.sim.objects import ErrorRecordData, ProgressData, PSPrimitiveDictionary
from psrunbook.sim.streamed_input import StreamedInput

log = logging.getLogger(__name__)

MSG_PIPELINE_OUTPUT = 0x00041004
MSG_ERROR_RECORD = 0x00041005
MSG_PIPELINE_STATE = 0x00041006
MSG_DEBUG_RECORD = 0x00041007
MSG_VERBOSE_RECORD = 0x00041008
MSG_WARNING_RECORD = 0x00041009
MSG_PROGRESS_RECORD = 0x00041010
MSG_INFORMATION_RECORD = 0x00041011
MSG_USER_EVENT = 0x00021008
_NO_PIPELINE = uuid.UUID(int=0)

STATE_STOPPED = 3
STATE_COMPLETED = 4
STATE_FAILED = 5
_STATE_NAMES = {STATE_STOPPED: "Stopped", STATE_COMPLETED: "Completed", STATE_FAILED: "Failed"}
"""PipelineState names, as a history entry's ExecutionStatus shows them."""

_FRAGMENT_HEADER = struct.Struct(">QQBI")
_MESSAGE_HEADER = struct.Struct("<iI")
_MAX_FRAGMENT = 128 * 1024
_MIN_FRAGMENT = 1024
_KEEP_FINISHED = 256
"""Finished pipelines remembered per shell, so a late Signal(terminate) still succeeds."""

STOPPED_RECORD = ErrorRecordData(
    message="The pipeline has been stopped.",
    error_id="PipelineStopped",
    category="OperationStopped",
    exception_type="System.Management.Automation.PipelineStoppedException",
)


class _Outbox(msgspec.Struct):
    """Fragments for one target, oldest first, waiting for a Receive."""

    fragments: deque[bytes] = msgspec.field(default_factory=deque)
    size: int = 0
    pending_since: float | None = None
    urgent: bool = False
    """A host call waits for the client's answer: send what is here now."""

    def push(self, fragment: bytes) -> None:
        if not self.fragments:
            self.pending_since = time.monotonic()
        self.fragments.append(fragment)
        self.size += len(fragment)

    def take(self, budget: int) -> list[bytes]:
        """Whole fragments up to ``budget`` bytes, at least one."""
        taken: list[bytes] = []
        used = 0
        while self.fragments and (not taken or used + len(self.fragments[0]) <= budget):
            fragment = self.fragments.popleft()
            taken.append(fragment)
            used += len(fragment) + STREAM_OVERHEAD
        self.size -= sum(len(f) for f in taken)
        self.pending_since = time.monotonic() if self.fragments else None
        self.urgent = self.urgent and bool(self.fragments)
        return taken


class PipelineRun(msgspec.Struct):
    """One pipeline as the shell tracks it, from Command to its final state."""

    command_id: str
    pipeline_id: uuid.UUID
    context: ExecutionContext
    shape: PipelineShape | None = None
    input: StreamedInput | None = None
    """What the client sends to the pipeline while it runs; None for a NoInput pipeline."""
    started: bool = False
    finished: bool = False
    holds_runspace: bool = False
    """Whether the run took one of the pool's runspaces (a nested pipeline uses its
    outer pipeline's)."""


class SessionConfiguration(msgspec.Struct, frozen=True):
    """The PowerShell session configuration (WinRM plugin) a shell was created under."""

    name: str
    """As the client spelled it in the resource URI (names match without regard to case,
    as WinRM's plugin names and Get-PSSessionConfiguration's do)."""
    wow64: bool = False
    """Whether WinRM hosts its sessions in a 32-bit process (WOW64) on the 64-bit node."""

    @property
    def resource_uri(self) -> str:
        return POWERSHELL_URI_PREFIX + self.name


DEFAULT_CONFIGURATION = SessionConfiguration(POWERSHELL_URI.removeprefix(POWERSHELL_URI_PREFIX))

SERVED_CONFIGURATIONS: dict[str, bool] = {
    "microsoft.powershell": False,
    "microsoft.powershell32": True,
}
"""The session configurations every Windows Server node registers that the lab serves,
by folded name, with whether the host process is 32-bit: ``Microsoft.PowerShell`` and,
on 64-bit Windows, ``Microsoft.PowerShell32``, "a 32-bit session configuration"
(about_Session_Configurations, 5.1: "Built-in Session Configurations"; WinRM "loads a
WOW64 process" for it, about_Remote_Troubleshooting)."""

UNMODELLED_CONFIGURATIONS: dict[str, str] = {
    "microsoft.powershell.workflow": "PowerShell Workflow's endpoint",
    "microsoft.windows.servermanagerworkflows": "Server Manager's workflow endpoint",
}
"""Configurations a Windows Server 2016-2022 node registers by default that the lab does
not model: refused by name (:func:`~psrunbook.sim.endpoint.wsman.
unmodelled_configuration_fault`), never served as ``Microsoft.PowerShell``.
``Microsoft.PowerShell.Workflow`` is built into Windows PowerShell 3.0 to 5.1
(about_Session_Configurations, 5.1, lists it beside the other two);
``microsoft.windows.servermanagerworkflows`` is what Server Manager registers on Windows
Server (UNVERIFIED on which builds and editions: a name Windows lacks would get
:func:`~psrunbook.sim.endpoint.wsman.unknown_configuration_fault` there, a refusal all
the same). Others a role or product adds (``PowerShell.7``, ``microsoft.sme.powershell``,
``Microsoft.Exchange``) are not there by default: Windows' fault for an unknown name."""


def session_configuration(resource_uri: str) -> SessionConfiguration:
    """The configuration a PowerShell resource URI names, as the lab serves it; Windows'
    fault for a name the node has not registered, the lab's refusal for one it has but
    the lab does not model."""
    name = resource_uri[len(POWERSHELL_URI_PREFIX) :]
    folded = name.casefold()
    wow64 = SERVED_CONFIGURATIONS.get(folded)
    if wow64 is not None:
        return SessionConfiguration(name, wow64)
    what = UNMODELLED_CONFIGURATIONS.get(folded)
    if what is not None:
        raise unmodelled_configuration_fault(name, what)
    raise unknown_configuration_fault(resource_uri)


class ShellSession(ShellBase):
    """A runspace pool behind one ShellId."""

    def __init__(
        self,
        shell_id: str,
        *,
        envelope_size: int,
        executor: Executor,
        node: str,
        user: str,
        jobs: JobRunner,
        counters: EndpointCounters,
        flush_interval: float,
        idle_timeout: float = 7200.0,
        connection_string: str = "",
        profile_loaded: bool = True,
        client_ip: str = "",
        session_id: str = "",
        configuration: SessionConfiguration = DEFAULT_CONFIGURATION,
    ) -> None:
        super().__init__(shell_id, idle_timeout, owner=user, client_ip=client_ip)
        self.configuration = configuration
        """The session configuration the pool was created under: requests for the shell
        name it (:meth:`serves`), its runspace is 32-bit when it is."""
        self.client_session = session_id
        """The ``SessionId`` of the client connected to the shell (the creator's, or the
        last to Connect): only it may use the shell, or Reconnect after a Disconnect."""
        self.disconnected = False
        """Disconnected by the client, or by WinRM after IdleTimeOut without a request:
        pipelines run on and their output waits for a Reconnect or a Connect."""
        self.buffer_mode = "Block"
        self.profile_loaded = profile_loaded
        """False for a pool created with ``WINRS_NOPROFILE``: its runspace has no user
        profile (see :data:`~psrunbook.sim.ps.evaluator.SYSTEM_PROFILE`)."""
        self.pool = runspace_pool_class()()
        self._executor = executor
        self._node = node
        self._user = user
        self._connection_string = connection_string
        self._jobs = jobs
        self._counters = counters
        self._flush_interval = flush_interval
        self._fragment_size = self._fragment_size_for(envelope_size)
        self._outboxes: dict[uuid.UUID | None, _Outbox] = {None: _Outbox()}
        self._runs: OrderedDict[str, PipelineRun] = OrderedDict()
        self._by_pipeline_id: dict[uuid.UUID, PipelineRun] = {}
        self._runspace_state: dict[str, Any] = (
            {} if profile_loaded else {RUNSPACE_PROFILE_LOADED: False}
        )
        if configuration != DEFAULT_CONFIGURATION:
            self._runspace_state[RUNSPACE_CONFIGURATION] = configuration.name
        if configuration.wow64:
            self._runspace_state[RUNSPACE_WOW64] = True
        self._busy_runspaces = 0
        self._key_exchanged = False
        """Whether the client has sent its public key (PUBLIC_KEY, MS-PSRP 2.2.2.3)."""
        self._waiting: deque[tuple[PipelineRun, PipelineRequest]] = deque()
        self._host_calls = HostCallChannel(self.cond)
        """Host calls waiting for the client's answer (:mod:`.host_calls`)."""
        """Pipelines waiting for a free runspace, oldest first: a pool opened with
        max_runspaces=N runs at most N pipelines at once, as Windows does."""

    @staticmethod
    def _fragment_size_for(envelope_size: int) -> int:
        usable = (envelope_size - RECEIVE_OVERHEAD - STREAM_OVERHEAD) * 3 // 4
        return max(_MIN_FRAGMENT, min(_MAX_FRAGMENT, usable))

    # -- input from the client ---------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Hand PSRP fragments to psrpcore and act on every complete message."""
        from psrpcore import PSRPPayload, StreamType  # noqa: PLC0415 - heavy import

        with self.cond:
            self._check_open()
            self.pool.receive_data(PSRPPayload(data, StreamType.default, None))
            while (event := self.pool.next_event()) is not None:
                self._on_event(event)
            self._drain_pool()
            self.cond.notify_all()

    def _on_event(self, event: Any) -> None:
        from psrpcore import (  # noqa: PLC0415 - heavy import
            CreatePipelineEvent,
            EndOfPipelineInputEvent,
            GetAvailableRunspacesEvent,
            GetCommandMetadataEvent,
            PipelineInputEvent,
            PublicKeyEvent,
            ResetRunspaceStateEvent,
            SetMaxRunspacesEvent,
            SetMinRunspacesEvent,
        )

        if isinstance(event, CreatePipelineEvent):
            run = self._by_pipeline_id[event.pipeline_id]
            # Read from psrpcore's description once per text (the pool kept it), never
            # from ``event.pipeline``, which builds another description.
            run.shape = self.pool.shapes.pop(event.pipeline_id, None) or pipeline_shape(
                self.pool.pipeline_table[event.pipeline_id].metadata
            )
            # Windows starts the pipeline now, its input still open (.streamed_input).
            if not run.shape.no_input:
                run.input = StreamedInput(self.cond, run.context.stop)
            self._start(run)
        elif isinstance(event, GetCommandMetadataEvent):
            # Windows runs it as Get-Command pipelines on this pipeline (.command_metadata).
            run = self._by_pipeline_id[event.pipeline_id]
            run.shape = command_metadata_shape(self.pool.pipeline_table[event.pipeline_id].metadata)
            self._start(run)
        elif isinstance(event, PublicKeyEvent):
            # psrpcore answered ENCRYPTED_SESSION_KEY; a pipeline waiting to send a
            # SecureString to an old client goes on (``feed`` wakes it).
            self._key_exchanged = True
        elif isinstance(event, PipelineInputEvent | EndOfPipelineInputEvent):
            # Dropped for a NoInput pipeline or one already gone, as Windows drops it.
            receiver = self._by_pipeline_id.get(event.pipeline_id)
            if receiver is not None and receiver.input is not None:
                if isinstance(event, PipelineInputEvent):
                    receiver.input.add(from_psrp(event.data))
                else:
                    receiver.input.complete()
        elif isinstance(event, SetMaxRunspacesEvent):
            allowed = max_runspaces_allowed(int(event.count), int(self.pool.min_runspaces))
            self.pool.runspace_availability_response(event.ci, allowed)
            self._start_waiting()
        elif isinstance(event, SetMinRunspacesEvent):
            allowed = min_runspaces_allowed(int(event.count), int(self.pool.max_runspaces))
            self.pool.runspace_availability_response(event.ci, allowed)
        elif isinstance(event, ResetRunspaceStateEvent):
            self.pool.runspace_availability_response(event.ci, self._reset_runspace())
        elif isinstance(event, GetAvailableRunspacesEvent):
            self.pool.runspace_availability_response(
                event.ci, max(self._max_runspaces() - self._busy_runspaces, 0)
            )
        else:
            self._on_host_response(event)

    def _on_host_response(self, event: Any) -> None:
        """PIPELINE_HOST_RESPONSE / RUNSPACEPOOL_HOST_RESPONSE: wake the waiting call."""
        from psrpcore import (  # noqa: PLC0415 - heavy import
            PipelineHostResponseEvent,
            RunspacePoolHostResponseEvent,
        )

        if isinstance(event, PipelineHostResponseEvent | RunspacePoolHostResponseEvent):
            self._host_calls.answer(int(event.ci), event.result, event.error)

    def _reset_runspace(self) -> bool:
        """RESET_RUNSPACE_STATE: reset the runspace if Windows would (holds ``cond``)."""
        busy = self._busy_runspaces > 0 or bool(self._waiting)
        if not reset_allowed(self._max_runspaces(), busy):
            return False
        context = ExecutionContext(
            node=self._node,
            user=self._user,
            runspace=self._runspace_state,
            sender=self._sender_info(),
        )
        try:
            reset_runspace(self._executor, context)
        except Exception:  # LocalRunspace.ResetRunspaceState threw: Windows answers false
            log.exception("runspace reset failed on %s", self._node)
            return False
        return True

    def command(self, command_id: str | None, data: bytes) -> str:
        """Create a pipeline from the Command's first fragments; returns its CommandId."""
        from psrpcore import ServerPipeline  # noqa: PLC0415 - heavy import

        pipeline_id = _pipeline_id_of(data)
        cid = (command_id or str(pipeline_id)).upper()
        with self.cond:
            self._check_open()
            context = ExecutionContext(
                node=self._node,
                user=self._user,
                runspace=self._runspace_state,
                sender=self._sender_info(),
            )
            run = PipelineRun(cid, pipeline_id, context)
            ServerPipeline(self.pool, pipeline_id)
            self._runs[cid] = run
            self._by_pipeline_id[pipeline_id] = run
            self._outboxes[pipeline_id] = _Outbox()
            self._forget_finished()
        self._counters.pipeline_created()
        self.feed(data)
        return cid

    def _sender_info(self) -> SenderInfo:
        """``$PSSenderInfo``'s parts: the pool's ApplicationArguments and the client's URL."""
        arguments = from_psrp(self.pool.application_arguments or {})
        return SenderInfo(
            connection_string=self._connection_string,
            application_arguments=PSPrimitiveDictionary(arguments.items()),
        )

    def run_for(self, command_id: str) -> PipelineRun:
        run = self._runs.get(command_id.upper())
        if run is None:
            raise unknown_shell_fault("command")
        return run

    def signal(self, command_id: str, code: str) -> None:
        """``terminate`` forgets the pipeline; ``ctrl_c`` (and others) ask it to stop."""
        with self.cond:
            self._check_open()
            run = self.run_for(command_id)
            run.context.stop.set()
            self._start_stopped_waiting(run)
            if code.lower().endswith("terminate"):
                self._discard(run)
            self.cond.notify_all()

    def close(self) -> None:
        """Delete the shell: stop every pipeline and wake every waiting Receive."""
        with self.cond:
            self.closed = True
            self._waiting.clear()
            for run in self._runs.values():
                run.context.stop.set()
            self._runs.clear()
            self._by_pipeline_id.clear()
            self._outboxes.clear()
            self.cond.notify_all()

    # -- disconnected operations (MS-PSRP 3.1.4.10, 3.1.5.3.14 to 3.1.5.3.19) -----------

    @property
    def state(self) -> str:
        """``Connected`` or ``Disconnected``, as Get and Enumerate report the shell."""
        return "Disconnected" if self.disconnected else "Connected"

    def serves(self, configuration: SessionConfiguration) -> bool:
        """Whether a request whose resource URI names ``configuration`` reaches this shell.
        WinRM finds a shell through the plugin the resource URI names, so a request under
        another configuration does not find it (UNVERIFIED: the stricter choice; pypsrp
        and psrunbook's left-pipeline lookup always name the shell's own)."""
        return self.configuration.name.casefold() == configuration.name.casefold()

    def check_client(self, session_id: str) -> None:
        """Refuse a Command, Send, Receive or Signal the shell cannot take now: while it is
        disconnected (0x803381C4), or from another client session than the connected one
        (whether Windows checks the session on these is UNVERIFIED; the stricter choice)."""
        with self.cond:
            self._check_open()
            if self.disconnected:
                raise shell_disconnected_fault()
            if session_id != self.client_session:
                raise connected_to_other_client_fault()

    def disconnect(self, session_id: str, idle_timeout: float | None, buffer_mode: str) -> None:
        """Disconnect the client: pipelines run on, a Receive still waiting ends with
        :func:`stream_disconnected_fault`; ``idle_timeout`` and ``buffer_mode`` replace the
        shell's (MS-PSRP 3.1.5.3.16)."""
        with self.cond:
            self._check_open()
            if self.disconnected:
                raise disconnect_not_valid_fault()
            if session_id != self.client_session:
                raise connected_to_other_client_fault()
            self._mark_disconnected()
            if idle_timeout is not None:
                self.idle_timeout = idle_timeout
            if buffer_mode:
                self.buffer_mode = buffer_mode

    def _mark_disconnected(self) -> None:
        # psrpcore's pool stays Opened: ``disconnected`` refuses every request meanwhile,
        # and a new client's Connect moves the pool to Connecting itself.
        self.disconnected = True
        self.cond.notify_all()

    def idle_expired(self) -> bool:
        """IdleTimeOut passed without a request: WinRM disconnects a connected PowerShell
        shell (pypsrp 0.9.1's ``test_psrp_is_alive_state_disconnected.yml``: a pool with
        ``idle_timeout=60``, asked 62 s later, is ``Disconnected``) and deletes one that
        has been disconnected for its IdleTimeOut (about_Remote_Disconnected_Sessions)."""
        with self.cond:
            if self.closed or self.disconnected:
                return True
            self._mark_disconnected()
        self.restart_idle_clock()
        return False

    def reconnect(self, session_id: str) -> None:
        """The client that disconnected takes the shell back (MS-PSRP 3.1.4.10.2): its
        ``SessionId`` must be the one it disconnected with. A Reconnect of the connected
        client succeeds and changes nothing (``test_psrp_disconnected_commands.yml``)."""
        with self.cond:
            self._check_open()
            if session_id != self.client_session:
                if self.disconnected:
                    raise session_mismatch_fault()
                raise connected_to_other_client_fault()
            if self.disconnected:
                self.disconnected = False
                self.cond.notify_all()

    def connect(self, session_id: str, data: bytes) -> bytes:
        """A new client connects to the disconnected pool (MS-PSRP 3.1.4.10.1); returns
        the PSRP fragments of the ConnectResponse's ``connectResponseXml``.

        ``data`` holds the client's SESSION_CAPABILITY and CONNECT_RUNSPACEPOOL. The answer
        is the server's SESSION_CAPABILITY and RUNSPACEPOOL_INIT_DATA; the
        APPLICATION_PRIVATE_DATA waits for the pool's next Receive, after any output
        that waited for a client already.
        """
        from psrpcore import PSRPPayload, StreamType  # noqa: PLC0415 - heavy import

        with self.cond:
            self._check_open()
            if not self.disconnected:
                raise connected_to_other_client_fault()
            self._drain_pool()
            self.pool.accept_connection()
            self.pool.receive_data(PSRPPayload(data, StreamType.default, None))
            while self.pool.next_event() is not None:
                pass
            fragments: list[bytes] = []
            while (payload := self.pool.data_to_send(self._fragment_size)) is not None:
                fragments.extend(split_fragments(bytes(payload.data)))
            answer, rest = _first_messages(fragments, 2)
            outbox = self._outboxes[None]
            for fragment in rest:
                outbox.push(fragment)
            self.disconnected = False
            self.client_session = session_id
            self.cond.notify_all()
        return b"".join(answer)

    def connect_command(self, session_id: str, command_id: str) -> None:
        """The connected client takes up a pipeline that ran on while no client was
        connected (``<rsp:Connect CommandId=...>``); its output waits for its Receive."""
        with self.cond:
            self.check_client(session_id)
            self.run_for(command_id)

    def commands(self) -> list[tuple[str, str]]:
        """``(CommandId, state)`` of every pipeline a client can still connect to: running,
        or finished with output not yet received (``Done``: UNVERIFIED, Windows'
        enumeration was recorded for running pipelines only)."""
        with self.cond:
            listed = []
            for run in self._runs.values():
                outbox = self._outboxes.get(run.pipeline_id)
                if not run.finished:
                    listed.append((run.command_id, "Running"))
                elif outbox is not None and outbox.fragments:
                    listed.append((run.command_id, "Done"))
            return listed

    # -- output to the client ----------------------------------------------------------

    def receive(
        self, command_id: str | None, envelope_size: int, timeout: float
    ) -> tuple[list[str], bool]:
        """Long-poll for output; returns base64 stream payloads and whether the command is done.

        A pipeline's output is held until it finishes, fills the envelope, or has waited
        ``flush_interval``, so a short pipeline costs exactly one Receive.
        """
        budget = max(
            (envelope_size - RECEIVE_OVERHEAD) * 3 // 4, self._fragment_size + STREAM_OVERHEAD
        )
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                self._check_open()
                if self.disconnected:
                    raise stream_disconnected_fault()
                run = None if command_id is None else self.run_for(command_id)
                outbox = self._outboxes[None if run is None else run.pipeline_id]
                now = time.monotonic()
                if self._ready(run, outbox, budget, now):
                    break
                wait = deadline - now
                if wait <= 0:
                    if outbox.fragments:
                        break
                    raise operation_timeout_fault()
                if outbox.pending_since is not None:
                    wait = min(wait, outbox.pending_since + self._flush_interval - now)
                self._counters.receive_waiting(1)
                try:
                    self.cond.wait(max(wait, 0.0))
                finally:
                    self._counters.receive_waiting(-1)
            fragments = outbox.take(budget)
            done = run is not None and run.finished and not outbox.fragments
        streams = [base64.b64encode(f).decode("ascii") for f in fragments]
        return streams, done

    def _ready(self, run: PipelineRun | None, outbox: _Outbox, budget: int, now: float) -> bool:
        if run is None:
            return bool(outbox.fragments)
        if run.finished or outbox.size >= budget or outbox.urgent:
            return True
        return (
            outbox.pending_since is not None and now - outbox.pending_since >= self._flush_interval
        )

    def queue_message(self, run: PipelineRun, message_type: int, body: bytes) -> None:
        """Fragment one PSRP message for ``run`` and wake a waiting Receive."""
        self._queue(run.pipeline_id, message_type, body)

    def queue_pool_message(self, message_type: int, body: bytes) -> None:
        """Fragment one PSRP message for the runspace pool itself (its pipeline id the
        empty GUID, MS-PSRP 2.2.1) and wake a Receive waiting without a CommandId."""
        self._queue(None, message_type, body)

    def _queue(self, pipeline_id: uuid.UUID | None, message_type: int, body: bytes) -> None:
        message = b"".join(
            (
                _MESSAGE_HEADER.pack(1, message_type),
                self.pool.runspace_pool_id.bytes_le,
                (pipeline_id or _NO_PIPELINE).bytes_le,
                body,
            )
        )
        with self.cond:
            outbox = self._outboxes.get(pipeline_id)
            if outbox is None:  # terminated or shell deleted meanwhile
                return
            object_id = self.pool._fragment_counter
            chunk = self._fragment_size - _FRAGMENT_HEADER.size
            pieces = [message[i : i + chunk] for i in range(0, len(message), chunk)] or [b""]
            last = len(pieces) - 1
            for index, piece in enumerate(pieces):
                flags = (1 if index == 0 else 0) | (2 if index == last else 0)
                outbox.push(_FRAGMENT_HEADER.pack(object_id, index, flags, len(piece)) + piece)
            self.cond.notify_all()

    def secure_string_encryptor(self, run: PipelineRun) -> Callable[[str], str]:
        """How a SecureString ``run`` outputs is encrypted, as Windows PowerShell does it.

        ``PSRemotingCryptoHelperServer.EncryptSecureString`` (PowerShell/PowerShell
        src/System.Management.Automation/engine/remoting/common/CryptoUtils.cs): for a
        client of protocol 2.2 or later "server will never initiate key exchange": it
        generates its session key and encrypts with it, and the client can decrypt once
        it exchanges keys, which sends it that same key (pypsrp 1.0's
        ``test_powershell_receive_secure_string`` against Windows: the value arrives
        before ``exchange_key()`` and decrypts after it). psrpcore's server pool made
        its session key when created. An older client (protocol 2.1, PowerShell v2) is
        asked for its key first (``RunKeyExchangeIfRequired``: PUBLIC_KEY_REQUEST,
        MS-PSRP 2.2.2.5) and the pipeline waits for the exchange.
        """
        if _protocol_at_least(self.pool.their_capability, (2, 2)):
            return self.pool._cipher.encrypt  # type: ignore[no-any-return]

        def encrypt_after_key_exchange(text: str) -> str:
            self._wait_for_key_exchange(run)
            return self.pool._cipher.encrypt(text)  # type: ignore[no-any-return]

        return encrypt_after_key_exchange

    def _wait_for_key_exchange(self, run: PipelineRun) -> None:
        """Ask the client for its public key (once) and wait until it has sent it.

        Windows waits without a time limit (UNVERIFIED); a stop or the shell's deletion
        ends the wait here.
        """
        with self.cond:
            if self._key_exchanged:
                return
            self._check_open()
            self.pool.request_key()  # sends PUBLIC_KEY_REQUEST once per pool
            self._drain_pool()
            self.cond.notify_all()
            while not self._key_exchanged:
                if self.closed or run.context.stop.is_set():
                    raise PipelineStopped
                self.cond.wait(1.0)

    # -- host calls --------------------------------------------------------------------

    def client_host(self, run: PipelineRun, *, pool: bool) -> ClientHost | None:
        """The client's host as ``run`` reaches it: the pool's, or the pipeline's own.

        A pipeline's host is its CreatePipeline HostInfo, or the pool's when it asked for
        UseRunspaceHost (``ServerPowerShellDataStructureHandler.
        GetHostAssociatedWithPowerShell``); either way it is created with the
        pipeline's id, so its calls are PIPELINE_HOST_CALL. The pool's own host
        (``[Runspace]::DefaultRunspace``'s) sends RUNSPACEPOOL_HOST_CALL.
        """
        with self.cond:
            info = self.pool.host
            pipeline_id: uuid.UUID | None = None
            if not pool:
                pipeline_id = run.pipeline_id
                entry = self.pool.pipeline_table.get(run.pipeline_id)
                own = getattr(getattr(entry, "metadata", None), "host", None)
                if own is not None and not own.UseRunspaceHost:
                    info = own
            described = client_host_info(info)
        if described is None:
            return None

        def send(method: str, parameters: list[Any]) -> int:
            return self._send_host_call(pipeline_id, method, parameters)

        return RemoteClientHost(
            described,
            self._host_calls,
            self.cond,
            send,
            lambda: self.closed or run.context.stop.is_set(),
        )

    def _send_host_call(
        self, pipeline_id: uuid.UUID | None, method: str, parameters: list[Any]
    ) -> int:
        """Queue a host call (holds ``cond``); a call that waits is sent at once."""
        self._check_open()
        ci = int(self.pool.host_call(method_identifier(method), parameters, pipeline_id))
        self._drain_pool()
        if ci != VOID_CALL_ID:
            outbox = self._outboxes.get(pipeline_id)
            if outbox is not None:
                outbox.urgent = True
        self.cond.notify_all()
        return ci

    # -- running -----------------------------------------------------------------------

    def _start(self, run: PipelineRun) -> None:
        if run.started:
            return
        run.started = True
        assert run.shape is not None
        # The shape may be shared by every pipeline of the same text: each gets its own
        # argument values, so what a script does to one never reaches another.
        commands = tuple(
            msgspec.structs.replace(
                cmd, arguments=tuple((name, fresh_copy(value)) for name, value in cmd.arguments)
            )
            if cmd.arguments
            else cmd
            for cmd in run.shape.commands
        )
        request = PipelineRequest(commands=commands, input=run.input)
        if run.shape.is_nested:
            self._jobs.submit(self._execute, run, request)
        else:
            self._waiting.append((run, request))
            self._start_waiting()

    def _max_runspaces(self) -> int:
        return max(int(self.pool.max_runspaces or 1), 1)

    def _start_waiting(self) -> None:
        """Start waiting pipelines while the pool has a free runspace (holds ``cond``)."""
        while self._waiting and self._busy_runspaces < self._max_runspaces():
            run, request = self._waiting.popleft()
            run.holds_runspace = True
            self._busy_runspaces += 1
            self._jobs.submit(self._execute, run, request)

    def _start_stopped_waiting(self, run: PipelineRun) -> None:
        """A waiting pipeline the client stops ends Stopped at once, without a runspace."""
        for entry in self._waiting:
            if entry[0] is run:
                self._waiting.remove(entry)
                self._jobs.submit(self._execute, *entry)
                return

    def _execute(self, run: PipelineRun, request: PipelineRequest) -> None:
        sink = _Sink(self, run)
        state, error = STATE_COMPLETED, None
        started = datetime.datetime.now(datetime.UTC)
        try:
            self._executor.execute(request, run.context, sink)
        except PipelineFailed as exc:
            state, error = STATE_FAILED, exc.record
        except PipelineStopped:
            state, error = STATE_STOPPED, STOPPED_RECORD
        except Exception as exc:
            log.exception("executor failed on %s", self._node)
            state, error = (
                STATE_FAILED,
                ErrorRecordData(
                    message=f"The simulator could not run this pipeline: {exc}",
                    error_id="SimulatorInternalError",
                    category="InvalidOperation",
                ),
            )
        self._add_to_history(run, state, started)
        writer = ClixmlWriter()
        writer.pipeline_state(state, error)
        with self.cond:  # the state message and `finished` become visible to Receive together
            self.queue_message(run, MSG_PIPELINE_STATE, writer.getvalue())
            run.finished = True
            self.pool.pipeline_table.pop(run.pipeline_id, None)
            if run.holds_runspace:
                run.holds_runspace = False
                self._busy_runspaces -= 1
                self._start_waiting()
            self.cond.notify_all()

    def _add_to_history(self, run: PipelineRun, state: int, started: datetime.datetime) -> None:
        """Record a pipeline created with AddToHistory in the runspace's history.

        PowerShell adds the entry when the pipeline ends, before its final state reaches
        the client, so a Get-History sent after the client saw Completed finds it
        (pypsrp 0.9.1's ``responses/test_psrp_with_history.yml``); a pipeline without
        AddToHistory leaves no entry (``test_psrp_with_no_history.yml``). Windows'
        clock is local time; the lab's nodes run on UTC.
        """
        line = run.shape.history_line if run.shape is not None else None
        if line is None:
            return
        ended = datetime.datetime.now(datetime.UTC)
        with self.cond:
            command_history.add_entry(
                self._runspace_state, line, _STATE_NAMES[state], started, ended
            )

    # -- housekeeping ------------------------------------------------------------------

    def _drain_pool(self) -> None:
        while (payload := self.pool.data_to_send(self._fragment_size)) is not None:
            outbox = self._outboxes.get(payload.pipeline_id)
            if outbox is not None:
                outbox.push(bytes(payload.data))

    def _discard(self, run: PipelineRun) -> None:
        self._runs.pop(run.command_id, None)
        self._by_pipeline_id.pop(run.pipeline_id, None)
        self._outboxes.pop(run.pipeline_id, None)
        self.pool.pipeline_table.pop(run.pipeline_id, None)

    def _forget_finished(self) -> None:
        if len(self._runs) <= _KEEP_FINISHED:
            return
        finished = [r for r in self._runs.values() if r.finished]
        for run in finished[: max(len(finished) - _KEEP_FINISHED, 0)]:
            self._discard(run)


class _Sink:
    """The OutputSink an executor writes to; raises PipelineStopped once stop is asked."""

    def __init__(self, shell: ShellSession, run: PipelineRun) -> None:
        self._shell = shell
        self._run = run

    def _send(self, message_type: int, writer: ClixmlWriter) -> None:
        if self._run.context.stop.is_set():
            raise PipelineStopped
        self._shell.queue_message(self._run, message_type, writer.getvalue())

    def _encrypt(self, text: str) -> str:
        """A SecureString's ciphertext, the encryptor chosen when one is written: reading
        the client's protocol version (a psrpcore object) for every output object cost
        more than serialising most of them (issue 16)."""
        return self._shell.secure_string_encryptor(self._run)(text)

    def output(self, value: Any) -> None:
        writer = ClixmlWriter(self._encrypt)
        if isinstance(value, StreamRecord):  # merged into output: the record object itself
            writer.informational_record(value.kind, value.message)
        elif isinstance(value, InformationRecordValue):
            writer.information_record(
                value.data, user=self._run.context.user, computer=self._run.context.node
            )
        else:
            writer.value(value)
        self._send(MSG_PIPELINE_OUTPUT, writer)

    def error(self, record: ErrorRecordData) -> None:
        writer = ClixmlWriter()
        writer.error_record(record)
        self._send(MSG_ERROR_RECORD, writer)

    def warning(self, message: str) -> None:
        writer = ClixmlWriter()
        writer.informational_record("Warning", message)
        self._send(MSG_WARNING_RECORD, writer)

    def verbose(self, message: str) -> None:
        writer = ClixmlWriter()
        writer.informational_record("Verbose", message)
        self._send(MSG_VERBOSE_RECORD, writer)

    def information(self, value: Any) -> None:
        writer = ClixmlWriter()
        writer.information_record(
            value, user=self._run.context.user, computer=self._run.context.node
        )
        self._send(MSG_INFORMATION_RECORD, writer)

    def debug(self, message: str) -> None:
        writer = ClixmlWriter()
        writer.informational_record("Debug", message)
        self._send(MSG_DEBUG_RECORD, writer)

    def progress(self, record: ProgressData) -> None:
        writer = ClixmlWriter()
        writer.progress_record(record)
        self._send(MSG_PROGRESS_RECORD, writer)

    def client_host(self, *, pool: bool) -> ClientHost | None:
        return self._shell.client_host(self._run, pool=pool)

    def user_event(self, event: ForwardedEvent) -> None:
        """A forwarded engine event, sent on the runspace pool at once, whether or not
        the pipeline that raised it still runs (``HandleRunspacePoolForwardEvent``)."""
        writer = ClixmlWriter(self._encrypt)
        writer.user_event(event)
        self._shell.queue_pool_message(MSG_USER_EVENT, writer.getvalue())


def _protocol_at_least(capability: Any, wanted: tuple[int, int]) -> bool:
    """Whether the client's SESSION_CAPABILITY protocol version is ``wanted`` or later."""
    text = str(getattr(capability, "protocolversion", "") or "")
    try:
        version = tuple(int(part) for part in text.split(".")[:2])
    except ValueError:
        return False
    return version >= wanted


def split_fragments(data: bytes) -> list[bytes]:
    """PSRP fragments (MS-PSRP 2.2.4) one after the other in ``data``, each whole."""
    fragments = []
    offset = 0
    while offset + _FRAGMENT_HEADER.size <= len(data):
        length = _FRAGMENT_HEADER.unpack_from(data, offset)[3]
        end = offset + _FRAGMENT_HEADER.size + length
        fragments.append(data[offset:end])
        offset = end
    return fragments


def _first_messages(fragments: list[bytes], count: int) -> tuple[list[bytes], list[bytes]]:
    """The fragments of the first ``count`` messages, and the rest (a fragment whose
    flags have the end bit, 0x2, ends a message)."""
    ended = 0
    for index, fragment in enumerate(fragments):
        if fragment[16] & 0x2:
            ended += 1
            if ended == count:
                return fragments[: index + 1], fragments[index + 1 :]
    return fragments, []


def _pipeline_id_of(data: bytes) -> uuid.UUID:
    """The pipeline id in the header of the first PSRP message of a Command."""
    header = _FRAGMENT_HEADER.size
    if len(data) < header + 40 or not data[16] & 1:
        raise WSManFaultResponse(
            2150858819,
            "The Command arguments do not start with a PSRP message.",
            subcode="w:SchemaValidationError",
            sender=True,
        )
    return uuid.UUID(bytes_le=bytes(data[header + 24 : header + 40]))
