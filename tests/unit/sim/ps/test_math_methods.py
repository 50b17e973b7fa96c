"""``[math]::Name(...)`` as System.Math (.NET Framework 4.8) answers, through the lab.

The lab answered Max, Min, Abs, Round, Floor and Ceiling for any argument count
(``[math]::Max(1, 2, 3)`` was 3, where Windows finds no overload) and refused Pow, Sqrt,
Truncate, Exp, Log, Log10, Sign and the constants PI and E.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

from .helpers import run


@pytest.mark.parametrize(
    ("script", "value"),
    [
        ("[math]::Pow(2, 10)", 1024.0),
        ("[math]::Sqrt(16)", 4.0),
        ("[math]::Truncate(-3.7)", -3.0),
        ("[math]::Floor(3.7)", 3.0),
        ("[math]::Ceiling(3.2)", 4.0),
        ("[math]::Exp(0)", 1.0),
        ("[math]::Log(100, 10)", 2.0),
        ("[math]::Log10(1000)", 3.0),
        ("[math]::Sign(-3.5)", -1),
        ("[math]::Abs(-5)", 5),
        ("[math]::Max(3, 7)", 7),
        ("[math]::Max(3, 7.5)", 7.5),
        ("[math]::Min(3.0, 7)", 3.0),
        ("[math]::Round(2.5)", 2.0),  # half to even, .NET's default
        ("[math]::Round(3.5)", 4.0),
        ("[math]::PI", math.pi),
        ("[System.Math]::E", math.e),
        ('"$([math]::Sqrt(2))"', "1.4142135623731"),  # a double's text: 15 digits
    ],
)
def test_a_method_answers_as_dotnet_does(script: str, value: Any) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert [value] == result.output
    assert type(value) is type(result.output[0])  # Int32 stays Int32, Double is Double


@pytest.mark.parametrize(
    ("script", "check"),
    [
        ("[math]::Sqrt(-1)", math.isnan),
        ("[math]::Log(-1)", math.isnan),
        ("[math]::Log(0)", lambda v: v == -math.inf),
        ("[math]::Exp(1000)", lambda v: v == math.inf),
        ("[math]::Pow(-10, 309)", lambda v: v == -math.inf),  # an odd power keeps the sign
        ("[math]::Max(1, [math]::Sqrt(-1))", math.isnan),  # Double.Max: NaN either side
    ],
)
def test_outside_its_domain_a_method_gives_nan_or_infinity(script: str, check: Any) -> None:
    """.NET returns NaN or infinity there; it never throws."""
    result = run(script)
    assert result.failed is None, result.failed
    assert [] == result.errors
    assert check(result.output[0])


@pytest.mark.parametrize(
    ("script", "name", "count"),
    [("[math]::Max(1, 2, 3)", "Max", 3), ("[math]::Abs()", "Abs", 0), ("[math]::Pow(2)", "Pow", 1)],
)
def test_an_argument_count_no_overload_takes_is_windows_error(
    script: str, name: str, count: int
) -> None:
    result = run(script)
    assert [
        (
            f'Cannot find an overload for "{name}" and the argument count: "{count}".',
            "MethodCountCouldNotFindBest",
            "System.Management.Automation.MethodException",
        )
    ] == [(e.message, e.error_id, e.exception_type) for e in result.errors]
    assert [] == result.output


def test_round_with_digits_out_of_range_is_refused_by_name() -> None:
    result = run("[math]::Round(1.5, 20)")
    assert result.failed is not None
    assert "[math]::Round() with digits outside 0 to 15" in result.failed.message


def test_sign_of_nan_is_refused_by_name() -> None:
    """.NET throws ArithmeticException there; the lab does not model its message."""
    result = run("[math]::Sign([math]::Sqrt(-1))")
    assert result.failed is not None
    assert "[math]::Sign() of NaN" in result.failed.message


def test_abs_of_the_smallest_int32_is_refused_by_name() -> None:
    """.NET throws OverflowException ("Negating the minimum value of a twos complement
    number is invalid."); the lab answered 2147483648."""
    result = run("[math]::Abs([int]::MinValue)")
    assert result.failed is not None
    assert "[math]::Abs() of the smallest Int32" in result.failed.message
