"""psrpcore's server-side runspace pool as the simulator uses it, and a pipeline's shape.

psrpcore decodes what the client sends and writes the pool's handshake answers; both
go through its generic (de)serialiser, by far the slowest part of a round trip. The pool
built here keeps psrpcore's behaviour and does each piece of that work once per distinct
text instead of once per node and pipeline:

- a client message seen before (the same step on every node, the same pool opening)
  is not decoded again (:mod:`.decoded_messages` says which ones, and why it is safe);
- a pipeline's description (:class:`PipelineShape`) is read from psrpcore's objects
  once per CreatePipeline text, and the client's host description once per
  InitRunspacePool text;
- the pool's own handshake answers (session capability, private data, state), the same
  for every pool of this class, are serialised once.

It also carries the ``CI``/``ci`` shim: pypsrp writes the call id of SET_MAX/MIN_RUNSPACES
as ``CI``, psrpcore reads ``ci``. Built lazily because psrpcore is slow to import.
"""

from __future__ import annotations

import functools
import threading
import uuid
from collections.abc import Callable
from typing import Any

import msgspec

from psrunbook.sim.endpoint.clixml import from_psrp
from psrunbook.sim.endpoint.decoded_messages import DecodedMessages
from psrunbook.sim.executor_protocol import CommandRequest

_UNREAD = object()


class PipelineShape(msgspec.Struct, frozen=True):
    """What a CreatePipeline asks for, as the executor's commands. The argument values
    are shared by every pipeline of the same message: each pipeline runs on a
    :func:`~psrunbook.sim.endpoint.clixml.fresh_copy` of them."""

    commands: tuple[CommandRequest, ...]
    is_nested: bool
    no_input: bool
    history_line: str | None = None
    """The command line the runspace's history records for this pipeline, or None
    when the client did not ask for it (CreatePipeline's AddToHistory false)."""


def history_line(metadata: Any) -> str | None:
    """What PowerShell records in the history for a pipeline created with AddToHistory.

    ``LocalPipeline`` takes ``CommandCollection.GetCommandStringForHistory()``: the
    first command's text only (a script's whole text, or a command's name without its
    arguments), PowerShell/PowerShell src/System.Management.Automation/engine/
    hostifaces/Command.cs. pypsrp 0.9.1's ``responses/test_psrp_with_history.yml``
    shows the script ``Write-Output 1; Write-Output 2`` recorded as it was sent.
    Whether a CreatePipeline's own ``History`` text would replace it is UNVERIFIED
    (pypsrp sends it Nil); the lab ignores it.
    """
    if not metadata.add_to_history or not metadata.commands:
        return None
    return str(metadata.commands[0].command_text)


def max_runspaces_allowed(requested: int, min_runspaces: int) -> bool:
    """Whether an opened pool accepts SET_MAX_RUNSPACES ``requested``.

    ``RunspacePoolInternal.SetMaxRunspaces`` returns false when the value is below the
    pool's minimum (so below 1 too), and the server answers that bool in
    RUNSPACE_AVAILABILITY (MS-PSRP 2.2.2.8/2.2.2.10); Windows answered ``-1`` false in
    pypsrp 0.9.1's ``responses/test_psrp_set_runspaces.yml``.
    """
    return requested >= max(min_runspaces, 1)


def min_runspaces_allowed(requested: int, max_runspaces: int) -> bool:
    """Whether an opened pool accepts SET_MIN_RUNSPACES ``requested``.

    ``RunspacePoolInternal.SetMinRunspaces`` returns false for a value below 1 or above
    the pool's maximum; Windows answered ``-1`` false in pypsrp 0.9.1's
    ``responses/test_psrp_set_runspaces.yml`` (and ``2`` with max 5 true).
    """
    return 1 <= requested <= max_runspaces


