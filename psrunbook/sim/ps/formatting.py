"""Windows PowerShell 5.1's default formatting as text: what ``Out-String`` prints.

``Client.execute_ps`` pipes everything into ``Out-String -Stream``, so the text a
client sees is the formatter's. Modelled here:

- strings, numbers, booleans, enums and versions print as themselves, one line each
  (line breaks inside a string split it), after the table or list before them;
- consecutive objects of one shape form one group: a table (a leading blank line, the
  header, a separator of dashes as long as each label, the rows, two blank lines) or a
  list (a leading blank line, each object's ``Name : Value`` lines followed by a blank
  line, one more blank line at the end);
- ``System.ServiceProcess.ServiceController`` uses its table view: Status 8, Name 18,
  DisplayName 38 columns, longer values cut to ``...`` (shared/recordings/
  test_client_execute_ps.yml, the text pypsrp's ``test_client_execute_ps`` asserts);
- hashtables and DictionaryEntry objects use the Name (30 columns) / Value table, and so
  do PSVariable objects (``Get-Variable``; the "Variable" view);
- a PSCustomObject (also ``Select-Object`` output) with at most four properties is a
  table whose columns are the first object's properties, sized to the widest value;
  more properties make a list. Numbers are right-aligned;
- System.DateTime, file system items and System.Diagnostics.Process use 5.1's views
  (:mod:`psrunbook.sim.ps.format_views`); consecutive file system items of a new parent
  directory start a new group of the same table (its heading, the header again), as
  OutCommandInner writes a GroupEndData and a GroupStartData between them;
- a DateTime inside a table or list shows as ``ToString()`` in en-US
  ("12/3/2026 11:10:00 PM", :mod:`psrunbook.sim.ps.date_text`), not as its string
  conversion.

UNVERIFIED (not in shared/facts; the stricter choice is noted in
docs/simulated-powershell.md): the list layout's blank lines, Out-String's default
width of 120 columns for the Value column, how objects of different shapes follow one
another, autosizing over all objects (Windows: those arriving within 300 ms). Objects
whose format view the lab does not know (the cluster objects, error records) are
refused by name, never guessed at.
"""

from __future__ import annotations

from typing import Any

import msgspec

from psrunbook.sim.guid_wire import GUID
from psrunbook.sim.objects import PSEnum, PSHashtable, PSObject, SecureStringValue
from psrunbook.sim.ps.date_text import DATETIME, date_moment, general
from psrunbook.sim.ps.format_objects import (
    ALIGN_RIGHT,
    FormatReader,
    GroupHeader,
    NotFormattable,
    TableColumn,
    class_id,
)
from psrunbook.sim.ps.format_views import datetime_line, is_datetime, table_view
from psrunbook.sim.ps.preference_variables import DEFAULT_ENUMERATION_LIMIT
from psrunbook.sim.ps.values import is_collection, to_string
from psrunbook.sim.timespan_wire import TIMESPAN

DEFAULT_WIDTH = 120
"""Out-String's width without ``-Width`` when the remote host has no console (UNVERIFIED)."""

_PSCUSTOM = "System.Management.Automation.PSCustomObject"
_SERVICE = "System.ServiceProcess.ServiceController"
_ENTRY = "System.Collections.DictionaryEntry"
_VARIABLE = "System.Management.Automation.PSVariable"
_MEMBER = "Microsoft.PowerShell.Commands.MemberDefinition"
PING_STATUS = "System.Management.ManagementObject#root\\cimv2\\Win32_PingStatus"
_MAX_TABLE_PROPERTIES = 4


class Column(msgspec.Struct, frozen=True):
    """One table column: its label, the property it shows, a fixed width or None."""

    label: str
    prop: str
    width: int | None = None
    left: bool = False
    """Always left-aligned (a view's choice); otherwise numbers are right-aligned."""
    right: bool = False
    """Always right-aligned (a Format-Table column announced so)."""


_SERVICE_COLUMNS = (Column("Status", "Status", 8, left=True), Column("Name", "Name", 18, left=True),
                    Column("DisplayName", "DisplayName", 38, left=True))  # fmt: skip
