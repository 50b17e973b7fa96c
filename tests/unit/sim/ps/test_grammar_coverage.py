"""Every node type tree-sitter-powershell can produce is either evaluated as Windows
PowerShell 5.1 does or refused by name (``UNSUPPORTED_NODES`` and the other refusals
of ``parser.py``), never left to a generic "unsupported construct".

The node types come from the installed grammar itself (its ``Language``), so a new
grammar version with a new node type fails :func:`test_every_node_type_is_covered`
until a snippet here shows what the lab does with it.
"""

from __future__ import annotations

from typing import Any

import pytest
import tree_sitter
import tree_sitter_powershell

from psrunbook.lint import lint_script
from psrunbook.sim.ps.parser import UNSUPPORTED_NODES, parse_uncached

from .helpers import run

METHOD_ARGUMENTS: list[tuple[str, list[Any]]] = [
    # each *_argument_expression node evaluates as its ordinary expression
    ("$s = 'hello'; $s.Substring($s.Length - 2)", ["lo"]),
    ("$s = 'abc'; $s.Substring(0, $s.Length - 1)", ["ab"]),
    ("[math]::Max(1+1, 3); [math]::Max(2 * 3, 3)", [3, 6]),
    ("$x = 4; [string]::Format('{0}', $x * 2)", ["8"]),
    ("[math]::Abs(-7 % 4); [string]::Format('{0}', 7 / 2)", [3, "3.5"]),
    (
        "$x = $true; $y = $false; [string]::Format('{0} {1} {2}', $x -and $y, $x -or $y, "
        "$x -xor $y)",
        ["False True True"],
    ),
    ("$x = $true; [string]::Format('{0}', $x -and $x -or $false)", ["True"]),
    (
        "[string]::Format('{0} {1} {2}', 'a' -like 'A*', 'abc' -match 'b', 'x' -notmatch 'x')",
        ["True True False"],
    ),
    ("[string]::Format('{0} {1}', (1, 2) -contains 2, 2 -in (1, 2))", ["True True"]),
    ("[string]::Format('{0}', 'a' -is [string])", ["True"]),
    ("[math]::Max(1, '5' -as [int])", [5]),
    ("[string]::Format('{0}', 1 -eq 1); [math]::Max(2 -gt 1, 0)", ["True", 1]),
    ("[string]::Format('{0}', ('{0}-{1}' -f 1, 2))", ["1-2"]),
    ("[string]::Format('{0}', '{0}!' -f 'x')", ["x!"]),
    ("[string]::Join(',', 1..3); [string]::Join(',', (1..3))", ["1,2,3", "1,2,3"]),
    ("[string]::Format('{0} {1}', -not $true, !$false)", ["False True"]),
    ("[math]::Max([int]'3' + 1, 2); [math]::Abs(-3)", [4, 3]),
    ("[string]::Join('-', 'a,b'.Split(',') + 'c')", ["a-b-c"]),
    # separate arguments stay separate; an array in parentheses stays one argument
    ("[string]::Join(',', (1, 2)); [string]::Format('{0}|{1}', 1, 2)", ["1,2", "1|2"]),
    ("$h = @{}; $h.Add('k' + 1, 2 * 3); $h['k1']", [6]),
    # a method call with arithmetic inside a subexpression of a string
    ("$x = 'hello'; \"up: $($x.ToUpper().Substring(0, $x.Length - 3))\"", ["up: HE"]),
]


@pytest.mark.parametrize(
    ("script", "expected"), METHOD_ARGUMENTS, ids=[c[0][:60] for c in METHOD_ARGUMENTS]
)
def test_method_arguments_are_expressions(script: str, expected: list[Any]) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert [] == result.errors
    assert expected == result.output


SWITCH_ON_ONE_LINE: list[tuple[str, list[Any]]] = [
    # tree-sitter reads `} default {` on one line as an error (see parser._break_after)
    ("switch (3) { 3 { 'three' } default { 'other' } }", ["three"]),
    ("switch (3) { 4 { 'four' } 5 { 'five' } default { 'other' } }", ["other"]),
    ("switch -Regex ('ab') { 'a' { 'A' } default { 'other' } }", ["A"]),
    ("switch (3) { { $_ -gt 1 } { 'big' } default { 'small' } }", ["big"]),
    ("function f($x) { switch ($x) { 1 { 'a' } default { 'b' } } }; f 2", ["b"]),
]


@pytest.mark.parametrize(
    ("script", "expected"), SWITCH_ON_ONE_LINE, ids=[c[0][:60] for c in SWITCH_ON_ONE_LINE]
)
def test_switch_default_on_the_same_line(script: str, expected: list[Any]) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert expected == result.output


