"""Attribute arguments: PowerShell's parser refuses a script with one that is not a
constant or a script block, and so does the lab; a ``param()`` block with literal
arguments only is read once per parsed script, any other on every run, and both bind
exactly as a fresh reading does."""

from __future__ import annotations

from typing import Any

import pytest
from tree_sitter import Node

from psrunbook.sim.ps import evaluator as evaluator_module
from psrunbook.sim.ps.constant_attributes import (
    NOT_CONSTANT_ARGUMENT,
    constant_attribute_arguments,
)
from psrunbook.sim.ps.parser import parse_uncached

from .helpers import assert_refused_at_parse, run


def _param_block(script: str) -> Node:
    pending = [parse_uncached(script).root]
    while pending:
        node = pending.pop()
        if node.type == "param_block":
            return node
        pending.extend(node.named_children)
    raise AssertionError("no param block")


@pytest.mark.parametrize(
    ("block", "constant"),
    [
        ("param([Parameter(Mandatory = $true)][string]$A, [switch]$B)", True),
        ("param([Parameter(Mandatory = $TRUE, Position = 0)]$A = $y)", True),
        ("param([ValidateSet(\"a\", 'b', 3)][ValidateRange(-1, 0x10)]$A)", True),
        ("param([ValidateRange(1.5, 2e3)][Alias('X')]$A)", True),
        ("param([ValidatePattern(@'\nx\n'@)]$A)", True),
        ("param([AllowNull()][ValidateNotNull()]$A)", True),
        ("param([ValidateScript({$_})]$A)", False),
        ("param([ValidateRange(1, [int]::MaxValue)]$A)", False),
        ("param([ValidateRange(1, (2))]$A)", False),
        ("param([ValidateSet(${true})]$A)", False),
        ("param([ValidateRange([int]'1', -(2 * 3))]$A)", False),
    ],
)
def test_constant_attribute_arguments(block: str, constant: bool) -> None:
    assert constant == constant_attribute_arguments(_param_block(block + "\n$A"))


SCRIPT = (
    "param([Parameter(Mandatory = $true)][ValidateSet('Apply', 'Check')][string]$Mode,\n"
    "[ValidateRange(-1, 5)][int]$Count = 2, [Alias('P')][string]$Path = 'p', [switch]$Force)\n"
    '"$Mode $Count $Path $Force"'
)
CALLS: list[tuple[tuple[str | None, Any], ...]] = [
    (("Mode", "apply"),),
    (("Mode", "Check"), ("Count", 5), ("P", "q"), ("Force", None)),
    (("Mode", "Other"),),
    (("Count", 6), ("Mode", "Apply")),
    (),
]


def _outcome(calls: list[tuple[tuple[str | None, Any], ...]], script: str) -> list[Any]:
    outcomes: list[Any] = []
    for arguments in calls:
        result = run(script, *arguments)
        failed = result.failed
        outcomes.append(
            (result.output, None if failed is None else (failed.error_id, failed.message))
        )
    return outcomes


def test_cached_declaration_binds_as_a_fresh_reading(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every run against the shared parse cache answers what a fresh reading answers."""
    cached = _outcome(CALLS + CALLS, SCRIPT)
    reads: list[Node] = []
    original = evaluator_module.Evaluator._read_declared_parameters

    def counted(self: Any, param_block: Node) -> Any:
        reads.append(param_block)
        return original(self, param_block)

    monkeypatch.setattr(evaluator_module.Evaluator, "_read_declared_parameters", counted)
    monkeypatch.setattr(evaluator_module, "constant_attribute_arguments", lambda node: False)
    fresh = _outcome(CALLS + CALLS, SCRIPT + "\n# another text: parsed anew")
    assert fresh == cached
    assert len(reads) == 2 * len(CALLS)  # nothing is kept for a block not known constant
    assert cached[0][0] == ["apply 2 p False"]
    assert cached[2][1] is not None and cached[2][1][0] == "ParameterArgumentValidationError"


def test_constant_declaration_is_read_once_per_parsed_script(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: list[Node] = []
    original = evaluator_module.Evaluator._read_declared_parameters

    def counted(self: Any, param_block: Node) -> Any:
        reads.append(param_block)
        return original(self, param_block)

    monkeypatch.setattr(evaluator_module.Evaluator, "_read_declared_parameters", counted)
    script = "param([Parameter(Mandatory = $true)][string]$Once)\n$Once"
    assert [["a"], ["b"], ["c"]] == [run(script, ("Once", v)).output for v in "abc"]
    assert len(reads) <= 1  # none when an earlier test parsed and ran the same text


@pytest.mark.parametrize(
    "argument",
    [
        "$max",
        "2 + $max",
        '"a$max"',
        '"$(1)"',
        "@(1)",
        "1..3",
        "'{0}' -f 1",
        "1 -eq 1",
        "1 / $null",
        "2 % $false",
        "(Get-Date).Day",
        "(1; 2)",
        "$(1; 2)",
        "[string]'1'",
        "[decimal]'1'",
        "[datetime]::MaxValue.Day",
        "[string]::Empty",
        "[decimal]::MaxValue",
        "[int].Name",
        "[int]::Parse('1')",
        "$env:MAX",
        "$global:true",
        ",1",
        "@{A = 1}",
    ],
)
def test_a_non_constant_attribute_argument_refuses_the_whole_script(argument: str) -> None:
    """PowerShell's parser refuses it ("Attribute argument must be a constant or a script
    block."), before any statement runs; the lab used to evaluate it in each call's scope."""
    script = f"'ran'\nfunction f {{ param([ValidateRange(1, {argument})][int]$N) $N }}\nf 1"
    assert_refused_at_parse(run(script), 2, 38, NOT_CONSTANT_ARGUMENT)


@pytest.mark.parametrize(
    "argument",
    [
        "5",
        "0x10",
        "-1",
        "+2",
        "2 * 3 - 1",
        "7 % 4",
        "12 -band 10",
        "-bnot -8",
        "!0 + 4",
        "(-not $false) + 4",
        "$true + 4",
        "$(5)",
        "(2 + 3)",
        "[int]'5'",
        "[System.Int64]'5'",
        "[int]::MaxValue",
        "[System.Int32]::maxvalue",
        "[long]::MaxValue",
    ],
)
def test_a_constant_attribute_argument_is_accepted(argument: str) -> None:
    """What PowerShell folds to a constant: literals, ``$true``/``$false``/``$null``, the
    folding operators, ``(...)``/``$(...)`` around one, casts to primitive types, ``const``
    fields."""
    result = run(f"function f {{ param([ValidateRange(-9999, {argument})][long]$N) $N }}\nf (-2)")
    assert result.failed is None, result.failed
    assert [-2] == result.output


def test_script_block_and_type_arguments_are_accepted() -> None:
    result = run(
        "function f { param([ValidateScript({ $_ -gt 0 })][ValidateNotNull()][int]$N,\n"
        "[Parameter(Mandatory = $true, HelpMessage = 'n')][string]$S) \"$N $S\" }\n"
        "f 1 -S a"
    )
    assert result.failed is None, result.failed
    assert ["1 a"] == result.output
