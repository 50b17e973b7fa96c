"""``System.Char`` in the lab (psrunbook.sim.objects.PSChar): what indexing a string,
``ToCharArray()`` and ``[char]`` give. Before, ``'abc'[0]`` was a String (so
``[int]'abc'[0]`` failed where Windows gives 97) and ``[char]``/``ToCharArray()`` were
refused by name."""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.sim.ps.helpers import only_error, output_of, run


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("'abc'[0]; 'abc'[0].GetType().Name; 'abc'[-1]", ["a", "Char", "c"]),
        ("[int]'abc'[0]; [int][char]'5'", [97, 53]),  # a Char's number is its code
        ("[char]65; [char]'a' + 1; [char]$null -eq 0", ["A", 98, True]),
        ("'abc'[0] -eq 'a'; 'abc'[0] -eq 'A'; [char]'a' -eq 97", [True, True, True]),
        ("'abc'.ToCharArray() -join '-'; ('ab'.ToCharArray() | % { [int]$_ }) -join ','",
         ["a-b-c", "97,98"]),
        ("\"x$('abc'[1])y\"; 'ab' + 'abc'[2]; 'hello'[0..1] -join ''", ["xby", "abc", "he"]),
        ("'abc'[0] -is [char]; 'abc' -is [char]; ('abc'[0]).ToString().GetType().Name",
         [True, False, "String"]),
        ("switch ('abc'[0]) { 'a' { 'matched' } }", ["matched"]),
    ],
)  # fmt: skip
def test_chars(script: str, expected: list[Any]) -> None:
    assert expected == output_of(script)


def test_a_char_cast_of_a_longer_string_is_dotnets_error() -> None:
    record = only_error("[char]'ab'")
    assert (
        'Cannot convert value "ab" to type "System.Char". Error: "String must be exactly one '
        'character long."'
    ) == record.message


def test_a_string_method_is_not_a_char_s() -> None:
    """Char has no ToUpper (its static Char.ToUpper is another thing): refused, never
    answered as the String would."""
    result = run("([char]'a').ToUpper()")
    assert result.failed is not None
    assert "UnsupportedConstruct" == result.failed.error_id
