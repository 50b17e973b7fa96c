"""The formatting objects ``Format-Table`` / ``Format-List`` write, and their text.

On Windows the Format-* cmdlets do not write text: they write a sequence of objects of
the internal classes in ``Microsoft.PowerShell.Commands.Internal.Format`` (one
FormatStartData carrying the shape, a GroupStartData, one FormatEntryData per input
object, a GroupEndData and a FormatEndData), and an Out-* command (``Out-String``,
``Out-Default``) turns them into text. A remoting client receives those objects
serialised, with those type names; each carries its class in the property
``ClassId2e4f51ef21dd47e99d3c952918aff9cd`` (the GUIDs and field names are those of
PowerShell's FormattingObjects.cs, the source of the classes both editions share).

The text :class:`FormatReader` makes of them is the text :mod:`psrunbook.sim.ps.formatting`
makes of the objects themselves, so ``Get-Service | Format-Table | Out-String`` prints what
``Get-Service | Out-String`` prints, as on Windows. A group's heading is read as 5.1's
ComplexWriter writes a GroupingEntry: text and property fields gather on one line, a
FormatNewLine ends the line (indented by the FrameInfo of the FormatEntry around it), and
what is left at the end is one more line, empty after a NewLine (the FileSystem view's
``    Directory: C:\\`` and the blank line under it). UNVERIFIED (not in shared/facts): the
order of the serialised properties, the nesting of the FormatEntry objects a custom
grouping control makes, and that the lab's views choose widths as listed in
docs/simulated-powershell.md. A heading line longer than the width, which ComplexWriter
word-wraps, is refused (:class:`NotFormattable`) rather than guessed at.
"""

from __future__ import annotations

from typing import Any

import msgspec

from psrunbook.sim.objects import PSEnum, PSHashtable, PSObject

_NS = "Microsoft.PowerShell.Commands.Internal.Format."
CLASS_ID = "ClassId2e4f51ef21dd47e99d3c952918aff9cd"

FORMAT_START = "033ecb2bc07a4d43b5ef94ed5a35d280"
FORMAT_END = "cf522b78d86c486691226b40aa69e95c"
GROUP_START = "9e210fe47d09416682b841769c78b8a3"
GROUP_END = "4ec4f0187cb04f4cb6973460dfe252df"
FORMAT_ENTRY = "27c87ef9bbda4f709f6b4002fa4af63c"
TABLE_HEADER = "e3b7a39c089845d388b2e84c5d38f5dd"
TABLE_COLUMN = "7572aa4155ec4558817a615acf7dd92e"
LIST_HEADER = "830bdcb24c1642258724e441512233a4"
WIDE_HEADER = "b2e2775d33d544c794d0081f27021b5c"
TABLE_ROW = "0e59526e2dd441aa91e7fc952caf4a36"
LIST_ENTRY = "cf58f450baa848ef8eb3504008be6978"
LIST_FIELD = "b761477330ce4fb2a665999879324d73"
WIDE_ENTRY = "59bf79de63354a7b9e4d1697940ff188"
PROPERTY_FIELD = "78b102e894f742aca8c1d6737b6ff86a"
RAW_TEXT = "29ED81BA914544d4BC430F027EE053E9"
AUTOSIZE = "a27f094f0eec4d64845801a4c06a32ae"
GROUPING_ENTRY = "919820b7eadb48be8e202c5afa5c2716"
FORMAT_VALUE_ENTRY = "fba029a113a5458d932a2ed4871fadf2"
TEXT_FIELD = "b8d9e369024a43a580b9e0c9279e3354"
NEW_LINE = "de7e8b96fbd84db5a43aa82eb34580ec"
FRAME_INFO = "091C9E762E33499eBE318901B6EFB733"

ALIGN_UNDEFINED, ALIGN_LEFT, ALIGN_RIGHT = 0, 1, 3
"""``TextAlignment`` values (Undefined 0, Left 1, Center 2, Right 3)."""

_BASES = {
    "FormatStartData": ("StartData", "ControlInfoData", "PacketInfoData"),
    "GroupStartData": ("StartData", "ControlInfoData", "PacketInfoData"),
    "GroupEndData": ("ControlInfoData", "PacketInfoData"),
    "FormatEndData": ("ControlInfoData", "PacketInfoData"),
    "FormatEntryData": ("PacketInfoData",),
    "TableHeaderInfo": ("ShapeInfo",),
    "ListViewHeaderInfo": ("ShapeInfo",),
    "WideViewHeaderInfo": ("ShapeInfo",),
    "TableRowEntry": ("FormatEntryInfo",),
    "ListViewEntry": ("FormatEntryInfo",),
    "WideViewEntry": ("FormatEntryInfo",),
    "RawTextFormatEntry": ("FormatEntryInfo",),
    "FormatPropertyField": ("FormatValue",),
    "GroupingEntry": ("FreeFormatEntry", "FormatEntryInfo"),
    "FormatEntry": ("FormatValue",),
    "FormatTextField": ("FormatValue",),
    "FormatNewLine": ("FormatValue",),
}


