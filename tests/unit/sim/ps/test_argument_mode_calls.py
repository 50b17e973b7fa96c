"""Method calls and ``[`` in argument mode, as PowerShell parses them (about_Parsing).

tree-sitter reads ``Write-Output $s.Substring(1)`` as two elements, a member access and
an argument list; the lab passed ``$s.Substring`` ($null) and then 1, where PowerShell
passes the method's result. ``[`` does not start an expression in argument mode, so
``Write-Output [int]::MaxValue`` writes that text; the lab evaluated it.
"""

from __future__ import annotations

from typing import Any

import pytest

from .helpers import run


@pytest.mark.parametrize(
    ("script", "output"),
    [
        ("$s = 'abc'; Write-Output $s.Substring(1)", ["bc"]),
        ("$s = 'abc'; Write-Output $s.Substring(1, 1)", ["b"]),
        ("Write-Output ('abc').ToUpper()", ["ABC"]),
        ("$s = 'abc'; Write-Output -InputObject:$s.ToUpper()", ["ABC"]),
        ("$h = @{ a = 'x' }; Write-Output $h.a.ToUpper()", ["X"]),
        # a blank before the list: two arguments, as in PowerShell
        ("$s = 'abc'; Write-Output $s.Length (1)", [3, 1]),
        # '[' is a bare word's start: the text, then the list as the next argument
        ("Write-Output [int]::MaxValue", ["[int]::MaxValue"]),
        (
            "Write-Output [IO.Path]::GetFileName('C:\\a\\b.txt')",
            ["[IO.Path]::GetFileName", "C:\\a\\b.txt"],
        ),
        ("$y = 3; Write-Output [x]$y", ["[x]3"]),
        ("Write-Output ([int]::MaxValue)", [2147483647]),
        ("Get-Thing -Name ('ALPHA').ToLower() | ForEach-Object Name", ["alpha"]),
    ],
)
def test_an_argument_is_read_as_powershell_reads_it(script: str, output: list[Any]) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert [] == result.errors
    assert output == result.output