_PING_COLUMNS = (
    Column("Source", "__SERVER", 13, left=True),
    Column("Destination", "Address", 15, left=True),
    Column("IPV4Address", "IPV4Address", 16, left=True),
    Column("IPV6Address", "IPV6Address", 40, left=True),
    Column("Bytes", "BufferSize", 8, left=True),
    Column("Time(ms)", "ResponseTime", 9, left=True),
)
"""Windows PowerShell 5.1's table view of Test-Connection's Win32_PingStatus replies
(UNVERIFIED: not in shared/facts; the widths and properties of the view as 5.1's
format data is remembered to define it)."""
SERVICE_LIST = ("Name", "DisplayName", "Status", "DependentServices", "ServicesDependedOn",
                "CanPauseAndContinue", "CanShutdown", "CanStop", "ServiceType")  # fmt: skip
"""The ServiceController list view of Windows PowerShell 5.1 (``Get-Service | Format-List``)."""
_TIMESPAN_LIST = tuple(
    Column(name, name)
    for name in ("Days", "Hours", "Minutes", "Seconds", "Milliseconds", "Ticks", "TotalDays",
                 "TotalHours", "TotalMinutes", "TotalSeconds", "TotalMilliseconds")
)  # fmt: skip
"""The System.TimeSpan list view of 5.1's DotNetTypes.format.ps1xml (``New-TimeSpan``
prints ``Days : 0`` ... ``TotalMilliseconds : 5000``), UNVERIFIED as the other views here:
the properties and their order as 5.1's console prints them."""
_ENTRY_COLUMNS = (Column("Name", "Name", 30, left=True), Column("Value", "Value", left=True))
_MEMBER_COLUMNS = (Column("Name", "Name", left=True), Column("MemberType", "MemberType", left=True),
                   Column("Definition", "Definition", left=True))  # fmt: skip


def is_scalar(item: Any) -> bool:
    """Whether the formatter prints ``item`` as its own text rather than in a view."""
    return isinstance(item, str | int | float | bool | PSEnum | SecureStringValue)


def cell_text(value: Any, limit: int = DEFAULT_ENUMERATION_LIMIT) -> str:
    """A property value as a table cell or list value shows it: a DateTime as its en-US
    ``ToString()``, a collection as its first ``limit`` elements in braces (``...``
    after them when there are more; ``$FormatEnumerationLimit``, read by the caller with
    :func:`.preference_variables.enumeration_limit`; about_Preference_Variables'
    ``Get-Service | Group-Object Status`` shows ``{AarSvc_8f3023,
    AdobeFlashPlayerUpdateSvc, AJRouter, ALG...}``), a hashtable as its keys so (each
    entry's display name, the Name alias of its Key: PSObjectHelper.SmartToString),
    anything else as its string conversion."""
    if isinstance(value, PSHashtable):
        return _braced([to_string(key) for key in value], limit)
    if is_collection(value):
        # An element hashtable is its ToString (GetObjectName), not its keys.
        return _braced(
            [to_string(v) if isinstance(v, PSHashtable) else cell_text(v, limit) for v in value],
            limit,
        )
    moment = date_moment(value)
    if moment is not None:
        return general(moment)
    return to_string(value)


def _braced(texts: list[str], limit: int) -> str:
    """``{a, b, c, d...}``: a negative limit shows every element (``-1`` is the
    documented "no limit"); a limit of 0 shows ``{...}`` for a non-empty collection
    (UNVERIFIED, read from the same rule)."""
    if limit < 0 or len(texts) <= limit:
        return "{" + ", ".join(texts) + "}"
    return "{" + ", ".join(texts[:limit]) + "...}"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Group(msgspec.Struct):
    """Consecutive objects of one shape and the rows they make."""

    key: str
    kind: str
    """``table``, ``list`` or ``custom`` (one line per object)."""
    columns: tuple[Column, ...]
    rows: list[tuple[Any, ...]]
    heading: GroupHeader | None = None
    """The group's heading (a view's group control), printed above the header."""
    opened: bool = False
    """A later group of the same table: the table's FormatStartData (its blank line) came
    before the first group, so none is printed here."""
    wrap: bool = False


