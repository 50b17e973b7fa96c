"""The unary comma with a space after it (``, 2``), or opening a line (``@(1`` / ``, 2)``):
the lexer closes such a comma up to its operand before parsing, and the evaluator read
the operator's text at its old place as "", which it took for a minus: ``$b = , 2`` was
-2. A one-element array, as PowerShell makes it."""

from __future__ import annotations

from .helpers import run


def test_a_spaced_unary_comma_makes_a_one_element_array() -> None:
    result = run("$b = , 2\n$b.Count\n$b[0]\n$b.GetType().Name")
    assert result.failed is None, result.failed
    assert [1, 2, "Object[]"] == result.output


def test_a_comma_opening_a_line_in_an_array_subexpression_adds_the_element() -> None:
    result = run('$a = @(1\n, 2)\n$a -join "|"')
    assert result.failed is None, result.failed
    assert ["1|2"] == result.output


def test_minus_and_unspaced_comma_are_unchanged() -> None:
    result = run("$x = 3\n-$x\n$c = ,5\n$c[0]")
    assert result.failed is None, result.failed
    assert [-3, 5] == result.output
