"""A System.DateTime as the formatter shows it, in the en-US culture of the lab's nodes.

Two texts of one DateTime differ on Windows, and the lab keeps both:

- string conversion (``"$date"``, ``[string]$date``, ``-join``) uses the invariant culture,
  ``MM/dd/yyyy HH:mm:ss`` ("12/03/2026 23:10:00"); the lab's DateTime objects carry that
  text, and :func:`psrunbook.sim.ps.values.to_string` prints it;
- the formatter (a DateTime in a table cell or list line, Out-String) calls
  ``ToString()`` with the current culture, en-US on the lab's nodes
  (:mod:`psrunbook.sim.ps.host_types`): the general pattern ``M/d/yyyy h:mm:ss tt``
  ("12/3/2026 11:10:00 PM"). Evidence: ``Get-Process | Format-List *`` on Windows 10
  prints ``StartTime : 12/5/2019 7:17:36 PM``.

The other en-US patterns the views need are .NET's en-US DateTimeFormatInfo ones:
short date ``M/d/yyyy`` and short time ``h:mm tt`` (``ToString("d")``, ``ToString("t")``:
the ``3/18/2019  11:46 PM`` of a Windows ``dir`` listing), long date
``dddd, MMMM d, yyyy`` and long time ``h:mm:ss tt`` (``ToLongDateString()``,
``ToLongTimeString()``: Get-Date's "Thursday, December 3, 2026 11:10:00 PM").
"""

from __future__ import annotations

import datetime
from typing import Any

from psrunbook.sim import date_wire
from psrunbook.sim.objects import PSObject

DATETIME = date_wire.DATETIME

_PARTS = ("Year", "Month", "Day", "Hour", "Minute", "Second", "Millisecond")
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip


def date_moment(value: Any) -> datetime.datetime | None:
    """The moment of a lab ``System.DateTime`` object, or None for anything else.

    The lab makes DateTimes in two places: the cluster model's (``Ticks``, 100 ns since
    0001-01-01, as .NET counts) and Get-Date's (its parts, Year ... Millisecond)."""
    if not isinstance(value, PSObject) or value.type_names[:1] != (DATETIME,):
        return None
    props = value.properties
    ticks = props.get("Ticks")
    if isinstance(ticks, int) and not isinstance(ticks, bool):
        return datetime.datetime(1, 1, 1) + datetime.timedelta(microseconds=ticks // 10)
    parts = [props.get(name) for name in _PARTS]
    if not all(isinstance(p, int) and not isinstance(p, bool) for p in parts):
        return None
    year, month, day, hour, minute, second, milli = (int(p) for p in parts)
    return datetime.datetime(year, month, day, hour, minute, second, milli * 1000)


def _hour(moment: datetime.datetime) -> str:
    return str(moment.hour % 12 or 12)


def _designator(moment: datetime.datetime) -> str:
    return "AM" if moment.hour < 12 else "PM"


def short_date(moment: datetime.datetime) -> str:
    """``ToString("d")``: ``M/d/yyyy``."""
    return f"{moment.month}/{moment.day}/{moment.year:04d}"


def short_time(moment: datetime.datetime) -> str:
    """``ToString("t")``: ``h:mm tt``."""
    return f"{_hour(moment)}:{moment.minute:02d} {_designator(moment)}"


def long_date(moment: datetime.datetime) -> str:
    """``ToLongDateString()``: ``dddd, MMMM d, yyyy``."""
    weekday, month = _DAYS[moment.weekday()], _MONTHS[moment.month - 1]
    return f"{weekday}, {month} {moment.day}, {moment.year:04d}"


def long_time(moment: datetime.datetime) -> str:
    """``ToLongTimeString()``: ``h:mm:ss tt``."""
    return f"{_hour(moment)}:{moment.minute:02d}:{moment.second:02d} {_designator(moment)}"


def invariant_general(moment: datetime.datetime) -> str:
    """``ToString("G", CultureInfo.InvariantCulture)``: ``MM/dd/yyyy HH:mm:ss``, the text
    PowerShell's string conversion gives a DateTime. Written out rather than through the
    pattern formatter, because every DateTime the lab makes carries it (a Get-Item's file
    has six): the formatter took 37 us a DateTime (issue 16)."""
    return (
        f"{moment.month:02d}/{moment.day:02d}/{moment.year:04d} "
        f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}"
    )


def general(moment: datetime.datetime) -> str:
    """``ToString()``: the general pattern, short date and long time."""
    return f"{short_date(moment)} {long_time(moment)}"
