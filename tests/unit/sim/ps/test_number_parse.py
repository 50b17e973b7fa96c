"""``[int]::Parse(text)`` and its siblings as .NET Framework 4.8 parses, through the lab.

The lab refused Parse by name ("static method [int]::Parse()"); TryParse was modelled
(tests/unit/sim/ps/test_references.py) and Parse now shares its reading.
"""

from __future__ import annotations

from typing import Any

import pytest

from psrunbook.sim.objects import PSInt64

from .helpers import run


@pytest.mark.parametrize(
    ("script", "value"),
    [
        ("[int]::Parse('42')", 42),
        ("[int32]::Parse(' -7 ')", -7),  # NumberStyles.Integer: blanks around, a sign
        ("[int]::Parse(42)", 42),  # the argument is converted to a string first
        ("[double]::Parse('1,234.5')", 1234.5),  # Float | AllowThousands
        ("[double]::Parse('1e3')", 1000.0),
    ],
)
def test_parse_reads_what_dotnet_reads(script: str, value: Any) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert [value] == result.output
    assert type(value) is type(result.output[0])


def test_a_long_is_an_int64_however_small() -> None:
    result = run("[long]::Parse('5'); [int64]::Parse('99999999999')")
    assert [5, 99999999999] == result.output
    assert all(isinstance(v, PSInt64) for v in result.output)


@pytest.mark.parametrize(
    ("script", "exception", "message"),
    [
        ("[int]::Parse('4.5')", "FormatException", "Input string was not in a correct format."),
        ("[int]::Parse('')", "FormatException", "Input string was not in a correct format."),
        ("[int]::Parse('1,000')", "FormatException", "Input string was not in a correct format."),
        (
            "[int]::Parse('99999999999')",
            "OverflowException",
            "Value was either too large or too small for an Int32.",
        ),
        (
            "[double]::Parse('1e400')",
            "OverflowException",
            "Value was either too large or too small for a Double.",
        ),
        (
            "[int]::Parse($null)",
            "ArgumentNullException",
            "Value cannot be null.\r\nParameter name: String",
        ),
    ],
)
def test_parse_throws_what_dotnet_throws(script: str, exception: str, message: str) -> None:
    """PowerShell reports it as a MethodInvocationException whose error id is the .NET
    exception's name."""
    result = run(script)
    assert [
        (f'Exception calling "Parse" with "1" argument(s): "{message}"', exception)
    ] == [(e.message, e.error_id) for e in result.errors]
    caught = run(f"try {{ {script} }} catch {{ $_.Exception.GetType().Name }}")
    assert ["MethodInvocationException"] == caught.output


def test_try_parse_still_reads_the_same() -> None:
    result = run("$n = 0; [int]::TryParse('12', [ref]$n); $n; [int]::TryParse('x', [ref]$n); $n")
    assert [True, 12, False, 0] == result.output
