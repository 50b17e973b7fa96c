"""Host calls: the server side of a client's PSHost (MS-PSRP 3.2.5.4.13/14).

A pipeline's ``$Host`` is a ``ServerRemoteHost`` whose methods PowerShell forwards to the
client through ``ServerMethodExecutor`` (PowerShell/PowerShell src/System.Management.
Automation/engine/remoting/server/ServerMethodExecutor.cs): a void method is sent with
call id -100 and not waited for; any other gets a fresh call id, is flushed to the client
at once ("report that execution is pending host response") and the pipeline thread
blocks until the client's PIPELINE_HOST_RESPONSE / RUNSPACEPOOL_HOST_RESPONSE with that
id arrives. The message type follows the host: the pipeline's host (created with the
pipeline's id) sends PIPELINE_HOST_CALL, the pool's (``ServerDriverRemoteHost``, id
``Guid.Empty``) RUNSPACEPOOL_HOST_CALL. psrpcore builds the messages
(``ServerRunspacePool.host_call``) and decodes the answers; this module numbers nothing
itself, it matches answers to waiting threads.

Windows waits for an answer without a time limit (``ServerDispatchTable.GetResponse``
with no timeout); here a stop (Signal), the shell's deletion or its pool closing ends
the wait with :class:`PipelineStopped`, as ``AbortAllCalls`` does on Windows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from psrunbook.sim.endpoint.clixml import from_psrp
from psrunbook.sim.executor_protocol import (
    ClientHostInfo,
    HostCallArray,
    HostCallFailed,
    HostCallObject,
    HostChar,
    PipelineStopped,
)
from psrunbook.sim.objects import PSEnum, PSInt64

_PSRPCORE_ENUMS = {"System.Management.Automation.ProgressRecordType": "ProgressRecordType"}
"""The .NET enums a host-call parameter carries as an enum object (a ProgressRecord's
Type, pypsrp 0.9.1's ``test_psrp_pshost_ui_mocked_methods.yml``), by psrpcore class."""

VOID_CALL_ID = -100
"""``ServerDispatchTable.VoidCallId``: psrpcore gives it to every void method."""


class _Answer:
    __slots__ = ("error", "result")

    def __init__(self, result: Any, error: str | None) -> None:
        self.result = result
        self.error = error


class HostCallChannel:
    """The host calls of one shell waiting for their answers, by call id.

    Every method is called holding the shell's condition lock ``cond``; answers wake
    the waiters through it.
    """

    def __init__(self, cond: threading.Condition) -> None:
        self._cond = cond
        self._waiting: set[int] = set()
        self._answers: dict[int, _Answer] = {}

    def expect(self, ci: int) -> None:
        """Note a call sent with id ``ci`` whose answer a thread will wait for."""
        self._waiting.add(ci)

    def answer(self, ci: int, result: Any, error: Any) -> None:
        """The client answered ``ci``: keep it for the waiting thread (an answer nobody
        waits for any more, its pipeline stopped, is dropped)."""
        if ci in self._waiting:
            message = None if error is None else _error_message(error)
            self._answers[ci] = _Answer(None if error is not None else from_psrp(result), message)
            self._cond.notify_all()

    def wait(self, ci: int, stopped: Callable[[], bool]) -> Any:
        """Block until ``ci`` is answered; raise PipelineStopped once ``stopped()``."""
        try:
            while ci not in self._answers:
                if stopped():
                    raise PipelineStopped
                self._cond.wait(1.0)
            answer = self._answers.pop(ci)
        finally:
            self._waiting.discard(ci)
            self._answers.pop(ci, None)
        if answer.error is not None:
            raise HostCallFailed(answer.error)
        return answer.result


class RemoteClientHost:
    """One server-side remote host (a pipeline's or the pool's): a
    :class:`~psrunbook.sim.executor_protocol.ClientHost`."""

    def __init__(
        self,
        info: ClientHostInfo,
        channel: HostCallChannel,
        cond: threading.Condition,
        send: Callable[[str, list[Any]], int],
        stopped: Callable[[], bool],
    ) -> None:
        self._info = info
        self._channel = channel
        self._cond = cond
        self._send = send
        self._stopped = stopped

    @property
    def info(self) -> ClientHostInfo:
        return self._info

    def call(self, method: str, parameters: list[Any]) -> Any:
        with self._cond:
            if self._stopped():
                raise PipelineStopped
            ci = self._send(method, [to_host_call_value(p) for p in parameters])
            if ci == VOID_CALL_ID:
                return None
            self._channel.expect(ci)
            return self._channel.wait(ci, self._stopped)


def client_host_info(host_info: Any) -> ClientHostInfo | None:
    """psrpcore's HostInfo as the executor sees it; None for a null host (IsHostNull)."""
    if host_info is None or host_info.IsHostNull:
        return None
    data = host_info.HostDefaultData
    defaults: tuple[Any, ...] = ()
    if data is not None:
        defaults = tuple(
            _default_value(prop.get_value(data)) for prop in data.PSObject.extended_properties
        )
    return ClientHostInfo(
        has_ui=not host_info.IsHostUINull,
        has_raw_ui=not host_info.IsHostUINull and not host_info.IsHostRawUINull,
        default_data=defaults,
    )


def _default_value(value: Any) -> Any:
    """A HostDefaultData value: ConsoleColor -> int, Coordinates/Size -> pair."""
    for first, second in (("X", "Y"), ("Width", "Height")):
        if hasattr(value, first) and hasattr(value, second):
            return (int(getattr(value, first)), int(getattr(value, second)))
    if isinstance(value, int):
        return int(value)
    return str(value) if value is not None else None


def method_identifier(name: str) -> Any:
    """psrpcore's HostMethodIdentifier for a RemoteHostMethodId name."""
    from psrpcore.types import HostMethodIdentifier  # noqa: PLC0415 - psrpcore is heavy

    return HostMethodIdentifier[name]


def to_host_call_value(value: Any) -> Any:
    """A host-call parameter as psrpcore serialises it the way Windows' encoder does:
    Int32 ``<I32>``, Int64 ``<I64>``, Char ``<C>``, a collection an ArrayList, an
    encoded object ``<Obj><MS>`` without type names (pypsrp 0.9.1's recordings)."""
    from psrpcore import types  # noqa: PLC0415 - psrpcore is heavy

    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, PSEnum):  # an enum inside an encoded object keeps its type
        known = _PSRPCORE_ENUMS.get(value.type_name)
        return getattr(types, known)(value.value) if known else types.PSInt(value.value)
    if isinstance(value, PSInt64):
        return types.PSInt64(int(value))
    if isinstance(value, int):
        return types.PSInt(value)
    if isinstance(value, HostChar):
        return types.PSChar(value.code)
    if isinstance(value, HostCallArray):
        array = types.PSList([to_host_call_value(v) for v in value.items])
        array.PSObject.type_names = [value.type_name, "System.Array", "System.Object"]
        return array
    if isinstance(value, list | tuple):
        return types.PSList([to_host_call_value(v) for v in value])
    if isinstance(value, HostCallObject):
        obj = types.PSObject()
        obj.PSObject.type_names = []
        for name, item in value.fields:
            types.add_note_property(obj, name, to_host_call_value(item))
        return obj
    return str(value)


def _error_message(error: Any) -> str:
    """The message of the ErrorRecord a client sent for its failed host method."""
    exception = getattr(error, "Exception", None)
    message = getattr(exception, "Message", None)
    return str(message) if message else str(error)
