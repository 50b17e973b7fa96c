"""What PowerShell's tokenizer reads otherwise than tree-sitter, and refuses: the lab used
to run these scripts (tree-sitter accepts them) where Windows PowerShell 5.1 refuses the
whole script before any of it runs.

* ``<`` outside a string is the stdin redirection PowerShell reserves ("The '<' operator
  is reserved for future use."); the lab read ``if ($a < 5)`` as a redirection it
  ignored, and answered the ``if``;
* a line that starts with ``|`` (PowerShell 7's leading pipe) is an empty pipe element
  in 5.1; the lab joined it to the line before;
* a line that starts with a binary operator (``-and``, ``+``, ``-f``, the ``,`` of an
  array) continuing an expression inside parentheses: PowerShell ends the expression at
  the line break; the lab joined the lines.

A backtick at the end of the line before continues it, in PowerShell as in the lab."""

from __future__ import annotations

import pytest

from psrunbook.sim.ps.semantic_checks import (
    EMPTY_PIPE_ELEMENT,
    REDIRECTION_NOT_SUPPORTED,
    UNEXPECTED_TOKEN,
)

from .helpers import assert_refused_at_parse, run


@pytest.mark.parametrize(
    ("script", "where", "message"),
    [
        ("$a = 1\nif ($a < 5) { 'small' }", (2, 8), REDIRECTION_NOT_SUPPORTED),
        ("Write-Output x < $null", (1, 16), REDIRECTION_NOT_SUPPORTED),
        ("icacls <file> /grant", (1, 8), REDIRECTION_NOT_SUPPORTED),
        ("Get-Thing\n| Write-Output", (2, 1), EMPTY_PIPE_ELEMENT),
        ("Get-Thing |\n    Write-Output\n    | Write-Output", (3, 5), EMPTY_PIPE_ELEMENT),
        (
            "$a = 1\n$b = 2\nif ($a -eq 1\n    -and $b -eq 2) { 'both' }",
            (4, 5),
            UNEXPECTED_TOKEN.format("-and"),
        ),
        ("$a = (1\n + 2)\n$a", (2, 2), UNEXPECTED_TOKEN.format("+")),
        ("$a = ('{0}'\n    -f 2)\n$a", (2, 5), UNEXPECTED_TOKEN.format("-f")),
        ("$a = ('x' -eq 'x'\n  -or $false)\n$a", (2, 3), UNEXPECTED_TOKEN.format("-or")),
        ("$a = (1\n,2)\n$a", (2, 1), UNEXPECTED_TOKEN.format(",")),
    ],
)
def test_what_the_tokenizer_refuses_refuses_the_whole_script(
    script: str, where: tuple[int, int], message: str
) -> None:
    assert_refused_at_parse(run(f"'ran'\n{script}"), where[0] + 1, where[1], message)


def test_a_comma_that_starts_a_line_after_blanks_refuses_the_script() -> None:
    result = run("'ran'\n$a = (1\n , 2)\n$a")
    assert [] == result.output
    assert result.failed is not None
    assert "line 3, column" in result.failed.message
    assert UNEXPECTED_TOKEN.format(",") in result.failed.message


def test_strings_comments_continuations_and_unary_operators_run() -> None:
    result = run(
        "'a <b> c'\n"
        '"x <y> $(1)"\n'
        "# if ($a < 5)\n"
        "<# icacls <file> #>\n"
        "$a = 1\n"
        "$b = 2\n"
        "if ($a -eq 1 -and\n    $b -eq 2) { 'end of line' }\n"
        "if ($a -eq 1 `\n    -and $b -eq 2) { 'backtick' }\n"
        "Write-Output 'piped' `\n| Write-Output\n"
        "$c = @(\n-1\n-not $true\n)\n$c\n"
        "$d = (\n-3)\n$d\n"
        "$e = $(4\n + 5)\n$e\n"
        "$f = @'\n| <x>\n-and\n'@\n$f\n"
        "Write-Output 1 2>$null\n"
    )
    assert result.failed is None, result.failed
    assert [
        "a <b> c",
        "x <y> 1",
        "end of line",
        "backtick",
        "piped",
        -1,
        False,
        -3,
        4,
        5,
        "| <x>\n-and",
        1,
    ] == result.output
