"""``[math]::Name(...)``: System.Math's static methods (.NET Framework 4.8) that scripts use.

Each method takes the argument counts of its .NET overloads; another count is the
MethodException PowerShell raises ('Cannot find an overload for "Pow" and the argument
count: "1".', MethodCountCouldNotFindBest), where the lab used to take what it was given
(``[math]::Max(1, 2, 3)`` was 3). Results have the type .NET's overload gives them:

- ``Abs``, ``Max``, ``Min`` and ``Sign`` keep integers integers (the Int32/Int64
  overloads) and give a double when any argument is one; ``Sign`` is always an Int32;
- ``Floor``, ``Ceiling``, ``Truncate``, ``Pow``, ``Sqrt``, ``Exp``, ``Log``, ``Log10``
  take and give doubles (``[math]::Floor(3.7)`` is the double 3); out of their domain
  they give NaN or infinity as .NET does (``Sqrt(-1)`` NaN, ``Log(0)`` -Infinity), never
  an error;
- ``Round`` rounds half to even, as .NET's default MidpointRounding.ToEven does;
  a MidpointRounding argument is refused by name.

``[math]::PI`` and ``[math]::E`` are the double constants (:data:`CONSTANTS`). Any other
member of System.Math is refused by name by the caller.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from psrunbook.sim.ps.values import to_number

_ARGUMENT_COUNTS: dict[str, tuple[int, ...]] = {
    "abs": (1,),
    "max": (2,),
    "min": (2,),
    "sign": (1,),
    "round": (1, 2),
    "floor": (1,),
    "ceiling": (1,),
    "truncate": (1,),
    "pow": (2,),
    "sqrt": (1,),
    "exp": (1,),
    "log": (1, 2),
    "log10": (1,),
}
"""The argument counts of each modelled method's overloads."""

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
"""System.Math's two public constants, by folded name."""


class Refused(Exception):
    """An argument the lab does not model (the message says which); refused by name."""


class OverloadNotFound(Exception):
    """No overload of the method takes that many arguments (PowerShell's MethodException)."""

    def __init__(self, name: str, count: int) -> None:
        super().__init__(f'Cannot find an overload for "{name}" and the argument count: "{count}".')


def models(name: str) -> bool:
    """Whether ``[math]::name`` is modelled here (any case)."""
    return name.casefold() in _ARGUMENT_COUNTS


def call(name: str, args: list[Any]) -> Any:
    """``[math]::name(args)``; :class:`OverloadNotFound` for a count no overload takes."""
    folded = name.casefold()
    if len(args) not in _ARGUMENT_COUNTS[folded]:
        raise OverloadNotFound(name, len(args))
    numbers = [to_number(x) for x in args]
    return _METHODS[folded](numbers)


def _integral(numbers: list[int | float]) -> bool:
    return all(isinstance(n, int) for n in numbers)


def _double(function: Callable[[float], float]) -> Callable[[float], float]:
    """A Double method: NaN or infinity outside its domain, as .NET gives them."""

    def safe(value: float) -> float:
        try:
            return function(value)
        except ValueError:  # math.sqrt(-1), math.log(-1): .NET returns NaN
            return math.nan
        except OverflowError:  # math.exp(1000): .NET returns infinity
            return math.inf

    return safe


def _log(numbers: list[int | float]) -> float:
    value = float(numbers[0])
    if value == 0:
        return -math.inf
    if value < 0 or math.isnan(value):
        return math.nan
    if len(numbers) == 1:
        return math.log(value)
    base = float(numbers[1])
    if base <= 0 or base == 1 or math.isnan(base):
        return math.nan
    return math.log(value) / math.log(base)


def _log10(value: float) -> float:
    """Math.Log10: the C library's log10, exact on powers of ten (``Log10(1000)`` is 3)."""
    if value == 0:
        return -math.inf
    if value < 0 or math.isnan(value):
        return math.nan
    return math.log10(value)


def _round(numbers: list[int | float]) -> float:
    digits = int(numbers[1]) if len(numbers) > 1 else 0
    if not 0 <= digits <= 15:
        raise Refused("[math]::Round() with digits outside 0 to 15 (.NET's ArgumentOutOfRange)")
    return float(round(numbers[0], digits))


_METHODS: dict[str, Callable[[list[int | float]], Any]] = {
    "abs": lambda n: abs(n[0]),
    "max": lambda n: max(n) if _integral(n) else float(max(n)),
    "min": lambda n: min(n) if _integral(n) else float(min(n)),
    "sign": lambda n: (n[0] > 0) - (n[0] < 0),
    "round": _round,
    "floor": lambda n: float(math.floor(n[0])) if math.isfinite(n[0]) else float(n[0]),
    "ceiling": lambda n: float(math.ceil(n[0])) if math.isfinite(n[0]) else float(n[0]),
    "truncate": lambda n: float(math.trunc(n[0])) if math.isfinite(n[0]) else float(n[0]),
    "pow": lambda n: _double(lambda x: math.pow(x, float(n[1])))(float(n[0])),
    "sqrt": lambda n: _double(math.sqrt)(float(n[0])),
    "exp": lambda n: _double(math.exp)(float(n[0])),
    "log": _log,
    "log10": lambda n: _log10(float(n[0])),
}
