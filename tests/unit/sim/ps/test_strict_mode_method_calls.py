"""``f(1, 2)`` under Set-StrictMode 2 or later is an error, as Windows makes it.

Set-StrictMode's reference: version 2.0 "prohibits function calls that use the syntax
for calling methods". PowerShell's compiler (VisitCommand) throws the RuntimeException
StrictModeFunctionCallWithParens when a command's one argument is a parenthesised array
written right after its name; the lab ran such a call as ``f`` with one array argument.
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import run

_DEFINE = "function f($a, $b) { \"$a|$b\" }\n"


def test_a_method_style_call_is_an_error_in_strict_mode() -> None:
    result = run("Set-StrictMode -Version 2\n" + _DEFINE + "f(1, 2)\n'after'")
    assert result.failed is None, result.failed
    assert ["after"] == result.output  # statement-terminating: the script goes on
    assert [("StrictModeFunctionCallWithParens", "InvalidOperation")] == [
        (e.error_id, e.category) for e in result.errors
    ]
    assert result.errors[0].message.startswith(
        "The function or command was called as if it were a method."
    )


@pytest.mark.parametrize(
    ("script", "output"),
    [
        (_DEFINE + "f(1, 2)", ["1 2|"]),  # strict mode off: one array argument
        ("Set-StrictMode -Version 2\n" + _DEFINE + "f (1, 2)", ["1 2|"]),  # a blank
        ("Set-StrictMode -Version 2\n" + _DEFINE + "f(1)", ["1|"]),  # not an array
        ("Set-StrictMode -Version 2\n" + _DEFINE + "f 1 2", ["1|2"]),
        ("Set-StrictMode -Version 1\n" + _DEFINE + "f(1, 2)", ["1 2|"]),
    ],
)
def test_other_calls_are_calls(script: str, output: list[Any]) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert [] == result.errors
    assert output == result.output
