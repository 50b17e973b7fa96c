"""``[regex]::Escape/IsMatch/Match/Matches/Replace/Split`` as .NET's static Regex methods
(psrunbook.sim.ps.regex_objects).

Before, IsMatch ignored case as ``-match`` does (.NET's is case-sensitive), Escape
escaped what Python escapes (``-``, ``]``), and Match, Matches, Replace and Split were
refused by name, so ``[regex]::Match($text, '(\\d+)').Groups[1].Value`` could not run.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.sim.ps.helpers import only_error, output_of, run


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # case-sensitive unless the options say IgnoreCase; the operators are not
        ("[regex]::IsMatch('ABC', 'abc'), ('ABC' -match 'abc')", [False, True]),
        ("[regex]::IsMatch('ABC', 'abc', 'IgnoreCase'), [regex]::IsMatch('xABCx', 'BC')",
         [True, True]),
        ("[regex]::Replace('ABC', 'b', 'x'), ('ABC' -replace 'b', 'x')", ["ABC", "AxC"]),
        ("[regex]::Match('ABC', 'b', 'IgnoreCase').Value", ["B"]),
        # Escape leaves ] } - alone and escapes white space
        ("[regex]::Escape('a-b] c.d*{x}#|^$?+()[\\')",
         ["a-b]\\ c\\.d\\*\\{x}\\#\\|\\^\\$\\?\\+\\(\\)\\[\\\\"]),
        # a Match: Success, Value, Index, Length, Groups by number and name, its text
        ("$m = [regex]::Match('Version 10.0.17763', '(\\d+)\\.(\\d+)'); $m.Success; $m.Value;"
         " $m.Index; $m.Length; $m.Groups[1].Value; $m.Groups[2].Index; $m.Groups.Count; \"$m\"",
         [True, "10.0", 8, 4, "10", 11, 3, "10.0"]),
        # .NET numbers the unnamed groups first, then the named ones
        ("$m = [regex]::Match('k=v', '(?<key>\\w+)=(\\w+)'); $m.Groups[1].Value;"
         " $m.Groups[2].Value; $m.Groups['key'].Value; $m.Groups[2].Name; $m.Groups['KEY'].Value",
         ["v", "k", "k", "key", "k"]),
        # a failed match is Match.Empty; an unknown group is the empty group, no error
        ("$m = [regex]::Match('abc', '(x)'); $m.Success; $m.Value; $m.Index;"
         " $m.Groups[1].Success; $m.Groups[1].Value; $m.Groups['nope'].Success",
         [False, "", 0, False, "", False]),
        ("$m = [regex]::Match('a1b2', '\\d'); $m.NextMatch().Value;"
         " $m.NextMatch().NextMatch().Success", ["2", False]),
        ("([regex]::Matches('a1b22c333', '\\d+') | % { $_.Value }) -join ','", ["1,22,333"]),
        ("[regex]::Matches('a1b22', '\\d+').Count; [regex]::Matches('ab', '\\d').Count", [2, 0]),
        ("[regex]::Replace('a-b', '(\\w)-(\\w)', '$2-$1 $&')", ["b-a a-b"]),
        ("[regex]::Split('a1b2c', '\\d')", ["a", "b", "c"]),
        ("[regex]::Split('a1b', '(\\d)')", ["a", "1", "b"]),  # captures stay in the result
        ("[regex]::Match('a.b', '.', 'Singleline').Value", ["a"]),
    ],
)  # fmt: skip
def test_static_regex_methods_are_dotnets(script: str, expected: list[Any]) -> None:
    assert expected == output_of(script)


def test_a_bad_pattern_is_dotnets_argument_exception() -> None:
    record = only_error("[regex]::Match('x', '(')")
    assert record.message.startswith('Exception calling "Match" with "2" argument(s): "parsing "("')
    assert "ArgumentException" == record.error_id


@pytest.mark.parametrize(
    ("script", "construct"),
    [
        ("[regex]::Match('a', 'a', 'RightToLeft')", "the option RightToLeft"),
        ("[regex]::Replace('a', 'a', { 'b' })", "a match evaluator"),
        ("[regex]::Unescape('a')", "[regex]::Unescape()"),
        (
            "$m = [regex]::Match('ab', '(a)(b)'); foreach ($g in $m.Groups) { $g.Value }",
            "[GroupCollection].Value",
        ),
    ],
)
def test_what_the_lab_does_not_model_of_regex_is_refused(script: str, construct: str) -> None:
    result = run(script)
    assert result.failed is not None
    assert "UnsupportedConstruct" == result.failed.error_id
    assert construct in result.failed.message
