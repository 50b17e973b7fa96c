"""A ``System.TimeSpan`` on the PSRP wire, both ways: what the endpoint's CLIXML writer and
reader need of the language's TimeSpan objects, without either importing the other.

Windows serialises a TimeSpan as the primitive known type ``<TS>`` (MS-PSRP 2.2.5.1.5
"Duration", https://learn.microsoft.com/en-us/openspecs/windows_protocols/ms-psrp/
434cd15d-8fb3-462c-a004-bcd0d3a60201): ``XmlConvert.ToString(TimeSpan)``, an XML Schema
``xs:duration`` as .NET's ``XsdDuration.ToString()`` writes it (referencesource,
System.Xml/System/Xml/Schema/XsdDuration.cs):

- ``-`` when negative, then ``P``, then the days with ``D`` when there are any;
- ``T`` and the hours (``H``), minutes (``M``) and seconds (``S``) that are not zero, the
  seconds with their fraction (nanoseconds, trailing zeros dropped);
- zero is ``PT0S``. Days are never folded into months or years: ``P400D``.

Incoming, PowerShell's ``InternalDeserializer`` reads ``<TS>`` with
``XmlConvert.ToTimeSpan``; psrpcore hands the endpoint a ``PSDuration`` (a
``datetime.timedelta`` with nanoseconds), which becomes the language's TimeSpan through
the factory the language registers (:func:`register_timespan_factory`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from psrunbook.sim.objects import PSHashtable, PSObject

TIMESPAN = "System.TimeSpan"
TICKS_PER_MILLISECOND = 10_000
TICKS_PER_SECOND = 10_000_000
TICKS_PER_MINUTE = 60 * TICKS_PER_SECOND
TICKS_PER_HOUR = 60 * TICKS_PER_MINUTE
TICKS_PER_DAY = 24 * TICKS_PER_HOUR
MAX_TICKS = 2**63 - 1
MIN_TICKS = -(2**63)
_TYPE_NAMES = (TIMESPAN, "System.ValueType", "System.Object")

TimeSpanFactory = Callable[[int], PSObject]
"""Makes the language's TimeSpan of .NET ticks."""
_factory: list[TimeSpanFactory] = []


def register_timespan_factory(factory: TimeSpanFactory) -> None:
    """The language's TimeSpan maker, for values a client sends (the last one counts)."""
    _factory[:] = [factory]


def incoming_timespan(ticks: int) -> PSObject:
    """A TimeSpan a client sent: the language's object, or a bare one holding its Ticks
    before the language is loaded (an endpoint that only speaks the protocol)."""
    if _factory:
        return _factory[0](ticks)
    return PSObject(type_names=_TYPE_NAMES, properties=PSHashtable([("Ticks", ticks)]))


def timespan_ticks(value: object) -> int | None:
    """The ticks of a lab TimeSpan, or None for anything else."""
    if not isinstance(value, PSObject) or value.type_names[:1] != (TIMESPAN,):
        return None
    ticks = value.properties.get("Ticks")
    if not isinstance(ticks, int) or isinstance(ticks, bool):
        return None
    return ticks


def ticks_of_timedelta(value: datetime.timedelta) -> int:
    """The .NET ticks of a Python timedelta (psrpcore's PSDuration keeps nanoseconds:
    they count to the 100 ns tick, the rest is dropped as .NET's reader drops it)."""
    nanoseconds = (value.days * 86_400 + value.seconds) * 1_000_000_000
    nanoseconds += value.microseconds * 1_000 + int(getattr(value, "nanoseconds", 0) or 0)
    return -(-nanoseconds // 100) if nanoseconds < 0 else nanoseconds // 100


def wire_text(ticks: int) -> str:
    """``XmlConvert.ToString(TimeSpan)`` of a TimeSpan of ``ticks``."""
    negative = ticks < 0
    rest = -ticks if negative else ticks
    days, rest = divmod(rest, TICKS_PER_DAY)
    hours, rest = divmod(rest, TICKS_PER_HOUR)
    minutes, rest = divmod(rest, TICKS_PER_MINUTE)
    seconds, fraction = divmod(rest, TICKS_PER_SECOND)
    text = ("-" if negative else "") + "P"
    if days:
        text += f"{days}D"
    if hours or minutes or seconds or fraction:
        text += "T"
        if hours:
            text += f"{hours}H"
        if minutes:
            text += f"{minutes}M"
        if seconds or fraction:
            text += str(seconds)
            if fraction:
                text += "." + f"{fraction * 100:09d}".rstrip("0")
            text += "S"
    return text + "T0S" if text.endswith("P") else text