@pytest.mark.parametrize("script", [c[0] for c in METHOD_ARGUMENTS + SWITCH_ON_ONE_LINE])
def test_linter_finds_no_error_in_valid_powershell(script: str) -> None:
    findings = lint_script(script, source="t.ps1")
    assert [] == [f for f in findings if f.severity == "error"]


@pytest.mark.parametrize(
    "script",
    [
        "[math]::Max(1 -band 3, 0)",
        "$s = 'abcdefg'; $s.Substring(1, 6 -bor 1)",
        "[math]::Max(1, 6 -BXOR 3)",
    ],
)
def test_bitwise_operator_in_a_method_argument_is_refused_by_name(script: str) -> None:
    """The grammar cannot parse it (its bitwise_argument_expression takes -and/-or/-xor):
    a refusal that names the operator and the fix, not a parse error at another token."""
    result = run(script)
    assert result.failed is not None
    assert "-band/-bor/-bxor directly in a method argument" in result.failed.message
    assert "parentheses" in result.failed.message


def test_type_literal_before_an_argument_comma_is_refused_by_name() -> None:
    """tree-sitter reads ``[int], 1`` as a cast of ``,1``; PowerShell as two arguments."""
    result = run("[math]::Max('5' -as [int], 1)")
    assert result.failed is not None
    assert "type literal followed by a comma in a method argument" in result.failed.message
    assert [5] == run("[math]::Max(1, '5' -as [int])").output


def test_bitwise_operator_in_parentheses_in_a_method_argument() -> None:
    assert [1, 7] == run("[math]::Max((1 -band 3), 0); [math]::Max(0, (6 -bor 1))").output


SUPPORTED: list[tuple[str, list[Any]]] = [
    # literals and strings
    ("0x10; 1.5; 2KB", [16, 1.5, 2048]),
    ("'it''s'; $x = 'a'; \"$x b ${x}\"", ["it's", "a b a"]),
    ('@"\nhere $(1 + 1)\n"@', ["here 2"]),
    ("@'\nverbatim $x\n'@", ["verbatim $x"]),
    ("# comment\n<# block #> 2", [2]),
    # variables, arrays, hashtables
    ("$env:COMPUTERNAME", ["NODE1"]),
    ("$a = 1, 2; $a[1]; @(3).Count; ,4 | ForEach-Object { $_ }", [2, 1, 4]),
    ("$h = @{ (1 + 1) = 'two'; 'k' = 1 }; $h[2]; @{ ('a' + 'b') = 1 }.ab", ["two", 1]),
    (
        "[pscustomobject]@{ A = 1 + 1 }.A; $x = [ordered]@{ b = 1; a = 2 }; $x.Keys -join ','",
        [2, "b,a"],
    ),
    ('$a = @(1, 2, 3); "n: $($a.Count) $($a[0].ToString())"', ["n: 3 1"]),
    # operators
    ("$x = 5; $x -band 4; $x -bor 2; $x -bxor 1; -bnot 0", [4, 7, 4, -1]),
    (
        "1 -eq 1 -and 2 -gt 1; 'a' -like 'A'; (1..3) -join ''; '{0}' -f 'x'",
        [True, True, "123", "x"],
    ),
    ("[int]'5' + [int]'6'; 7 % 4; 1, 2 + 3", [11, 3, 1, 2, 3]),
    ("[int[]]$n = 1, 2; $n.Count; [int]::MaxValue", [2, 2147483647]),
    (
        "$t = [System.Collections.Generic.List[string]]; [string]$t -eq "
        "'System.Collections.Generic.List[string]'",
        [True],
    ),
    ("$i = 1; $i++; ++$i; $i--; --$i; $i; $x = 1; $x += 2; $x", [1, 3]),
    # statements
    ("if ($false) { 1 } elseif ($true) { 2 } else { 3 }", [2]),
    ("for ($i = 0; $i -lt 2; $i++) { $i }; foreach ($x in 1, 2) { $x }", [0, 1, 1, 2]),
    ("$i = 0; while ($i -lt 2) { $i++ }; $i", [2]),
    ("do { 'once' } while ($false); do { 'twice' } until ($true)", ["once", "twice"]),
    ("switch -Wildcard ('ab') { 'a*' { 'yes' } }", ["yes"]),
    (
        "try { throw 'x' } catch [System.Management.Automation.RuntimeException] { 'caught' } "
        "finally { 'done' }",
        ["caught", "done"],
    ),
    ("try { 1 } catch [ArgumentException], [InvalidOperationException] { 2 }", [1]),
    ("foreach ($i in 1..3) { if ($i -eq 2) { continue }; if ($i -eq 3) { break }; $i }", [1]),
    ("function f { return 1; 2 }; f", [1]),
    (";", []),
    # functions, parameters, named blocks
    (
        "function f { [CmdletBinding()]\nparam([Parameter(Mandatory = $true, Position = 0)]"
        "[ValidateSet('a', 'b')][string]$N)\n$N }; f a",
        ["a"],
    ),
    ("function g($a = 2) { $a }; g", [2]),
    ("param($A = 1)\n$A", [1]),
    ("function Get-X { begin { 'b' } process { 'p' } end { 'e' } }; Get-X", ["b", "p", "e"]),
    # commands, pipelines, redirections
    ("Get-Thing alpha | Select-Object -ExpandProperty Name", ["alpha"]),
    ("Get-Thing -Name alpha, beta | ForEach-Object Name", ["alpha", "beta"]),
    ("Get-Thing -Name:('al' + 'pha') -Count (1 + 1) | ForEach-Object Name", ["alpha"]),
    ("$p = @{ Name = 'alpha' }; Get-Thing @p | ForEach-Object Name", ["alpha"]),
    ("& { 'block' }; Write-Output 1 2>&1; Write-Output 2 > $null; 'x' | Out-Null", ["block", 1]),
    ("Write-Output 1 2>$null 3>$null; 1 > $null", [1]),
    ("$null -eq $(if ($true) { $null })", [True]),
    ("$a = 1..3; $a.Where({ $_ -gt 1 })", [2, 3]),
]


