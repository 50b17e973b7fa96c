"""A string read as a ``System.DateTime``: ``[datetime]'2026-12-01'``, ``Get-Date -Date
'12/1/2026 6:00 PM'``, ``$d -lt '2026-12-01'``, as .NET's ``DateTime.Parse`` reads the
forms scripts write, in the invariant culture (a cast, a comparison's right side) and in
en-US (a cmdlet's parameter), which agree on them:

- ISO 8601: ``yyyy-MM-dd``, then optionally ``T`` or a space and ``HH:mm``, ``HH:mm:ss``
  or ``HH:mm:ss.fffffff`` (one to seven digits), then optionally ``Z`` or ``+hh:mm`` /
  ``-hh:mm``;
- US: ``M/d/yyyy``, optionally followed by a space and ``h:mm`` or ``h:mm:ss``, then
  optionally ``AM`` or ``PM`` (a 12-hour clock), blanks around.

Kind: without a zone Unspecified; with ``Z`` or an offset the moment converted to local
time, Kind Local (``DateTimeStyles.None``; the lab's nodes run on UTC, so ``Z`` keeps the
time and ``+02:00`` takes two hours off). A date or time that does not exist
(``2026-02-30``, ``13/1/2026``, ``25:00``) is .NET's FormatException, "String was not
recognized as a valid DateTime."; any other text is refused by name (:class:`DateNot
Modelled`): DateTime.Parse reads many more forms (month names, two-digit years, dates
without a year), which the lab does not guess at.
"""

from __future__ import annotations

import datetime
import re

from psrunbook.sim.date_wire import ticks_of
from psrunbook.sim.ps.date_format import Moment
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused

NOT_A_DATE = "String was not recognized as a valid DateTime."
_ISO = re.compile(
    r"\s*(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"(?:[T ](?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,7}))?)?"
    r"(?P<zone>Z|[+-][0-9]{2}:[0-9]{2})?)?\s*"
)
_US = re.compile(
    r"\s*(?P<month>[0-9]{1,2})/(?P<day>[0-9]{1,2})/(?P<year>[0-9]{4})"
    r"(?:\s+(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2}))?"
    r"(?:\s*(?P<half>[AaPp][Mm]))?)?\s*"
)


class DateNotModelled(HostMethodRefused):
    """Text DateTime.Parse may read but the lab does not model."""


class DateParseError(Exception):
    """Text in a modelled form naming a date or time that does not exist."""


def parse_datetime(text: str) -> Moment:
    """The DateTime ``text`` names (see the module docstring)."""
    found = _ISO.fullmatch(text) or _US.fullmatch(text)
    if found is None:
        raise DateNotModelled(f"reading {text!r} as a DateTime (a form the lab does not model)")
    parts = found.groupdict()
    hour = int(parts["hour"] or 0)
    half = (parts.get("half") or "").casefold()
    if half:
        if not 1 <= hour <= 12:
            raise DateParseError(NOT_A_DATE)
        hour = hour % 12 + (12 if half == "pm" else 0)
    try:
        wall = datetime.datetime(
            int(parts["year"]),
            int(parts["month"]),
            int(parts["day"]),
            hour,
            int(parts["minute"] or 0),
            int(parts["second"] or 0),
        )
    except ValueError:
        raise DateParseError(NOT_A_DATE) from None
    ticks = ticks_of(wall) + int((parts.get("fraction") or "").ljust(7, "0") or 0)
    zone = parts.get("zone")
    if not zone:
        return Moment(ticks, "Unspecified")
    if zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        hours, minutes = int(zone[1:3]), int(zone[4:6])
        if hours > 14 or minutes > 59:
            raise DateParseError(NOT_A_DATE)
        ticks -= sign * (hours * 60 + minutes) * 600_000_000
    return Moment(ticks, "Local")
