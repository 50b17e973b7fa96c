"""A ``param()`` block with constant attribute arguments is read once per parsed script;
any other is read on every run, and both bind exactly as a fresh reading does."""

from __future__ import annotations

from typing import Any

import pytest
from tree_sitter import Node

from psrunbook.sim.ps import evaluator as evaluator_module
from psrunbook.sim.ps.constant_attributes import constant_attribute_arguments
from psrunbook.sim.ps.parser import parse_uncached

from .helpers import run


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
        ('param([ValidateSet("$x")]$A)', False),
        ('param([ValidateSet("a$x")]$A)', False),
        ('param([ValidateSet("$(1)")]$A)', False),
        ('param([ValidatePattern(@"\n$x\n"@)]$A)', False),
        ("param([Parameter(Mandatory = $x)]$A)", False),
        ("param([ValidateScript({$_})]$A)", False),
        ("param([ValidateRange(1, [int]::MaxValue)]$A)", False),
        ("param([ValidateSet(@(1))]$A)", False),
        ("param([ValidateRange(1, 2+$x)]$A)", False),
        ("param([ValidateRange(1, (2))]$A)", False),
        ("param([Alias($env:X)]$A)", False),
        ("param([ValidateSet(${true})]$A)", False),
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


def test_attribute_reading_a_variable_is_read_on_every_run() -> None:
    """The lab evaluates a non-constant argument (Windows refuses it at parse time) in
    the scope of each call, as before: such a declaration is never kept."""
    script = (
        "function f { param([ValidateRange(1, $max)][int]$N) $N }\n"
        "$max = 3; f 2\n"
        "$max = 1\n"
        "try { f 2 } catch { $_.FullyQualifiedErrorId }"
    )
    result = run(script)
    assert result.failed is None, result.failed
    assert result.output[0] == 2
    assert str(result.output[1]).startswith("ParameterArgumentValidationError")