def _entries(item: Any) -> list[tuple[Any, ...]]:
    if isinstance(item, PSHashtable):
        return [(key, value) for key, value in item.items()]
    return [(item.properties.get("Name"), item.properties.get("Value"))]


def view_column(column: TableColumn) -> Column:
    """A view's column (as Format-Table announces it) as the text renderer takes it."""
    right = column.alignment == ALIGN_RIGHT
    return Column(column.label, column.prop, column.width or None, left=not right, right=right)


def default_view(item: Any) -> tuple[str, str, tuple[Column, ...]]:
    """The group key, the kind and the columns of a new group starting at ``item``."""
    if is_datetime(item):
        return DATETIME, "custom", ()
    view = table_view(item)
    if view is not None:
        return view.key, "table", tuple(view_column(c) for c in view.columns)
    if isinstance(item, PSHashtable) or (
        isinstance(item, PSObject) and item.type_names[:1] == (_ENTRY,)
    ):
        return _ENTRY, "table", _ENTRY_COLUMNS
    if isinstance(item, PSObject):
        first = item.type_names[0] if item.type_names else "System.Object"
        if first == TIMESPAN:
            return TIMESPAN, "list", _TIMESPAN_LIST
        if first == GUID:
            # No view in DotNetTypes.format.ps1xml: a table of its one property, the
            # Guid ScriptProperty types.ps1xml adds (the familiar "Guid / ----" output).
            return GUID, "table", (Column("Guid", "Guid"),)
        if first == _SERVICE:
            return _SERVICE, "table", _SERVICE_COLUMNS
        if first == _VARIABLE:
            # PowerShellCore.format.ps1xml's "Variable" view: Name (30), Value.
            return _VARIABLE, "table", _ENTRY_COLUMNS
        if first == PING_STATUS:
            return PING_STATUS, "table", _PING_COLUMNS
        if first == _MEMBER:
            # Get-Member's view: a table per TypeName, under a "TypeName:" line.
            return f"{_MEMBER}:{item.properties.get('TypeName')}", "table", _MEMBER_COLUMNS
        if _PSCUSTOM in item.type_names:
            names = tuple(item.properties.keys())
            kind = "table" if len(names) <= _MAX_TABLE_PROPERTIES else "list"
            return _PSCUSTOM, kind, tuple(Column(n, n) for n in names)
        raise NotFormattable(first)
    raise NotFormattable(type(item).__name__)


def _row(item: Any, columns: tuple[Column, ...]) -> tuple[Any, ...]:
    props = item.properties
    return tuple(props.get(c.prop) if c.prop in props else None for c in columns)


def format_items(
    items: list[Any], width: int = DEFAULT_WIDTH, limit: int = DEFAULT_ENUMERATION_LIMIT
) -> list[str]:
    """The lines Out-String prints for ``items`` (``limit``: ``$FormatEnumerationLimit``,
    see :func:`cell_text`); raises :class:`NotFormattable`."""
    lines: list[str] = []
    group: _Group | None = None
    reader = FormatReader(width)
    for item in items:
        if item is None:
            continue
        kind = class_id(item)
        if kind is not None:
            if group is not None:
                lines.extend(_render(group, width, limit))
                group = None
            lines.extend(reader.feed(item, kind))
            continue
        if is_scalar(item):
            if group is not None:
                lines.extend(_render(group, width, limit))
                group = None
            lines.extend(to_string(item).replace("\r\n", "\n").split("\n"))
            continue
        key, kind, columns = default_view(item)
        view = table_view(item)
        heading = view.group(item) if view is not None else None
        if group is None or group.key != key or group.heading != heading:
            # The same view with a new group heading goes on in the same table.
            same_table = group is not None and group.key == key
            if group is not None:
                lines.extend(_render(group, width, limit, closing=not same_table))
            group = _Group(key, kind, columns, [], heading, same_table,
                           wrap=view is not None and view.wrap)  # fmt: skip
        if key == _ENTRY:
            group.rows.extend(_entries(item))
        elif key == TIMESPAN:
            group.rows.append(tuple((c.label, item.properties.get(c.prop)) for c in columns))
        elif kind == "list":
            group.rows.append(tuple(item.properties.items()))
        elif kind == "custom":
            group.rows.append((_custom_line(item, width),))
        elif view is not None:
            group.rows.append(view.cells(item))
        else:
            group.rows.append(_row(item, group.columns))
    if group is not None:
        lines.extend(_render(group, width, limit))
    return lines


