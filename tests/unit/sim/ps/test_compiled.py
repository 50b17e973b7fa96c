"""The compiled fast paths (plain variables, Int32 arithmetic and comparison, ``op=``,
``++``) give what the evaluator's full rules give, including at their edges: the same
node runs many times in a loop, so the first run compiles it and the rest reuse it."""

from __future__ import annotations

from typing import Any

import pytest

from psrunbook.sim.objects import PSInt64

from .helpers import run

CASES: list[tuple[str, list[Any]]] = [
    # Int32 overflows to Double on the third pass of the same compiled node
    (
        "$x = 2147483646; foreach ($n in 1..3) { $x = $x + 1; $x.GetType().Name }",
        ["Int32", "Double", "Double"],
    ),
    ("$x = 1073741824; for ($i = 0; $i -lt 2; $i++) { $x *= 2 }; $x.GetType().Name", ["Double"]),
    (
        "$x = -2147483647; $x -= 1; $x.GetType().Name; $x -= 1; $x.GetType().Name",
        ["Int32", "Double"],
    ),
    # the wider operand's type, strings, $null and bools through the same nodes
    ("$a = [long]1; $a += 1; $a.GetType().Name", ["Int64"]),
    ("$s = ''; for ($i = 0; $i -lt 3; $i++) { $s += $i }; $s", ["012"]),
    ("$n = $null; $n += 2; $n; $u++; $u", [2, 1]),
    ("$t = $true; $t + 1; 1 + $true", [2, 2]),
    ("$d = 1.5; for ($i = 0; $i -lt 2; $i++) { $d += 1 }; $d", [3.5]),
    ("$x = 7; $x /= 2; $x; $x = 7; $x %= 4; $x", [3.5, 3]),
    # comparisons: Int32 directly, anything else by PowerShell's rules
    (
        "$i = 0; while ($i -lt 3) { $i++ }; $i -eq 3; $i -ne 3; $i -ge 3; $i -gt 3",
        [True, False, True, False],
    ),
    ("$v = '10'; $v -gt 9; 10 -gt '9'; $null -lt 1", [False, True, True]),
    ("@(1, 2, 3) -gt 1", [2, 3]),
    # ++ as a value and as a statement
    ("$i = 5; $j = $i++; $j; $i; $k = ++$i; $k", [5, 6, 7]),
    ("$i = 5; $i--; --$i; $i", [3]),
    # typed variables keep converting on every pass
    (
        "[int]$c = 0; for ($i = 0; $i -lt 3; $i++) { $c += '2' }; $c; $c.GetType().Name",
        [6, "Int32"],
    ),
    ("[string]$s = 1; $s += 2; $s", ["12"]),
    # scopes: a child scope reads its parent's variable and assigns its own
    ("$x = 1; & { $x = $x + 1; $x }; $x", [2, 1]),
    ("$x = 1; $script:x += 1; $x; $global:x++; $x", [2, 3]),
    # ${braced} and $_ are plain variables
    ("${a b} = 1; ${a b} += 2; ${a b}", [3]),
    ("1..3 | ForEach-Object { $_ * 2 }", [2, 4, 6]),
]


@pytest.mark.parametrize(("script", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_compiled_paths_match_powershell(script: str, expected: list[Any]) -> None:
    result = run(script)
    assert result.failed is None, result.failed
    assert [] == result.errors
    assert expected == result.output


def test_long_arithmetic_stays_int64() -> None:
    """``[long]`` operands stay Int64 (``PSInt64``, ``<I64>`` on the wire) in a loop."""
    result = run("$a = [long]5; for ($i = 0; $i -lt 2; $i++) { $a = $a + 1 }; $a")
    assert [7] == result.output
    assert isinstance(result.output[0], PSInt64)


def test_unset_variable_under_strict_mode_fails_in_a_loop() -> None:
    """A compiled read of an unset variable still obeys Set-StrictMode."""
    result = run(
        "Set-StrictMode -Version 1; $i = 0; while ($i -lt 2) { $i++; if ($i -eq 2) { $nope } }"
    )
    assert result.errors or result.failed
    record = result.failed or result.errors[0]
    assert "nope" in record.message


def test_assigning_true_still_fails() -> None:
    result = run("$true = 1")
    record = result.failed or result.errors[0]
    assert "read-only" in record.message


EXPRESSION_CASES: list[tuple[str, list[Any]]] = [
    # a string without expansion is one value; one with $ or $( ) expands at every pass
    ("foreach ($i in 1..3) { 'a''b'; \"n$i\"; \"sum $($i + 1)\" }", [
        "a'b", "n1", "sum 2", "a'b", "n2", "sum 3", "a'b", "n3", "sum 4",
    ]),
    ("foreach ($i in 1..2) { \"plain\"; @'\nhere $i\n'@; @\"\nhere $i\n\"@ }", [
        "plain", "here $i", "here 1", "plain", "here $i", "here 2",
    ]),
    # $true, $false, $null in any case and braced, through the same node each pass
    ("foreach ($i in 1..2) { $TRUE; ${false}; $Null -eq $null }", [True, False, True] * 2),
    # casts: the type read once, the operand each pass
    ("foreach ($v in 1, '2', $null) { [string]$v; [int]$v; [bool]$v }", [
        "1", 1, True, "2", 2, True, "", 0, False,
    ]),
    (
        "foreach ($n in 'a', 'b') { $o = [PSCustomObject]@{ Name = $n; Len = $n.Length }; "
        "$o.Name; $o.Len }",
        ["a", 1, "b", 1],
    ),
    ("foreach ($n in 1, 2) { $h = [ordered]@{ A = $n; b = $n * 2 }; $h.A + $h.B }", [3, 6]),
    ("[PSCustomObject]'text'; [PSCustomObject]$null", ["text", None]),
    # member access on another target each pass; a computed name is read each pass
    ("foreach ($s in 'ab', 'abc') { $s.Length }", [2, 3]),
    ("$o = @{ x = 1; y = 2 }; foreach ($m in 'x', 'y') { $o.$m }", [1, 2]),
    # hash literals: keys and values in order, new tables each pass, computed keys
    (
        "$all = foreach ($i in 1..2) { @{ ('k' + $i) = $i; K = 0 } }; "
        "$all[0].K = 5; $all[0].k1; $all[1].k2; $all[1].K",
        [1, 2, 0],
    ),
    # a computed key met twice fails at that key, in the pass where it repeats
    (
        "foreach ($k in 'a', 'b') { try { @{ a = 1; ($k) = 2 } | ForEach-Object { $_.Count } } "
        "catch { 'dup' } }",
        ["dup", 2],
    ),
]


@pytest.mark.parametrize(
    ("script", "expected"), EXPRESSION_CASES, ids=[c[0][:60] for c in EXPRESSION_CASES]
)
def test_compiled_expressions_match_powershell(script: str, expected: list[Any]) -> None:
    """String literals, casts, member access and hash literals compiled once per node
    give every pass what the evaluator's own handlers give."""
    result = run(script)
    assert result.failed is None, result.failed
    assert [] == result.errors
    assert expected == result.output


def test_a_duplicate_key_fails_when_the_literal_runs_after_its_earlier_values() -> None:
    """``@{ a = ...; ('A') = ... }``: the first value is evaluated, then the key fails."""
    result = run(
        "$n = 0; try { @{ a = ($n = 1); ('A') = 2 } } catch { $_.FullyQualifiedErrorId }; $n"
    )
    assert ["DuplicateKeyInHashLiteral", 1] == result.output
