"""``else`` and ``elseif`` on a line of their own after an ``if`` that is a value.

PowerShell's ``IfStatementRule`` skips line breaks before them wherever the ``if`` is;
tree-sitter-powershell ended an assignment's ``if`` at the line break and read ``else``
as a command ("The term 'else' is not recognized"), so pypsrp 1.0's
``test_copy_file_expand_environment`` script failed in the lab.
"""

from __future__ import annotations

import pytest

from psrunbook.sim.ps.parser import parse
from tests.unit.sim.ps.helpers import run


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("$x = if ($false) {\n 1\n}\nelse {\n 2\n}\n$x", [2]),
        ("$x = if ($false) {\r\n 1\r\n}\r\nelse {\r\n 2\r\n}\r\n$x", [2]),
        ("$x = if ($false) {\n 1\n}\n\n  ELSE {\n 2\n}\n$x", [2]),
        ("$x = if ($false) { 1 }\nelseif ($true) { 3 }\nelse { 4 }\n$x", [3]),
        ("$x = if ($false) { 1 }\nelseif ($false) { 3 }\nelse { 4 }\n$x", [4]),
        ("$x = if ($true) { 1 }\nelse { 2 }\n$x + 10", [11]),
        ("if ($false) {\n 1\n}\nelse {\n 2\n}", [2]),
        (
            "$w = if (Get-Variable -Name IsWindows -ValueOnly -ErrorAction SilentlyContinue) {\n"
            "    $IsWindows\n}\nelse {\n    $true\n}\n$w",
            [True],
        ),
    ],
)
def test_else_after_a_line_break_belongs_to_the_if(script: str, expected: list[object]) -> None:
    result = run(script)
    assert [] == result.errors
    assert expected == result.output


def test_else_after_a_semicolon_is_still_a_command() -> None:
    """``}; else`` is not an ``if``'s else in PowerShell either (a parse error there;
    the lab reads tree-sitter's command, which fails when it runs: never kinder)."""
    result = run("$x = if ($false) { 1 }; else { 2 }")
    assert ["CommandNotFoundException"] == [e.error_id for e in result.errors]


def test_lines_after_the_joined_else_keep_their_numbers() -> None:
    """The join blanks the line break in the copy tree-sitter reads, not in the script:
    an error after it is reported on its own line."""
    result = run("$x = if ($false) {\n 1\n}\nelse {\n 2\n}\nnosuchcommand")
    assert [7] == [e.script_line for e in result.errors]


def test_the_script_text_is_kept_as_sent() -> None:
    text = "$x = if ($false) {\n 1\n}\nelse {\n 2\n}"
    assert text == parse(text).text
