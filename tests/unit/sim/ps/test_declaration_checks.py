"""A parameter named twice, or an attribute's named argument given twice: PowerShell's
parser refuses the whole script before any of it runs, and so does the lab."""

from __future__ import annotations

import pytest

from psrunbook.sim.ps.exceptions import PARSE_ERROR_ID

from .helpers import run


@pytest.mark.parametrize(
    ("script", "where", "message"),
    [
        # PowerShell's own test: ShouldBeParseError '...' DuplicateFormalParameter 27
        ("function f { param($a,[int]$a) }", (1, 28), "Duplicate parameter $a in parameter list."),
        ("function f($a,[int]$a) { }", (1, 20), "Duplicate parameter $a in parameter list."),
        ("param($Name, [string]$NAME)", (1, 22), "Duplicate parameter $NAME in parameter list."),
        ("param($a, ${A})", (1, 11), "Duplicate parameter $A in parameter list."),
        (
            "param([Parameter(Mandatory = $true, mandatory = $false)]$a)",
            (1, 37),
            "Duplicate named argument 'mandatory'.",
        ),
    ],
)
def test_a_repeated_declaration_refuses_the_whole_script(
    script: str, where: tuple[int, int], message: str
) -> None:
    result = run(f"{script}\n'ran'")
    assert [] == result.output
    assert result.failed is not None
    assert PARSE_ERROR_ID == result.failed.error_id
    assert f"line {where[0]}, column {where[1]}: {message}" in result.failed.message


def test_the_same_name_in_two_lists_and_distinct_names_run() -> None:
    result = run(
        'function f { param([Parameter(Mandatory = $true, Position = 0)]$a, $b) "$a$b" }\n'
        "function g($a) { $a }\n"
        "f 1 -b 2\ng 3"
    )
    assert result.failed is None, result.failed
    assert ["12", 3] == result.output
