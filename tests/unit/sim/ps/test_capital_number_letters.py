"""A numeric literal's suffix, multiplier or exponent in capitals, anywhere in a script.

PowerShell reads ``1GB``, ``1L``, ``1E3`` in any case (about_Numeric_Literals; Microsoft's
examples write ``Length -gt 1MB``). tree-sitter-powershell 0.26.4 reads them only in
lower case, so ``$size / 1GB`` was a parse error in the lab and in the linter; only a
statement that starts with the number parsed (its own path, test_expression_statements).
"""

from __future__ import annotations

from typing import Any

import pytest

from psrunbook.lint import lint_script

from .helpers import run

CASES: list[tuple[str, list[Any]]] = [
    ("$size = 5GB; $size / 1GB", [5]),
    ("[int](3MB / 1KB)", [3072]),
    ("2 * 1Mb", [2097152]),
    ("1 + 1E3", [1001.0]),
    ("1 + 2E-1", [1.2]),
    ("10 - 1L", [9]),
    ("(Write-Output 1TB) / 1PB", [1 / 1024]),
    ("if (4GB -gt 1GB) { 'bigger' }", ["bigger"]),
    ("Write-Output 2GB", [2147483648]),
    ("Write-Output 1E3 5L -1KB 7z", [1000.0, 5, -1024, "7z"]),
    ("0xFF + 0x1D", [284]),
    ("'1GB stays text'; \"in $(1KB) too\"", ["1GB stays text", "in 1024 too"]),
]


@pytest.mark.parametrize(("script", "expected"), CASES)
def test_capital_number_letters_are_numbers(script: str, expected: list[Any]) -> None:
    result = run(script)
    assert (result.failed, result.errors) == (None, [])
    assert result.output == expected


def test_a_word_with_digits_and_capitals_stays_a_word() -> None:
    """``Disk1GB`` is a name, not a number, whatever the case of its letters."""
    result = run("function Disk1GB { 'called' }; Disk1GB; $Disk1GB = 3; $Disk1GB")
    assert (result.failed, result.output) == (None, ["called", 3])


def test_a_comment_or_word_keeps_its_capitals_in_the_tree() -> None:
    """A script that parses as sent is not re-read, so a tree's text is the script's:
    ``<U+000D>`` in a comment stays as written (the review files put such comments in)."""
    from psrunbook.lint import parse  # noqa: PLC0415

    script = "# (<U+000D>) 1GB\nWrite-Output 1\n"
    assert parse(script).root_node.text == script.encode()


def test_the_linter_reads_capital_multipliers_as_powershell_does() -> None:
    text = "param([long]$Size)\n$Size / 1GB -gt 2TB\n"
    assert lint_script(text, source="capital.ps1") == []
