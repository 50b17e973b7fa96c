"""``System.TimeSpan`` as a lab script sees it: ``(Get-Date) - $start``, ``New-TimeSpan``,
``[timespan]::FromSeconds(30)``, ``[timespan]'00:05:00'``, an uptime from a CIM
``LastBootUpTime``.

As .NET Framework 4.8 defines it (referencesource, mscorlib/system/timespan.cs and
timespanformat.cs, timespanparse.cs), which Windows PowerShell 5.1 runs on:

- the properties Ticks, Days, Hours, Milliseconds, Minutes, Seconds (whole parts,
  truncated toward zero, negative for a negative span), TotalDays, TotalHours,
  TotalMilliseconds, TotalMinutes, TotalSeconds (the ticks times ``1.0 / TicksPerX``, a
  Double, as .NET computes it; TotalMilliseconds clamped as .NET clamps it), in .NET's
  declaration order (``Select-Object *``, ``ConvertTo-Json``);
- ``ToString()`` is the constant format "c", ``[-][d.]hh:mm:ss[.fffffff]``, and so is
  PowerShell's string conversion (``"$ts"``); ``ToString(format)`` takes "c", "t", "T",
  "g" and "G" (en-US) and custom formats (``hh\\:mm\\:ss``); a bad format is .NET's
  FormatException;
- ``Add``, ``Subtract``, ``Negate``, ``Duration``, ``CompareTo``, ``Equals``; a result out
  of range is .NET's OverflowException;
- ``[timespan]::FromDays/FromHours/FromMinutes/FromSeconds/FromMilliseconds(double)``
  round to the **millisecond** (``TimeSpan.Interval`` in .NET Framework: ``FromSeconds(
  0.0004)`` is zero; .NET Core 3.0 and later keep the ticks, PowerShell 7 differs);
  ``FromTicks``, ``Zero``, ``MinValue``, ``MaxValue``, ``TicksPerDay`` ... ``Parse``,
  ``Compare``;
- a string cast or parse, ``[timespan]'1.02:03:04.5'``: ``TimeSpan.Parse(s,
  CultureInfo.InvariantCulture)`` (PowerShell converts a string through the type's
  ``Parse(string, IFormatProvider)``): ``d``, ``h:m``, ``h:m:s``, ``d.h:m``, ``d.h:m:s``,
  ``d:h:m:s``, each seconds part with an optional ``.fffffff``; an integer cast is the
  ``TimeSpan(long ticks)`` constructor (``[timespan]100`` is ten microseconds); ``$null``
  does not convert (a value type).

Refused by name: ``ToString`` with a format provider, ``Multiply``/``Divide`` (.NET Core
only; 5.1 says the method does not exist) are answered as not existing, a custom format
specifier outside ``d h m s f F`` and literals.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from psrunbook.sim.objects import PartialObject, PSHashtable, PSInt64, PSObject
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused
from psrunbook.sim.ps.timespan_format import (
    OVERFLOW,
    TimeSpanError,
    checked,
    constant_text,
    format_timespan,
    parse_timespan,
)
from psrunbook.sim.ps.values import (
    CONVERTERS,
    TYPE_FULL_NAMES,
    ConversionError,
    NullConversionError,
    to_int,
    to_number,
    to_string,
    type_name_of,
)
from psrunbook.sim.timespan_wire import (
    MAX_TICKS,
    MIN_TICKS,
    TICKS_PER_DAY,
    TICKS_PER_HOUR,
    TICKS_PER_MILLISECOND,
    TICKS_PER_MINUTE,
    TICKS_PER_SECOND,
    TIMESPAN,
    register_timespan_factory,
    timespan_ticks,
)

_TYPE_NAMES = (TIMESPAN, "System.ValueType", "System.Object")
MAX_MILLISECONDS = 922_337_203_685_477
"""``Int64.MaxValue / TicksPerMillisecond``, and its negation C#'s ``Int64.MinValue /
TicksPerMillisecond`` (integer division toward zero): the bounds of ``FromX`` and of
TotalMilliseconds."""
_UNMODELLED = frozenset(("gethashcode",))

TYPE_FULL_NAMES["timespan"] = TIMESPAN


def _truncated(ticks: int, unit: int) -> int:
    """C#'s integer division: toward zero."""
    whole = abs(ticks) // unit
    return -whole if ticks < 0 else whole


def _part(ticks: int, unit: int, modulo: int) -> int:
    """``(int)(ticks / unit % modulo)``: C#'s remainder keeps the dividend's sign."""
    whole = _truncated(ticks, unit)
    rest = abs(whole) % modulo
    return -rest if whole < 0 else rest


def interval(value: Any, milliseconds_per_unit: int, method: str) -> PSObject:
    """``TimeSpan.FromX(double)`` of .NET Framework (``TimeSpan.Interval``): the value in
    milliseconds, rounded half away from zero to a whole millisecond."""
    try:
        amount = float(to_number(value))
    except ConversionError:
        raise HostMethodRefused(f"[timespan]::{method}() of a value that is not a number") from None
    if math.isnan(amount):
        raise TimeSpanError(
            "TimeSpan does not accept floating point Not-a-Number values.", "ArgumentException"
        )
    millis = amount * milliseconds_per_unit + (0.5 if amount >= 0 else -0.5)
    if not -MAX_MILLISECONDS <= millis <= MAX_MILLISECONDS:
        raise TimeSpanError(OVERFLOW)
    return timespan_value(int(millis) * TICKS_PER_MILLISECOND)


