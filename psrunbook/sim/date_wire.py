"""A ``System.DateTime`` on the PSRP wire, both ways: what the endpoint's CLIXML writer
and reader need of the language's DateTime objects, without either importing the other.

Windows serialises a DateTime as a primitive known type, ``<DT>`` (MS-PSRP 2.2.5.1.4
"Date/Time", https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-psrp/
a3b75b8d-ad7e-4649-bb82-cfa70f54fb8c), never as an object with its adapted members:

- the text is ``XmlConvert.ToString(value, XmlDateTimeSerializationMode.RoundtripKind)``
  (PowerShell's ``InternalSerializer.WriteDateTime``, engine/serialization.cs). That is
  ``XsdDateTime.ToString()``: ``yyyy-MM-ddTHH:mm:ss``, then the fraction of the second
  with its trailing zeros dropped (none at all when it is zero: ``XsdDateTime.PrintTime``),
  then ``Z`` for Kind Utc, the local offset for Kind Local (``+00:00`` on the lab's UTC
  nodes: ``TimeZoneInfo.Local.GetUtcOffset`` is zero, ``LocalEastOfZulu``) and nothing for
  Unspecified. pypsrp's recording ``test_psrp_stream_output_invocation.yml`` has an
  InformationRecord's ``<DT N="TimeGenerated">2018-06-13T23:45:29.4583203+00:00</DT>``;
- a DateTime with note properties (Get-Date's ``DisplayHint``) is
  ``WritePrimitiveTypePSObjectWithNotes``: ``<Obj RefId><DT>...</DT><MS>notes</MS></Obj>``,
  no type names (they are the primitive's own) and no ToString. Only instance members
  go in ``<MS>`` ("members from type table are always going to be available for known
  primitive types"), at the object's own depth (``WriteMemberInfoCollection``:
  ``info.IsInstance ? depth : depth - 1``). A DateTime without notes is a bare ``<DT>``,
  a property's as much as a top-level one.

Incoming, PowerShell's ``InternalDeserializer.DeserializeDateTime`` is
``XmlConvert.ToDateTime(text, RoundtripKind)``: ``Z`` makes Kind Utc, an offset makes
Kind Local (the moment converted to local time), no zone Unspecified. The language
registers how it makes a DateTime of those (:func:`register_datetime_factory`,
``psrunbook.sim.ps.date_values``); until it has, an incoming DateTime is a bare object
with its Ticks, Kind and notes, which the writer sends back as it came.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import Any

from psrunbook.sim.objects import PSHashtable, PSObject

DATETIME = "System.DateTime"
TICKS_PER_SECOND = 10_000_000
TYPE_MEMBERS = frozenset(
    name.casefold()
    for name in (
        "DateTime", "Day", "DayOfWeek", "DayOfYear", "Hour", "Kind", "Millisecond",
        "Minute", "Month", "Second", "Ticks", "Year",
    )
)  # fmt: skip
"""The members a lab DateTime has from its type (``psrunbook.sim.ps.date_values.
datetime_value``: .NET's properties and types.ps1xml's ``DateTime`` script property).
Every other property is an instance member, a note, and travels in ``<MS>``."""
_KINDS = ("Utc", "Local", "Unspecified")
_TYPE_NAMES = (DATETIME, "System.ValueType", "System.Object")
_EPOCH = datetime.datetime(1, 1, 1)

DateTimeFactory = Callable[[int, str, Sequence[tuple[str, Any]]], PSObject]
"""Makes the language's DateTime of .NET ticks, a Kind and the notes that came with it."""
_factory: list[DateTimeFactory] = []


def register_datetime_factory(factory: DateTimeFactory) -> None:
    """The language's DateTime maker, for values a client sends (the last one counts)."""
    _factory[:] = [factory]


