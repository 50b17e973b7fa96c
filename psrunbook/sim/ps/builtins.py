"""Language-level cmdlets the evaluator runs itself: the Write-* family, Out-Null,
Where-Object, ForEach-Object, Select-Object, Sort-Object, Measure-Object, Group-Object,
Set-StrictMode and ConvertTo-Json.

They need the evaluator (script blocks, ``$_``, streams), so they receive it, as a
:class:`BuiltinEvaluator`, along with the whole pipeline input at once; the cluster
model's cmdlets use the narrower :class:`psrunbook.sim.ps.cmdlet_api.Cmdlet` protocol
instead.
"""

from __future__ import annotations

import datetime
import functools
import json
import random
import re
from collections.abc import Callable
from typing import Any, Protocol

import msgspec

from psrunbook.sim.date_wire import wire_notes
from psrunbook.sim.guid_wire import guid_text
from psrunbook.sim.objects import (
    ErrorRecordData,
    ErrorRecordObject,
    ProgressData,
    ProviderContent,
    PSEnum,
    PSHashtable,
    PSObject,
    PSVersionValue,
    SecureStringValue,
    host_information_message,
)
from psrunbook.sim.ps import records
from psrunbook.sim.ps.cmdlet_api import CmdletSpec, ParamSpec
from psrunbook.sim.ps.date_format import (
    DateFormatError,
    Moment,
    datetime_moment,
    format_datetime,
    ticks_of,
)
from psrunbook.sim.ps.date_parse import DateNotModelled, DateParseError, parse_datetime
from psrunbook.sim.ps.date_text import DATETIME
from psrunbook.sim.ps.date_values import DISPLAY_HINT_TYPE, datetime_value, display_hint
from psrunbook.sim.ps.evaluator_api import EvaluatorApi
from psrunbook.sim.ps.exceptions import RefusedScript
from psrunbook.sim.ps.format_objects import NotFormattable
from psrunbook.sim.ps.formatting import DEFAULT_WIDTH, format_items
from psrunbook.sim.ps.members import Members
from psrunbook.sim.ps.number_format import roundtrip_text
from psrunbook.sim.ps.operators import Operators
from psrunbook.sim.ps.pipeline import StreamingCommand
from psrunbook.sim.ps.preference_variables import DEFAULT_ENUMERATION_LIMIT, enumeration_limit
from psrunbook.sim.ps.scope import Scope
from psrunbook.sim.ps.timespan_values import MAX_MILLISECONDS, timespan_value
from psrunbook.sim.ps.values import (
    ConversionError,
    ScriptBlockValue,
    as_list,
    convert,
    is_collection,
    ps_compare,
    ps_equals,
    to_bool,
    to_int,
    to_number,
    to_string,
    type_name_of,
    wildcard_regex,
)
from psrunbook.sim.timespan_wire import TICKS_PER_SECOND

Emit = Callable[[Any], None]


class BuiltinEvaluator(EvaluatorApi, Protocol):
    """What a built-in cmdlet uses: the evaluator, its operator rules and member access."""

    operators: Operators
    members: Members

    def error_action(self) -> str:
        """The ErrorAction in force for the command running now."""
        ...


Runner = Callable[[BuiltinEvaluator, PSHashtable, "list[Any] | None", Emit], None]


class Builtin(msgspec.Struct, frozen=True):
    """A language-level cmdlet: its spec (for binding) and its implementation.

    In a pipeline ``run`` gets all the input at once after the last object arrives
    (the cmdlets that must see all of it, such as Sort-Object), or with ``per_object``
    one object at a time as it arrives (``inputs`` a list of that one); ``stream``
    instead makes a command that handles each object itself (ForEach-Object).
    """

    spec: CmdletSpec
    run: Runner
    remaining: str | None = None
    per_object: bool = False
    stream: Callable[[BuiltinEvaluator, PSHashtable, Emit], StreamingCommand] | None = None


BUILTINS: dict[str, Builtin] = {}


def builtin(
    name: str, *parameters: ParamSpec, remaining: str | None = None, per_object: bool = False
) -> Callable[[Runner], Runner]:
    def register(run: Runner) -> Runner:
        spec = CmdletSpec(name, f"Microsoft.PowerShell.Commands.{name.replace('-', '')}Command",
                          tuple(parameters))  # fmt: skip
        BUILTINS[name.casefold()] = Builtin(spec, run, remaining, per_object)
        return run

    return register


def _items(args: PSHashtable, inputs: list[Any] | None, name: str = "InputObject") -> list[Any]:
    if inputs is not None:
        return inputs
    if name in args:
        value = args[name]
        return list(value) if is_collection(value) else [value]
    return []


# ----------------------------------------------------------------- streams