def _other_ticks(value: Any, method: str) -> int:
    """The TimeSpan argument of Add, Subtract, CompareTo: a TimeSpan or what converts to
    one; anything else PowerShell reports in words the lab does not model: refused."""
    try:
        ticks = timespan_ticks(to_timespan(value))
    except ConversionError:
        raise HostMethodRefused(f"[timespan].{method}() of a {type_name_of(value)}") from None
    assert ticks is not None  # to_timespan makes only TimeSpans
    return ticks


def _to_string(ticks: int, args: tuple[Any, ...]) -> str:
    if len(args) > 1:
        raise HostMethodRefused("TimeSpan.ToString with a format provider")
    fmt = None if not args or args[0] is None else to_string(args[0])
    return format_timespan(ticks, fmt)


def _negated(ticks: int) -> int:
    if ticks == MIN_TICKS:
        raise TimeSpanError("Negating the minimum value of a twos complement number is invalid.")
    return -ticks


def _duration(ticks: int) -> int:
    if ticks == MIN_TICKS:
        raise TimeSpanError(
            "The duration cannot be returned for TimeSpan.MinValue because the absolute "
            "value of TimeSpan.MinValue exceeds the value of TimeSpan.MaxValue."
        )
    return abs(ticks)


def timespan_value(ticks: int) -> PSObject:
    """A ``System.TimeSpan`` of ``ticks`` (.NET's 100 ns units)."""
    total_ms = min(
        max(ticks * (1.0 / TICKS_PER_MILLISECOND), -MAX_MILLISECONDS), MAX_MILLISECONDS
    )
    properties = PSHashtable(
        [
            ("Ticks", PSInt64(ticks)),
            ("Days", _truncated(ticks, TICKS_PER_DAY)),
            ("Hours", _part(ticks, TICKS_PER_HOUR, 24)),
            ("Milliseconds", _part(ticks, TICKS_PER_MILLISECOND, 1000)),
            ("Minutes", _part(ticks, TICKS_PER_MINUTE, 60)),
            ("Seconds", _part(ticks, TICKS_PER_SECOND, 60)),
            ("TotalDays", ticks * (1.0 / TICKS_PER_DAY)),
            ("TotalHours", ticks * (1.0 / TICKS_PER_HOUR)),
            ("TotalMilliseconds", total_ms),
            ("TotalMinutes", ticks * (1.0 / TICKS_PER_MINUTE)),
            ("TotalSeconds", ticks * (1.0 / TICKS_PER_SECOND)),
        ]
    )

    def compare(other: Any) -> int:
        theirs = _other_ticks(other, "CompareTo")
        return (ticks > theirs) - (ticks < theirs)

    methods: dict[str, Callable[..., Any]] = {
        "ToString": lambda *args: _to_string(ticks, args),
        "Add": lambda other: timespan_value(checked(ticks + _other_ticks(other, "Add"))),
        "Subtract": lambda other: timespan_value(checked(ticks - _other_ticks(other, "Subtract"))),
        "Negate": lambda: timespan_value(_negated(ticks)),
        "Duration": lambda: timespan_value(_duration(ticks)),
        "CompareTo": compare,
        "Equals": lambda other: timespan_ticks(other) == ticks,
    }
    return PartialObject(
        _TYPE_NAMES,
        properties,
        to_string=constant_text(ticks),
        methods=methods,
        shown_as="[timespan]",
        unmodelled=_UNMODELLED,
    )


def to_timespan(value: Any) -> PSObject:
    """``[timespan]$value``: a TimeSpan as it is, a string parsed, an integer as ticks."""
    if timespan_ticks(value) is not None:
        return value  # type: ignore[no-any-return]
    if value is None:
        raise NullConversionError("timespan")
    if isinstance(value, str):
        try:
            return timespan_value(parse_timespan(value))
        except TimeSpanError as exc:
            raise ConversionError(value, "timespan", str(exc)) from None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return timespan_value(to_int(value, "long"))
    raise ConversionError(value, "timespan")


CONVERTERS["timespan"] = to_timespan
register_timespan_factory(timespan_value)

_FROM = {
    "fromdays": 86_400_000,
    "fromhours": 3_600_000,
    "fromminutes": 60_000,
    "fromseconds": 1_000,
    "frommilliseconds": 1,
}
STATIC_VALUES: dict[str, Callable[[], Any]] = {
    "zero": lambda: timespan_value(0),
    "maxvalue": lambda: timespan_value(MAX_TICKS),
    "minvalue": lambda: timespan_value(MIN_TICKS),
    "ticksperday": lambda: PSInt64(TICKS_PER_DAY),
    "ticksperhour": lambda: PSInt64(TICKS_PER_HOUR),
    "ticksperminute": lambda: PSInt64(TICKS_PER_MINUTE),
    "tickspersecond": lambda: PSInt64(TICKS_PER_SECOND),
    "tickspermillisecond": lambda: PSInt64(TICKS_PER_MILLISECOND),
}
"""``[timespan]::Name``: the type's static fields."""


def call_static(name: str, args: list[Any]) -> Any:
    """``[timespan]::Name(args)``; HostMethodRefused for a method the lab does not model,
    TimeSpanError for what .NET throws."""
    folded = name.casefold()
    if folded in _FROM and len(args) == 1:
        return interval(args[0], _FROM[folded], name)
    if folded == "fromticks" and len(args) == 1:
        return timespan_value(to_int(args[0], "long"))
    if folded == "parse" and len(args) == 1:
        if args[0] is None:
            raise TimeSpanError(
                "Value cannot be null.\r\nParameter name: input", "ArgumentNullException"
            )
        return timespan_value(parse_timespan(to_string(args[0])))
    if folded == "compare" and len(args) == 2:
        left, right = _other_ticks(args[0], "Compare"), _other_ticks(args[1], "Compare")
        return (left > right) - (left < right)
    raise HostMethodRefused(f"static method [timespan]::{name}()")
