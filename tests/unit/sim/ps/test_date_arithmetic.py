"""DateTime arithmetic and comparison, and Get-Date -Date, as .NET and PowerShell do them.

Before, ``(Get-Date).AddDays(-7)`` answered 'does not contain a method named AddDays'
(a claim about Windows that is false), two DateTimes could not be compared with
``-lt`` ("Could not compare"), ``-eq`` compared identity, and ``Get-Date $d`` had no
``-Date`` parameter. Evidence: .NET Framework 4.8's DateTime (Add(double, scale) rounds
to the millisecond half away from zero; AddMonths clamps the day; the range errors'
texts) and GetDateCommand.cs (the DateTime written with its Kind and a DisplayHint).
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import run

DAY = 864_000_000_000


@pytest.mark.parametrize(
    ("script", "output"),
    [
        ("$d = Get-Date; ($d.Ticks - $d.AddDays(-7).Ticks) / 864000000000", [7]),
        ("$d = Get-Date; $d.AddDays(1.5).Ticks - $d.Ticks", [DAY * 3 // 2]),
        ("$d = Get-Date; $d.AddMilliseconds(1.5).Ticks - $d.Ticks", [20_000]),  # 2 ms
        ("$d = Get-Date; $d.AddMilliseconds(-1.5).Ticks - $d.Ticks", [-20_000]),
        ("$d = Get-Date; $d.AddHours(2).Hour -eq ($d.Hour + 2) % 24", [True]),
        ("$d = Get-Date; $d.AddTicks(5).Ticks - $d.Ticks", [5]),
        ("(Get-Date).ToUniversalTime().AddMinutes(1).Kind", ["Utc"]),
        ("$null -eq (Get-Date).AddSeconds(1).DisplayHint", [True]),
        ("(Get-Date -Date (Get-Date).AddDays(-1)).DisplayHint.ToString()", ["DateTime"]),
        # AddMonths keeps the time of day and clamps the day to the month's length
        (
            "$d = Get-Date; $j = $d.AddDays(31 - $d.DayOfYear)\n"
            "$j.Month; $j.Day; $j.AddMonths(1).Month; $j.AddMonths(1).Day -in 28, 29;"
            " $j.AddMonths(1).Hour -eq $d.Hour; $j.AddYears(1).Year - $j.Year",
            [1, 31, 2, True, True, 1],
        ),
        (
            "(Get-Date).AddDays(-1) -lt (Get-Date); (Get-Date) -ge (Get-Date).AddSeconds(-5)",
            [True, True],
        ),
        (
            "$d = Get-Date; $d -eq $d.AddTicks(0); $d -eq $d.AddTicks(1); $d -gt $null",
            [True, False, True],
        ),
        ("$d = Get-Date; $d.ToUniversalTime() -eq $d", [True]),  # ticks, whatever the Kind
        ("$d = Get-Date; Get-Date $d.AddDays(-1) -Format yyyy-MM-dd", None),
        ("$d = (Get-Date).ToUniversalTime(); ($d | Get-Date).Kind", ["Utc"]),
    ],
)
def test_datetime_arithmetic_and_comparison(script: str, output: list[Any] | None) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert [] == result.errors
    if output is None:  # the date of yesterday, in the format asked for
        assert len(result.output) == 1
        assert len(result.output[0]) == 10
        assert result.output[0][4] == result.output[0][7] == "-"
    else:
        assert output == result.output


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ("AddYears(20000)", "Years value must be between +/-10000.\r\nParameter name: years"),
        ("AddMonths(200000)", "Months value must be between +/-120000.\r\nParameter name: months"),
        (
            "AddYears(-3000)",
            "The added or subtracted value results in an un-representable DateTime."
            "\r\nParameter name: months",
        ),
        ("AddDays(5000000)", "Value to add was out of range.\r\nParameter name: value"),
    ],
)
def test_a_date_out_of_range_throws_as_dotnet_does(call: str, message: str) -> None:
    result = run(f"(Get-Date).{call}; 'after'")
    assert ["after"] == result.output
    name = call.split("(", maxsplit=1)[0]
    assert [f'Exception calling "{name}" with "1" argument(s): "{message}"'] == [
        e.message for e in result.errors
    ]


@pytest.mark.parametrize(
    ("script", "construct"),
    [
        ("(Get-Date).ToFileTime()", "[datetime].ToFileTime()"),
        ("(Get-Date).Subtract('2020-01-01')", "System.DateTime - System.String"),
        ("(Get-Date).AddDays('abc')", "AddDays() of a value that is not a number"),
        ("(Get-Date) -lt 'Jan 1 2020'", "reading 'Jan 1 2020' as a DateTime"),
        ("(Get-Date) -eq 1", "comparing a DateTime with a System.Int32"),
        ("Get-Date 'Jan 1 2020'", "reading 'Jan 1 2020' as a DateTime"),
        ("Get-Date 5", "Get-Date -Date of a System.Int32"),
        ("Get-Date -Hour 0", "Get-Date -Hour"),
        # op_Addition(DateTime, TimeSpan) would convert the number to a TimeSpan first
        ("(Get-Date) + 5", "System.DateTime + System.Int32"),
    ],
)
def test_what_the_lab_does_not_model_of_datetime_is_refused(script: str, construct: str) -> None:
    result = run(script)
    assert result.failed is not None
    assert "UnsupportedConstruct" == result.failed.error_id
    assert construct in result.failed.message


def test_what_a_datetime_does_not_have_is_answered_as_windows_does() -> None:
    """Not DateTime members: $null, 'does not contain a method', a read-only property."""
    result = run("$d = Get-Date; $null -eq $d.Foo; $d.Frobnicate(); $d.Year = 5; 'after'")
    assert result.failed is None, result.failed
    assert [True, "after"] == result.output
    assert [
        "Method invocation failed because [System.DateTime] does not contain a method named"
        " 'Frobnicate'.",
        "'Year' is a ReadOnly property.",
    ] == [e.message for e in result.errors]


@pytest.mark.parametrize(
    ("script", "method", "type_name"),
    [
        ("(Get-Date) * 2", "op_Multiply", "System.DateTime"),
        ("@(1) - 1", "op_Subtraction", "System.Object[]"),
        ("@{ a = 1 } * 2", "op_Multiply", "System.Collections.Hashtable"),
    ],
)
def test_an_operator_a_type_lacks_is_named_as_windows_names_it(
    script: str, method: str, type_name: str
) -> None:
    """The message named op_Subtraction whatever the operator was."""
    result = run(script)
    assert result.failed is None, result.failed
    assert [
        f"Method invocation failed because [{type_name}] does not contain a method named"
        f" '{method}'."
    ] == [e.message for e in result.errors]


def test_the_clock_static_properties_are_datetimes() -> None:
    """DateTime's own Now (Local), UtcNow (Utc) and Today (midnight, Local), without
    Get-Date's DisplayHint; they were refused as unmodelled static members."""
    script = (
        "[datetime]::Now.Kind; [DateTime]::UtcNow.Kind; [System.DateTime]::Today.Kind\n"
        "$t = [datetime]::Today; $t.Hour + $t.Minute + $t.Second + $t.Millisecond\n"
        "$null -eq [datetime]::Now.DisplayHint; [datetime]::Now -ge [datetime]::Today"
    )
    result = run(script)
    assert result.failed is None, result.failed
    assert ["Local", "Utc", "Local", 0, True, True] == result.output
