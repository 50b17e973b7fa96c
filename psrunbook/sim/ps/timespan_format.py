"""The text of a ``System.TimeSpan`` both ways: ``ToString(format)`` and ``TimeSpan.Parse``
as .NET Framework 4.8 writes and reads them in en-US and the invariant culture
(referencesource, mscorlib/system/globalization/timespanformat.cs, timespanparse.cs).

- "c" (also "t" and "T", and ``ToString()``): ``[-][d.]hh:mm:ss[.fffffff]``;
- "g": ``[-][d:]h:mm:ss[.FFFFFFF]``; "G": ``[-]d:hh:mm:ss.fffffff``;
- custom formats: ``d`` to ``dddddddd``, ``h``/``hh``, ``m``/``mm``, ``s``/``ss``, ``f``
  and ``F`` up to seven, quoted or ``\\``-escaped literals, ``%`` before a lone specifier;
  any other character (an unescaped ``:``) and any other one-character format are .NET's
  FormatException. A custom format writes no sign;
- ``Parse``: ``d``, ``h:m``, ``h:m:s``, ``d.h:m``, ``d.h:m:s``, ``d:h:m:s``, a seconds part
  with up to seven fraction digits, blanks around; hours over 23, minutes or seconds
  over 59 are an OverflowException, anything else unreadable a FormatException.

No module of the language is imported here, so the string conversion (``-f``) and the
TimeSpan object (:mod:`psrunbook.sim.ps.timespan_values`) both use it.
"""

from __future__ import annotations

import re

from psrunbook.sim.timespan_wire import (
    MAX_TICKS,
    MIN_TICKS,
    TICKS_PER_DAY,
    TICKS_PER_HOUR,
    TICKS_PER_MINUTE,
    TICKS_PER_SECOND,
)

OVERFLOW = "TimeSpan overflowed because the duration is too long."
BAD_FORMAT = "Input string was not in a correct format."
NOT_A_TIMESPAN = "String was not recognized as a valid TimeSpan."
OUT_OF_RANGE = (
    "The TimeSpan could not be parsed because at least one of the numeric components is "
    "out of range or contains too many digits."
)


class TimeSpanError(Exception):
    """What a TimeSpan method or operator throws in .NET; ``exception`` names the .NET
    exception (PowerShell's error id for a method's), the message is .NET's."""

    def __init__(self, message: str, exception: str = "OverflowException") -> None:
        super().__init__(message)
        self.exception = exception


def checked(ticks: int) -> int:
    """``ticks`` when a TimeSpan can hold them, else .NET's OverflowException."""
    if not MIN_TICKS <= ticks <= MAX_TICKS:
        raise TimeSpanError(OVERFLOW)
    return ticks


def _fields(ticks: int) -> tuple[int, int, int, int, int]:
    """The days, hours, minutes, seconds and ticks of the second of ``abs(ticks)``."""
    days, rest = divmod(abs(ticks), TICKS_PER_DAY)
    hours, rest = divmod(rest, TICKS_PER_HOUR)
    minutes, rest = divmod(rest, TICKS_PER_MINUTE)
    seconds, fraction = divmod(rest, TICKS_PER_SECOND)
    return days, hours, minutes, seconds, fraction


def constant_text(ticks: int) -> str:
    """The "c" format, ``[-][d.]hh:mm:ss[.fffffff]``: ToString() and ``"$ts"``."""
    sign = "-" if ticks < 0 else ""
    days, hours, minutes, seconds, fraction = _fields(ticks)
    text = f"{sign}{f'{days}.' if days else ''}{hours:02d}:{minutes:02d}:{seconds:02d}"
    return text + (f".{fraction:07d}" if fraction else "")


def _general_text(ticks: int, long: bool) -> str:
    """The "g" (``[-][d:]h:mm:ss[.FFFFFFF]``) and "G" (``[-]d:hh:mm:ss.fffffff``), en-US."""
    sign = "-" if ticks < 0 else ""
    days, hours, minutes, seconds, fraction = _fields(ticks)
    if long:
        return f"{sign}{days}:{hours:02d}:{minutes:02d}:{seconds:02d}.{fraction:07d}"
    text = f"{sign}{f'{days}:' if days else ''}{hours}:{minutes:02d}:{seconds:02d}"
    trimmed = f"{fraction:07d}".rstrip("0")
    return text + (f".{trimmed}" if trimmed else "")


