"""``System.DateTime``'s Add methods (``(Get-Date).AddDays(-7)``), as .NET Framework 4.8
computes them (referencesource, mscorlib/system/datetime.cs).

- ``AddTicks(long)`` adds ticks; ``AddMilliseconds``/``AddSeconds``/``AddMinutes``/
  ``AddHours``/``AddDays(double)`` scale the value to milliseconds and round half away
  from zero (``DateTime.Add(double value, int scale)``), so 1.5 ms is 2 ms;
- ``AddMonths(int)`` (-120,000 to 120,000) keeps the time of day and clamps the day to the
  new month's length (January 31 plus one month is February 28 or 29); ``AddYears(int)``
  (-10,000 to 10,000) is AddMonths of twelve times as many;
- the result keeps the Kind and carries no DisplayHint (it is a new DateTime, not
  Get-Date's output); one outside 0001-01-01 to 9999-12-31 is .NET's
  ArgumentOutOfRangeException.

Each failure raises :class:`DateArgumentError` with .NET's message (its "Parameter name"
line included); PowerShell reports it as 'Exception calling "AddDays" with "1"
argument(s): ...'.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Callable
from typing import Any

from psrunbook.sim.date_wire import ticks_of
from psrunbook.sim.ps.date_format import Moment
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused
from psrunbook.sim.ps.values import ConversionError, to_int, to_number

TICKS_PER_MILLISECOND = 10_000
MAX_TICKS = 3_155_378_975_999_999_999  # DateTime.MaxValue.Ticks
_MAX_MILLIS = 315_537_897_600_000  # DateTime.MaxMillis: days to 10000 * MillisPerDay
_UNREPRESENTABLE = (
    "The added or subtracted value results in an un-representable DateTime.\r\n"
    "Parameter name: value"
)


class ArgumentNotModelled(HostMethodRefused):
    """An Add method's argument that is not a number: Windows converts it (a string is
    parsed) or reports a MethodException whose text the lab does not model; refused by
    name, as a member the lab does not model is."""


class DateArgumentError(Exception):
    """An Add method's argument .NET refuses; the message is .NET's."""

    exception = "ArgumentOutOfRangeException"


def add_methods(moment: Moment, make: Callable[[int, str], Any]) -> dict[str, Callable[..., Any]]:
    """The Add methods of the DateTime ``moment``; ``make(ticks, kind)`` builds the result."""

    def number(method: str, value: Any) -> float:
        try:
            return float(to_number(value))
        except ConversionError:
            raise ArgumentNotModelled(
                f"[datetime].{method}() of a value that is not a number"
            ) from None

    def scaled(method: str, scale: int) -> Callable[[Any], Any]:
        def add(value: Any) -> Any:
            amount = number(method, value)
            millis = int(amount * scale + (0.5 if amount >= 0 else -0.5))
            if not -_MAX_MILLIS < millis < _MAX_MILLIS:
                raise DateArgumentError("Value to add was out of range.\r\nParameter name: value")
            return make(_checked(moment.ticks + millis * TICKS_PER_MILLISECOND), moment.kind)

        return add

    def add_ticks(value: Any) -> Any:
        return make(_checked(moment.ticks + to_int(number("AddTicks", value))), moment.kind)

    def add_months(value: Any) -> Any:
        months = to_int(number("AddMonths", value))
        if not -120_000 <= months <= 120_000:
            raise DateArgumentError(
                "Months value must be between +/-120000.\r\nParameter name: months"
            )
        return make(_plus_months(moment, months), moment.kind)

    def add_years(value: Any) -> Any:
        years = to_int(number("AddYears", value))
        if not -10_000 <= years <= 10_000:
            raise DateArgumentError(
                "Years value must be between +/-10000.\r\nParameter name: years"
            )
        return make(_plus_months(moment, years * 12), moment.kind)

    return {
        "AddTicks": add_ticks,
        "AddMilliseconds": scaled("AddMilliseconds", 1),
        "AddSeconds": scaled("AddSeconds", 1_000),
        "AddMinutes": scaled("AddMinutes", 60_000),
        "AddHours": scaled("AddHours", 3_600_000),
        "AddDays": scaled("AddDays", 86_400_000),
        "AddMonths": add_months,
        "AddYears": add_years,
    }


def _checked(ticks: int) -> int:
    if not 0 <= ticks <= MAX_TICKS:
        raise DateArgumentError(_UNREPRESENTABLE)
    return ticks


def _plus_months(moment: Moment, months: int) -> int:
    """DateTime.AddMonths: the same time of day, the day clamped to the month's length."""
    wall = moment.wall
    index = wall.year * 12 + (wall.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    if not 1 <= year <= 9999:
        raise DateArgumentError(
            "The added or subtracted value results in an un-representable DateTime.\r\n"
            "Parameter name: months"
        )
    day = min(wall.day, calendar.monthrange(year, month)[1])
    time_of_day = moment.ticks - ticks_of(datetime.datetime(wall.year, wall.month, wall.day))
    return ticks_of(datetime.datetime(year, month, day)) + time_of_day