@pytest.mark.parametrize(("script", "expected"), SUPPORTED, ids=[c[0][:60] for c in SUPPORTED])
def test_supported_node_types(script: str, expected: list[Any]) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert [] == result.errors
    assert expected == result.output


REFUSED: list[tuple[str, str]] = [
    ("class C { static [int]$P = 1; [int] M([int]$x) { return $x } }", "class definition"),
    ("enum E { A = 1 }", "enum definition"),
    ("data { 'x' }", "data section"),
    ("data d -SupportedCommand Get-Date { 'x' }", "data section"),
    ("trap { 'trapped'; continue }; throw 'x'", "trap statement"),
    ("Get-Thing alpha && 'next'", "pipeline chain operator"),
    ("workflow w { parallel { 1 } }", "parallel block"),
    ("workflow w { sequence { 1 } }", "sequence block"),
    ("workflow w { inlinescript { 1 } }", "inlinescript block"),
    ("workflow w { foreach -parallel ($x in 1, 2) { $x } }", "workflow"),
    ("switch -File x { default { $_ } }", "switch -File"),
    ("icacls --% a b", "stop-parsing token"),
    (":outer while ($true) { break outer }", "loop label"),
    ("while ($true) { break :outer }", "loop label"),
    ("$x = 1; while ($true) { break $x }", "loop label"),
    ("[int[,]]$null", "cast to [int[,]]"),
    ("$a = 1, 2; $a.foreach{ $_ }", "foreach method call"),
    (". { 1 }", "dot-sourcing"),
    ("Read-Host", "command Read-Host"),
    ("function f { dynamicparam { } end { 1 } }; f", "dynamicparam block"),
]


@pytest.mark.parametrize(("script", "construct"), REFUSED, ids=[c[0][:60] for c in REFUSED])
def test_refused_node_types_are_named(script: str, construct: str) -> None:
    result = run(script)
    assert result.failed is not None
    assert result.failed.message.startswith("unsupported construct at line 1: " + construct)


def _named_types() -> set[str]:
    language = tree_sitter.Language(tree_sitter_powershell.language())
    return {
        language.node_kind_for_id(i) or ""
        for i in range(language.node_kind_count)
        if language.node_kind_is_named(i) and language.node_kind_is_visible(i)
    }


def _types_in(tree: tree_sitter.Tree) -> set[str]:
    """The node types in ``tree``; "ERROR" or "MISSING" when it has either."""
    found: set[str] = set()
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        found.add("ERROR" if node.is_error else "MISSING" if node.is_missing else node.type)
        stack.extend(node.children)
    return found


def test_every_node_type_is_covered() -> None:
    """Each named node type occurs in a snippet above that runs (its parse, as the lab
    mends it, has no error) or in one that is refused by name."""
    language = tree_sitter.Language(tree_sitter_powershell.language())
    covered: set[str] = set()
    for script, _ in METHOD_ARGUMENTS + SWITCH_ON_ONE_LINE + SUPPORTED:
        found = _types_in(parse_uncached(script).tree)
        assert not {"ERROR", "MISSING"} & found, script
        covered |= found
    for script, _ in REFUSED:
        covered |= _types_in(tree_sitter.Parser(language).parse(script.encode()))
    missing = sorted(_named_types() - covered - set(UNSUPPORTED_NODES))
    assert [] == missing