class NotFormattable(Exception):
    """An object (or a part of its text) the simulator's formatter does not model; names
    the type and says what is missing."""

    def __init__(self, type_name: str, reason: str = "the lab has no format view for it") -> None:
        super().__init__(f"{type_name}: {reason}")
        self.type_name = type_name
        self.reason = reason


class GroupHeader(msgspec.Struct, frozen=True):
    """A view's group heading made by a custom control: ``text`` then ``value`` in a frame
    indented ``indent`` columns, then a NewLine (the FileSystem view's
    FileSystemTypes-GroupingFormat control: indent 4, "Directory: ", the parent path)."""

    text: str
    value: str
    indent: int

    def entry(self) -> PSObject:
        """The GroupingEntry: a FormatEntry holding the framed FormatEntry of the text
        field, the property field and the FormatNewLine (nesting UNVERIFIED)."""
        frame = _data("FrameInfo", FRAME_INFO, leftIndentation=self.indent,
                      rightIndentation=0, firstLine=0)  # fmt: skip
        framed = _data("FormatEntry", FORMAT_VALUE_ENTRY, frameInfo=frame, formatValueList=[
            _data("FormatTextField", TEXT_FIELD, text=self.text), _field(self.value),
            _data("FormatNewLine", NEW_LINE),
        ])  # fmt: skip
        inner = _data("FormatEntry", FORMAT_VALUE_ENTRY, formatValueList=[framed],
                      frameInfo=None)  # fmt: skip
        return _data("GroupingEntry", GROUPING_ENTRY, formatValueList=[inner])

    def lines(self, width: int) -> list[str]:
        """What Out-String prints of it: the text of :meth:`entry`, so the objects
        Format-Table writes and the default formatter print the same heading."""
        return grouping_lines(self.entry(), width) or []


class _ComplexText:
    """5.1's ComplexWriter for what the lab's groupings hold: fields gather in a buffer,
    a NewLine writes it indented by the frames around it, the end writes the rest."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.lines: list[str] = []
        self.buffer = ""

    def add(self, text: str) -> None:
        self.buffer += text

    def flush(self, indent: int) -> None:
        if len(self.buffer) > self.width - indent:
            raise NotFormattable(
                "group heading", f"the line {self.buffer!r} is wider than {self.width} columns"
            )
        self.lines.append(" " * indent + self.buffer)
        self.buffer = ""

    def walk(self, values: list[Any], indent: int) -> None:
        for value in values:
            kind = value.properties.get(CLASS_ID) if isinstance(value, PSObject) else None
            if kind == FORMAT_VALUE_ENTRY:
                frame = value.properties.get("frameInfo")
                inner = indent
                if isinstance(frame, PSObject):
                    inner += int(frame.properties.get("leftIndentation") or 0)
                self.walk(value.properties.get("formatValueList") or [], inner)
            elif kind == NEW_LINE:
                self.flush(indent)
            elif kind == TEXT_FIELD:
                self.add(str(value.properties.get("text") or ""))
            elif kind == PROPERTY_FIELD:
                self.add(str(value.properties.get("propertyValue") or ""))

    def finish(self) -> list[str]:
        self.flush(0)
        return self.lines


def _data(class_name: str, class_id: str, **fields: Any) -> PSObject:
    names = (class_name, *_BASES.get(class_name, ()), "FormatInfoData")
    return PSObject(
        (*(_NS + n for n in names), "System.Object"),
        PSHashtable([(CLASS_ID, class_id), *fields.items()]),
        to_string=_NS + class_name,
    )


class TableColumn(msgspec.Struct, frozen=True):
    """One column of a table shape: label, the property it shows, width (0: the
    outputter decides) and alignment."""

    label: str
    prop: str
    width: int = 0
    alignment: int = ALIGN_LEFT


class Shape(msgspec.Struct, frozen=True):
    """What a FormatStartData announces: ``table``, ``list`` or ``wide``."""

    kind: str
    columns: tuple[TableColumn, ...] = ()
    autosize: bool = False
    wrap: bool = False
    wide_columns: int = 0
    hide_header: bool = False
    """Format-Table -HideTableHeaders: TableHeaderInfo.hideHeader."""


def _field(text: str, alignment: int = ALIGN_UNDEFINED) -> PSObject:
    return _data("FormatPropertyField", PROPERTY_FIELD, propertyValue=text, alignment=alignment)


def format_start(shape: Shape) -> PSObject:
    if shape.kind == "table":
        columns = [
            _data("TableColumnInfo", TABLE_COLUMN, width=c.width, alignment=c.alignment,
                  label=c.label, propertyName=c.prop)
            for c in shape.columns
        ]  # fmt: skip
        info = _data("TableHeaderInfo", TABLE_HEADER, hideHeader=shape.hide_header,
                     repeatHeader=False,
                     tableColumnInfoList=columns)  # fmt: skip
    elif shape.kind == "wide":
        info = _data("WideViewHeaderInfo", WIDE_HEADER, columns=shape.wide_columns)
    else:
        info = _data("ListViewHeaderInfo", LIST_HEADER)
    autosize = _data("AutosizeInfo", AUTOSIZE, objectCount=0) if shape.autosize else None
    return _data("FormatStartData", FORMAT_START, shapeInfo=info, groupingEntry=None,
                 pageHeaderEntry=None, pageFooterEntry=None, autosizeInfo=autosize)  # fmt: skip


def group_start(grouping: tuple[str, str] | GroupHeader | None = None) -> PSObject:
    """A group's start; with ``-GroupBy`` its ``(label, value)`` as the GroupingEntry
    ViewGenerator writes when the view has no group control: a text field
    ``"   {label}: "`` (FormatAndOut_format_xxx.resx GroupStartDataIndentedAutoGeneratedLabel)
    then the value as a property field; a view's own heading as its custom control makes it."""
    entry = None
    if isinstance(grouping, GroupHeader):
        entry = grouping.entry()
    elif grouping is not None:
        label, value = grouping
        text = _data("FormatTextField", TEXT_FIELD, text=f"   {label}: ")
        inner = _data("FormatEntry", FORMAT_VALUE_ENTRY, formatValueList=[text, _field(value)],
                      frameInfo=None)  # fmt: skip
        entry = _data("GroupingEntry", GROUPING_ENTRY, formatValueList=[inner])
    return _data("GroupStartData", GROUP_START, shapeInfo=None, groupingEntry=entry)


