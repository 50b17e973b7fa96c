"""``System.DateTime.ToString(format, provider)`` as .NET Framework 4.x formats it, for the
two cultures a lab script meets: en-US (the current culture of the lab's nodes,
:func:`psrunbook.sim.ps.host_types.culture_info`) and the invariant culture.

Which culture applies is PowerShell's choice, not the DateTime's:

- ``$d.ToString()``, ``$d.ToString('d')``, ``Get-Date -Format``, the ``-f`` operator and
  the formatter use the current culture: ``ToString()`` is the general pattern "G",
  en-US ``M/d/yyyy h:mm:ss tt`` ("12/3/2026 11:10:00 PM"). ``-f`` is ``StringUtil.Format``,
  ``string.Format(CultureInfo.CurrentCulture, ...)``, and GetDateCommand calls
  ``ToString(Format, CultureInfo.CurrentCulture)`` (PowerShell's ``StringUtil.cs``,
  ``GetDateCommand.cs``).
- PowerShell's own string conversion (``"$d"``, ``[string]$d``, ``-join``, ``"x" + $d``)
  is ``PSObject.ToStringParser``, which passes ``CultureInfo.InvariantCulture``
  (``MshObject.cs``): "G" of the invariant culture, ``MM/dd/yyyy HH:mm:ss``
  ("12/03/2026 23:10:00"). The lab's DateTime objects carry that text as their
  ``to_string`` (:mod:`psrunbook.sim.ps.date_values`).

The format grammar is .NET's ``DateTimeFormat.FormatCustomized``: a one-character format
is a standard format (d D f F g G m M o O r R s t T u U y Y, anything else a
FormatException); longer ones are custom patterns whose letters repeat
(``d``/``dd``/``ddd``/``dddd``, ``M`` ... ``MMMM``, ``y`` ... ``yyyyy``, ``h``/``hh``, ``H``/``HH``,
``m``/``mm``, ``s``/``ss``, ``f`` and ``F`` up to seven, ``t``/``tt``, ``z`` ... ``zzz``, ``K``,
``g``), with ``:`` and ``/`` the culture's separators, ``'...'``/``"..."`` literal text,
``\\c`` one literal character and ``%c`` one specifier alone. Every other character is
copied. The lab's nodes run on UTC, so a Local DateTime's offset is ``+00:00``.
"""

from __future__ import annotations

import datetime

import msgspec

from psrunbook.sim import date_wire

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip
TICKS_PER_SECOND = date_wire.TICKS_PER_SECOND
ticks_of = date_wire.ticks_of
"""The .NET ticks of a Python datetime (its tzinfo ignored: the wall-clock value)."""
BAD_FORMAT = "Input string was not in a correct format."
"""mscorlib's Format_InvalidString, the message of every malformed date format."""


class DateFormatError(ValueError):
    """.NET's FormatException: the format string is not a valid date format."""

    exception = "FormatException"


class Culture(msgspec.Struct, frozen=True):
    """The DateTimeFormatInfo patterns a DateTime's standard formats expand to."""

    name: str
    short_date: str
    long_date: str
    short_time: str
    long_time: str
    month_day: str
    year_month: str


EN_US = Culture(
    name="en-US",
    short_date="M/d/yyyy",
    long_date="dddd, MMMM d, yyyy",
    short_time="h:mm tt",
    long_time="h:mm:ss tt",
    month_day="MMMM d",
    year_month="MMMM yyyy",
)
""".NET Framework 4.x's en-US DateTimeFormatInfo on Windows 10 / Server 2016 and later."""

INVARIANT = Culture(
    name="",
    short_date="MM/dd/yyyy",
    long_date="dddd, dd MMMM yyyy",
    short_time="HH:mm",
    long_time="HH:mm:ss",
    month_day="MMMM dd",
    year_month="yyyy MMMM",
)
"""``CultureInfo.InvariantCulture``'s DateTimeFormatInfo."""

_FIELDS = frozenset("dMyhHmsfFtzg")
"""The letters whose repetition is one field (``dd``, ``MMMM``, ``fff``, ...)."""
_ROUND_TRIP = "yyyy'-'MM'-'dd'T'HH':'mm':'ss.fffffffK"
_RFC1123 = "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'"
_SORTABLE = "yyyy'-'MM'-'dd'T'HH':'mm':'ss"
_UNIVERSAL_SORTABLE = "yyyy'-'MM'-'dd HH':'mm':'ss'Z'"


