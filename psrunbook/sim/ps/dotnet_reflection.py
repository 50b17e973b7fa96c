"""Reflection on the remote host, and the engine objects scripts read.

``copy.ps1`` (pypsrp's ``Client.copy``) lifts the remote session's input size limit by
reflection, ``$Host`` -> ``ExternalHost`` -> ``_transportManager`` -> ``Fragmentor`` ->
``DeserializationContext`` -> ``MaximumAllowedMemory = $null``, through
``GetType().GetProperty(name, [BindingFlags]'NonPublic, Instance').GetValue(...)``. On
Windows that chain exists (the script's comment: "works on all PowerShell versions I've
tested with"), so it succeeds silently; the lab models exactly that chain of internal
members (their .NET type names are PowerShell 5.1's, UNVERIFIED) and nothing more: any
other member name, or a public-only lookup, finds nothing (``$null``) as reflection does
for a member that is not there. The lab has no input size limit to lift.

Also here: ``$ExecutionContext`` (``SessionState.Path.GetUnresolvedProviderPathFromPSPath``)
and ``$MyInvocation`` (``UnboundArguments``, ``BoundParameters``) of a script.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from psrunbook.sim.objects import PartialObject, PSEnum, PSHashtable, PSObject
from psrunbook.sim.ps.dotnet_io import full_path, location_of
from psrunbook.sim.ps.values import CONVERTERS, ConversionError, as_list, to_int, to_string

_OBJ = "System.Object"
_AUTOMATION = "System.Management.Automation."
_HOST = f"{_AUTOMATION}Remoting.ServerRemoteHost"
_INTERNAL_HOST = f"{_AUTOMATION}Internal.Host.InternalHost"

BINDING_FLAGS = {
    "default": 0, "ignorecase": 1, "declaredonly": 2, "instance": 4, "static": 8,
    "public": 16, "nonpublic": 32, "flattenhierarchy": 64, "invokemethod": 256,
    "createinstance": 512, "getfield": 1024, "setfield": 2048, "getproperty": 4096,
    "setproperty": 8192,
}  # fmt: skip
"""System.Reflection.BindingFlags by name."""

_NON_PUBLIC_INSTANCE = BINDING_FLAGS["nonpublic"] | BINDING_FLAGS["instance"]
_LOCAL_RUNSPACE = f"{_AUTOMATION}Runspaces.LocalRunspace"
_RUNSPACE_HOST = "<the runspace's host>"
"""The value type of ``LocalRunspace.Host``: the runspace pool's remote host, which
pypsrp 1.0's ``test_runspace_host_call`` reaches with ``[Runspace]::DefaultRunspace``
``.GetType().GetProperty("Host", 60).GetValue($rs)`` and whose UI calls reach the
client as RUNSPACEPOOL_HOST_CALL."""

INTERNAL_MEMBERS: dict[str, dict[tuple[str, str], str | None]] = {
    _INTERNAL_HOST: {("property", "externalhost"): _HOST},
    _HOST: {
        ("field", "_transportmanager"): f"{_AUTOMATION}Remoting.Server."
        "WSManPluginServerTransportManager"
    },
    f"{_AUTOMATION}Remoting.Server.WSManPluginServerTransportManager": {
        ("property", "fragmentor"): f"{_AUTOMATION}Remoting.Fragmentor"
    },
    f"{_AUTOMATION}Remoting.Fragmentor": {
        ("property", "deserializationcontext"): f"{_AUTOMATION}DeserializationContext"
    },
    f"{_AUTOMATION}DeserializationContext": {("property", "maximumallowedmemory"): None},
    _LOCAL_RUNSPACE: {("property", "host"): _RUNSPACE_HOST},
}
"""Internal members by declaring type: (kind, name) -> the type of the value (None for
a plain value the object holds)."""


def binding_flags(value: Any) -> PSEnum:
    """``[System.Reflection.BindingFlags]'NonPublic, Instance'`` (names or a number)."""
    if isinstance(value, PSEnum):
        return value
    if isinstance(value, int):
        names = [n for n, bit in BINDING_FLAGS.items() if bit and value & bit == bit]
        return PSEnum("System.Reflection.BindingFlags", ", ".join(names), value)
    total = 0
    names = []
    for part in to_string(value).split(","):
        key = part.strip().casefold()
        if key not in BINDING_FLAGS:
            raise ConversionError(
                value, "System.Reflection.BindingFlags", f'Unable to match the identifier name '
                f"{part.strip()} to a valid enumerator name."
            )  # fmt: skip
        total |= BINDING_FLAGS[key]
        names.append(part.strip())
    return PSEnum("System.Reflection.BindingFlags", ", ".join(names), total)


class _Internal(PSObject):
    """An object reached only by reflection; its first type name is its .NET type."""


def _internal_object(type_name: str) -> PSObject:
    return _Internal((type_name, _OBJ), PSHashtable(), to_string=type_name)


def type_object(target: Any) -> PSObject | None:
    """``GetType()`` of an object with modelled internal members, else None."""
    if not isinstance(target, PSObject) or not target.type_names:
        return None
    full = target.type_names[0]
    if full == _HOST and not isinstance(target, _Internal):
        full = _INTERNAL_HOST  # $Host is the engine's InternalHost around ServerRemoteHost
    members = INTERNAL_MEMBERS.get(full)
    if members is None:
        return None

    def lookup(kind: str) -> Callable[..., Any]:
        def find(name: Any, flags: Any = None) -> PSObject | None:
            bits = to_int(binding_flags(flags).value) if flags is not None else 20
            key = (kind, to_string(name).casefold())
            if key not in members or bits & _NON_PUBLIC_INSTANCE != _NON_PUBLIC_INSTANCE:
                return None
            return _member_info(kind, to_string(name), members[key])

        return find

    return PSObject(
        ("System.RuntimeType", "System.Type", _OBJ),
        PSHashtable([("Name", full.rsplit(".", 1)[-1]), ("FullName", full)]),
        to_string=full,
        methods={"GetProperty": lookup("property"), "GetField": lookup("field")},
    )


class _RunspaceObject(PSObject, kw_only=True):
    """``[Runspace]::DefaultRunspace``: its host is internal, reached only by reflection."""

    internal_host: Any = None


def default_runspace(host: Any) -> PSObject:
    """``[Runspace]::DefaultRunspace`` of a pipeline whose runspace's host is ``host``.

    Only its internal ``Host`` is modelled (UNVERIFIED beyond pypsrp 1.0's tests)."""
    return _RunspaceObject(
        (_LOCAL_RUNSPACE, f"{_AUTOMATION}Runspaces.RunspaceBase",
         f"{_AUTOMATION}Runspaces.Runspace", _OBJ),
        PSHashtable(),
        to_string=_LOCAL_RUNSPACE,
        internal_host=host,
    )  # fmt: skip


def _member_info(kind: str, name: str, value_type: str | None) -> PSObject:
    def get_value(obj: Any, *_: Any) -> Any:
        if value_type == _RUNSPACE_HOST:
            return obj.internal_host if isinstance(obj, _RunspaceObject) else None
        if value_type is None:
            return obj.properties.get(name) if isinstance(obj, PSObject) else None
        return _internal_object(value_type)

    def set_value(obj: Any, value: Any, *_: Any) -> None:
        if isinstance(obj, PSObject):
            obj.properties[name] = value

    info = "System.Reflection.RuntimePropertyInfo" if kind == "property" else (
        "System.Reflection.RtFieldInfo")  # fmt: skip
    return PSObject(
        (info, _OBJ),
        PSHashtable([("Name", name)]),
        to_string=name,
        methods={"GetValue": get_value, "SetValue": set_value},
    )


def execution_context(user: str, events: PSObject | None = None) -> PSObject:
    """``$ExecutionContext`` (EngineIntrinsics), modelled in part: ``SessionState.Path.
    GetUnresolvedProviderPathFromPSPath``, resolving against the session's location (the
    user's Documents); ``SessionState.LanguageMode``, FullLanguage as in the default
    Microsoft.PowerShell endpoint (a constrained JEA endpoint is not modelled); and
    ``Events``, the runspace's event manager (EngineIntrinsics.Events,
    :mod:`.engine_events`). Any other member is refused by name (:class:`PartialObject`)."""
    path = PartialObject(
        (f"{_AUTOMATION}PathIntrinsics", _OBJ),
        PSHashtable(),
        to_string=f"{_AUTOMATION}PathIntrinsics",
        methods={
            "GetUnresolvedProviderPathFromPSPath": lambda p: full_path(
                to_string(p), location_of(user)
            )
        },
        shown_as="$ExecutionContext.SessionState.Path",
    )
    state = PartialObject(
        (f"{_AUTOMATION}SessionState", _OBJ),
        PSHashtable([("Path", path), ("LanguageMode", full_language())]),
        to_string=f"{_AUTOMATION}SessionState",
        shown_as="$ExecutionContext.SessionState",
    )
    return PartialObject(
        (f"{_AUTOMATION}EngineIntrinsics", _OBJ),
        PSHashtable([("SessionState", state), ("Events", events)]),
        to_string=f"{_AUTOMATION}EngineIntrinsics",
        shown_as="$ExecutionContext",
    )


def full_language() -> PSEnum:
    """PSLanguageMode.FullLanguage (FullLanguage 0, RestrictedLanguage 1, NoLanguage 2,
    ConstrainedLanguage 3)."""
    return PSEnum(f"{_AUTOMATION}PSLanguageMode", "FullLanguage", 0)


def invocation_info(
    name: str | None,
    bound: PSHashtable,
    unbound: list[Any],
    site: CallSite | None = None,
) -> PSObject:
    """``$MyInvocation`` of a script or function: what it was called with, and where.

    ``name`` is MyCommand: a function's name, or for the script a client sent (PSRP, or
    powershell.exe's ``-Command``) its whole text, as Windows reports it (pypsrp 0.9.1's
    ``test_psrp_stream_output_invocation.yml``: MyCommand is the script, Line empty,
    ScriptLineNumber 0, PositionMessage empty). ``site`` is the calling statement of a
    function or script block (None for the script a client sent, which no script called).
    """
    line, column, text, position = (0, 0, "", "") if site is None else site.parts()
    return PSObject(
        (f"{_AUTOMATION}InvocationInfo", _OBJ),
        PSHashtable(
            [
                ("MyCommand", name or ""),
                ("BoundParameters", bound),
                ("UnboundArguments", as_list(unbound)),
                ("InvocationName", (name or "") if site is not None else ""),
                ("ScriptName", ""),
                ("ScriptLineNumber", line),
                ("OffsetInLine", column),
                ("Line", text),
                ("PositionMessage", position),
            ]
        ),
        to_string=f"{_AUTOMATION}InvocationInfo",
    )


class CallSite(NamedTuple):
    """Where a function or script block was called: line, column, the line's text, and
    how many characters of it the call covers (the squiggle of its PositionMessage)."""

    line: int
    column: int
    text: str
    length: int

    def parts(self) -> tuple[int, int, str, str]:
        squiggle = "~" * max(min(self.length, len(self.text) - self.column + 1), 1)
        position = (
            f"At line:{self.line} char:{self.column}\r\n+ {self.text}\r\n"
            f"+ {' ' * (self.column - 1)}{squiggle}"
        )
        return self.line, self.column, self.text, position


CONVERTERS["reflection.bindingflags"] = binding_flags
