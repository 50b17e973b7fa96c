"""``Format-Table``, ``Format-List`` and ``Format-Wide`` (aliases ``ft``, ``fl``, ``fw``).

They write formatting objects (:mod:`psrunbook.sim.ps.format_objects`), as on Windows:
a remoting client receives FormatStartData, GroupStartData, one FormatEntryData per
object, GroupEndData and FormatEndData, and ``| Out-String`` (so also pypsrp's
``Client.execute_ps``) prints them as the table or list Windows prints.

The view of an object is the one :mod:`psrunbook.sim.ps.formatting` knows (the
ServiceController table, the hashtable Name/Value table, a PSCustomObject's properties,
and :mod:`psrunbook.sim.ps.format_views`' FileSystem and Process tables, the FileSystem
one with its "Directory:" group heading); ``-Property`` chooses the columns or lines of
any object (names, wildcards, script blocks and ``@{Label=; Expression=}``). What needs
a view the lab does not know (the ServiceController list view shows properties the lab's
services lack; the list views of file system items, processes and DateTimes, a
DateTime's table; a cluster object's views) and the parameters not modelled (``-View``,
``-Expand``, ``-ShowError``, ``-DisplayError``, ``-Force``) are refused by name.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from psrunbook.sim.objects import ErrorRecordData, PSHashtable, PSObject, PSVersionValue
from psrunbook.sim.ps.builtins import (
    COMMAND_ALIASES,
    BuiltinEvaluator,
    Emit,
    _hash_get,
    _items,
    _property_value,
    builtin,
)
from psrunbook.sim.ps.cmdlet_api import ParamSpec
from psrunbook.sim.ps.exceptions import RefusedScript
from psrunbook.sim.ps.format_objects import (
    ALIGN_LEFT,
    ALIGN_RIGHT,
    GroupHeader,
    NotFormattable,
    Shape,
    TableColumn,
    class_id,
    format_end,
    format_start,
    group_end,
    group_start,
    list_entry,
    raw_text,
    table_row,
    wide_entry,
)
from psrunbook.sim.ps.format_views import is_datetime, table_view
from psrunbook.sim.ps.formatting import (
    SERVICE_LIST,
    cell_text,
    default_view,
    is_scalar,
)
from psrunbook.sim.ps.preference_variables import enumeration_limit
from psrunbook.sim.ps.values import ScriptBlockValue, is_collection, to_string, wildcard_regex
from psrunbook.sim.timespan_wire import TIMESPAN, timespan_ticks

_SERVICE = "System.ServiceProcess.ServiceController"
_ENTRY = "System.Collections.DictionaryEntry"
_UNMODELLED = ("View", "Expand", "ShowError", "DisplayError", "Force")
_COMMON_PARAMETERS = (
    ParamSpec("Property", "object[]", position=0),
    ParamSpec("GroupBy", "object"),
    ParamSpec("View", "string"),
    ParamSpec("ShowError", "switch"),
    ParamSpec("DisplayError", "switch"),
    ParamSpec("Force", "switch"),
    ParamSpec("Expand", "string"),
    ParamSpec("InputObject", "psobject", from_pipeline=True),
)
COMMAND_ALIASES.update({"ft": "Format-Table", "fl": "Format-List", "fw": "Format-Wide"})


def refuse_view(type_name: str) -> RefusedScript:
    """The refusal of an object whose view the lab does not model (never a guess)."""
    return RefusedScript(
        ErrorRecordData(
            message=(
                f"The simulator refuses this pipeline: the format view of a {type_name} is "
                "not simulated; name the properties with -Property."
            ),
            error_id="SimulatorUnsupportedConstruct",
            category="NotImplemented",
            exception_type="System.NotSupportedException",
        )
    )


def _check_modelled(ev: BuiltinEvaluator, args: PSHashtable, command: str) -> None:
    for name in _UNMODELLED:
        if args.get(name):
            raise ev.unsupported(ev.statement, f"{command} -{name}")


def _label(prop: Any) -> str:
    if isinstance(prop, PSHashtable):
        label = _hash_get(prop, ("Label",)) or _hash_get(prop, ("Name",))
        if label is None:
            expression = _hash_get(prop, ("Expression",))
            return to_string(expression).strip() if expression is not None else ""
        return to_string(label)
    if isinstance(prop, ScriptBlockValue):
        return to_string(prop).strip()
    return to_string(prop)


def _expand(item: Any, properties: list[Any]) -> list[tuple[str, Any]]:
    """Each ``-Property`` entry as (label, what to evaluate); wildcards expand to the
    object's matching properties in the object's order."""
    out: list[tuple[str, Any]] = []
    names = list(item.properties.keys()) if isinstance(item, PSObject) else []
    for prop in properties:
        text = to_string(prop) if isinstance(prop, str) else None
        if text is not None and any(c in text for c in "*?["):
            pattern = wildcard_regex(text)
            out.extend((n, n) for n in names if pattern.match(n))
            continue
        out.append((_label(prop), prop))
    return out


def _entries(item: Any) -> Iterator[PSObject]:
    """A hashtable formats as its entries (DictionaryEntry: Name, Value)."""
    for key, value in item.items():
        yield PSObject((_ENTRY, "System.ValueType", "System.Object"),
                       PSHashtable([("Name", key), ("Key", key), ("Value", value)]))  # fmt: skip


def _objects(args: PSHashtable, inputs: list[Any] | None) -> Iterator[Any]:
    for item in _items(args, inputs):
        if item is None:
            continue
        if class_id(item) is not None:
            raise refuse_view("formatting object (Format-* output formatted again)")
        if isinstance(item, PSHashtable):
            yield from _entries(item)
        else:
            yield item


class _Writer:
    """Opens and closes the FormatStartData ... FormatEndData around each run of
    objects of one shape."""

    def __init__(self, emit: Emit) -> None:
        self.emit = emit
        self.key: Any = None
        self.grouping: tuple[str, str] | GroupHeader | None = None

    def switch(
        self, key: Any, shape: Shape, grouping: tuple[str, str] | GroupHeader | None = None
    ) -> None:
        """Go on in the current run, start a new ``-GroupBy`` group in it (a new value:
        Windows groups consecutive objects, it does not sort), or start a new run."""
        if self.key == key:
            if self.grouping != grouping:
                self.grouping = grouping
                self.emit(group_end())
                self.emit(group_start(grouping))
            return
        self.close()
        self.key = key
        self.grouping = grouping
        self.emit(format_start(shape))
        self.emit(group_start(grouping))

    def close(self) -> None:
        if self.key is not None:
            self.emit(group_end())
            self.emit(format_end())
            self.key = None


def _limit(ev: BuiltinEvaluator) -> int:
    """``$FormatEnumerationLimit`` as the formatter reads it (the global one)."""
    return enumeration_limit(ev.global_scope)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _grouping(ev: BuiltinEvaluator, args: PSHashtable, item: Any) -> tuple[str, str] | None:
    """``-GroupBy``: the group's label (the property name, a calculated property's label,
    a script block's text) and ``item``'s value in it."""
    group_by = args.get("GroupBy")
    if group_by is None:
        return None
    return _label(group_by), cell_text(_property_value(ev, item, group_by), _limit(ev))


@builtin(
    "Format-Table",
    *_COMMON_PARAMETERS,
    ParamSpec("AutoSize", "switch"),
    ParamSpec("HideTableHeaders", "switch"),
    ParamSpec("Wrap", "switch"),
)
def format_table(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """A table: the object's table view, or one column per ``-Property`` entry (labels
    from the first object of each run, as Windows takes its shape from the first). A
    view's own grouping (the FileSystem view's "Directory:") applies without ``-GroupBy``."""
    _check_modelled(ev, args, "Format-Table")
    properties = args.get("Property")
    autosize, wrap = bool(args.get("AutoSize")), bool(args.get("Wrap"))
    hide = bool(args.get("HideTableHeaders"))
    writer = _Writer(emit)
    selected: list[tuple[str, Any]] = []
    run: tuple[TableColumn, ...] = ()
    for item in _objects(args, inputs):
        if is_scalar(item):
            writer.close()
            emit(raw_text(to_string(item)))
            continue
        key: Any
        grouping: tuple[str, str] | GroupHeader | None = _grouping(ev, args, item)
        view = table_view(item) if properties is None else None
        if view is not None:
            key, columns = view.key, view.columns
            try:
                values: list[Any] = list(view.cells(item))
                heading = view.group(item)
            except NotFormattable as exc:
                raise refuse_view(f"{exc.type_name} ({exc.reason})") from None
            if args.get("GroupBy") is None:
                grouping = heading
        elif properties is not None:
            key = ("property", item.type_names[0] if isinstance(item, PSObject) else "")
            if writer.key != key:
                selected = _expand(item, list(properties) if is_collection(properties)
                                   else [properties])  # fmt: skip
            values = [_property_value(ev, item, prop) for _, prop in selected]
            columns = tuple(
                TableColumn(label, label, 0, ALIGN_RIGHT if _is_number(v) else ALIGN_LEFT)
                for (label, _), v in zip(selected, values, strict=True)
            )
        else:
            if is_datetime(item) or timespan_ticks(item) is not None:
                raise refuse_view(f"{item.type_names[0]} (its table)")
            try:
                key, _kind, shown = default_view(item)
            except NotFormattable as exc:
                raise refuse_view(exc.type_name) from None
            props = [c.prop for c in run] if writer.key == key else [c.prop for c in shown]
            values = [item.properties.get(p) for p in props]
            columns = tuple(
                TableColumn(c.label, c.prop, c.width or 0,
                            ALIGN_RIGHT if not c.left and _is_number(v) else ALIGN_LEFT)
                for c, v in zip(shown, values, strict=False)
            )  # fmt: skip
        if writer.key != key:
            run = columns
        wraps = wrap or (view is not None and view.wrap)
        writer.switch(key, Shape("table", run, autosize, wraps, hide_header=hide), grouping)
        limit = _limit(ev)
        emit(table_row([cell_text(v, limit) for v in values],
                       [ALIGN_RIGHT if c.alignment == ALIGN_RIGHT else 0 for c in run],
                       wrap=wraps))  # fmt: skip
    writer.close()


@builtin("Format-List", *_COMMON_PARAMETERS)
def format_list(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """A list: ``Name : Value`` lines per object, all of a PSCustomObject's properties
    or the ``-Property`` entries."""
    _check_modelled(ev, args, "Format-List")
    properties = args.get("Property")
    limit = _limit(ev)
    writer = _Writer(emit)
    for item in _objects(args, inputs):
        if is_scalar(item):
            writer.close()
            emit(raw_text(to_string(item)))
            continue
        if properties is not None:
            chosen = _expand(item, list(properties) if is_collection(properties) else [properties])
            pairs = [(label, cell_text(_property_value(ev, item, p), limit))
                     for label, p in chosen]  # fmt: skip
        elif isinstance(item, PSVersionValue):
            pairs = version_properties(item)
        else:
            if is_datetime(item) or table_view(item) is not None:
                raise refuse_view(f"{item.type_names[0]} (its list view)")
            try:
                key, _kind, view = default_view(item)
            except NotFormattable as exc:
                raise refuse_view(exc.type_name) from None
            pairs = [(name, cell_text(value, limit)) for name, value in item.properties.items()]
            if key == _SERVICE:
                pairs = [
                    (name, cell_text(item.properties.get(name), limit)) for name in SERVICE_LIST
                ]
            if key in (_ENTRY, TIMESPAN):
                pairs = [(c.label, cell_text(item.properties.get(c.prop), limit)) for c in view]
        writer.switch("list", Shape("list"), _grouping(ev, args, item))
        emit(list_entry(pairs))
    writer.close()


@builtin(
    "Format-Wide",
    *_COMMON_PARAMETERS,
    ParamSpec("AutoSize", "switch"),
    ParamSpec("Column", "int"),
)
def format_wide(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """One value per object in columns; the lab needs ``-Property`` for objects
    (the default property of a type's wide view is not modelled)."""
    _check_modelled(ev, args, "Format-Wide")
    prop: Any = args.get("Property")
    if is_collection(prop):
        if len(prop) != 1:
            raise ev.unsupported(ev.statement, "Format-Wide with more than one -Property")
        prop = prop[0]
    writer = _Writer(emit)
    shape = Shape("wide", autosize=bool(args.get("AutoSize")),
                  wide_columns=int(args.get("Column") or 0))  # fmt: skip
    for item in _objects(args, inputs):
        if prop is None and not is_scalar(item):
            raise refuse_view(item.type_names[0] if isinstance(item, PSObject) else "object")
        value = item if prop is None else _property_value(ev, item, prop)
        writer.switch("wide", shape, _grouping(ev, args, item))
        emit(wide_entry(cell_text(value, _limit(ev))))
    writer.close()


def version_properties(version: PSVersionValue) -> list[tuple[str, str]]:
    """A System.Version's properties as Format-List shows them, in .NET's order:
    MajorRevision and MinorRevision are the revision's high and low 16 bits (-1 unset)."""
    revision = version.revision
    major_rev, minor_rev = (revision >> 16, revision & 0xFFFF) if revision >= 0 else (-1, -1)
    numbers = (version.major, version.minor, version.build, revision, major_rev, minor_rev)
    names = ("Major", "Minor", "Build", "Revision", "MajorRevision", "MinorRevision")
    return [(name, str(number)) for name, number in zip(names, numbers, strict=True)]
