"""Simulator values to CLIXML as PowerShell's remoting serializer writes them, and back.

Output goes straight to CLIXML text instead of through psrpcore's generic object
serializer: the shapes must match what Windows sends (``System.Object[]`` arrays,
``Db`` doubles, enums with their own type name, ErrorRecords with the property names
pypsrp reads), and the output path is the simulator's hot loop.

Remoting serializes with depth 1 (``facts/powershell.md`` section 8): a top-level
object keeps its properties; an object nested inside a property arrives as its
ToString. Collections do not use up depth, so a list property still arrives as a list.

Incoming values are decoded by psrpcore and converted here to the value types of
:mod:`psrunbook.sim.objects`.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import enum
import math
import re
import uuid
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from psrunbook.error_categories import ERROR_CATEGORY_NAMES
from psrunbook.sim.date_wire import (
    DATETIME,
    datetime_parts,
    incoming_datetime,
    parts_from_wire,
    python_wire_text,
    wire_notes,
    wire_text,
)
from psrunbook.sim.executor_protocol import HostChar
from psrunbook.sim.guid_wire import guid_text, incoming_guid
from psrunbook.sim.objects import (
    HOST_INFORMATION_MESSAGE,
    ByteArray,
    DotNetList,
    ErrorRecordData,
    ErrorRecordObject,
    ProgressData,
    ProviderContent,
    PSChar,
    PSEnum,
    PSHashtable,
    PSInt64,
    PSObject,
    PSVersionValue,
    SecureStringValue,
    TypedArray,
)
from psrunbook.sim.timespan_wire import (
    incoming_timespan,
    ticks_of_timedelta,
    timespan_ticks,
)
from psrunbook.sim.timespan_wire import wire_text as timespan_wire_text

if TYPE_CHECKING:
    from psrunbook.sim.executor_protocol import ForwardedEvent

ERROR_CATEGORIES: Mapping[str, int] = {
    name: number for number, name in enumerate(ERROR_CATEGORY_NAMES)
}
"""``System.Management.Automation.ErrorCategory`` names and numbers (facts section 7)."""

_ALWAYS_WITH_PROPERTIES = frozenset({"System.Management.Automation.ParameterMetadata"})
"""Types Windows serialises with their properties even where the depth is used up:
pypsrp 0.9.1's recorded ``test_psrp_get_command_metadata.yml`` has each ParameterMetadata
of a selected CmdletInfo's ``Parameters`` with its ``<Props>``, one level below the
depth that turns any other object into its text."""
_ARRAY_TYPES = ("System.Object[]", "System.Array", "System.Object")
_HASHTABLE_TYPES = ("System.Collections.Hashtable", "System.Object")
_ENUM_BASE_TYPES = ("System.Enum", "System.ValueType", "System.Object")
_DOTNET_CLASSES: Mapping[str, tuple[tuple[str, ...], frozenset[str]]] = {
    "System.ServiceProcess.ServiceController": (
        (
            "System.ServiceProcess.ServiceController",
            "System.ComponentModel.Component",
            "System.MarshalByRefObject",
            "System.Object",
        ),
        frozenset({"name", "requiredservices"}),
    ),
    # pypsrp 0.9.1's recorded test_psrp_nested_command.yml: every property in <Props>.
    "System.Management.Automation.PSVariable": (
        ("System.Management.Automation.PSVariable", "System.Object"),
        frozenset(),
    ),
    # pypsrp 0.9.1's recorded test_psrp_get_command_metadata.yml: every property in <Props>.
    "System.Management.Automation.ParameterMetadata": (
        ("System.Management.Automation.ParameterMetadata", "System.Object"),
        frozenset(),
    ),
    # pypsrp 0.9.1's recorded test_psrp_with_history.yml: every property in <Props>.
    "Microsoft.PowerShell.Commands.HistoryInfo": (
        ("Microsoft.PowerShell.Commands.HistoryInfo", "System.Object"),
        frozenset(),
    ),
    # pypsrp 0.9.1's recorded test_psrp_pshost_*.yml: the host types, all in <Props>.
    "System.Management.Automation.PSCredential": (
        ("System.Management.Automation.PSCredential", "System.Object"),
        frozenset(),
    ),
    "System.Globalization.CultureInfo": (
        ("System.Globalization.CultureInfo", "System.Object"),
        frozenset(),
    ),
    "System.Management.Automation.Host.Coordinates": (
        ("System.Management.Automation.Host.Coordinates", "System.ValueType", "System.Object"),
        frozenset(),
    ),
    "System.Management.Automation.Host.Size": (
        ("System.Management.Automation.Host.Size", "System.ValueType", "System.Object"),
        frozenset(),
    ),
    "System.Management.Automation.Host.KeyInfo": (
        ("System.Management.Automation.Host.KeyInfo", "System.ValueType", "System.Object"),
        frozenset(),
    ),
}
""".NET classes the lab's objects stand for: their type names as Windows sends them, and
which properties are PowerShell's (types.ps1xml's alias properties, in ``<MS>``); the
others are the class's own, which Windows sends adapted, in ``<Props>``."""
_INT32 = range(-(2**31), 2**31)
_INT64 = range(-(2**63), 2**63)

