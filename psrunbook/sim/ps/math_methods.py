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

from psrunbook.sim.objects import PSInt64
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
        self.name = name
        self.count = count


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


def _safe(function: Callable[..., float], *args: float) -> float:
    """A Double method: NaN or infinity outside its domain, as .NET gives them."""
    try:
        return function(*args)
    except ValueError:  # math.sqrt(-1), math.pow(-8, 1/3): .NET returns NaN
        return math.nan
    except OverflowError:  # math.exp(1000), math.pow(-10, 309): .NET returns an infinity
        base = args[0]
        odd_power = len(args) > 1 and args[1] % 2 == 1
        return -math.inf if base < 0 and odd_power else math.inf


def _extreme(
    pick: Callable[[list[int | float]], int | float], numbers: list[int | float]
) -> int | float:
    """Math.Max/Min: the Int32/Int64 overload for integers, else the Double one, which
    answers NaN when either argument is NaN."""
    if _integral(numbers):
        return pick(numbers)
    if any(math.isnan(n) for n in numbers):
        return math.nan
    return float(pick(numbers))


def _abs(value: int | float) -> int | float:
    """Math.Abs; the smallest Int32 or Int64 has no positive counterpart (.NET's
    OverflowException, refused by name)."""
    smallest = -(2**63) if isinstance(value, PSInt64) else -(2**31)
    if not isinstance(value, float) and value in (smallest, -(2**63)):
        raise Refused("[math]::Abs() of the smallest Int32 or Int64 (.NET's OverflowException)")
    return abs(value)


def _sign(numbers: list[int | float]) -> int:
    value = numbers[0]
    if isinstance(value, float) and math.isnan(value):
        raise Refused("[math]::Sign() of NaN (.NET's ArithmeticException)")
    return (value > 0) - (value < 0)


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
    digits = round(numbers[1]) if len(numbers) > 1 else 0  # to Int32: half to even
    if not 0 <= digits <= 15:
        raise Refused("[math]::Round() with digits outside 0 to 15 (.NET's ArgumentOutOfRange)")
    return float(round(numbers[0], digits))


_METHODS: dict[str, Callable[[list[int | float]], Any]] = {
    "abs": lambda n: _abs(n[0]),
    "max": lambda n: _extreme(max, n),
    "min": lambda n: _extreme(min, n),
    "sign": _sign,
    "round": _round,
    "floor": lambda n: float(math.floor(n[0])) if math.isfinite(n[0]) else float(n[0]),
    "ceiling": lambda n: float(math.ceil(n[0])) if math.isfinite(n[0]) else float(n[0]),
    "truncate": lambda n: float(math.trunc(n[0])) if math.isfinite(n[0]) else float(n[0]),
    "pow": lambda n: _safe(math.pow, float(n[0]), float(n[1])),
    "sqrt": lambda n: _safe(math.sqrt, float(n[0])),
    "exp": lambda n: _safe(math.exp, float(n[0])),
    "log": _log,
    "log10": lambda n: _log10(float(n[0])),
}
