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