_NEEDS_ENCODING = re.compile("[\x00-\x1f\ufffe\uffff\ud800-\udfff]|_(?=x[0-9A-Fa-f]{4}_)")


def _encode_char(match: re.Match[str]) -> str:
    return f"_x{ord(match.group()):04X}_"


def escape(text: str) -> str:
    """CLIXML string content: control characters as ``_xHHHH_``, then XML escaping.

    A printable text without ``_x`` has nothing to encode (control characters,
    surrogates and U+FFFE/U+FFFF are all unprintable), so the search is skipped. The
    entities are replaced one after the other, ``&`` first: the same text as a
    substitution per match, which cost a Python call for each quote of a script's JSON
    output (issue 16).
    """
    if not text.isprintable() or "_x" in text:
        text = _NEEDS_ENCODING.sub(_encode_char, text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


def _integer_tag(value: int) -> str:
    """``I32`` for an Int32, ``I64`` for an Int64 (also a small ``PSInt64``), else ``D``."""
    number = int(value)  # an int subclass would make ``in range`` scan the range
    if number in _INT32 and not isinstance(value, PSInt64):
        return "I32"
    return "I64" if number in _INT64 else "D"


def _tagged_primitive(value: PSVersionValue | HostChar | ByteArray) -> tuple[str, str]:
    """A Version ``<Version>``, a Char ``<C>`` (its code, as Windows sends KeyInfo's), a
    byte[] ``<BA>`` (base64)."""
    if isinstance(value, HostChar):
        return "C", str(value.code)
    if isinstance(value, ByteArray):
        return "BA", base64.b64encode(bytes(value)).decode("ascii")
    return "Version", str(value)


def _format_double(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return repr(value).upper()


class ClixmlWriter:
    """Writes one PSRP message body; RefIds start again at 0 for every message.

    ``encrypt`` turns a SecureString's text into the session-key ciphertext; without
    it (no key exchanged yet) a SecureString is sent as its type name, like a
    SecureString that cannot be serialized.
    """

    def __init__(self, encrypt: Callable[[str], str] | None = None) -> None:
        self._parts: list[str] = []
        self._next_ref = 0
        self._type_refs: dict[str, int] = {}
        self._encrypt = encrypt

    def getvalue(self) -> bytes:
        return "".join(self._parts).encode("utf-8")

    # -- building blocks -------------------------------------------------------------

    def _name(self, name: str | None) -> str:
        return "" if name is None else f' N="{escape(name)}"'

    def _open_obj(self, name: str | None, type_names: tuple[str, ...] | None) -> None:
        ref = self._next_ref
        self._next_ref += 1
        self._parts.append(f'<Obj{self._name(name)} RefId="{ref}">')
        if type_names:
            key = type_names[0]
            known = self._type_refs.get(key)
            if known is not None:
                self._parts.append(f'<TNRef RefId="{known}" />')
            else:
                tn_ref = len(self._type_refs)
                self._type_refs[key] = tn_ref
                names = "".join(f"<T>{escape(t)}</T>" for t in type_names)
                self._parts.append(f'<TN RefId="{tn_ref}">{names}</TN>')

    def primitive(self, tag: str, text: str, name: str | None = None) -> None:
        self._parts.append(f"<{tag}{self._name(name)}>{text}</{tag}>")

    def string(self, value: str, name: str | None = None) -> None:
        self._parts.append(f"<S{self._name(name)}>{escape(value)}</S>")

    def nil(self, name: str | None = None) -> None:
        self._parts.append(f"<Nil{self._name(name)} />")

    def enum(self, type_name: str, label: str, number: int, name: str | None = None) -> None:
        self._open_obj(name, (type_name, *_ENUM_BASE_TYPES))
        self._parts.append(f"<ToString>{escape(label)}</ToString><I32>{number}</I32></Obj>")

    def int_list(self, values: tuple[int, ...], type_names: tuple[str, ...], name: str) -> None:
        self._open_obj(name, type_names)
        self._parts.append("<LST>" + "".join(f"<I32>{v}</I32>" for v in values) + "</LST></Obj>")

    # -- values ----------------------------------------------------------------------

    def _text(self, value: str, name: str | None, depth: int) -> None:
        """A String, or a Char: ``<C>`` and its UTF-16 code (MS-PSRP 2.2.5.1.2), or text
        Get-Content wrote, with its notes (:meth:`_noted_text`)."""
        if isinstance(value, PSChar):
            self.primitive("C", str(ord(value)), name)
        elif isinstance(value, ProviderContent):
            self._noted_text(value, name, depth)
        else:
            self.string(value, name)

    def value(self, value: Any, name: str | None = None, depth: int = 1) -> None:
        """Write any simulator value; ``depth`` 0 turns complex objects into strings."""
        if value is None:
            self.nil(name)
        elif isinstance(value, str):
            self._text(value, name, depth)
        elif isinstance(value, bool):
            self.primitive("B", "true" if value else "false", name)
        elif isinstance(value, int):
            self.primitive(_integer_tag(value), str(int(value)), name)
        elif isinstance(value, float):
            self.primitive("Db", _format_double(value), name)
        elif isinstance(value, decimal.Decimal):
            self.primitive("D", str(value), name)
        elif isinstance(value, PSEnum):
            self.enum(value.type_name, value.name, value.value, name)
        elif isinstance(value, SecureStringValue):
            if self._encrypt is None:
                self.string(str(value), name)
            else:
                self.primitive("SS", self._encrypt(value.plaintext), name)
        elif isinstance(value, ErrorRecordObject):
            self.value(value.record, name, depth)
        elif isinstance(value, PSObject):
            self.psobject(value, name, depth)
        elif isinstance(value, ErrorRecordData):
            self._error_value(value, name, depth)
        elif isinstance(value, PSVersionValue | HostChar | ByteArray):
            self.primitive(*_tagged_primitive(value), name)
        elif isinstance(value, Mapping):
            self._open_obj(name, getattr(value, "TYPE_NAMES", _HASHTABLE_TYPES))
            self._parts.append("<DCT>")
            for key, item in value.items():
                self._parts.append("<En>")
                self.value(key, "Key", depth)
                self.value(item, "Value", depth)
                self._parts.append("</En>")
            self._parts.append("</DCT></Obj>")
        elif isinstance(value, list | tuple):
            # An ArrayList or List[T] keeps its type's name (<TN>), its items in <LST>.
            self._open_obj(name, _list_type_names(value))
            self._parts.append("<LST>")
            for item in value:
                self.value(item, None, depth)
            self._parts.append("</LST></Obj>")
        elif isinstance(value, datetime.datetime):
            self.primitive("DT", python_wire_text(value), name)
        elif isinstance(value, uuid.UUID):
            self.primitive("G", str(value), name)
        elif isinstance(value, bytes):
            self.primitive("BA", base64.b64encode(value).decode("ascii"), name)
        else:
            self.string(str(value), name)

    def _error_value(self, record: ErrorRecordData, name: str | None, depth: int) -> None:
        if depth <= 0:
            self.string(record.message, name)
        else:
            self.error_record(record, name=name)

    def psobject(self, obj: PSObject, name: str | None, depth: int) -> None:
        if obj.type_names and obj.type_names[0] == DATETIME:
            parts = datetime_parts(obj)
            if parts is not None:
                self._datetime(obj, wire_text(*parts), name, depth)
                return
        ticks = timespan_ticks(obj)
        if ticks is not None:
            # A primitive known type at any depth (MS-PSRP 2.2.5.1.5; timespan_wire).
            self.primitive("TS", timespan_wire_text(ticks), name)
            return
        guid = guid_text(obj)
        if guid is not None:
            # A primitive known type at any depth (MS-PSRP 2.2.5.1.14; guid_wire).
            self.primitive("G", guid, name)
            return
        if obj.type_names and obj.type_names[0] in _ALWAYS_WITH_PROPERTIES:
            depth = max(depth, 1)
        if depth <= 0:
            self.string(str(obj), name)
            return
        dotnet = _DOTNET_CLASSES.get(obj.type_names[0]) if obj.type_names else None
        self._open_obj(name, dotnet[0] if dotnet else tuple(obj.type_names))
        self._parts.append(f"<ToString>{escape(str(obj))}</ToString>")
        if dotnet:
            self._dotnet_properties(obj, dotnet[1], depth)
        elif obj.properties:
            self._parts.append("<MS>")
            for key, item in obj.properties.items():
                self.value(item, key, depth - 1)
            self._parts.append("</MS>")
        self._parts.append("</Obj>")

    def _datetime(self, obj: PSObject, text: str, name: str | None, depth: int) -> None:
        """A DateTime as a primitive known type, whatever the depth: a bare ``<DT>``, or
        with its notes (Get-Date's DisplayHint) ``<Obj><DT/><MS>notes</MS></Obj>``, the
        notes at the object's own depth (:mod:`psrunbook.sim.date_wire`)."""
        notes = wire_notes(obj)
        if not notes:
            self.primitive("DT", text, name)
            return
        self._open_obj(name, None)
        self._parts.append(f"<DT>{text}</DT><MS>")
        for key, item in notes:
            self.value(item, key, depth)
        self._parts.append("</MS></Obj>")

    def _noted_text(self, text: ProviderContent, name: str | None, depth: int) -> None:
        """Text Get-Content wrote, a String with the provider's notes: PowerShell's
        ``WritePrimitiveTypePSObjectWithNotes``, ``<Obj RefId><S>text</S><MS>notes</MS>
        </Obj>``, as for a DateTime with notes (:meth:`_datetime`); pypsrp reads it as an
        object, not a str, as from Windows."""
        self._open_obj(name, None)
        self._parts.append(f"<S>{escape(str(text))}</S><MS>")
        for key, item in text.notes.items():
            self.value(item, key, depth)
        self._parts.append("</MS></Obj>")

    def _dotnet_properties(self, obj: PSObject, extended: frozenset[str], depth: int) -> None:
        """A .NET object's own properties in ``<Props>``, PowerShell's in ``<MS>``."""
        for tag, own in (("Props", True), ("MS", False)):
            items = [(k, v) for k, v in obj.properties.items() if (k.casefold() in extended) != own]
            if items:
                self._parts.append(f"<{tag}>")
                for key, item in items:
                    self.value(item, key, depth - 1)
                self._parts.append(f"</{tag}>")

    # -- records ---------------------------------------------------------------------

    def error_record(self, record: ErrorRecordData, *, name: str | None = None) -> None:
        """An ErrorRecord shaped like Windows PowerShell 5.1 sends it with invocation info.

        ``SerializeExtendedInfo`` is always true, so pypsrp fills the
        ``invocation_*`` attributes for both stream errors and ExceptionAsErrorRecord.
        """
        category = ERROR_CATEGORIES.get(record.category, 0)
        line_no = record.script_line or 0
        column = record.script_column or 0
        line_text = record.line_text or ""
        position = "\r\n".join(record.position_lines())
        category_message = (
            f"{record.category}: ({record.target_name}:{record.target_type}) "
            f"[{record.activity}], {record.reason}"
        )
        self._open_obj(name, ("System.Management.Automation.ErrorRecord", "System.Object"))
        self._parts.append(f"<ToString>{escape(record.message)}</ToString><MS>")
        self._exception(record)
        self.value(record.target_object, "TargetObject", 0)
        self.string(record.fully_qualified_error_id, "FullyQualifiedErrorId")
        self._invocation_info(line_no, column, line_text, position)
        self.primitive("I32", str(category), "ErrorCategory_Category")
        self.string(record.activity, "ErrorCategory_Activity")
        self.string(record.reason, "ErrorCategory_Reason")
        self.string(record.target_name, "ErrorCategory_TargetName")
        self.string(record.target_type, "ErrorCategory_TargetType")
        self.string(category_message, "ErrorCategory_Message")
        self.primitive("B", "true", "SerializeExtendedInfo")
        self.enum(
            "System.Management.Automation.CommandOrigin",
            "Internal",
            1,
            "InvocationInfo_CommandOrigin",
        )
        self.primitive("B", "false", "InvocationInfo_ExpectingInput")
        self.string("", "InvocationInfo_InvocationName")
        self.string(line_text, "InvocationInfo_Line")
        self.primitive("I32", str(column), "InvocationInfo_OffsetInLine")
        self.primitive("I64", "1", "InvocationInfo_HistoryId")
        self.int_list(
            (),
            ("System.Int32[]", "System.Array", "System.Object"),
            "InvocationInfo_PipelineIterationInfo",
        )
        self.primitive("I32", "0", "InvocationInfo_PipelineLength")
        self.primitive("I32", "0", "InvocationInfo_PipelinePosition")
        self.string("", "InvocationInfo_PSScriptRoot")
        self.nil("InvocationInfo_PSCommandPath")
        self.string(position, "InvocationInfo_PositionMessage")
        self.primitive("I32", str(line_no), "InvocationInfo_ScriptLineNumber")
        self.string("", "InvocationInfo_ScriptName")
        self.primitive("B", "false", "SerializeExtent")
        self.string(f"at <ScriptBlock>, <No file>: line {line_no}", "ErrorDetails_ScriptStackTrace")
        self._parts.append("</MS></Obj>")

    def _exception(self, record: ErrorRecordData) -> None:
        type_names = (
            record.exception_type,
            "System.SystemException",
            "System.Exception",
            "System.Object",
        )
        self._open_obj("Exception", type_names)
        self._parts.append(
            f"<ToString>{escape(record.exception_type)}: {escape(record.message)}</ToString><Props>"
        )
        self.string(record.message, "Message")
        self._open_obj("Data", ("System.Collections.ListDictionaryInternal", "System.Object"))
        self._parts.append("<DCT /></Obj>")
        for prop in ("InnerException", "TargetSite", "StackTrace", "HelpLink", "Source"):
            self.nil(prop)
        self.primitive("I32", "-2146233087", "HResult")
        self._parts.append("</Props></Obj>")

    def _invocation_info(self, line_no: int, column: int, line_text: str, position: str) -> None:
        self._open_obj(
            "InvocationInfo", ("System.Management.Automation.InvocationInfo", "System.Object")
        )
        self._parts.append(
            "<ToString>System.Management.Automation.InvocationInfo</ToString><Props>"
        )
        self.primitive("I32", str(line_no), "ScriptLineNumber")
        self.primitive("I32", str(column), "OffsetInLine")
        self.primitive("I64", "1", "HistoryId")
        self.string("", "ScriptName")
        self.string(line_text, "Line")
        self.string(position, "PositionMessage")
        self.string("", "InvocationName")
        self.primitive("I32", "0", "PipelineLength")
        self.primitive("I32", "0", "PipelinePosition")
        self.primitive("B", "false", "ExpectingInput")
        self.string("Internal", "CommandOrigin")
        self._parts.append("</Props></Obj>")

    def informational_record(self, kind: str, message: str) -> None:
        """A Warning/Verbose/Debug record without invocation info."""
        self._open_obj(
            None,
            (
                f"System.Management.Automation.{kind}Record",
                "System.Management.Automation.InformationalRecord",
                "System.Object",
            ),
        )
        self._parts.append(f"<ToString>{escape(message)}</ToString><MS>")
        self.string(message, "InformationalRecord_Message")
        self.primitive("B", "false", "InformationalRecord_SerializeInvocationInfo")
        self._parts.append("</MS></Obj>")

    def information_record(self, data: Any, *, user: str, computer: str) -> None:
        """An INFORMATION_RECORD: Write-Host's has a HostInformationMessage as its
        MessageData (with its properties), Source ``Write-Host`` and the tag ``PSHOST``
        (WriteHostCommand, Cmdlet.WriteInformation); anything else is Write-Information's."""
        from_host = isinstance(data, PSObject) and data.type_names[:1] == (
            HOST_INFORMATION_MESSAGE,
        )
        self._open_obj(None, None)
        self._parts.append("<MS>")
        self.value(data, "MessageData", 1 if from_host else 0)
        self.string("Write-Host" if from_host else "Write-Information", "Source")
        # DateTime.Now (InformationRecord's constructor): Kind Local, +00:00 on UTC nodes.
        now = python_wire_text(datetime.datetime.now(datetime.UTC))
        self.primitive("DT", now, "TimeGenerated")
        self._open_obj(
            "Tags", ("System.Collections.Generic.List`1[[System.String]]", "System.Object")
        )
        self._parts.append("<LST><S>PSHOST</S></LST></Obj>" if from_host else "<LST /></Obj>")
        self.string(user, "User")
        self.string(computer, "Computer")
        for prop in ("ProcessId", "NativeThreadId", "ManagedThreadId"):
            self.primitive("U32", "0", prop)
        self._parts.append("</MS></Obj>")

    def progress_record(self, record: ProgressData) -> None:
        """A PROGRESS_RECORD body, laid out as Windows sends it (shared/recordings)."""
        self._open_obj(None, None)
        self._parts.append("<MS>")
        self.string(record.activity, "Activity")
        self.primitive("I32", str(record.activity_id), "ActivityId")
        self.string(record.status, "StatusDescription")
        if record.current_operation is None:
            self.nil("CurrentOperation")
        else:
            self.string(record.current_operation, "CurrentOperation")
        self.primitive("I32", str(record.parent_id), "ParentActivityId")
        self.primitive("I32", str(record.percent_complete), "PercentComplete")
        self.enum(
            "System.Management.Automation.ProgressRecordType",
            "Completed" if record.completed else "Processing",
            1 if record.completed else 0,
            "Type",
        )
        self.primitive("I32", str(record.seconds_remaining), "SecondsRemaining")
        self._parts.append("</MS></Obj>")

    def user_event(self, event: ForwardedEvent) -> None:
        """USER_EVENT (MS-PSRP 2.2.2.12): the PSEventArgs note properties in the order
        ``RemotingEncoder.GeneratePSEventArgs`` adds them (PowerShell's
        EncodeAndDecode.cs). Written here rather than with psrpcore's ``send_event``
        because Sender, SourceArgs and MessageData are any simulator value, which this
        writer serialises as every other output, and ``send_event`` would fill a null
        ComputerName with the host's name, where Windows sends null."""
        self._open_obj(None, None)
        self._parts.append("<MS>")
        self.primitive("I32", str(event.event_identifier), "PSEventArgs.EventIdentifier")
        self.value(event.source_identifier, "PSEventArgs.SourceIdentifier")
        self.value(event.time_generated, "PSEventArgs.TimeGenerated")
        self.value(event.sender, "PSEventArgs.Sender")
        self.value(
            None if event.source_args is None else list(event.source_args),
            "PSEventArgs.SourceArgs",
        )
        self.value(event.message_data, "PSEventArgs.MessageData")
        self.value(event.computer_name, "PSEventArgs.ComputerName")
        self.value(event.runspace_id, "PSEventArgs.RunspaceId")
        self._parts.append("</MS></Obj>")

    def pipeline_state(self, state: int, error: ErrorRecordData | None) -> None:
        self._open_obj(None, None)
        self._parts.append("<MS>")
        self.primitive("I32", str(state), "PipelineState")
        if error is not None:
            self.error_record(error, name="ExceptionAsErrorRecord")
        self._parts.append("</MS></Obj>")


# -- incoming values ------------------------------------------------------------------


def from_psrp(value: Any) -> Any:
    """Convert a value decoded by psrpcore into the simulator's value types."""
    from psrpcore.types import PSObject as CorePSObject  # noqa: PLC0415 - psrpcore is heavy
    from psrpcore.types import PSSecureString  # noqa: PLC0415 (as above)

    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, PSSecureString):
        return SecureStringValue(str(value.decrypt()))
    if isinstance(value, enum.Enum):
        type_names = _type_names(value)
        return PSEnum(
            type_names[0] if type_names else type(value).__name__, str(value.name), int(value.value)
        )
    if isinstance(value, int):
        type_names = _type_names(value)
        if "System.Enum" in type_names:
            to_string = getattr(getattr(value, "PSObject", None), "to_string", None)
            return PSEnum(type_names[0], str(to_string or int(value)), int(value))
        if type_names[:1] == ["System.Int64"]:
            return PSInt64(int(value))
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, decimal.Decimal):
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes | bytearray):  # <BA>: a byte[]
        return ByteArray(value)
    if isinstance(value, dict):
        return PSHashtable((str(k), from_psrp(v)) for k, v in value.items())
    if isinstance(value, list | tuple):
        return [from_psrp(v) for v in value]
    if isinstance(value, datetime.datetime):
        return _datetime_from_psrp(value)
    if isinstance(value, datetime.timedelta):
        return incoming_timespan(ticks_of_timedelta(value))
    if isinstance(value, uuid.UUID):
        return incoming_guid(str(value))
    if isinstance(value, CorePSObject):
        meta = value.PSObject
        props = PSHashtable()
        for prop in (*meta.adapted_properties, *meta.extended_properties):
            props[prop.name] = from_psrp(prop.get_value(value))
        names = tuple(meta.type_names) or (
            "System.Management.Automation.PSCustomObject",
            "System.Object",
        )
        return PSObject(type_names=names, properties=props, to_string=meta.to_string)
    return value


