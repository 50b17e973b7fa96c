"""PSR008 .. PSR013: what tree-sitter (and so the linter) accepted and Windows PowerShell
5.1 refuses as a whole script: ``<`` outside a string, a line starting with ``|`` or with
a binary operator continuing an expression, ``&&`` / ``||``, a hash literal with a key
twice, and a ``<#`` comment that never ends. Each of these linted clean before."""

from __future__ import annotations

import pytest

from psrunbook.lint import lint_script


def _found(text: str) -> list[tuple[str, int, int]]:
    return [(f.code, f.line, f.column) for f in lint_script(text, source="t.ps1")]


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("$a = 1\nif ($a < 5) { 'small' }\n", [("PSR008", 2, 8)]),
        ("icacls <file> /grant\n", [("PSR008", 1, 8)]),
        ("Get-Service\n| Select-Object -First 1\n", [("PSR009", 2, 1)]),
        ("$a = 1\nif ($a -eq 1\n    -and $true) { 'y' }\n", [("PSR010", 3, 5)]),
        ("$a = ('{0}'\n    -f 2)\n$a\n", [("PSR010", 2, 5)]),
        ("$a = (1\n + 2)\n$a\n", [("PSR010", 2, 2)]),
        ("Get-Service && 'ok'\n", [("PSR011", 1, 13)]),
        ("Get-Service || 'failed'\n", [("PSR011", 1, 13)]),
        ("$p = @{ Name = 'a'; ErrorAction = 'Stop'; name = 'b' }\n$p\n", [("PSR012", 1, 43)]),
        ("$p = @{\n    Force = $true\n    force = $false\n}\n$p\n", [("PSR012", 3, 5)]),
        ("'a'\n<# a comment that does not end\n'b'\n", [("PSR013", 2, 1)]),
    ],
)
def test_what_windows_refuses_is_found(script: str, expected: list[tuple[str, int, int]]) -> None:
    assert expected == _found(script)


def test_the_same_characters_where_powershell_reads_them_alike_pass() -> None:
    assert [] == _found(
        "'a <b> c'\n"
        '"x <y> $(1) && || @{a=1; a=2}"\n'
        "# if ($a < 5) <# never ends\n"
        "<# icacls <file> #>\n"
        "$a = 1\n"
        "if ($a -eq 1 -and\n    $true) { 'end of line' }\n"
        "if ($a -eq 1 `\n    -and $true) { 'backtick' }\n"
        "Write-Output 'piped' `\n| Write-Output\n"
        "$c = @(\n-1\n-not $true\n)\n$c\n"
        "$e = $(4\n + 5)\n$e\n"
        "$h = @{ a = 1; b = @{ a = 2 }; $a = 3; 'c' = 4 }\n$h\n"
        "Write-Output 1 2>$null\n"
    )


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("Write-Output\u00a0'x'\n", [("PSR014", 1, 13)]),
        ("$a\u2003= 1\n$a\n", [("PSR014", 1, 3)]),
        ("Write-Output 'a\u00a0b' \"c\u00a0$(1)\" # d\u00a0e\n", []),
    ],
)
def test_a_unicode_blank_outside_strings_is_found(
    script: str, expected: list[tuple[str, int, int]]
) -> None:
    """PowerShell's tokenizer reads a no-break space (and the other Unicode blanks) as a
    space; tree-sitter reads it as part of a word, so ``Write-Output<NBSP>'x'`` was one
    command name in the lab and in the linter, and a clean script."""
    assert expected == [f for f in _found(script) if f[0] == "PSR014"]