def group_end() -> PSObject:
    return _data("GroupEndData", GROUP_END, groupingEntry=None)


def format_end() -> PSObject:
    return _data("FormatEndData", FORMAT_END, groupingEntry=None)


def _entry(info: PSObject, *, out_of_band: bool = False) -> PSObject:
    stream = PSEnum(_NS + "WriteStreamType", "None", 0)
    return _data("FormatEntryData", FORMAT_ENTRY, formatEntryInfo=info, outOfBand=out_of_band,
                 writeStream=stream)  # fmt: skip


def table_row(cells: list[str], alignments: list[int], *, wrap: bool) -> PSObject:
    fields = [_field(c, a) for c, a in zip(cells, alignments, strict=True)]
    return _entry(_data("TableRowEntry", TABLE_ROW, formatPropertyFieldList=fields,
                        multiLine=wrap))  # fmt: skip


def list_entry(pairs: list[tuple[str, str]]) -> PSObject:
    fields = [
        _data("ListViewField", LIST_FIELD, label=label, propertyName=label,
              formatPropertyField=_field(value))
        for label, value in pairs
    ]  # fmt: skip
    return _entry(_data("ListViewEntry", LIST_ENTRY, listViewFieldList=fields))


def wide_entry(text: str) -> PSObject:
    return _entry(_data("WideViewEntry", WIDE_ENTRY, formatPropertyField=_field(text)))


def raw_text(text: str) -> PSObject:
    """An object the view does not cover (a string), written out of band as its text."""
    return _entry(_data("RawTextFormatEntry", RAW_TEXT, text=text), out_of_band=True)


def class_id(item: Any) -> str | None:
    """The formatting class of ``item``, or None when it is not a formatting object."""
    if not isinstance(item, PSObject) or not item.type_names:
        return None
    if not item.type_names[0].startswith(_NS):
        return None
    value = item.properties.get(CLASS_ID)
    return value if isinstance(value, str) else None