def _datetime_from_psrp(value: datetime.datetime) -> PSObject:
    """A ``<DT>`` psrpcore decoded, with the notes of the ``<Obj>`` around it, as the
    language's DateTime (:mod:`psrunbook.sim.date_wire`)."""
    meta = getattr(value, "PSObject", None)
    notes = [
        (str(prop.name), from_psrp(prop.get_value(value)))
        for prop in getattr(meta, "extended_properties", None) or ()
    ]
    return incoming_datetime(*parts_from_wire(value), notes)


def _list_type_names(value: list[Any] | tuple[Any, ...]) -> tuple[str, ...]:
    """An array's or list's ``<TN>``: an ArrayList or List[T] keeps its type's name, a
    typed array (String[]) its own, anything else is an Object[]."""
    if isinstance(value, DotNetList):
        return (value.type_name, "System.Object")
    if isinstance(value, TypedArray):
        return (value.type_name, "System.Array", "System.Object")
    return _ARRAY_TYPES


def fresh_copy(value: Any) -> Any:
    """A converted value (:func:`from_psrp`'s) with new containers, so a pipeline may
    change it without another pipeline given the same message seeing the change.

    Converting once and copying per pipeline is several times cheaper than converting
    psrpcore's objects again. Like :func:`from_psrp`, objects referenced twice become
    two copies; everything that is not a list, hashtable or object is immutable.
    """
    if isinstance(value, list):
        return [fresh_copy(item) for item in value]
    if isinstance(value, PSHashtable):
        return type(value)((key, fresh_copy(item)) for key, item in value.items())
    if isinstance(value, PSObject):
        if value.type_names and value.type_names[0] == DATETIME:
            parts = datetime_parts(value)
            if parts is not None:
                # Made again: its DisplayHint setter writes to the properties it was made with.
                notes = [(key, fresh_copy(item)) for key, item in wire_notes(value)]
                return incoming_datetime(*parts, notes)
        ticks = timespan_ticks(value)
        if ticks is not None:
            return incoming_timespan(ticks)
        guid = guid_text(value)
        if guid is not None:
            return incoming_guid(guid)
        return PSObject(
            type_names=value.type_names,
            properties=fresh_copy(value.properties),
            to_string=value.to_string,
            methods=dict(value.methods),
            setters=dict(value.setters),
        )
    return value


def _type_names(value: Any) -> list[str]:
    meta = getattr(value, "PSObject", None)
    return list(getattr(meta, "type_names", None) or [])
