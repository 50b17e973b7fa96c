"""``[ref]`` and the TryParse methods that write through it, as PowerShell and .NET do.

Before, ``[int]::TryParse($s, [ref]$n)`` was refused at the ``[ref]`` cast. Evidence:
PSReference (a reference to the variable, which the method's out parameter writes) and
.NET Framework 4.8's Int32/Int64/Double.TryParse with their default NumberStyles
(Integer; Float | AllowThousands), en-US: False and 0 when the text is not a number.
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import run


@pytest.mark.parametrize(
    ("script", "output"),
    [
        ("$n = 0; [int]::TryParse('12', [ref]$n); $n", [True, 12]),
        ("$n = 5; [int]::TryParse('x', [ref]$n); $n", [False, 0]),
        ("$n = 5; [int]::TryParse($null, [ref]$n); $n", [False, 0]),
        ("[int]::TryParse(' -7 ', [ref]$null); [int]::TryParse('1.5', [ref]$null)", [True, False]),
        (
            "$n = 0; [int]::TryParse('99999999999', [ref]$n)\n"
            "[long]::TryParse('99999999999', [ref]$n); $n",
            [False, True, 99999999999],
        ),
        (
            "$d = 0.0; [double]::TryParse('1,234.5', [ref]$d); $d\n"
            "[double]::TryParse('1e3', [ref]$d); $d",
            [True, 1234.5, True, 1000.0],
        ),
        ("$d = 1.0; [double]::TryParse('abc', [ref]$d); $d", [False, 0.0]),
        ("$x = 1; $r = [ref]$x; $r.Value = 7; $x; $r.Value", [7, 7]),
        # the variable's type constraint converts what the method writes
        (
            "[int]$n = 0; [double]::TryParse('2.5', [ref]$n); $n; $n.GetType().Name",
            [True, 2, "Int32"],
        ),
        ("function Set-It($p) { $p.Value = 9 }; $y = 1; Set-It ([ref]$y); $y", [9]),
    ],
)
def test_a_reference_writes_the_variable(script: str, output: list[Any]) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert [] == result.errors
    assert output == result.output


@pytest.mark.parametrize(
    ("script", "construct"),
    [
        ("$r = [ref]$notSetAnywhere", "[ref] of $notSetAnywhere, a variable not set here"),
        ("$r = [ref](1 + 2)", "[ref] of anything but a variable"),
        ("[int]::TryParse('1', 2)", "[int]::TryParse() without [ref]"),
    ],
)
def test_what_the_lab_does_not_model_of_ref_is_refused(script: str, construct: str) -> None:
    result = run(script)
    assert result.failed is not None
    assert "UnsupportedConstruct" == result.failed.error_id
    assert construct in result.failed.message
