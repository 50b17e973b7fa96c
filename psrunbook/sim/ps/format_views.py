"""Windows PowerShell 5.1's default views of System.DateTime, file system items and
System.Diagnostics.Process: what ``Out-String`` (so pypsrp's ``Client.execute_ps``) and a
console host print for ``Get-Date``, ``Get-ChildItem`` and ``Get-Process``.

- **System.DateTime**: the custom view "DateTime" shows the object's ``DateTime`` script
  property (PowerShell's DotNetTypes_format_ps1xml.cs, ViewsOf_System_DateTime: one
  ExpressionBinding of the property DateTime). types.ps1xml defines that property as
  ``"{0} {1}" -f $this.ToLongDateString(), $this.ToLongTimeString()``, or the long date
  alone when the object's ``DisplayHint`` is Date and the long time alone when it is Time
  (Get-TypeData's documented example; PowerShell's Types_Ps1Xml.cs). The texts are en-US
  (:mod:`psrunbook.sim.ps.date_text`). Out-String prints a blank line, one line per
  DateTime, two blank lines: OutCommandInner writes a blank line at FormatStartData, at
  GroupEndData and at FormatEndData, and ComplexWriter one line per object.
- **System.IO.DirectoryInfo / FileInfo**: the table view "children" of 5.1's
  FileSystem.format.ps1xml (Microsoft's about_Format.ps1xml for 5.1 prints it, edited
  into its "mygciview" example: "created from an edited version of the
  FileSystem.format.ps1xml file stored in $PSHOME of PowerShell 5.1"): grouped by
  PSParentPath with the FileSystemTypes-GroupingFormat control (a frame indented 4 columns
  holding FileSystemProviderStrings.DirectoryDisplayGrouping, "Directory: ", the parent
  path without its provider prefix, then a NewLine), the columns Mode (7, left),
  LastWriteTime (25, right; ``[String]::Format("{0,10}  {1,8}",
  $_.LastWriteTime.ToString("d"), $_.LastWriteTime.ToString("t"))``), Length (14, right;
  a directory has none, so its cell is empty) and Name (the rest of the line), rows
  wrapped (``<Wrap/>``). A Windows 10 transcript of ``dir`` in 5.1 shows the result: two
  blank lines, ``    Directory: C:\\Windows\\System32\\WindowsPowerShell\\v1.0``, two blank
  lines, ``Mode                LastWriteTime         Length Name`` and rows such as
  ``-a----        3/18/2019  11:46 PM          12825 Certificate.format.ps1xml``.
- **System.Diagnostics.Process**: the table view "process" of 5.1's
  DotNetTypes.format.ps1xml: Handles (7) from HandleCount, NPM(K) (7)
  ``[long]($_.NPM / 1024)``, PM(K) (8) and WS(K) (10) alike, CPU(s) (10)
  ``if ($_.CPU -ne $()) { $_.CPU.ToString("N") }``, Id (6), SI (3), ProcessName (the rest),
  all right-aligned but the name. The row's script blocks are those of the 5.x format file
  as transcribed from Windows; the widths are those of 5.1's printed header and rows
  (``Handles  NPM(K)    PM(K)      WS(K)     CPU(s)     Id  SI ProcessName``,
  ``     75       5      820       3252       0.03   4872   3 PING``). PowerShell 6 and
  later print PM(M) and WS(M) instead; this is 5.1's view.

UNVERIFIED (not in shared/facts; from the sources named above, not from a recording):
every width and blank line above, the DateTime view for several DateTimes in a row (one
line each, as ComplexWriter writes one object after another), ``[long]`` rounding half to
even (.NET's Convert.ToInt64) and the "N" format's two decimals with group separators. A
file system item or process that lacks a property its view shows is refused by name
(:class:`NotFormattable`), never shown as an empty or zero cell.
"""

from __future__ import annotations

from typing import Any

from psrunbook.sim.objects import PSEnum, PSObject, PSVersionValue
from psrunbook.sim.ps.date_text import (
    DATETIME,
    date_moment,
    long_date,
    long_time,
    short_date,
    short_time,
)
from psrunbook.sim.ps.format_objects import (
    ALIGN_LEFT,
    ALIGN_RIGHT,
    ALIGN_UNDEFINED,
    GroupHeader,
    NotFormattable,
    TableColumn,
)

FILE_SYSTEM = "FileSystemTypes"
"""The selection set of DirectoryInfo and FileInfo: both share one view, so one table."""
_FILE_TYPES = ("System.IO.DirectoryInfo", "System.IO.FileInfo")
PROCESS = "System.Diagnostics.Process"
_PROVIDER_PREFIX = "Microsoft.PowerShell.Core\\FileSystem::"


def _required(item: PSObject, name: str) -> Any:
    """A property the view shows; its absence is refused, never shown as blank."""
    if name not in item.properties:
        raise NotFormattable(item.type_names[0], f"the lab's object has no {name} property")
    return item.properties[name]


def _moment(item: PSObject, name: str) -> Any:
    moment = date_moment(_required(item, name))
    if moment is None:
        raise NotFormattable(item.type_names[0], f"its {name} is not a lab DateTime")
    return moment


