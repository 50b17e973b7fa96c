"""DateTime and TimeSpan arithmetic: ``$end - $start``, ``(Get-Date) - $boot``,
``$deadline = (Get-Date) + $timeout``, ``$total += $step``, and the methods that do the
same (``$d.Add($span)``, ``$d.Subtract($other)``).

PowerShell finds .NET's operator methods on the left operand's type (Windows PowerShell
5.1 on .NET Framework 4.8, referencesource mscorlib/system/datetime.cs, timespan.cs):

- ``DateTime - DateTime`` is the TimeSpan between them, by ticks, whatever their Kinds;
- ``DateTime + TimeSpan`` and ``DateTime - TimeSpan`` are a DateTime of the same Kind;
  outside 0001-01-01 to 9999-12-31 .NET throws ArgumentOutOfRangeException ("The added or
  subtracted value results in an un-representable DateTime.", parameter ``t``);
- ``TimeSpan + TimeSpan`` and ``TimeSpan - TimeSpan`` are a TimeSpan; beyond its range,
  OverflowException ("TimeSpan overflowed because the duration is too long.").

PowerShell reports an exception from an operator method as it does any method's:
'Exception calling "op_Subtraction" with "2" argument(s): "..."'. A right operand of
another type (a number, a string) PowerShell would convert; the lab refuses that by
name (:class:`SpanOperandNotModelled`) rather than guess the overload it picks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psrunbook.sim.objects import PSObject
from psrunbook.sim.ps.date_arithmetic import MAX_TICKS as MAX_DATE_TICKS
from psrunbook.sim.ps.date_arithmetic import DateArgumentError
from psrunbook.sim.ps.date_format import datetime_moment
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused
from psrunbook.sim.ps.timespan_format import checked
from psrunbook.sim.ps.timespan_values import timespan_value
from psrunbook.sim.ps.values import type_name_of
from psrunbook.sim.timespan_wire import timespan_ticks

UNREPRESENTABLE = "The added or subtracted value results in an un-representable DateTime."


class SpanOperandNotModelled(HostMethodRefused):
    """DateTime or TimeSpan arithmetic with an operand PowerShell would first convert."""


def is_span_operand(value: Any) -> bool:
    """Whether ``value`` is a DateTime or a TimeSpan: its arithmetic is this module's."""
    return datetime_moment(value) is not None or timespan_ticks(value) is not None


MakeDate = Callable[[int, str], PSObject]
"""Builds the language's DateTime of ticks and a Kind (``date_values.datetime_value``,
which uses this module for its own Add and Subtract methods)."""


def _date(make: MakeDate, ticks: int, kind: str, parameter: str) -> PSObject:
    if not 0 <= ticks <= MAX_DATE_TICKS:
        raise DateArgumentError(f"{UNREPRESENTABLE}\r\nParameter name: {parameter}")
    return make(ticks, kind)


def add(left: Any, right: Any, make: MakeDate, parameter: str = "t") -> PSObject:
    """``left + right`` for a DateTime or TimeSpan ``left``."""
    moment = datetime_moment(left)
    span = timespan_ticks(right)
    if moment is not None and span is not None:
        return _date(make, moment.ticks + span, moment.kind, parameter)
    mine = timespan_ticks(left)
    if mine is not None and span is not None:
        return timespan_value(checked(mine + span))
    raise SpanOperandNotModelled(_refused(left, "+", right))


def subtract(left: Any, right: Any, make: MakeDate, parameter: str = "t") -> PSObject:
    """``left - right`` for a DateTime or TimeSpan ``left``."""
    moment = datetime_moment(left)
    span = timespan_ticks(right)
    if moment is not None:
        other = datetime_moment(right)
        if other is not None:
            return timespan_value(moment.ticks - other.ticks)
        if span is not None:
            return _date(make, moment.ticks - span, moment.kind, parameter)
    mine = timespan_ticks(left)
    if mine is not None and span is not None:
        return timespan_value(checked(mine - span))
    raise SpanOperandNotModelled(_refused(left, "-", right))


def _refused(left: Any, op: str, right: Any) -> str:
    return (
        f"{type_name_of(left)} {op} {type_name_of(right)} "
        f"(PowerShell converts the right operand; not modelled)"
    )