def incoming_datetime(ticks: int, kind: str, notes: Sequence[tuple[str, Any]]) -> PSObject:
    """A DateTime a client sent: the language's object, or a bare one before the language
    is loaded (an endpoint that only speaks the protocol)."""
    if _factory:
        return _factory[0](ticks, kind, notes)
    properties = PSHashtable([*notes, ("Kind", kind), ("Ticks", ticks)])
    return PSObject(type_names=_TYPE_NAMES, properties=properties)


def datetime_parts(value: object) -> tuple[int, str] | None:
    """The ticks and Kind of a lab DateTime, or None for anything else."""
    if not isinstance(value, PSObject) or not value.type_names or value.type_names[0] != DATETIME:
        return None
    ticks = value.properties.get("Ticks")
    if not isinstance(ticks, int) or isinstance(ticks, bool):
        return None
    kind = value.properties.get("Kind")
    return ticks, kind if isinstance(kind, str) and kind in _KINDS else "Unspecified"


def ticks_of(moment: datetime.datetime) -> int:
    """The .NET ticks of a Python datetime's wall-clock value (its tzinfo ignored)."""
    delta = moment.replace(tzinfo=None) - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * TICKS_PER_SECOND + delta.microseconds * 10


def wire_text(ticks: int, kind: str) -> str:
    """``XmlConvert.ToString(value, RoundtripKind)`` of the DateTime ``ticks``, ``kind``."""
    seconds, fraction = divmod(ticks, TICKS_PER_SECOND)
    wall = _EPOCH + datetime.timedelta(seconds=seconds)
    text = (
        f"{wall.year:04d}-{wall.month:02d}-{wall.day:02d}"
        f"T{wall.hour:02d}:{wall.minute:02d}:{wall.second:02d}"
    )
    if fraction:
        text += "." + f"{fraction:07d}".rstrip("0")
    if kind == "Utc":
        return text + "Z"
    if kind == "Local":
        return text + "+00:00"
    return text


def python_wire_text(value: datetime.datetime) -> str:
    """The ``<DT>`` text of a Python datetime the lab's own machinery made: an aware one
    stands for ``DateTime.Now`` (an InformationRecord's or an event's TimeGenerated, a
    history entry's times), Kind Local on the lab's UTC nodes; a naive one is
    Unspecified."""
    if value.tzinfo is None:
        return wire_text(ticks_of(value), "Unspecified")
    return wire_text(ticks_of(value.astimezone(datetime.UTC)), "Local")


def wire_notes(obj: PSObject) -> list[tuple[str, Any]]:
    """The instance members (notes) of a lab DateTime, in order: what ``<MS>`` carries."""
    return [
        (key, item) for key, item in obj.properties.items() if key.casefold() not in TYPE_MEMBERS
    ]


def parts_from_wire(value: datetime.datetime) -> tuple[int, str]:
    """The ticks and Kind PowerShell's deserializer makes of a ``<DT>`` psrpcore decoded.

    psrpcore keeps the seventh fraction digit in ``nanosecond`` and turns both ``Z`` and
    ``+00:00`` into ``timezone.utc``, so the lab reads both as Kind Utc; Windows makes
    ``+00:00`` Local. The ticks are the same on the lab's UTC nodes, only ``Kind`` (and
    ``-Format o``'s ``Z``) tells them apart.
    """
    ticks_below = int(getattr(value, "nanosecond", 0) or 0) // 100
    # A plain datetime: psrpcore's PSDateTime redefines arithmetic for its nanoseconds.
    plain = datetime.datetime(
        value.year, value.month, value.day, value.hour, value.minute, value.second,
        value.microsecond, tzinfo=value.tzinfo,
    )  # fmt: skip
    offset = plain.utcoffset()
    if offset is None:
        return ticks_of(plain) + ticks_below, "Unspecified"
    utc = plain.astimezone(datetime.UTC)
    kind = "Utc" if offset == datetime.timedelta(0) else "Local"
    return ticks_of(utc) + ticks_below, kind
