"""Numeric literals typed as Windows PowerShell types them (about_Numeric_Literals): the
first of Int32 / Int64 that holds an integer, ``L`` an Int64, and a hexadecimal literal
with its sign bit (``0xFFFFFFFF`` is -1, the reference's own example), so a script that
compares an HRESULT with ``0x80070005`` gets Windows' answer. A literal its type cannot
hold refuses the whole script, in the lab and by ``psrunbook lint``."""

from __future__ import annotations

import pytest

from psrunbook.lint import lint_script
from psrunbook.sim.ps.number_literals import BadNumericConstant, number_literal
from tests.unit.sim.ps.helpers import assert_refused_at_parse, output_of, run


@pytest.mark.parametrize(
    ("literal", "type_name", "value"),
    [
        # about_Numeric_Literals' examples (5.1 and 7.4 tables; the suffixes 5.1 has)
        ("100", "Int32", 100),
        ("100l", "Int64", 100),
        ("1e2", "Double", 100.0),
        ("0x1e2", "Int32", 482),
        ("0x1e2L", "Int64", 482),
        ("0x1e2D", "Int32", 7725),
        ("482gb", "Int64", 517543559168),
        ("0x1e2lgb", "Int64", 517543559168),
        ("0x10Gb", "Int64", 17179869184),
        ("0x12Lpb", "Int64", 20266198323167232),
        ("0xFFFFFFFF", "Int32", -1),
        ("-0xFFFFFFFF", "Int32", 1),
        # the sign bit as .NET's hex parse reads it into an Int32, else an Int64
        ("0x80000000", "Int32", -(2**31)),
        ("0x7FFFFFFF", "Int32", 2**31 - 1),
        ("0x100000000", "Int64", 2**32),
        ("0xFFFFFFFFFFFFFFFF", "Int64", -1),
        ("0xFFFFFFFFL", "Int64", 2**32 - 1),
        ("2147483648", "Int64", 2**31),
        ("1kb", "Int32", 1024),
        ("5L", "Int64", 5),
    ],
)
def test_a_literal_has_windows_type_and_value(literal: str, type_name: str, value: object) -> None:
    assert [type_name, value] == output_of(f"$v = {literal}\n($v).GetType().Name\n$v")


def test_an_hresult_compares_with_its_hex_literal() -> None:
    """``HResult`` is an Int32: E_ACCESSDENIED is -2147024891, which ``0x80070005`` is
    in PowerShell (the lab read 2147942405 and the comparison was false)."""
    assert [True, -2147024891] == output_of("0x80070005 -eq -2147024891\nWrite-Output 0x80070005")


def test_a_bare_argument_reads_hex_with_its_sign() -> None:
    assert [-1] == output_of("Write-Output 0xFFFFFFFF")


@pytest.mark.parametrize(
    ("script", "column", "written", "linted"),
    [
        ("Write-Output 'ran'\n$a = 0x1FFFFFFFFFFFFFFFF\n", 6, "0x1FFFFFFFFFFFFFFFF", True),
        ("Write-Output 'ran'\n$a = 0x7FFFFFFFFFFFFFFFkb\n", 6, "0x7FFFFFFFFFFFFFFFkb", True),
        ("Write-Output 'ran'\n$h = @{ 0x1FFFFFFFFFFFFFFFF = 1 }\n", 9, "0x1FFFFFFFFFFFFFFFF", True),
        ("Write-Output 'ran'\n$a = 9223372036854775808L\n", 6, "9223372036854775808L", False),
    ],
)
def test_a_literal_its_type_cannot_hold_refuses_the_script(
    script: str, column: int, written: str, linted: bool
) -> None:
    """The lab refuses each before anything runs; lint reports the hexadecimal ones (a
    decimal ``L`` literal past the Int64 range is left to the lab: finding it in the
    text costs every script a scan for digits)."""
    message = f"The numeric constant {written} is not valid."
    assert_refused_at_parse(run(script), 2, column, message)
    findings = [
        (f.code, f.line, f.column, message in f.message)
        for f in lint_script(script, source="t.ps1")
    ]
    assert ([("PSR015", 2, column, True)] if linted else []) == findings


@pytest.mark.parametrize(
    "script",
    [
        "$a = 0xFFFFFFFFFFFFFFFF\n$a\n",
        "$a = 0x0000000000000000001\n$a\n",
        "$a = 9223372036854775807L\n$a\n",
        "# 0x1FFFFFFFFFFFFFFFF in a comment\n'x'\n",
        "'0x1FFFFFFFFFFFFFFFF'\n",
        "$a = 99999999999999999999\n$a\n",
    ],
)
def test_a_literal_within_range_is_neither_refused_nor_reported(script: str) -> None:
    assert run(script).failed is None
    assert [] == [f.code for f in lint_script(script, source="t.ps1")]


def test_the_reader_refuses_past_sixteen_hex_digits() -> None:
    with pytest.raises(BadNumericConstant, match="0x10000000000000000"):
        number_literal("0x10000000000000000")