class FormatReader(msgspec.Struct):
    """Turns a stream of formatting objects back into lines, as Out-String does.

    As Windows PowerShell 5.1's OutCommandInner: a blank line at FormatStartData and at
    FormatEndData; at a GroupStartData with a grouping entry a blank line, the entry's
    text and a blank line; the group's table (header, rows) or list; a blank line at
    GroupEndData."""

    width: int
    shape: Shape | None = None
    rows: list[Any] = msgspec.field(default_factory=list)
    grouping: list[str] | None = None
    started: bool = False

    def feed(self, item: PSObject, kind: str) -> list[str]:
        """The lines ``item`` completes (a group's only at its GroupEndData)."""
        if kind == FORMAT_START:
            self.shape = _read_shape(item)
            self.rows = []
            self.started = False
            return []
        if kind == GROUP_START:
            self.grouping = grouping_lines(item.properties.get("groupingEntry"), self.width)
            return []
        if kind == FORMAT_ENTRY:
            info = item.properties.get("formatEntryInfo")
            if not isinstance(info, PSObject):
                return []
            if item.properties.get("outOfBand"):
                return str(info.properties.get("text") or "").replace("\r\n", "\n").split("\n")
            self.rows.append(info)
            return []
        if kind == GROUP_END and self.shape is not None:
            rendered = _render(self.shape, self.rows, self.width)
            lines = [] if self.started else [""]
            if self.grouping is not None:
                lines.extend(["", *self.grouping, ""])
            self.rows, self.grouping, self.started = [], None, True
            return lines + rendered[1:-1]
        if kind == FORMAT_END and self.shape is not None:
            self.shape = None
            return [""]
        return []


def grouping_lines(entry: Any, width: int) -> list[str] | None:
    """The lines of a GroupingEntry as 5.1's ComplexWriter writes them, None without one."""
    if not isinstance(entry, PSObject):
        return None
    writer = _ComplexText(width)
    writer.walk(list(entry.properties.get("formatValueList") or []), 0)
    return writer.finish()


def _read_shape(item: PSObject) -> Shape:
    info = item.properties.get("shapeInfo")
    autosize = item.properties.get("autosizeInfo") is not None
    kind = info.properties.get(CLASS_ID) if isinstance(info, PSObject) else None
    if kind == TABLE_HEADER and isinstance(info, PSObject):
        columns = tuple(
            TableColumn(str(c.properties["label"]), str(c.properties["propertyName"]),
                        int(c.properties["width"]), int(c.properties["alignment"]))
            for c in info.properties.get("tableColumnInfoList") or []
        )  # fmt: skip
        return Shape(
            "table", columns, autosize, hide_header=bool(info.properties.get("hideHeader"))
        )
    if kind == WIDE_HEADER and isinstance(info, PSObject):
        return Shape("wide", autosize=autosize, wide_columns=int(info.properties["columns"]))
    return Shape("list")


def _render(shape: Shape, rows: list[PSObject], width: int) -> list[str]:
    # Imported here: formatting imports this module to recognise these objects.
    from psrunbook.sim.ps.formatting import Column, render_list, render_table  # noqa: PLC0415

    if shape.kind == "list":
        return render_list(
            [
                [
                    (str(f.properties["label"]), str(f.properties["formatPropertyField"]
                                                     .properties["propertyValue"]))
                    for f in row.properties.get("listViewFieldList") or []
                ]
                for row in rows
            ]
        )  # fmt: skip
    if shape.kind == "wide":
        return _render_wide(shape, rows, width)
    cells = [
        tuple(str(f.properties["propertyValue"]) for f in row.properties["formatPropertyFieldList"])
        for row in rows
    ]
    wrap = any(bool(row.properties.get("multiLine")) for row in rows)
    columns = tuple(
        Column(c.label, c.prop, None if shape.autosize or c.width == 0 else c.width,
               left=c.alignment != ALIGN_RIGHT, right=c.alignment == ALIGN_RIGHT)
        for c in shape.columns
    )  # fmt: skip
    return render_table(columns, cells, width, wrap=wrap, hide_header=shape.hide_header)


def _render_wide(shape: Shape, rows: list[PSObject], width: int) -> list[str]:
    """Format-Wide: the values in ``columns`` columns (default 2) across the width.

    UNVERIFIED: the column width (the line split evenly, one space between columns)."""
    texts = [str(r.properties["formatPropertyField"].properties["propertyValue"]) for r in rows]
    if shape.autosize:
        size = max((len(t) for t in texts), default=0) + 1
        count = max(1, width // max(size, 1))
    else:
        count = shape.wide_columns or 2
        size = width // count
    lines = [""]
    for start in range(0, len(texts), count):
        chunk = texts[start : start + count]
        cell = size - 1
        lines.append(" ".join(t.ljust(cell) if len(t) <= cell else t[: cell - 3] + "..."
                              for t in chunk).rstrip())  # fmt: skip
    lines.extend(["", ""])
    return lines
