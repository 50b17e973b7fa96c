"""A statement that starts with a number is an expression, as PowerShell parses it.

PowerShell's tokenizer reads ``1..3`` or ``0x10`` at the start of a statement as a number
(and the range operator), so the statement is in expression mode (about_Parsing):
``1..3 -join ''`` is ``'123'``. tree-sitter-powershell reads the same text as a command
named ``1..3`` with the arguments ``-join ''``, which the lab used to report as an unknown
command. A name that is no number (``7z``) stays a command, as on Windows.
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import run

CASES: list[tuple[str, list[Any]]] = [
    ("1..3 -join ''", ["123"]),
    ("$x = 1..3 -join ','; $x", ["1,2,3"]),
    ("1..3 + 4", [1, 2, 3, 4]),
    ("1..3 -contains 2", [True]),
    ("$n = 4; 2..$n -join '-'", ["2-3-4"]),
    ("$n = 3; 1..$n", [1, 2, 3]),
    ("$n = 3; (1..$n).Count", [3]),
    ("1..(2+1) -join ','", ["1,2,3"]),
    ("1..3 -join '' 2>$null", ["123"]),
    ("0x10 + 1", [17]),
    ("2KB / 2", [1024]),
    ("2KB + 1", [2049]),
    ("1.5KB + 1", [1537.0]),
    ("1.5kb", [1536.0]),
    ("2PB", [2251799813685248]),
    ("0X10 + 1", [17]),
    ("1e3", [1000.0]),
    ("1E3 + 1", [1001.0]),
    ("$s = 1..3 | ForEach-Object { $_ * 2 }; $s -join ' '", ["2 4 6"]),
]


@pytest.mark.parametrize(("script", "expected"), CASES, ids=[c[0] for c in CASES])
def test_a_statement_starting_with_a_number_is_an_expression(
    script: str, expected: list[Any]
) -> None:
    result = run(script)
    assert result.failed is None
    assert [] == result.errors
    assert expected == result.output


def test_a_name_that_is_no_number_stays_a_command() -> None:
    result = run("7z a x.7z")
    assert [] == result.output
    assert ["CommandNotFoundException"] == [e.error_id for e in result.errors]