@builtin(
    "Write-Output",
    ParamSpec("InputObject", "object", position=0),
    ParamSpec("NoEnumerate", "switch"),
    remaining="InputObject",
    per_object=True,
)
def write_output(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    if inputs is not None:
        for item in inputs:
            emit(item)
        return
    if "InputObject" not in args:
        return
    value = args["InputObject"]
    if is_collection(value) and not args.get("NoEnumerate"):
        for item in value:
            emit(item)
    else:
        emit(value)


@builtin(
    "Write-Error",
    ParamSpec("Message", "object", position=0, from_pipeline=True),
    ParamSpec("Category", "string"),
    ParamSpec("ErrorId", "string"),
    ParamSpec("TargetObject", "object"),
    ParamSpec("ErrorRecord", "object"),
    ParamSpec("Exception", "object"),
    ParamSpec("CategoryActivity", "string"),
    ParamSpec("CategoryReason", "string"),
    ParamSpec("CategoryTargetName", "string"),
    ParamSpec("CategoryTargetType", "string"),
    ParamSpec("RecommendedAction", "string"),
    per_object=True,
)
def write_error(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """One error per call, or per object piped in (``-Message`` takes pipeline input:
    ``'oops' | Write-Error``; UNVERIFIED, not in shared/facts)."""
    if inputs is not None:
        args = PSHashtable([*args.items(), ("Message", _collect(inputs))])
    source = args.get("ErrorRecord") or args.get("Message")
    if isinstance(source, ErrorRecordObject):
        ev.write_error(source.record)
        return
    message = to_string(args.get("Message"))
    if "Exception" in args and args["Exception"] is not None and "Message" not in args:
        message = to_string(args["Exception"])
    category = to_string(args.get("Category") or "NotSpecified")
    match = next((c for c in records.ERROR_CATEGORIES if c.casefold() == category.casefold()),
                 None)  # fmt: skip
    if match is None:
        raise ev.fail(
            records.binding_error(
                f"Cannot bind parameter 'Category'. Cannot convert value \"{category}\" to type "
                '"System.Management.Automation.ErrorCategory". Error: "Unable to match the '
                'identifier name to a valid enumerator name."',
                "CannotConvertArgumentNoMessage",
                "Microsoft.PowerShell.Commands.WriteErrorCommand",
            )
        )
    target = args.get("TargetObject")
    record = ErrorRecordData(
        message=message,
        error_id=to_string(args.get("ErrorId")) or records.WRITE_ERROR_EXCEPTION,
        category=match,
        exception_type=records.WRITE_ERROR_EXCEPTION,
        target_object=target,
        target_name=to_string(args.get("CategoryTargetName") or (target if target else "")),
        target_type=to_string(
            args.get("CategoryTargetType")
            or (type_name_of(target).rsplit(".", 1)[-1] if target is not None else "")
        ),
        activity=to_string(args.get("CategoryActivity") or "Write-Error"),
    )
    # Escalated by Stop, the record keeps Write-Error's own position (pypsrp 0.9.1's
    # test_psrp_error_failed.yml: "At line:1 char:55" under the Write-Error statement).
    ev.write_error(record if ev.error_action() == "Stop" else _with_caller_invocation(ev, record))


def _with_caller_invocation(ev: EvaluatorApi, record: ErrorRecordData) -> ErrorRecordData:
    """Write-Error's record with the invocation of the script or function that called it.

    PowerShell's WriteErrorCommand sets the record's InvocationInfo to the caller's
    ``$MyInvocation`` ("set InvocationInfo to the script not the command", Write.cs):
    at the top of a script a client sent, MyCommand is the script's text and there is no
    position (pypsrp 0.9.1's ``test_psrp_stream_output_invocation.yml``; pywinrm's
    ``run_ps`` capture ``Write-Error "Error" : Error`` with no "At line:"); in a function,
    the function and where it was called.
    """
    found, invocation = ev.scope.get("MyInvocation")
    if not found or not isinstance(invocation, PSObject):
        return record
    props = invocation.properties
    if "MyCommand" not in props or "ScriptLineNumber" not in props:
        return record
    line = to_int(props["ScriptLineNumber"])
    return msgspec.structs.replace(
        record,
        command_name=to_string(props["MyCommand"]),
        script_line=line,
        script_column=to_int(props.get("OffsetInLine") or 0) or None,
        line_text=to_string(props.get("Line") or "") or None,
    )


_MESSAGE = ParamSpec("Message", "string", mandatory=True, position=0, allow_empty_string=True)
"""Write-Warning/-Verbose/-Debug's ``[AllowEmptyString]`` Message (PS-src Write.cs)."""


@builtin("Write-Warning", _MESSAGE, per_object=True)
def write_warning(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    for message in inputs if inputs is not None else [args.get("Message")]:
        ev.write_warning(to_string(message))


@builtin("Write-Verbose", _MESSAGE, per_object=True)
def write_verbose(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    for message in inputs if inputs is not None else [args.get("Message")]:
        ev.write_verbose(to_string(message))


@builtin("Write-Debug", _MESSAGE, per_object=True)
def write_debug(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """Sent with ``$DebugPreference = 'Continue'`` or ``-Debug``, as Windows does."""
    for message in inputs if inputs is not None else [args.get("Message")]:
        ev.write_debug(to_string(message))


@builtin(
    "Write-Progress",
    ParamSpec("Activity", "string", mandatory=True, position=0),
    ParamSpec("Status", "string", position=1),
    ParamSpec("Id", "int", position=2),
    ParamSpec("PercentComplete", "int"),
    ParamSpec("SecondsRemaining", "int"),
    ParamSpec("CurrentOperation", "string"),
    ParamSpec("ParentId", "int"),
    ParamSpec("Completed", "switch"),
    ParamSpec("SourceId", "int"),
)
def write_progress(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """One progress record; ``$ProgressPreference = 'SilentlyContinue'`` drops it.

    UNVERIFIED: without ``-Status`` the StatusDescription is "Processing" (the
    PowerShell 5.1 resource text).
    """

    def number(name: str, default: int) -> int:
        value = args.get(name)
        return default if value is None else int(value)

    status = args.get("Status")
    operation = args.get("CurrentOperation")
    ev.write_progress(
        ProgressData(
            activity=to_string(args.get("Activity")),
            status="Processing" if status is None else to_string(status),
            activity_id=number("Id", 0),
            parent_id=number("ParentId", -1),
            percent_complete=number("PercentComplete", -1),
            seconds_remaining=number("SecondsRemaining", -1),
            current_operation=None if operation is None else to_string(operation),
            completed=bool(args.get("Completed")),
        )
    )


@builtin(
    "Write-Information",
    ParamSpec("MessageData", "object", mandatory=True, position=0),
    ParamSpec("Tags", "string[]", position=1),
    per_object=True,
)
def write_information(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    for message in inputs if inputs is not None else [args.get("MessageData")]:
        ev.write_information(message)


@builtin(
    "Write-Host",
    ParamSpec("Object", "object", position=0),
    ParamSpec("NoNewline", "switch"),
    ParamSpec("Separator", "object"),
    ParamSpec("ForegroundColor", "string"),
    ParamSpec("BackgroundColor", "string"),
    remaining="Object",
    per_object=True,
)
def write_host(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    separator = to_string(args.get("Separator", " "))
    values = inputs if inputs is not None else as_list(args.get("Object"))
    text = separator.join(_host_text(v, separator) for v in values)
    no_newline = bool(args.get("NoNewline"))
    foreground, background = (
        _console_color(ev, name, args.get(name)) for name in ("ForegroundColor", "BackgroundColor")
    )
    if foreground is None and background is None:
        _display_on_client_host(ev, text, no_newline)
    ev.write_information(
        host_information_message(
            text, no_newline=no_newline, foreground=foreground, background=background
        ),
        host=True,
    )


def _console_color(ev: BuiltinEvaluator, parameter: str, value: Any) -> Any:
    """A ``-ForegroundColor``/``-BackgroundColor`` argument as the ConsoleColor it binds to."""
    if value is None:
        return None
    try:
        return convert(value, "consolecolor")
    except ConversionError:
        raise ev.fail(
            records.binding_error(
                f"Cannot bind parameter '{parameter}'. Cannot convert value \"{to_string(value)}\" "
                'to type "System.ConsoleColor". Error: "Unable to match the identifier name '
                f"{to_string(value)} to a valid enumerator name. Specify one of the following "
                "enumerator names and try again:\r\nBlack, DarkBlue, DarkGreen, DarkCyan, "
                "DarkRed, DarkMagenta, DarkYellow, Gray, DarkGray, Blue, Green, Cyan, Red, "
                'Magenta, Yellow, White"',
                "CannotConvertArgumentNoMessage",
                "Microsoft.PowerShell.Commands.WriteHostCommand",
            )
        ) from None


def _display_on_client_host(ev: BuiltinEvaluator, text: str, no_newline: bool) -> None:
    """Write-Host shows its text on a remote session's client host too, as Windows does
    when the client gave one with a UI: ``WriteLine2`` (``Write1`` with -NoNewline), then
    the information record (psrp 1.0's ``test_invoke_ps_with_host`` against Windows: the
    client's ``write_line("host")`` is called once). Without a client UI the call is
    nothing; powershell.exe's console prints the record itself. With colours the call
    (WriteLine3, colours Windows may read from the RawUI) is not made: UNVERIFIED."""
    host = ev.runspace_host(pool=False)
    ui = host.properties.get("UI") if isinstance(host, PSObject) else None
    if not isinstance(ui, PSObject) or not ui.type_names[0].endswith(
        "ServerRemoteHostUserInterface"
    ):
        return
    method = ui.methods.get("Write" if no_newline else "WriteLine")
    if method is not None:  # the runspace's template host has no methods: no client
        method(text)


def _host_text(value: Any, separator: str) -> str:
    """WriteHostCommand.ProcessObject: a string as it is, an array's items joined with
    the separator (nested arrays too), anything else its ``ToString()``. A DateTime's is
    the current culture's, en-US ("12/3/2026 11:10:00 PM": PSObject.ToString passes no
    format provider), not PowerShell's invariant string conversion."""
    if isinstance(value, str):
        return value
    if is_collection(value):
        return separator.join(_host_text(item, separator) for item in value)
    moment = datetime_moment(value)
    if moment is not None:
        return format_datetime(moment, None)
    return to_string(value)


@builtin("Out-Null", ParamSpec("InputObject", "object"), per_object=True)
def out_null(ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit) -> None:
    """Discards its input."""


@builtin(
    "Set-StrictMode",
    ParamSpec("Version", "string", position=0),
    ParamSpec("Off", "switch"),
)
def set_strict_mode(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    if args.get("Off"):
        ev.scope.strict = 0
        return
    version = to_string(args.get("Version"))
    if version.casefold() == "latest":
        ev.scope.strict = 3
        return
    try:
        major = int(float(version))
    except ValueError:
        raise ev.fail(
            records.binding_error(
                f"Cannot bind parameter 'Version'. Cannot convert value \"{version}\" to type "
                '"System.Version".',
                "CannotConvertArgumentNoMessage",
                "Microsoft.PowerShell.Commands.SetStrictModeCommand",
            )
        ) from None
    ev.scope.strict = min(major, 3)


# ----------------------------------------------------------------- shaping
# (ForEach-Object, Where-Object and Select-Object, which stream: pipeline_cmdlets.py)


def _collect(values: list[Any]) -> Any:
    if not values:
        return None
    return values[0] if len(values) == 1 else values


def _property_value(ev: BuiltinEvaluator, item: Any, prop: Any) -> Any:
    """A -Property entry: a name, a script block, or a calculated-property hashtable."""
    if isinstance(prop, ScriptBlockValue):
        return _collect(ev.invoke_block(prop, item))
    if isinstance(prop, PSHashtable):
        expression = _hash_get(prop, ("Expression",))
        return _property_value(ev, item, expression)
    found, value = ev.members.property_of(item, to_string(prop))
    if isinstance(item, PSHashtable) and to_string(prop).casefold() not in (
        "count",
        "keys",
        "values",
    ):
        return None
    return value if found else None


def _hash_get(table: PSHashtable, full_names: tuple[str, ...]) -> Any:
    """A calculated-property key: any unambiguous prefix of a full name, as PowerShell."""
    for key in table:
        folded = str(key).casefold()
        if folded and any(name.casefold().startswith(folded) for name in full_names):
            return table[key]
    return None


def _property_names(item: Any) -> list[str]:
    if isinstance(item, PSObject):
        return list(item.properties.keys())
    return []


def _selected(item: Any) -> tuple[str, ...]:
    base = (
        item.type_names[0] if isinstance(item, PSObject) and item.type_names else type_name_of(item)
    )
    return (f"Selected.{base}", "System.Management.Automation.PSCustomObject", "System.Object")


def _sort_key(ev: BuiltinEvaluator, item: Any, properties: list[Any] | None) -> list[Any]:
    if not properties:
        return [item]
    return [_property_value(ev, item, p) for p in properties]


@builtin(
    "Sort-Object",
    ParamSpec("Property", "object[]", position=0),
    ParamSpec("Descending", "switch"),
    ParamSpec("Unique", "switch"),
    ParamSpec("CaseSensitive", "switch"),
    ParamSpec("InputObject", "object"),
)
def sort_object(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    items = _items(args, inputs)
    properties = args.get("Property")
    case_sensitive = bool(args.get("CaseSensitive"))
    descending_flags: list[bool] = []
    for prop in properties or [None]:
        flag = bool(args.get("Descending"))
        if isinstance(prop, PSHashtable):
            for direction in ("Descending", "Ascending"):
                if direction in prop:
                    flag = to_bool(prop[direction])
                    flag = flag if direction == "Descending" else not flag
        descending_flags.append(flag)
    keyed = [(_sort_key(ev, item, properties), item) for item in items]

    def order(a: tuple[list[Any], Any], b: tuple[list[Any], Any]) -> int:
        for index, (x, y) in enumerate(zip(a[0], b[0], strict=True)):
            try:
                result = ps_compare(x, y, case_sensitive)
            except Exception:  # noqa: BLE001 -- mixed types sort by their text, as PowerShell does
                result = ps_compare(to_string(x), to_string(y), case_sensitive)
            if result:
                return -result if descending_flags[index] else result
        return 0

    keyed.sort(key=functools.cmp_to_key(order))
    previous: list[Any] | None = None
    for key, item in keyed:
        if (
            args.get("Unique")
            and previous is not None
            and all(ps_equals(x, y, case_sensitive) for x, y in zip(key, previous, strict=True))
        ):
            continue
        previous = key
        emit(item)


@builtin(
    "Measure-Object",
    ParamSpec("Property", "string[]", position=0),
    ParamSpec("Sum", "switch"),
    ParamSpec("Average", "switch"),
    ParamSpec("Maximum", "switch"),
    ParamSpec("Minimum", "switch"),
    ParamSpec("InputObject", "object"),
)
def measure_object(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    items = [i for i in _items(args, inputs) if i is not None]
    prop = (args.get("Property") or [None])[0]
    values = [_property_value(ev, i, prop) if prop else i for i in items]
    numbers = (  # GenericMeasureInfo's Sum, Average, Maximum, Minimum are Nullable<double>
        [float(to_number(v)) for v in values if v is not None]
        if any(args.get(k) for k in ("Sum", "Average", "Maximum", "Minimum"))
        else []
    )
    result = PSHashtable(
        [
            ("Count", len(values)),
            ("Average", (sum(numbers) / len(numbers)) if args.get("Average") and numbers else None),
            ("Sum", sum(numbers) if args.get("Sum") else None),
            ("Maximum", max(numbers) if args.get("Maximum") and numbers else None),
            ("Minimum", min(numbers) if args.get("Minimum") and numbers else None),
            ("Property", prop),
        ]
    )
    emit(
        PSObject(
            type_names=("Microsoft.PowerShell.Commands.GenericMeasureInfo", "System.Object"),
            properties=result,
            to_string="Microsoft.PowerShell.Commands.GenericMeasureInfo",
        )
    )


@builtin(
    "Group-Object",
    ParamSpec("Property", "object[]", position=0),
    ParamSpec("NoElement", "switch"),
    ParamSpec("InputObject", "object"),
)
def group_object(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    groups: list[tuple[str, list[Any]]] = []
    for item in _items(args, inputs):
        key = ", ".join(to_string(v) for v in _sort_key(ev, item, args.get("Property")))
        for name, members in groups:
            if name.casefold() == key.casefold():
                members.append(item)
                break
        else:
            groups.append((key, [item]))
    for name, members in groups:
        properties = PSHashtable([("Count", len(members)), ("Name", name)])
        if not args.get("NoElement"):
            properties["Group"] = members
        emit(
            PSObject(
                type_names=("Microsoft.PowerShell.Commands.GroupInfo", "System.Object"),
                properties=properties,
                to_string=name,
            )
        )


# ----------------------------------------------------------------- conversion


_UNIX_EPOCH_TICKS = 621_355_968_000_000_000
_JSON_DATE_MARK = "\ue000"
_JSON_DATE = re.compile(f'"{_JSON_DATE_MARK}Date\\((-?\\d+)\\){_JSON_DATE_MARK}"')
_JSON_DOUBLE = re.compile(f'"{_JSON_DATE_MARK}Double\\(([^)"]*)\\){_JSON_DATE_MARK}"')


def _json_double(value: float) -> str:
    """JavaScriptSerializer's Double: ``ToString("r", InvariantCulture)`` (5.1 writes
    ``5`` and ``0.1``, not Python's ``5.0``), marked as :func:`_json_date` marks a date."""
    return f"{_JSON_DATE_MARK}Double({roundtrip_text(value)}){_JSON_DATE_MARK}"


def _json_date(moment: Moment) -> str:
    """JavaScriptSerializer's DateTime, which 5.1's ConvertTo-Json uses: ``"\\/Date(ms)\\/"``,
    ``(ToUniversalTime().Ticks - DatetimeMinTimeTicks) / 10000`` (C#'s division, towards
    zero), the same for every Kind on the lab's UTC nodes. ``SerializeDateTime`` writes
    the ``\\/`` itself, outside JSON's string escaping, so the value is a marked text here
    that :func:`_json_text` writes out: a string holding that exact marked text
    (private-use U+E000 around ``Date(n)``) would print as a date too."""
    delta = moment.ticks - _UNIX_EPOCH_TICKS
    millis = abs(delta) // 10_000 * (1 if delta >= 0 else -1)
    return f"{_JSON_DATE_MARK}Date({millis}){_JSON_DATE_MARK}"


def _json_text(data: Any, compress: bool) -> str:
    """The JSON text, with JavaScriptSerializer's ``"\\/Date(ms)\\/"`` for the dates and
    its round-trip text for the doubles."""
    if compress:
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    else:
        text = json.dumps(data, indent=4, ensure_ascii=False).replace("\n", "\r\n")
    if _JSON_DATE_MARK not in text:
        return text
    text = _JSON_DOUBLE.sub(lambda match: match.group(1), text)
    return _JSON_DATE.sub(lambda match: f'"\\/Date({match.group(1)})\\/"', text)


def _json_datetime(
    value: PSObject, moment: Moment, depth: int, max_depth: int, wrapped: bool
) -> Any:
    """5.1's ConvertToJsonCommand: a DateTime is a primitive (``ProcessValue``), made
    an object by ``AddPsProperties`` when it comes wrapped in a PSObject that has Extended
    properties: ``{"value": date, notes..., "DateTime": ...}`` (``AppendPsProperties``:
    instance members, then types.ps1xml's ``DateTime`` script property). Get-Date's
    output is wrapped with its DisplayHint (5.1: ``{"value": "\\/Date(...)\\/",
    "DisplayHint": 2, "DateTime": "..."}``; PowerShell issue 5797); a DateTime held in
    a property or a hashtable is the bare value (``"\\/Date(...)\\/"``, PowerShell PR
    11126). UNVERIFIED: a DateTime without notes piped in (``$file.LastWriteTime |
    ConvertTo-Json``) is taken as wrapped, as pipeline input is, and so an object with
    ``value`` and ``DateTime``: the stricter reading of the source, not seen on Windows."""
    notes = wire_notes(value)
    date = _json_date(moment)
    if not notes and not wrapped:
        return date
    data: dict[str, Any] = {"value": date}
    for key, item in notes:
        data.setdefault(str(key), _json_value(item, depth + 1, max_depth))
    data.setdefault("DateTime", _json_value(value.properties.get("DateTime"), depth + 1, max_depth))
    return data


def _json_value(value: Any, depth: int, max_depth: int, wrapped: bool = False) -> Any:
    """``ProcessValue``; ``wrapped`` marks an object that came down the pipeline (a
    PSObject on Windows, whose Extended properties ConvertTo-Json adds)."""
    if isinstance(value, float):
        return _json_double(value)
    if isinstance(value, ProviderContent):
        raise _NotedText
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, PSEnum):
        return value.value
    if isinstance(value, PSObject) and value.type_names[:1] == (DATETIME,):
        moment = datetime_moment(value)
        if moment is not None:
            return _json_datetime(value, moment, depth, max_depth, wrapped)
    text = guid_text(value)
    if text is not None:
        # A primitive to ProcessValue (JavaScriptSerializer writes its "D" text); wrapped,
        # AddPsProperties adds types.ps1xml's Guid ScriptProperty, as for a DateTime
        # (PowerShell issue 26635: {"value": ..., "Guid": ...} from the pipeline).
        return {"value": text, "Guid": text} if wrapped else text
    if isinstance(value, SecureStringValue | ScriptBlockValue):
        return to_string(value)
    if isinstance(value, PSVersionValue):
        return _json_version(value)
    if is_collection(value):
        if depth > max_depth:
            return to_string(value)
        return [_json_value(v, depth + 1, max_depth) for v in value]
    if isinstance(value, PSHashtable | PSObject):
        if depth > max_depth:
            return to_string(value)
        source = value if isinstance(value, PSHashtable) else value.properties
        return {str(k): _json_value(v, depth + 1, max_depth) for k, v in source.items()}
    return to_string(value)


def _json_version(version: PSVersionValue) -> dict[str, int]:
    """A ``System.Version`` as 5.1's ConvertTo-Json writes it: no primitive, enum,
    dictionary or list, so ``ProcessCustomObject`` writes its public properties (6.0
    wrote the text instead). MajorRevision and MinorRevision are the high and low 16
    bits of Revision, as shorts (-1 when Revision is unset)."""
    revision = version.revision
    return {
        "Major": version.major,
        "Minor": version.minor,
        "Build": version.build,
        "Revision": revision,
        "MajorRevision": _short(revision >> 16),
        "MinorRevision": _short(revision & 0xFFFF),
    }


def _short(value: int) -> int:
    """C#'s ``(short)value``: the low 16 bits, signed."""
    value &= 0xFFFF
    return value - 0x10000 if value >= 0x8000 else value


@builtin(
    "ConvertTo-Json",
    ParamSpec("InputObject", "object", position=0),
    ParamSpec("Depth", "int"),
    ParamSpec("Compress", "switch"),
)
def convertto_json(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    depth = to_int(args.get("Depth") or 2)
    try:
        if inputs is None:
            data = _json_value(args.get("InputObject"), 0, depth)
        elif len(inputs) == 1:
            data = _json_value(inputs[0], 0, depth, wrapped=True)
        else:
            data = [_json_value(item, 1, depth, wrapped=True) for item in inputs]
    except _NotedText:
        raise ev.unsupported(
            ev.statement,
            "ConvertTo-Json of text Get-Content wrote: Windows PowerShell 5.1 writes it as an "
            "object with its PSPath, PSDrive and PSProvider notes, not as a string (PowerShell "
            "issue 5797); make it a plain string first, [string](Get-Content ...)",
        ) from None
    emit(_json_text(data, bool(args.get("Compress"))))


class _NotedText(Exception):
    """A string with Get-Content's notes met by ConvertTo-Json (:class:`ProviderContent`)."""


def date_object(moment: datetime.datetime) -> PSObject:
    """A Local ``System.DateTime`` of ``moment``'s wall-clock value (the lab's nodes run on
    UTC); its members are :mod:`psrunbook.sim.ps.date_values`'."""
    return datetime_value(ticks_of(moment), "Local")


def _date_argument(ev: BuiltinEvaluator, command: str, parameter: str, given: Any) -> Moment:
    """A string bound to a DateTime parameter, as DateTime.Parse reads it in en-US
    (:mod:`psrunbook.sim.ps.date_parse`); a date that does not exist is PowerShell's
    binding error; anything else (another type, another form) is refused by name."""
    if not isinstance(given, str):
        raise ev.unsupported(
            ev.statement,
            f"{command} -{parameter} of a {type_name_of(given)} (conversion to DateTime)",
        )
    try:
        return parse_datetime(given)
    except DateNotModelled as refused:
        raise ev.unsupported(ev.statement, str(refused)) from None
    except DateParseError as exc:
        raise ev.fail(
            records.binding_error(
                f"Cannot bind parameter '{parameter}'. Cannot convert value \"{given}\" to type "
                f'"System.DateTime". Error: "{exc}"',
                "CannotConvertArgumentNoMessage",
                f"Microsoft.PowerShell.Commands.{command.replace('-', '')}Command",
            )
        ) from None


@builtin(
    "Get-Date",
    ParamSpec("Date", "object", position=0, from_pipeline=True, aliases=("LastWriteTime",)),
    ParamSpec("Format", "string"),
    ParamSpec("UFormat", "string"),
    ParamSpec("DisplayHint", DISPLAY_HINT_TYPE),
    per_object=True,
)
def get_date(ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit) -> None:
    """``DateTime.Now`` (simulated nodes run on UTC), or ``-Date`` (position 0, or piped
    in), a DateTime kept with its Kind (GetDateCommand.cs). ``-Format`` is
    ``ToString(Format, CultureInfo.CurrentCulture)``, en-US; otherwise the DateTime with
    the DisplayHint NoteProperty GetDateCommand adds (``-DisplayHint``, DateTime by
    default), which its DateTime ScriptProperty and default view read. A malformed
    ``-Format`` is the FormatException escaping the cmdlet, a statement-terminating error
    (its id ``System.FormatException,...GetDateCommand`` is UNVERIFIED: PowerShell's rule
    for an exception escaping a cmdlet, not seen from Get-Date). Refused by name: a
    ``-Date`` that is not a DateTime (Windows parses a string in the culture), and, as
    Windows parameters the lab does not model (:mod:`.windows_parameters`), ``-Year`` ...
    ``-Millisecond``."""
    given = inputs[0] if inputs else args.get("Date")
    if given is None:
        ticks, kind = ticks_of(ev.now()), "Local"
    else:
        chosen = datetime_moment(given) or _date_argument(ev, "Get-Date", "Date", given)
        ticks, kind = chosen.ticks, chosen.kind
    if args.get("UFormat"):
        emit(Moment(ticks, kind).wall.strftime(to_string(args["UFormat"])))
    elif args.get("Format") is not None:
        try:
            emit(format_datetime(Moment(ticks, kind), to_string(args["Format"])))
        except DateFormatError as exc:
            raise ev.fail(
                ErrorRecordData(
                    message=str(exc),
                    error_id="System.FormatException",
                    category="NotSpecified",
                    exception_type="System.FormatException",
                    command_type="Microsoft.PowerShell.Commands.GetDateCommand",
                )
            ) from None
    else:
        hint = args.get("DisplayHint")
        if not isinstance(hint, PSEnum):
            hint = display_hint("DateTime")
        emit(datetime_value(ticks, kind, hint))


_SPAN_PARTS = ("Days", "Hours", "Minutes", "Seconds")


def _piped_bounds(item: Any) -> dict[str, Any]:
    """What New-TimeSpan binds of a piped object: a DateTime is -Start (by value); of any
    other object its Start (or LastWriteTime, the alias) and End properties (by property
    name), so ``Get-ChildItem file | New-TimeSpan`` is the time since the file changed."""
    if datetime_moment(item) is not None or not isinstance(item, PSObject):
        return {"Start": item}
    bound = {}
    for name, names in (("Start", ("Start", "LastWriteTime")), ("End", ("End",))):
        found = next((n for n in names if n in item.properties), None)
        if found is not None:
            bound[name] = item.properties[found]
    return bound


@builtin(
    "New-TimeSpan",
    ParamSpec("Start", "object", position=0, from_pipeline=True,
              from_pipeline_by_property_name=True, aliases=("LastWriteTime",)),
    ParamSpec("End", "object", position=1, from_pipeline_by_property_name=True),
    *(ParamSpec(name, "int") for name in _SPAN_PARTS),
    per_object=True,
)  # fmt: skip
def new_timespan(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """Windows PowerShell 5.1's New-TimeSpan (NewTimeSpanCommand.cs): the parameter set
    "Date" (the default), ``End.Subtract(Start)``, each of them ``DateTime.Now`` when not
    given (the lab's nodes run on UTC); or "Time", ``new TimeSpan(Days, Hours, Minutes,
    Seconds)``. 5.1 has no ``-Milliseconds`` (PowerShell 7.3 added it). Refused by name:
    a Start or End that is not a DateTime (Windows parses a string in the culture) and a
    span beyond TimeSpan's range (.NET's ArgumentOutOfRangeException)."""
    given = [name for name in _SPAN_PARTS if name in args]
    dates = [name for name in ("Start", "End") if name in args] + list(inputs or [])
    if given and dates:
        raise ev.fail(
            records.binding_error(
                "Parameter set cannot be resolved using the specified named parameters.",
                "AmbiguousParameterSet",
                "Microsoft.PowerShell.Commands.NewTimeSpanCommand",
            )
        )
    if given:
        units = zip(_SPAN_PARTS, (86_400, 3_600, 60, 1), strict=True)
        seconds = sum(to_int(args.get(name) or 0) * unit for name, unit in units)
        ticks = seconds * TICKS_PER_SECOND
        if abs(seconds * 1_000) > MAX_MILLISECONDS:
            raise ev.unsupported(ev.statement, "New-TimeSpan beyond TimeSpan's range")
        emit(timespan_value(ticks))
        return
    bounds = {name: args[name] for name in ("Start", "End") if name in args}
    if inputs:
        bounds.update(_piped_bounds(inputs[0]))
    now = ticks_of(ev.now())
    ends: list[int] = []
    for name in ("Start", "End"):
        if name not in bounds:
            ends.append(now)
            continue
        moment = datetime_moment(bounds[name]) or _date_argument(
            ev, "New-TimeSpan", name, bounds[name]
        )
        ends.append(moment.ticks)
    emit(timespan_value(ends[1] - ends[0]))


@builtin(
    "Measure-Command",
    ParamSpec("Expression", "scriptblock", mandatory=True, position=0),
    ParamSpec("InputObject", "psobject", from_pipeline=True),
)
def measure_command(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """Windows PowerShell 5.1's Measure-Command (MeasureCommandCommand.cs): runs the script
    block once per input object (``$_``), or once, in the caller's scope
    (``useLocalScope: false``: what it sets stays set), its output thrown away (a null
    pipe) and its errors written as usual; then writes the time all of it took, one
    TimeSpan, on the node's clock (so a Start-Sleep the lab skipped counts)."""
    block = args["Expression"]
    items = inputs if inputs else [None]
    started = ticks_of(ev.now())
    for item in items:
        ev.invoke_block(block, item, new_scope=False, emit=lambda _: None)
    emit(timespan_value(ticks_of(ev.now()) - started))


_RANDOM = random.SystemRandom()
"""Get-Random's numbers: unpredictable, as .NET's are to a script (5.1 seeds its Random
from the clock); a script cannot tell the generators apart without -SetSeed."""


@builtin(
    "Get-Random",
    ParamSpec("Maximum", "object", position=0),
    ParamSpec("Minimum", "object"),
    ParamSpec("InputObject", "object[]", from_pipeline=True),
    ParamSpec("Count", "int"),
)
def get_random(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """Windows PowerShell 5.1's Get-Random (GetRandomCommand.cs): a number from
    ``-Minimum`` (0) up to but not including ``-Maximum`` (Int32.MaxValue), a Double when
    either bound is one (``-Count`` of them, as 5.1's reference lists -Count in that set:
    UNVERIFIED, 3.0's did not); or ``-Count`` (1) distinct items of ``-InputObject`` or
    the pipeline. A bound with ``-InputObject`` mixes the two sets:
    AmbiguousParameterSet. A minimum not below the maximum is 5.1's
    MinGreaterThanOrEqualMax. Refused by name: ``-SetSeed`` (a Windows parameter the lab
    does not model: the same seed gives .NET's sequence there, another one here)."""
    items = inputs if inputs is not None else args.get("InputObject")
    bounds = [name for name in ("Minimum", "Maximum") if name in args]
    if bounds and inputs is not None:
        # Windows cannot bind the piped objects in the number set: not modelled.
        raise ev.unsupported(ev.statement, f"Get-Random -{bounds[0]} with pipeline input")
    if bounds and "InputObject" in args:
        raise ev.fail(
            records.binding_error(
                "Parameter set cannot be resolved using the specified named parameters.",
                "AmbiguousParameterSet",
                "Microsoft.PowerShell.Commands.GetRandomCommand",
            )
        )
    if items is not None:
        pool = list(items) if is_collection(items) else [items]
        count = min(max(to_int(args.get("Count") or 1), 0), len(pool))
        for item in _RANDOM.sample(pool, count):
            emit(item)
        return
    low, high = args.get("Minimum"), args.get("Maximum")
    floating = any(isinstance(v, float) for v in (low, high))
    low_n = to_number(low) if low is not None else 0
    high_n = to_number(high) if high is not None else (2**31 - 1)
    if low_n >= high_n:
        raise ev.fail(
            records.binding_error(
                f"The Minimum value ({to_string(low)}) cannot be greater than or equal to "
                f"the Maximum value ({to_string(high)}).",
                "MinGreaterThanOrEqualMax",
                "Microsoft.PowerShell.Commands.GetRandomCommand",
            )
        )
    for _ in range(max(to_int(args.get("Count") or 1), 1)):
        if floating:
            emit(low_n + _RANDOM.random() * (high_n - low_n))
        else:
            emit(_RANDOM.randrange(int(low_n), int(high_n)))


def _variable_scope(ev: BuiltinEvaluator, args: PSHashtable) -> Scope:
    """The scope ``-Scope`` names: Global, Local, Script or a number of levels up."""
    name = to_string(args.get("Scope") or "Local")
    if name.casefold() == "global":
        return ev.global_scope
    scope = ev.scope
    if name.casefold() == "script":
        return ev.script_scope
    if name.casefold() == "local":
        return scope
    if name.isdigit():
        for _ in range(int(name)):
            if scope.parent is None:
                break
            scope = scope.parent
        return scope
    raise ev.runtime_fail(
        f"The scope number '{name}' exceeds the number of active scopes.",
        "ArgumentOutOfRange",
        "InvalidArgument",
    )


def psvariable(name: str, value: Any) -> PSObject:
    """A System.Management.Automation.PSVariable with the public properties Windows
    PowerShell 5.1 serialises, in its order (pypsrp 0.9.1
    ``responses/test_psrp_nested_command.yml``, ``Get-Variable -Name i``: Name,
    Description, Value, Visibility, Module, ModuleName, Options, Attributes, all adapted
    .NET properties). PSVariable does not override ToString, so it is the type name."""
    return PSObject(
        ("System.Management.Automation.PSVariable", "System.Object"),
        PSHashtable(
            [
                ("Name", name),
                ("Description", ""),
                ("Value", value),
                ("Visibility", "Public"),
                ("Module", None),
                ("ModuleName", ""),
                ("Options", "None"),
                ("Attributes", []),
            ]
        ),
        to_string="System.Management.Automation.PSVariable",
    )


def _variable_not_found(name: str, command: str) -> ErrorRecordData:
    return ErrorRecordData(
        message=f"Cannot find a variable with the name '{name}'.",
        error_id="VariableNotFound",
        category="ObjectNotFound",
        exception_type="System.Management.Automation.ItemNotFoundException",
        target_object=name,
        target_name=name,
        target_type="String",
        command_type=f"Microsoft.PowerShell.Commands.{command}Command",
        activity=command.replace("Variable", "-Variable"),
    )


@builtin(
    "Set-Variable",
    ParamSpec("Name", "string[]", mandatory=True, position=0, from_pipeline_by_property_name=True),
    ParamSpec("Value", "object", position=1, from_pipeline=True),
    ParamSpec("Scope", "string"),
    ParamSpec("PassThru", "switch"),
)
def set_variable(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """Sets the variable in ``-Scope`` (the current scope by default), as Windows does."""
    value = _collect(inputs) if inputs is not None else args.get("Value")
    scope = _variable_scope(ev, args)
    for name in as_list(args.get("Name")):
        scope.set_local(to_string(name), value)
        if args.get("PassThru"):
            emit(psvariable(to_string(name), value))


@builtin(
    "Get-Variable",
    ParamSpec("Name", "string[]", position=0),
    ParamSpec("ValueOnly", "switch"),
    ParamSpec("Scope", "string"),
)
def get_variable(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """Variables visible from ``-Scope`` by name (wildcards allowed), or their values."""
    visible: dict[str, tuple[str, Any]] = {}
    scope: Scope | None = _variable_scope(ev, args)
    while scope is not None:
        for folded, entry in scope.variables.items():
            visible.setdefault(folded, entry)
        scope = scope.parent
    patterns = [to_string(n) for n in as_list(args.get("Name"))] or ["*"]
    for pattern in patterns:
        regex = wildcard_regex(pattern)
        found = sorted(
            (entry for entry in visible.values() if regex.match(entry[0])),
            key=lambda entry: entry[0].casefold(),
        )
        if not found and not any(c in pattern for c in "*?["):
            ev.write_error(_variable_not_found(pattern, "GetVariable"))
        for name, value in found:
            emit(value if args.get("ValueOnly") else psvariable(name, value))


@builtin(
    "Remove-Variable",
    ParamSpec("Name", "string[]", mandatory=True, position=0),
    ParamSpec("Scope", "string"),
)
def remove_variable(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """Removes the variable from the nearest scope that has it (or from ``-Scope``)."""
    for name in (to_string(n) for n in as_list(args.get("Name"))):
        scope = _variable_scope(ev, args) if args.get("Scope") else ev.scope.find(name)
        if scope is None or scope.variables.pop(name.casefold(), None) is None:
            ev.write_error(_variable_not_found(name, "RemoveVariable"))


# ----------------------------------------------------------------- execute_ps support


@builtin(
    "Invoke-Expression",
    ParamSpec("Command", "string", mandatory=True, position=0, from_pipeline=True),
    per_object=True,
)
def invoke_expression(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """Runs ``-Command`` as script in the caller's scope (pypsrp's ``Client.execute_ps``);
    a piped string runs as it arrives (``'1+1' | iex``)."""
    for text in inputs if inputs is not None else [args.get("Command")]:
        ev.invoke_expression(to_string(text), emit)


COMMAND_ALIASES: dict[str, str] = {
    alias: command
    for command, aliases in {
        "ForEach-Object": ("%", "foreach"),
        "Where-Object": ("?", "where"),
        "Select-Object": ("select",),
        "Sort-Object": ("sort",),
        "Measure-Object": ("measure",),
        "Group-Object": ("group",),
        "Write-Output": ("echo", "write"),
        "Get-ChildItem": ("gci", "ls", "dir"),
        "Get-Item": ("gi",),
        "Resolve-Path": ("rvpa",),
        "Convert-Path": ("cvpa",),
        "Get-Location": ("gl", "pwd"),
        "Get-History": ("h", "history", "ghy"),
        "Get-Content": ("gc", "cat", "type"),
        "New-Item": ("ni",),
        "Remove-Item": ("ri", "rm", "del"),
        "Get-Service": ("gsv",),
        "Start-Sleep": ("sleep",),
        "Invoke-Expression": ("iex",),
        "Get-Variable": ("gv",),
        "Set-Variable": ("sv", "set"),
        "Remove-Variable": ("rv",),
    }.items()
    for alias in aliases
}
"""Windows PowerShell 5.1's built-in aliases of commands the lab has (UNVERIFIED: not in
shared/facts; the list `Get-Alias` prints on a fresh 5.1 session). Not ``sc``, which
PowerShell 5.1 aliases to Set-Content and would hide ``sc.exe``."""


def format_lines(
    items: list[Any], width: int | None = None, limit: int = DEFAULT_ENUMERATION_LIMIT
) -> list[str]:
    """The lines PowerShell's default formatter prints for ``items`` (``limit``: the global
    ``$FormatEnumerationLimit``; see
    :mod:`psrunbook.sim.ps.formatting`); an object whose format view the lab does not
    model is refused by name."""
    try:
        return format_items(items, width or DEFAULT_WIDTH, limit)
    except NotFormattable as exc:
        raise RefusedScript(
            ErrorRecordData(
                message=(
                    f"The simulator refuses this pipeline: Out-String of a {exc.type_name}"
                    f" is not simulated ({exc.reason});"
                    " select the properties as strings first."
                ),
                error_id="SimulatorUnsupportedConstruct",
                category="NotImplemented",
                exception_type="System.NotSupportedException",
            )
        ) from None


@builtin(
    "Out-String",
    ParamSpec("InputObject", "object"),
    ParamSpec("Stream", "switch"),
    ParamSpec("Width", "int"),
)
def out_string(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """Text of the input: one string per line with ``-Stream``, else one string.

    Without ``-Stream`` every line ends with CRLF (UNVERIFIED against a recording; the
    PowerShell 5.1 formatter's line ending on Windows).
    """
    lines = format_lines(
        list(_items(args, inputs)), args.get("Width"), enumeration_limit(ev.global_scope)
    )
    if args.get("Stream"):
        for line in lines:
            emit(line)
    else:
        emit("".join(line + "\r\n" for line in lines))


from psrunbook.sim.ps import history, location  # noqa: E402, F401  (register their cmdlets)
