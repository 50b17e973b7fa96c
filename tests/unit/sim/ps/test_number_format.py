"""``'{0:spec}' -f $number`` as .NET Framework 4.8 writes it in en-US, through the lab.

The lab rounded with Python's half-to-even on the binary value (``0.125`` "F2" was
``0.12``), ignored grouping commas and ``#`` in custom formats (``#,##0`` of 1234567
was ``1234567``), applied number formats to strings (.NET ignores a specifier on a
string) and wrote any specifier it did not know as if none had been given.
"""

from __future__ import annotations

import pytest

from .helpers import run


@pytest.mark.parametrize(
    ("script", "text"),
    [
        # A Double from its 15 significant digits, half away from zero.
        ("'{0:F2}' -f 0.125", "0.13"),
        ("'{0:F0}' -f 2.5", "3"),
        ("'{0:F2}' -f 1.005", "1.01"),
        ("'{0:F2}' -f -0.001", "0.00"),  # no "-" on a zero (.NET Framework)
        ("'{0:N2}' -f 1234.5", "1,234.50"),
        ("'{0:N0}' -f 1234567.891", "1,234,568"),
        ("'{0:P1}' -f 0.256", "25.6 %"),
        ("'{0:C}' -f 5", "$5.00"),
        ("'{0:C}' -f -1234.567", "($1,234.57)"),
        ("'{0:E}' -f 1234.56", "1.234560E+003"),
        ("'{0:e2}' -f 0.000123", "1.23e-004"),
        ("'{0:D3}' -f -7", "-007"),
        ("'{0:x4}' -f 255", "00ff"),
        ("'{0:G}' -f 1.5", "1.5"),
        # Custom formats: 0 always written, # only when significant, grouping commas.
        ("'{0:#,##0}' -f 1234567", "1,234,567"),
        ("'{0:#,##0.00}' -f 1234.5", "1,234.50"),
        ("'{0:0,000}' -f 5", "0,005"),
        ("'{0:#.##}' -f 0.5", ".5"),
        ("'[{0:#}]' -f 0", "[]"),
        ("'{0:0.0#}' -f 0.5", "0.5"),
        ("'{0:0.0#}' -f 1.255", "1.26"),
        ("'{0:000}' -f 7", "007"),
        ("'{0,10:N1}|' -f 1234.56", "   1,234.6|"),
        ("'{0:F2}' -f [math]::Exp(1000)", "Infinity"),
        ("'{0:#,##0}' -f [math]::Sqrt(-1)", "NaN"),
        # A string or a Boolean is not IFormattable: the specifier is ignored.
        ("'{0:F2}' -f '1.5'", "1.5"),
        ("'{0:N1}' -f $true", "True"),
    ],
)
def test_a_number_is_written_as_dotnet_framework_writes_it(script: str, text: str) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert [text] == result.output


@pytest.mark.parametrize(
    ("script", "what"),
    [
        ("'{0:R}' -f 0.1", "format 'R' of a number"),
        ("'{0:G3}' -f 1.2345", "format 'G3' of a number"),
        ("'{0:0.0%}' -f 0.5", "format '0.0%' of a number"),
        ("'{0:0,}' -f 5000", "a scaling comma"),
        ("'{0:D3}' -f 7.0", "format 'D3' of a Double"),
        ("[string]::Format('{0:Q}', 5)", "format 'Q' of a number"),
    ],
)
def test_a_specifier_the_lab_does_not_model_is_refused_by_name(script: str, what: str) -> None:
    result = run(script)
    assert result.failed is not None
    assert what in result.failed.message


@pytest.mark.parametrize(
    ("script", "text"),
    [
        ("(1234.5).ToString('N0')", "1,235"),
        ("$size = 1GB; $size.ToString('N0')", "1,073,741,824"),
        ("(0.125).ToString('F2')", "0.13"),
        ("(5).ToString('D3')", "005"),
        ("(255).ToString('X2')", "FF"),
        ("(5).ToString('')", "5"),
    ],
)
def test_a_number_tostring_takes_the_same_specifiers(script: str, text: str) -> None:
    """``ToString(format)`` of an Int32, Int64 or Double; the lab refused it."""
    result = run(script)
    assert result.failed is None, result.failed
    assert [text] == result.output


def test_a_number_tostring_with_an_unmodelled_specifier_is_refused_by_name() -> None:
    result = run("(1.5).ToString('R')")
    assert result.failed is not None
    assert "format 'R' of a number" in result.failed.message