def pipeline_shape(metadata: Any) -> PipelineShape:
    """The shape of psrpcore's description of a pipeline (``PowerShell``); reading it is
    slow (every attribute of a psrpcore object is looked up by name), so it is read once."""
    return PipelineShape(
        commands=tuple(
            CommandRequest(
                text=str(cmd.command_text),
                is_script=bool(cmd.is_script),
                arguments=tuple(
                    (None if name is None else str(name), from_psrp(value))
                    for name, value in cmd.parameters
                ),
                ends_statement=bool(cmd.end_of_statement),
                use_local_scope=cmd.use_local_scope,
                merge_error=_merge_target(cmd.merge_error, cmd.merge_my, cmd.merge_to),
                merge_warning=_merge_target(cmd.merge_warning),
                merge_verbose=_merge_target(cmd.merge_verbose),
                merge_debug=_merge_target(cmd.merge_debug),
                merge_information=_merge_target(cmd.merge_information),
                merge_previous=bool(cmd.merge_unclaimed),
            )
            for cmd in metadata.commands
        ),
        is_nested=bool(metadata.is_nested),
        no_input=bool(metadata.no_input),
        history_line=history_line(metadata),
    )


_MERGE_NAMES = {0: "none", 1: "output", 8: "null"}


def _merge_target(value: Any, my: Any = None, to: Any = None) -> str:
    """PSRP's PipelineResultTypes for one stream as ``none``/``output``/``null``.

    A protocol 2.1 client (PowerShell v2) only sends MergeMyResult=Error with
    MergeToResult=Output for the error stream; newer clients send MergeError too.
    Any other target (the spec allows none) is kept as its number, which the executor
    refuses.
    """
    number = int(value or 0)
    if number == 0 and my is not None and int(my) == 2 and to is not None:
        number = int(to)
    return _MERGE_NAMES.get(number, str(number))


