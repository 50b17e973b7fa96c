"""Conversions the lab made kinder than Windows, now as Windows does them.

``$OFS`` (about_Preference_Variables): an array converted to a string (``"$a"``,
``"$(...)"``, ``[string]$a``, ``'text' + $a``) has its items joined by ``$OFS``, a space
while it is unset or ``$null``; the lab always used a space.

A double's text (``"$x"``, ``[string]$x``) is .NET Framework's ``Double.ToString()``,
"G" with 15 significant digits; the lab wrote Python's shortest round-trip text
(``0.1 + 0.2`` was ``0.30000000000000004``, Windows PowerShell 5.1 writes ``0.3``).

String methods (.NET Framework 4.8's String): an index or length outside the string
throws ArgumentOutOfRangeException with its "Parameter name" line, which PowerShell
reports as 'Exception calling "Substring" with "1" argument(s): ...'; the lab sliced
quietly (``'abc'.Substring(5)`` was ``''``).
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import run


@pytest.mark.parametrize(
    ("script", "output"),
    [
        ('$a = 1, 2; "$a"; [string]$a; "x" + $a', ["1 2", "1 2", "x1 2"]),
        ("$OFS = '-'; \"$(1, 2)\"", ["1-2"]),
        # An item that is itself a collection is not looked into: its .NET type's name
        # (PSObject.ToStringEnumerable converts items with recurse false).
        (
            "$OFS = '-'; $a = 1, 2, (3, 4); \"$a\"; [string]$a; 'x' + $a",
            ["1-2-System.Object[]"] * 2 + ["x1-2-System.Object[]"],
        ),
        ('$OFS = $null; "$(1, 2)"', ["1 2"]),
        ("$OFS = '-'; [string]@(5); \"$(7)\"", ["5", "7"]),
        ("$OFS = '-'; (1, 2) -join ','", ["1,2"]),  # -join has its own separator
    ],
)
def test_an_array_becomes_a_string_joined_by_ofs(script: str, output: list[Any]) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert output == result.output


@pytest.mark.parametrize(
    ("script", "output"),
    [
        # -join (ParserOps.JoinOperator) is PSObject.ToStringEnumerable: each item as a
        # collection's item, not looked into; $OFS plays no part in the items.
        ("(1, (2, 3)) -join '-'", ["1-System.Object[]"]),
        ("$OFS = '+'; (1, (2, 3)) -join '-'", ["1-System.Object[]"]),
        ("-join (1, (2, 3))", ["1System.Object[]"]),
        ("(1, @{a = 1}) -join ','", ["1,System.Collections.Hashtable"]),
        ("(1, $null, 2) -join ','", ["1,,2"]),
        # The separator is a value turned into a string: an array of them joined by $OFS.
        ("$OFS = '+'; (1, 2) -join (',', ';')", ["1,+;2"]),
        # A custom object as an item is PSCustomObject.ToString(), the empty string
        # (PowerShell issue 6163, Windows PowerShell 5.1 too); alone it is @{...}.
        ('"$(@([pscustomobject]@{a = 1}, 2))"', [" 2"]),
        ('"$([pscustomobject]@{a = 1})"', ["@{a=1}"]),
        # Its properties are written the same way (ToStringEmptyBaseObject).
        (
            '"$([pscustomobject]@{a = $null; b = 1, 2; c = @{}; d = $true})"',
            ["@{a=; b=System.Object[]; c=System.Collections.Hashtable; d=True}"],
        ),
        # A double property is its 15-digit text, as everywhere else.
        ('"$([pscustomobject]@{a = 0.1 + 0.2})"', ["@{a=0.3}"]),
    ],
)
def test_items_and_properties_inside_a_text_are_not_looked_into(
    script: str, output: list[Any]
) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert output == result.output


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            "'abc'.Substring(5)",
            "startIndex cannot be larger than length of string.\r\nParameter name: startIndex",
        ),
        (
            "'abc'.Substring(-1)",
            "StartIndex cannot be less than zero.\r\nParameter name: startIndex",
        ),
        (
            "'abc'.Substring(1, 5)",
            "Index and length must refer to a location within the string."
            "\r\nParameter name: length",
        ),
        ("'abc'.Substring(1, -1)", "Length cannot be less than zero.\r\nParameter name: length"),
        (
            "'abc'.Remove(3)",
            "startIndex must be less than length of string.\r\nParameter name: startIndex",
        ),
        (
            "'abc'.Remove(1, 5)",
            "Index and count must refer to a location within the string.\r\nParameter name: count",
        ),
        (
            "'abc'.Insert(4, 'x')",
            "Specified argument was out of the range of valid values."
            "\r\nParameter name: startIndex",
        ),
        ("'abc'.PadLeft(-1)", "Non-negative number required.\r\nParameter name: totalWidth"),
        ("'abc'.Replace('', 'x')", "String cannot be of zero length.\r\nParameter name: oldValue"),
    ],
)
def test_a_string_method_outside_the_string_throws_as_dotnet_does(call: str, message: str) -> None:
    """The error is statement-terminating: the script goes on with the next statement."""
    result = run(f"{call}; 'after'")
    assert result.failed is None, result.failed
    assert ["after"] == result.output
    name = call.split(".")[1].split("(", maxsplit=1)[0]
    count = 1 if "," not in call.split("(", 1)[1] else 2
    assert [f'Exception calling "{name}" with "{count}" argument(s): "{message}"'] == [
        e.message for e in result.errors
    ]
    assert (
        result.errors[0].exception_type == "System.Management.Automation.MethodInvocationException"
    )


def test_calls_inside_the_string_answer_as_before() -> None:
    script = (
        "'abc'.Substring(3); 'abc'.Substring(1, 2); 'abc'.Remove(1); 'abc'.Remove(1, 2);"
        " 'abc'.Insert(3, 'x'); 'ab'.PadLeft(4, '*')"
    )
    assert ["", "bc", "a", "a", "abcx", "**ab"] == run(script).output


@pytest.mark.parametrize(
    ("script", "text"),
    [
        ('"$(0.1 + 0.2)"', "0.3"),
        ("[string](1 / 3)", "0.333333333333333"),
        ('"$(2.0)"', "2"),
        ('"$(-1234.5678)"', "-1234.5678"),
        ('"$(1e14)"', "100000000000000"),
        ('"$(1e15)"', "1E+15"),
        ('"$(1e-5)"', "1E-05"),
        ('"$(0.0001)"', "0.0001"),
        ('"$(-0.0)"', "0"),
        ('"$([double]::MaxValue)"', "1.79769313486232E+308"),
        ("'x' + 2.5", "x2.5"),
    ],
)
def test_a_double_is_written_with_fifteen_significant_digits(script: str, text: str) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert [text] == result.output


@pytest.mark.parametrize(
    ("script", "type_name"),
    [
        ("[double]'abc'", "System.Double"),
        ("[long]'abc'", "System.Int64"),
        ("[uint32]'abc'", "System.UInt32"),
        ("[int]'abc'", "System.Int32"),
    ],
)
def test_a_failed_conversion_names_the_type_asked_for(script: str, type_name: str) -> None:
    """The lab read every number as an integer first and named System.Int32 in the
    error of a ``[double]`` or ``[long]`` cast."""
    result = run(script)
    assert [
        f'Cannot convert value "abc" to type "{type_name}". '
        'Error: "Input string was not in a correct format."'
    ] == [e.message for e in result.errors]


@pytest.mark.parametrize(
    ("script", "message", "error_id"),
    [
        # Windows PowerShell 5.1 has no character ranges: both ends become Int32. The lab
        # failed with an internal error here.
        (
            "'a'..'c'",
            'Cannot convert value "a" to type "System.Int32". '
            'Error: "Input string was not in a correct format."',
            "InvalidCastFromStringToInteger",
        ),
        # .NET's OverflowException names the type it overflowed.
        (
            "[int]3e10",
            'Cannot convert value "30000000000" to type "System.Int32". '
            'Error: "Value was either too large or too small for an Int32."',
            "ConvertToFinalInvalidCastException",
        ),
        (
            "[long]1e30",
            'Cannot convert value "1E+30" to type "System.Int64". '
            'Error: "Value was either too large or too small for an Int64."',
            "ConvertToFinalInvalidCastException",
        ),
    ],
)
def test_a_conversion_that_fails_is_windows_error(script: str, message: str, error_id: str) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert [(message, error_id)] == [(e.message, e.error_id) for e in result.errors]