class Moment(msgspec.Struct, frozen=True):
    """A DateTime's value: .NET ticks (100 ns since 0001-01-01) and its Kind
    (``Utc``, ``Local`` or ``Unspecified``)."""

    ticks: int
    kind: str = "Local"

    @property
    def wall(self) -> datetime.datetime:
        """The moment as a naive Python datetime (microseconds; ticks below are lost)."""
        return datetime.datetime(1, 1, 1) + datetime.timedelta(microseconds=self.ticks // 10)


def datetime_moment(value: object) -> Moment | None:
    """The ticks and Kind of a lab DateTime (:mod:`psrunbook.sim.ps.date_values`), or None
    for anything else."""
    parts = date_wire.datetime_parts(value)
    return None if parts is None else Moment(*parts)


def _standard(letter: str, culture: Culture) -> tuple[str, Culture]:
    """The pattern a one-letter standard format expands to, and the culture it uses."""
    patterns = {
        "d": culture.short_date,
        "D": culture.long_date,
        "f": f"{culture.long_date} {culture.short_time}",
        "F": f"{culture.long_date} {culture.long_time}",
        "U": f"{culture.long_date} {culture.long_time}",
        "g": f"{culture.short_date} {culture.short_time}",
        "G": f"{culture.short_date} {culture.long_time}",
        "m": culture.month_day,
        "M": culture.month_day,
        "t": culture.short_time,
        "T": culture.long_time,
        "y": culture.year_month,
        "Y": culture.year_month,
    }
    if letter in patterns:
        return patterns[letter], culture
    invariant = {"o": _ROUND_TRIP, "O": _ROUND_TRIP, "r": _RFC1123, "R": _RFC1123,
                 "s": _SORTABLE, "u": _UNIVERSAL_SORTABLE}  # fmt: skip
    if letter in invariant:
        return invariant[letter], INVARIANT
    raise DateFormatError(BAD_FORMAT)


def format_datetime(moment: Moment, fmt: str | None, culture: Culture = EN_US) -> str:
    """``DateTime.ToString(fmt, culture)``; a null or empty format is "G".

    "r", "R" and "U" show the universal time; on the lab's UTC nodes that is the same
    wall-clock value, so no conversion happens here."""
    if not fmt:
        fmt = "G"
    if len(fmt) == 1:
        fmt, culture = _standard(fmt, culture)
    return _custom(moment, fmt)


def _repeat(fmt: str, at: int) -> int:
    """How many times the character at ``at`` repeats from there (ParseRepeatPattern)."""
    end = at
    while end < len(fmt) and fmt[end] == fmt[at]:
        end += 1
    return end - at


def _digits(value: int, length: int) -> str:
    """FormatDigits: at least ``length`` digits, but never more than two of padding."""
    return str(value).zfill(min(length, 2))


def _quoted(fmt: str, at: int) -> tuple[str, int]:
    """The literal text of a quoted run starting at ``at`` and the index after it."""
    quote, pos = fmt[at], at + 1
    out: list[str] = []
    while pos < len(fmt):
        char = fmt[pos]
        pos += 1
        if char == quote:
            return "".join(out), pos
        if char == "\\":
            if pos >= len(fmt):
                raise DateFormatError(BAD_FORMAT)
            out.append(fmt[pos])
            pos += 1
        else:
            out.append(char)
    raise DateFormatError(f"Cannot find a matching quote character for the character '{quote}'.")


def _offset(length: int) -> str:
    """``z``, ``zz``, ``zzz``: the offset from UTC, zero on the lab's UTC nodes."""
    if length <= 1:
        return "+0"
    return "+00" if length == 2 else "+00:00"


def _fraction(moment: Moment, char: str, length: int, out: list[str]) -> str:
    if length > 7:
        raise DateFormatError(BAD_FORMAT)
    fraction = (moment.ticks % TICKS_PER_SECOND) // 10 ** (7 - length)
    if char == "f":
        return str(fraction).zfill(length)
    digits = length
    while digits > 0 and fraction % 10 == 0:
        fraction //= 10
        digits -= 1
    if digits > 0:
        return str(fraction).zfill(digits)
    # No fraction to show: .NET also drops the decimal point written just before it.
    written = "".join(out)
    if written.endswith("."):
        out[:] = [written[:-1]]
    return ""


def _name(name: str, length: int) -> str:
    """``ddd``/``MMM``: the abbreviated name (its first three letters in both cultures);
    four or more letters: the full name."""
    return name[:3] if length == 3 else name


def _field(moment: Moment, char: str, length: int) -> str:
    """One repeated-letter field other than the fractions."""
    wall = moment.wall
    if char == "d":
        return _digits(wall.day, length) if length <= 2 else _name(_DAYS[wall.weekday()], length)
    if char == "M":
        month = _MONTHS[wall.month - 1]
        return _digits(wall.month, length) if length <= 2 else _name(month, length)
    if char == "y":
        return _digits(wall.year % 100, length) if length <= 2 else str(wall.year).zfill(length)
    if char == "t":
        designator = "AM" if wall.hour < 12 else "PM"
        return designator[:1] if length == 1 else designator
    if char == "z":
        return _offset(length)
    if char == "g":
        return "A.D."
    numbers = {"h": wall.hour % 12 or 12, "H": wall.hour, "m": wall.minute, "s": wall.second}
    return _digits(numbers[char], length)


def _custom(moment: Moment, fmt: str) -> str:
    """FormatCustomized: one token at a time, left to right. The separators ``:`` and
    ``/`` and the designators AM/PM are the same in both cultures the lab models."""
    out: list[str] = []
    at = 0
    while at < len(fmt):
        char = fmt[at]
        length = _repeat(fmt, at) if char in _FIELDS else 1
        if char in "fF":
            out.append(_fraction(moment, char, length, out))
        elif char in _FIELDS:
            out.append(_field(moment, char, length))
        elif char == "K":
            out.append({"Utc": "Z", "Local": "+00:00"}.get(moment.kind, ""))
        elif char in "'\"":
            text, at = _quoted(fmt, at)
            out.append(text)
            continue
        elif char in "%\\":
            following = fmt[at + 1 : at + 2]
            if not following or (char == "%" and following == "%"):
                raise DateFormatError(BAD_FORMAT)
            out.append(_custom(moment, following) if char == "%" else following)
            length = 2
        else:
            out.append(char)
        at += length
    return "".join(out)