_CUSTOM_FIELD = re.compile(r"d+|h+|m+|s+|f+|F+|'[^']*'|\"[^\"]*\"|\\.|%.|.", re.DOTALL)


def _custom_text(ticks: int, fmt: str) -> str:
    """A custom TimeSpan format (TimeSpanFormat.FormatCustomized): ``d`` to ``dddddddd``,
    ``h``/``hh``, ``m``/``mm``, ``s``/``ss``, ``f`` and ``F`` to seven, quoted and
    ``\\``-escaped literals, ``%`` before a single specifier. No sign is written (a
    negative span needs ``\\-`` in the format, as .NET documents); anything else is a
    FormatException."""
    days, hours, minutes, seconds, fraction = _fields(ticks)
    out: list[str] = []
    for found in _CUSTOM_FIELD.findall(fmt):
        token = found[1] if found[0] == "%" and len(found) == 2 and found[1] in "dhmsfF" else found
        head = token[0]
        if head == "d" and len(token) <= 8:
            out.append(f"{days:0{len(token)}d}")
        elif head in "hms" and len(token) <= 2:
            value = {"h": hours, "m": minutes, "s": seconds}[head]
            out.append(f"{value:0{len(token)}d}")
        elif head in "fF" and len(token) <= 7:
            digits = f"{fraction:07d}"[: len(token)]
            out.append(digits if head == "f" else digits.rstrip("0"))
        elif head in "'\"" and len(token) >= 2 and token[-1] == head:
            out.append(token[1:-1])
        elif head == "\\" and len(token) == 2:
            out.append(token[1])
        else:
            raise TimeSpanError(BAD_FORMAT, "FormatException")
    return "".join(out)


def format_timespan(ticks: int, fmt: str | None) -> str:
    """``TimeSpan.ToString(format)`` in en-US: standard "c"/"t"/"T", "g", "G", or custom."""
    if not fmt or fmt in ("c", "t", "T"):
        return constant_text(ticks)
    if fmt in ("g", "G"):
        return _general_text(ticks, fmt == "G")
    if len(fmt) == 1:  # one character is a standard format; a custom one needs "%h"
        raise TimeSpanError(BAD_FORMAT, "FormatException")
    return _custom_text(ticks, fmt)


_PARSE = re.compile(
    r"\s*(?P<sign>-?)(?:"
    r"(?P<days_only>[0-9]+)"
    r"|(?:(?P<days>[0-9]+)(?P<separator>[.:]))?(?P<hours>[0-9]+):(?P<minutes>[0-9]+)"
    r"(?::(?P<seconds>[0-9]+)(?:\.(?P<fraction>[0-9]+))?)?"
    r")\s*"
)
"""ASCII digits only, as .NET's TimeSpan parser reads them (Python's ``\\d`` takes any
Unicode digit)."""


def parse_timespan(text: str) -> int:
    """``TimeSpan.Parse(text, InvariantCulture)``: the ticks, or .NET's FormatException
    or OverflowException. ``d:h:m`` (three parts, days by a colon) is read as ``h:m:s``,
    as .NET reads it. UNVERIFIED: .NET also reads a fraction after ``h:m`` (``1:2.5``);
    the lab refuses it as not a TimeSpan."""
    match = _PARSE.fullmatch(text)
    if match is None:
        raise TimeSpanError(NOT_A_TIMESPAN, "FormatException")
    groups = match.groupdict()
    if groups["days_only"] is not None:
        days, hours, minutes, seconds, fraction = int(groups["days_only"]), 0, 0, 0, ""
    else:
        days = int(groups["days"] or 0)
        hours, minutes = int(groups["hours"]), int(groups["minutes"])
        seconds = int(groups["seconds"] or 0)
        fraction = groups["fraction"] or ""
        if groups["separator"] == ":" and groups["seconds"] is None:
            days, hours, minutes, seconds = 0, days, hours, minutes
    if hours > 23 or minutes > 59 or seconds > 59 or len(fraction) > 7:
        raise TimeSpanError(OUT_OF_RANGE, "OverflowException")
    ticks = (
        days * TICKS_PER_DAY
        + hours * TICKS_PER_HOUR
        + minutes * TICKS_PER_MINUTE
        + seconds * TICKS_PER_SECOND
        + int(fraction.ljust(7, "0") or 0)
    )
    if ticks > MAX_TICKS:
        raise TimeSpanError(OUT_OF_RANGE, "OverflowException")
    return -ticks if match["sign"] else ticks