class TableView:
    """A type's table view: its columns (label, the property or script it shows, width,
    alignment, as the TableColumnInfo Format-Table writes), the cells of one object and
    the object's group heading."""

    key = ""
    columns: tuple[TableColumn, ...] = ()
    wrap = False
    """The row definition's ``<Wrap/>``: long cells go on further lines."""

    def cells(self, item: PSObject) -> tuple[str, ...]:
        raise NotImplementedError

    def group(self, item: PSObject) -> GroupHeader | None:
        return None


class _FileSystemView(TableView):
    key = FILE_SYSTEM
    columns = (
        TableColumn("Mode", "Mode", 7, ALIGN_LEFT),
        TableColumn("LastWriteTime", "LastWriteTime", 25, ALIGN_RIGHT),
        TableColumn("Length", "Length", 14, ALIGN_RIGHT),
        TableColumn("Name", "Name", 0, ALIGN_UNDEFINED),
    )
    wrap = True

    def cells(self, item: PSObject) -> tuple[str, ...]:
        moment = _moment(item, "LastWriteTime")
        written = f"{short_date(moment):>10}  {short_time(moment):>8}"
        length = item.properties.get("Length")
        if item.type_names[0] == "System.IO.FileInfo":
            length = _required(item, "Length")
        text = "" if length is None else str(length)
        return (str(_required(item, "Mode")), written, text, str(_required(item, "Name")))

    def group(self, item: PSObject) -> GroupHeader:
        parent = str(_required(item, "PSParentPath"))
        return GroupHeader("Directory: ", parent.replace(_PROVIDER_PREFIX, ""), 4)


def _kilobytes(item: PSObject, name: str) -> str:
    """``[long]($_.X / 1024)``: .NET's conversion rounds half to even, as round() does."""
    value = _required(item, name)
    return str(round(int(value) / 1024))


class _ProcessView(TableView):
    key = PROCESS
    columns = (
        TableColumn("Handles", "HandleCount", 7, ALIGN_RIGHT),
        TableColumn("NPM(K)", "NPM", 7, ALIGN_RIGHT),
        TableColumn("PM(K)", "PM", 8, ALIGN_RIGHT),
        TableColumn("WS(K)", "WS", 10, ALIGN_RIGHT),
        TableColumn("CPU(s)", "CPU", 10, ALIGN_RIGHT),
        TableColumn("Id", "Id", 6, ALIGN_RIGHT),
        TableColumn("SI", "SI", 3, ALIGN_RIGHT),
        TableColumn("ProcessName", "ProcessName", 0, ALIGN_UNDEFINED),
    )

    def cells(self, item: PSObject) -> tuple[str, ...]:
        cpu = _required(item, "CPU")
        return (
            str(_required(item, "HandleCount")),
            _kilobytes(item, "NPM"),
            _kilobytes(item, "PM"),
            _kilobytes(item, "WS"),
            "" if cpu is None else f"{float(cpu):,.2f}",
            str(_required(item, "Id")),
            str(_required(item, "SI")),
            str(_required(item, "ProcessName")),
        )


VERSION = "System.Version"


class _VersionView(TableView):
    """System.Version's table view (5.1's DotNetTypes.format.ps1xml): Major, Minor, Build
    and Revision in columns of 6, 6, 6 and 8 without an alignment, so numbers stand
    left; a part the version does not set is -1, as .NET keeps it. The familiar
    ``$PSVersionTable.PSVersion`` output: ``Major  Minor  Build  Revision`` over
    ``5      1      17763  1``."""

    key = VERSION
    columns = (
        TableColumn("Major", "Major", 6, ALIGN_UNDEFINED),
        TableColumn("Minor", "Minor", 6, ALIGN_UNDEFINED),
        TableColumn("Build", "Build", 6, ALIGN_UNDEFINED),
        TableColumn("Revision", "Revision", 8, ALIGN_UNDEFINED),
    )

    def cells(self, item: Any) -> tuple[str, ...]:
        version: PSVersionValue = item
        return tuple(str(n) for n in (version.major, version.minor, version.build,
                                      version.revision))  # fmt: skip


_FILE_SYSTEM_VIEW = _FileSystemView()
_PROCESS_VIEW = _ProcessView()
_VERSION_VIEW = _VersionView()


def table_view(item: Any) -> TableView | None:
    """The table view of ``item`` among those modelled here, or None."""
    if isinstance(item, PSVersionValue):
        return _VERSION_VIEW
    if not isinstance(item, PSObject) or not item.type_names:
        return None
    if item.type_names[0] in _FILE_TYPES:
        return _FILE_SYSTEM_VIEW
    if item.type_names[0] == PROCESS:
        return _PROCESS_VIEW
    return None


def is_datetime(item: Any) -> bool:
    """Whether ``item`` is a DateTime, which the custom view "DateTime" shows."""
    return isinstance(item, PSObject) and item.type_names[:1] == (DATETIME,)


def datetime_line(item: PSObject) -> str:
    """The ``DateTime`` script property: long date and long time, or one of them as the
    object's ``DisplayHint`` (Date, Time) says."""
    moment = date_moment(item)
    if moment is None:
        raise NotFormattable(DATETIME, "the object is not a lab DateTime")
    hint = item.properties.get("DisplayHint")
    name = hint.name if isinstance(hint, PSEnum) else str(hint or "")
    if name.casefold() == "date":
        return long_date(moment)
    if name.casefold() == "time":
        return long_time(moment)
    return f"{long_date(moment)} {long_time(moment)}"
