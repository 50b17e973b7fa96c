"""The intrinsic ``.Where()``/``.ForEach()`` methods (PowerShell 4+, about_Arrays) and
``switch`` options abbreviated as PowerShell's parser allows (``switch -w``)."""

from __future__ import annotations

import pytest

from psrunbook.lint import lint_script

from .helpers import run


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("$a = 1..4; $a.ForEach({ $_ * 2 })", [2, 4, 6, 8]),
        ("(1..3).foreach({ \"n$_\" })", ["n1", "n2", "n3"]),
        ("'abc'.ForEach({ $_.ToUpper() })", ["ABC"]),
        ("(1..2).ForEach({ param($s) \"$_$s\" }, '!')", ["1!", "2!"]),
        ("@([pscustomobject]@{N=1}, [pscustomobject]@{N=2}).ForEach('N')", [1, 2]),
        ("(1..5).Where({ $_ -gt 2 })", [3, 4, 5]),
        ("(1..5).Where({ $_ -gt 2 }, 'First')", [3]),
        ("(1..5).Where({ $_ -gt 2 }, 'First', 2)", [3, 4]),
        ("(1..5).Where({ $_ -gt 2 }, 'Last')", [5]),
        ("(1..5).Where({ $_ -gt 2 }, 'SkipUntil')", [3, 4, 5]),
        ("(1..5).Where({ $_ -gt 2 }, 'Until')", [1, 2]),
        ("$s = (1..5).Where({ $_ % 2 }, 'Split'); $s[0] -join ','; $s[1] -join ','",
         ["1,3,5", "2,4"]),
        ("$r = (1..5).Where({ $_ -eq 3 }); $r.Count", [1]),
        ("$x = 'a.foreach(b)'; $x", ["a.foreach(b)"]),
    ],
)  # fmt: skip
def test_where_and_foreach_methods(script: str, expected: list[object]) -> None:
    """``$a.ForEach({ })`` is a tree-sitter parse error unless mended (parse_mended)."""
    result = run(script)
    assert (None, []) == (result.failed, result.errors)
    assert expected == result.output


def test_where_with_an_unknown_mode_is_an_error() -> None:
    result = run("(1..3).Where({ $_ }, 'Bogus'); 'next'")
    assert ["next"] == result.output
    assert ["MethodArgumentConversionInvalidCastArgument"] == [e.error_id for e in result.errors]


def test_foreach_of_a_method_name_is_refused_by_name() -> None:
    result = run("(1..3).ForEach('ToString')")
    assert result.failed is not None
    assert "ForEach() other than" in result.failed.message


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ('switch -wild ("abc") { "a*" { "hit" } }', ["hit"]),
        ('switch -w -c ("abc") { "A*" { "hit" } default { "miss" } }', ["miss"]),
        ("switch -R ('abc') { '^a(b)' { $Matches[1] } }", ["b"]),
        ("switch -Regex -e ('a.c') { 'abc' { 'regex' } 'a.c' { 'exact' } }", ["exact"]),
        ("switch -casesens ('A') { 'a' { 'hit' } default { 'miss' } }", ["miss"]),
    ],
)
def test_switch_options_take_any_prefix(script: str, expected: list[str]) -> None:
    """PS-src Parser.cs SwitchStatementRule: IsSpecificParameter is a prefix test."""
    result = run(script)
    assert (None, expected) == (result.failed, result.output)
    assert [] == [f.code for f in lint_script(script, source="t.ps1")]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("switch - w ('abc') { a* { 'hit' } }", "parse error"),
        ("switch -p ('abc') { a { 'hit' } }", "switch parameter"),
    ],
)
def test_what_is_no_switch_option_is_refused(script: str, expected: str) -> None:
    result = run(script)
    assert result.failed is not None
    assert expected in result.failed.message


def test_a_double_quoted_switch_label_matches_its_text() -> None:
    """``"a"`` as a clause is the string a (tree-sitter leaves it one token with quotes)."""
    result = run('$y = "b"; foreach ($v in "a", "b") { switch ($v) { "a" { 1 } "$y" { 2 } } }')
    assert [1, 2] == result.output
