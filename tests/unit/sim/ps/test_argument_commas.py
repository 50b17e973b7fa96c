"""``Select-Object Name, State``: a bare word after ``, `` is one array argument.

tree-sitter-powershell cannot parse it; the shared front end (``lexer.spaced_commas``,
``parser.is_comma_continuation``) makes the evaluator and the linter read it as
PowerShell does (blanks around a comma do not matter, about_Parsing).
"""

from __future__ import annotations

import pytest

from psrunbook.lint import lint_script
from psrunbook.sim.ps.lexer import normalise, spaced_commas
from tests.unit.sim.ps.helpers import run

SCRIPTS = [
    "Get-Thing | Select-Object Name, Value",
    "Get-Thing | Select-Object -Property Name,Value",
    "Get-Thing | Select-Object -Property Name, Value",
    "Get-Thing | Select-Object Name ,Value",
    "Get-Thing | Select-Object -Property Name,\tValue",
]


@pytest.mark.parametrize("script", SCRIPTS)
def test_comma_separated_bare_words_are_one_array_argument(script: str) -> None:
    result = run(script)
    assert result.failed is None
    assert [list(o.properties) for o in result.output] == [["Name", "Value"]] * len(result.output)
    assert result.output


@pytest.mark.parametrize("script", SCRIPTS)
def test_linter_accepts_comma_separated_bare_words(script: str) -> None:
    assert lint_script(script, source="s") == []


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("Write-Output a, b, c", ["a", "b", "c"]),
        ("Write-Output a,b, c", ["a", "b", "c"]),
        ("Write-Output 'a', b", ["a", "b"]),
        ("Write-Output a, 'b'", ["a", "b"]),
        ("Write-Output a, 2", ["a", 2]),
        ("$x = 'b'; Write-Output a,$x, c,x$x", ["a", "b", "c", "xb"]),
        ("(Write-Output ,a).Count; (Write-Output -InputObject ,a).Count", [1, 1]),
        ("'x, y'; 'x' # a, b", ["x, y", "x"]),
    ],
)
def test_comma_arguments_keep_powershell_values(script: str, expected: list[object]) -> None:
    result = run(script)
    assert result.failed is None
    assert result.output == expected


def test_comma_rewrite_keeps_length_strings_comments_and_line_breaks() -> None:
    text = "f a, b 'c, d' \"e, $(g h, i)\" # j, k\nf l,\nm"
    moved = "f a ,b 'c, d' \"e, $(g h ,i)\" # j, k\nf l,\nm"
    assert normalise(text) == moved
    assert spaced_commas(text) == moved
    assert spaced_commas("f ‘a, b") == "f ‘a, b"  # unterminated: tree-sitter reports it


def test_linter_binds_comma_list_as_one_positional_argument() -> None:
    assert lint_script("Get-ClusterGroup a, b", source="s") == []
    assert lint_script("Set-ClusterOwnerNode -Resource r -Owners NODE1, NODE2", source="s") == []


def test_quoted_element_glued_to_a_comma_is_refused_not_misread() -> None:
    result = run("Write-Output a,'b'")
    assert result.failed is not None
    assert result.failed.error_id == "UnsupportedConstruct"
    assert result.output == []