def _custom_line(item: PSObject, width: int) -> str:
    """A DateTime's line; ComplexWriter word-wraps a longer one, which is not modelled."""
    line = datetime_line(item)
    if len(line) > width:
        raise NotFormattable(DATETIME, f"the line {line!r} is wider than {width} columns")
    return line


def _render(group: _Group, width: int, limit: int, *, closing: bool = True) -> list[str]:
    """The group's lines: without ``closing`` the table goes on with another group, so
    its FormatEndData's blank line is left out (and the next group's FormatStartData's)."""
    if group.kind == "list":
        return render_list(group.rows, limit)
    if group.key.startswith(_MEMBER + ":"):
        title = ["", "   TypeName: " + group.key[len(_MEMBER) + 1 :]]
        return title + render_table(group.columns, group.rows, width, limit=limit)
    if group.kind == "custom":
        body = ["", *(row[0] for row in group.rows), "", ""]
    else:
        body = render_table(group.columns, group.rows, width, wrap=group.wrap, limit=limit)
    # body: FormatStartData's blank line, the group, GroupEndData's and FormatEndData's.
    lines = body[1:-1]
    if group.heading is not None:
        lines = ["", *group.heading.lines(width), "", *lines]
    if not group.opened:
        lines.insert(0, "")
    if closing:
        lines.append("")
    return lines


def render_list(objects: list[Any], limit: int = DEFAULT_ENUMERATION_LIMIT) -> list[str]:
    """Each object's ``Name : Value`` lines (colons aligned per object), blank-separated."""
    lines = [""]
    for pairs in objects:
        label_width = max((len(name) for name, _ in pairs), default=0)
        lines.extend(
            f"{name.ljust(label_width)} : {cell_text(value, limit)}" for name, value in pairs
        )
        lines.append("")
    lines.append("")
    return lines


def render_table(
    columns: tuple[Column, ...],
    rows: list[tuple[Any, ...]],
    width: int,
    *,
    wrap: bool = False,
    hide_header: bool = False,
    limit: int = DEFAULT_ENUMERATION_LIMIT,
) -> list[str]:
    """Header, dashes and one line per row; ``wrap`` continues a long cell on further
    lines (Format-Table -Wrap) instead of cutting it to ``...``; ``hide_header`` leaves
    out the header and dashes (-HideTableHeaders; UNVERIFIED: the blank lines stay)."""
    widths: list[int] = []
    used = 0
    for index, column in enumerate(columns):
        if column.width is not None:
            size = column.width
        elif all(c.width is not None for c in columns[:index]) and any(
            c.width is not None for c in columns
        ):
            size = max(width - used, len(column.label))  # the rest of the line
        else:
            size = max([len(column.label), *(len(cell_text(row[index], limit)) for row in rows)])
        widths.append(size)
        used += size + 1
    first = rows[0] if rows else ()
    right = [
        column.right or (not column.left and index < len(first) and _is_number(first[index]))
        for index, column in enumerate(columns)
    ]

    def line(cells: list[str]) -> str:
        parts: list[str] = []
        for cell, size, align_right in zip(cells, widths, right, strict=True):
            text = cell if len(cell) <= size else cell[: max(size - 3, 0)] + "..."
            parts.append(text.rjust(size) if align_right else text.ljust(size))
        return " ".join(parts)

    def wrapped(cells: list[str]) -> list[str]:
        chunks = [[c[i : i + s] for i in range(0, len(c), s)] or [""] if s else [c]
                  for c, s in zip(cells, widths, strict=True)]  # fmt: skip
        depth = max(len(c) for c in chunks)
        return [line([c[i] if i < len(c) else "" for c in chunks]) for i in range(depth)]

    out = [""]
    if not hide_header:
        out += [line([c.label for c in columns]), line(["-" * len(c.label) for c in columns])]
    for row in rows:
        cells = [cell_text(v, limit) for v in row]
        out.extend(wrapped(cells) if wrap else [line(cells)])
    out.extend(["", ""])
    return out