@functools.cache
def runspace_pool_class() -> type[Any]:
    """The simulator's ServerRunspacePool class (built on first use; psrpcore is heavy)."""
    from xml.etree import ElementTree  # noqa: PLC0415 (with psrpcore)

    from psrpcore import (  # noqa: PLC0415 - heavy import kept off CLI start-up
        PowerShell,
        PSRPCoreError,
        PSRPEvent,
        ServerRunspacePool,
    )
    from psrpcore._payload import PSRPMessage, StreamType, create_message  # noqa: PLC0415
    from psrpcore.types import (  # noqa: PLC0415 (as above)
        ApplicationPrivateData,
        HostInfo,
        PSRPMessageType,
        PSVersion,
        RunspacePoolInitData,
        RunspacePoolState,
        RunspacePoolStateMsg,
        add_note_property,
        deserialize,
        serialize,
    )

    class Decoded:
        """A decoded message, and the pipeline description psrpcore builds from a
        CreatePipeline (as slow as the decoding), built once too."""

        def __init__(self, ps_object: Any) -> None:
            self.ps_object = ps_object

        @functools.cached_property
        def pipeline(self) -> Any:
            return PowerShell.FromPSObjectForRemoting(self.ps_object)

        @functools.cached_property
        def shape(self) -> PipelineShape:
            return pipeline_shape(self.pipeline)

        @functools.cached_property
        def host_info(self) -> Any:
            """An InitRunspacePool's HostInfo (psrpcore's ``event.host_info``, which builds
            it anew at each read); a server pool stores it and never reads it again."""
            return HostInfo.FromPSObjectForRemoting(self.ps_object.HostInfo)

    decoded = DecodedMessages(
        frozenset(
            {
                PSRPMessageType.SessionCapability,
                PSRPMessageType.InitRunspacePool,
                PSRPMessageType.CreatePipeline,
            }
        )
    )
    replies: dict[tuple[Any, ...], bytes] = {}
    replies_lock = threading.Lock()

    def _with_ci(event: Any) -> Any:
        obj = event._ps_object
        if not hasattr(obj, "ci") and hasattr(obj, "CI"):
            add_note_property(obj, "ci", obj.CI)
        return event

    unsent_states = frozenset(
        {
            RunspacePoolState.Disconnected,
            RunspacePoolState.Disconnecting,
            RunspacePoolState.Connecting,
        }
    )
    """States psrpcore's server pool does not send to the client."""

    class SimRunspacePool(ServerRunspacePool):
        def __init__(self) -> None:
            self.shapes: dict[uuid.UUID, PipelineShape] = {}
            """Shapes of the CreatePipeline messages just decoded, until the shell takes them."""
            self._protocol_of: Any = _UNREAD
            self._protocol_text = ""
            super().__init__(
                application_private_data={
                    "PSVersionTable": {
                        "PSVersion": PSVersion("5.1.17763.1"),
                        "PSEdition": "Desktop",
                    }
                }
            )
            self._private_data = self.application_private_data

        def _process_message(self, message: Any) -> Any:
            """psrpcore's own, but a message seen before is not decoded again.

            :mod:`.decoded_messages` says which messages and why.
            """
            data = message.data
            if not decoded.cacheable(message.message_type, data):
                return super()._process_message(message)
            entry = decoded.get(
                message.message_type,
                data,
                lambda: Decoded(
                    deserialize(
                        ElementTree.fromstring(data),  # noqa: S314 - psrpcore's own parse, unchanged
                        cipher=self._cipher,
                        our_capability=self.our_capability,
                        their_capability=self.their_capability,
                    )
                ),
            )
            event = PSRPEvent.create(
                message.message_type, entry.ps_object, message.runspace_pool_id, message.pipeline_id
            )
            if message.message_type == PSRPMessageType.CreatePipeline:
                # psrpcore's _process_CreatePipeline, with the description shared (read only).
                if event.pipeline_id not in self.pipeline_table:
                    raise PSRPCoreError(
                        f"Failed to find pipeline for incoming event {event.pipeline_id!s}"
                    )
                self.pipeline_table[event.pipeline_id].metadata = entry.pipeline
                self.shapes[event.pipeline_id] = entry.shape
            elif message.message_type == PSRPMessageType.InitRunspacePool:
                self._open_with(event, entry.host_info)
            else:
                getattr(self, f"_process_{message.message_type.name}")(event)
            return event

        def _open_with(self, event: Any, host_info: Any) -> None:
            """psrpcore's ``_process_InitRunspacePool``, with the host description shared."""
            self.apartment_state = event.apartment_state
            self.application_arguments = event.application_arguments
            self.host = host_info
            self.thread_options = event.ps_thread_options
            self._max_runspaces = event.max_runspaces
            self._min_runspaces = event.min_runspaces
            if self.application_private_data is self._private_data:
                # The answer every pool gives: its bytes are kept, the message is built
                # only for the first pool (psrpcore's objects are slow to build).
                self._queue_reply(
                    ("ApplicationPrivateData", self._client_protocol()),
                    ApplicationPrivateData,
                    lambda: ApplicationPrivateData(
                        ApplicationPrivateData=self.application_private_data
                    ),
                )
            else:
                self.prepare_message(
                    ApplicationPrivateData(ApplicationPrivateData=self.application_private_data)
                )
            self._change_state(RunspacePoolState.Opened)

        def _change_state(
            self, state: Any, error: Any = None, emit: bool = True
        ) -> None:
            """psrpcore's server ``_change_state``, with a state message without an error
            queued from the bytes kept for every pool (the message is built only once)."""
            if error is not None or not emit or state in unsent_states:
                super()._change_state(state, error, emit)
                return
            super()._change_state(state, error, emit=False)  # psrpcore sets the state
            self._queue_reply(
                ("RunspacePoolState", int(state.value), self._client_protocol()),
                RunspacePoolStateMsg,
                lambda: RunspacePoolStateMsg(RunspaceState=state.value),
            )

        def _client_protocol(self) -> str:
            """The client's protocol version as text, read once per capability object:
            psrpcore's attribute reads cost more than the reply they key."""
            capability = self.their_capability
            if capability is not self._protocol_of:
                self._protocol_text = str(getattr(capability, "protocolversion", None))
                self._protocol_of = capability
            return self._protocol_text

        def _reply_key(self, message: Any) -> tuple[Any, ...] | None:
            """What a handshake answer of this pool depends on, or None for any other message.

            Every pool of this class has the same capability and private data (made in
            ``__init__``, never changed); a state without an error is its number. The
            client's protocol version is part of the key, as psrpcore's serialiser is told it.
            """
            client = self._client_protocol()
            if message is self.our_capability:
                return ("SessionCapability", client)
            if isinstance(message, ApplicationPrivateData):
                # psrpcore sends only the pool's own, which it copies into the message.
                if self.application_private_data is self._private_data:
                    return ("ApplicationPrivateData", client)
                return None
            if (
                isinstance(message, RunspacePoolStateMsg)
                and getattr(message, "ExceptionAsErrorRecord", None) is None
            ):
                return ("RunspacePoolState", int(message.RunspaceState), client)
            return None

        def prepare_message(
            self,
            message: Any,
            message_type: Any = None,
            pipeline_id: uuid.UUID | None = None,
            stream_type: Any = StreamType.default,
        ) -> None:
            """psrpcore's own, with a handshake answer serialised once for every pool."""
            key = None if message_type is not None else self._reply_key(message)
            if key is None:
                super().prepare_message(message, message_type, pipeline_id, stream_type)
                return
            self._queue_reply(key, type(message), lambda: message, pipeline_id, stream_type)

        def _queue_reply(
            self,
            key: tuple[Any, ...],
            message_class: type[Any],
            build: Callable[[], Any],
            pipeline_id: uuid.UUID | None = None,
            stream_type: Any = StreamType.default,
        ) -> None:
            """Queue the handshake answer ``key`` names, as psrpcore's ``prepare_message``
            queues ``build()``: serialised by the first pool that sends it, then kept."""
            with replies_lock:
                data = replies.get(key)
            if data is None:
                element = serialize(
                    build(),
                    self._cipher,
                    our_capability=self.our_capability,
                    their_capability=self.their_capability,
                )
                data = ElementTree.tostring(element, encoding="utf-8", method="xml")
                with replies_lock:
                    replies[key] = data
            kind = PSRPMessageType.get_message_id(message_class)
            body = create_message(False, kind, data, self.runspace_pool_id, pipeline_id)
            self._send_buffer.append(
                PSRPMessage(
                    kind,
                    bytearray(body),
                    self.runspace_pool_id,
                    pipeline_id,
                    self._fragment_counter,
                    stream_type,
                )
            )

        def accept_connection(self) -> None:
            """Get ready for a new client's CONNECT_RUNSPACEPOOL (state Connecting).

            psrpcore's ``connect`` also starts the object ids of what the server sends
            at 1 again; Windows goes on counting (pypsrp 0.9.1's
            ``test_psrp_disconnect_runspaces.yml``: the ConnectResponse carries objects
            4 and 5 after 1 to 3), so the count is kept here.
            """
            self._change_state(RunspacePoolState.Connecting)

        def _process_ConnectRunspacePool(self, event: Any) -> None:  # noqa: N802 - psrpcore's hook name
            """Answer a new client's connection as Windows does (MS-PSRP 3.2.5.4.29 and
            ``test_psrp_disconnected_commands.yml``): SESSION_CAPABILITY and
            RUNSPACEPOOL_INIT_DATA, which the shell sends in the ConnectResponse, then
            APPLICATION_PRIVATE_DATA for the next Receive, and no RUNSPACEPOOL_STATE.

            Requested runspace counts are taken as psrpcore takes them; an empty request
            (``<S />``) keeps the pool's (how Windows treats other counts is UNVERIFIED).
            """
            self._max_runspaces = event.max_runspaces or self.max_runspaces
            self._min_runspaces = event.min_runspaces or self.min_runspaces
            self.prepare_message(self.our_capability)
            self.prepare_message(
                RunspacePoolInitData(
                    MinRunspaces=self.min_runspaces, MaxRunspaces=self.max_runspaces
                )
            )
            self.prepare_message(
                ApplicationPrivateData(ApplicationPrivateData=self.application_private_data)
            )
            self._change_state(RunspacePoolState.Opened, emit=False)

        def _process_SetMaxRunspaces(self, event: Any) -> None:  # noqa: N802 - psrpcore's hook name
            super()._process_SetMaxRunspaces(_with_ci(event))

        def _process_SetMinRunspaces(self, event: Any) -> None:  # noqa: N802 - psrpcore's hook name
            super()._process_SetMinRunspaces(_with_ci(event))

        def _process_GetAvailableRunspaces(self, event: Any) -> None:  # noqa: N802 - psrpcore's hook name
            super()._process_GetAvailableRunspaces(_with_ci(event))

        def _process_ResetRunspaceState(self, event: Any) -> None:  # noqa: N802 - psrpcore's hook name
            super()._process_ResetRunspaceState(_with_ci(event))

    return SimRunspacePool
