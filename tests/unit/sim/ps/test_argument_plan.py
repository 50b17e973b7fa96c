"""A command's arguments through the kept plan equal the element walk it replaces.

The oracle is the evaluator's former ``command_arguments``, verbatim but for ``self``;
both run over the same evaluator stand-in, whose evaluations name the node they were
asked for, so the comparison covers which element becomes which argument, in which
order, with which continuations, for every command of the corpus.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tree_sitter import Node

from psrunbook.sim.ps import evaluator as evaluator_module
from psrunbook.sim.ps.binding import Argument
from psrunbook.sim.ps.parser import ParsedScript, is_comma_continuation, parse_uncached
from psrunbook.sim.ps.redirection import glued
from psrunbook.sim.ps.values import as_list, is_collection

from .helpers import run

TEMPLATES = Path(evaluator_module.__file__).parents[2] / "ps_templates"


def oracle_command_arguments(self: Any, elements: Node | None) -> list[Argument]:
    """The former ``Evaluator.command_arguments``."""
    if elements is None:
        return []
    result: list[Argument] = []
    parts = [c for c in elements.children if c.type != "comment"]
    i = 0
    while i < len(parts):
        part = parts[i]
        if part.type == "command_argument_sep":
            i += 1
            continue
        if part.type == "redirection" or (
            part.type == "generic_token" and glued(self.text_of(part)) is not None
        ):
            i += 1
            continue
        if part.type == "command_parameter":
            name = self.text_of(part)[1:].rstrip(":")
            colon = self.text_of(part).endswith(":")
            if not colon and i + 1 < len(parts) and self.text_of(parts[i + 1]) == ":":
                colon = True
            if colon:
                j = i + 1
                while j < len(parts) and parts[j].type == "command_argument_sep":
                    j += 1
                if j >= len(parts):
                    result.append(Argument(name, None, has_value=False))
                    break
                result.append(Argument(name, self.eval_argument(parts[j]), colon=True))
                i = j + 1
                continue
            result.append(Argument(name, None, has_value=False))
            i += 1
            continue
        inner = evaluator_module._unwrap(part)
        if inner.type == "variable" and self.text_of(inner).startswith("@"):
            result.extend(self.splat(inner))
            i += 1
            continue
        value = self.eval_argument(part)
        i += 1
        while i + 1 < len(parts) and is_comma_continuation(parts[i]):
            following = parts[i + 1]
            value = as_list(value) if is_collection(value) else [value]
            value.extend(self._continuation(following))
            i += 2
        result.append(Argument(None, value))
    return result


class StandIn:
    """The evaluator's parts ``command_arguments`` uses; evaluations name their node."""

    def __init__(self, script: ParsedScript) -> None:
        self.script = script

    def text_of(self, node: Node) -> str:
        return evaluator_module.Evaluator.text_of(self, node)  # type: ignore[arg-type]

    def eval_argument(self, node: Node, call: Node | None = None) -> Any:
        assert call is None, "the oracle has no method calls in argument mode"
        return ("value", node.id, self.text_of(node))

    def _continuation(self, node: Node) -> list[Any]:
        return [("continuation", node.id, self.text_of(node))]

    def splat(self, node: Node) -> list[Argument]:
        return [Argument("splat", ("splat", node.id, self.text_of(node)))]

    def _argument_plan(self, elements: Node) -> Any:
        return evaluator_module.Evaluator._argument_plan(self, elements)  # type: ignore[arg-type]

    def kept(self, kind: str, node: Node, read: Any) -> Any:
        return evaluator_module.Evaluator.kept(self, kind, node, read)  # type: ignore[arg-type]


COMMANDS = [
    "Get-Thing -Name alpha -Count 5 -Force",
    "Get-Thing -Name:alpha -Force:$false -Flag: $true",
    "Get-Thing -Name : alpha",
    "Get-Thing -Name:",
    "Get-Thing alpha, beta, 'gamma' -Count 1",
    "Get-Thing a,b,c",
    "Get-Thing a, $x, (1 + 2)",
    "Get-Thing @splat -Force @more",
    "Get-Thing alpha 2>&1 > $null",
    "Get-Thing alpha 2>$null -Fail *>&1",
    "Get-Thing <# note #> alpha <# other #> -Force",
    "New-Object System.Text.StringBuilder('u', $p)",
    'Write-Output "a $x" `\n  -NoEnumerate',
    "icacls C:\\x /grant 'LAB\\u:(OI)(CI)F' /T",
    "Get-Thing -Name ((Get-Thing).Name) -Count ($n + 1)",
    "Get-Thing -Name @('a', 'b') -Count:([int]'3')",
    "& $block -Name a",
]


def _scripts() -> list[str]:
    scripts = list(COMMANDS)
    for template in sorted(TEMPLATES.rglob("*.ps1.j2")):
        lines = [
            line
            for line in template.read_text(encoding="utf-8").splitlines()
            if not line.lstrip().startswith("{%")
        ]
        text = "\n".join(lines)
        if not any(jinja in text for jinja in ("{{", "{%", "{#")):
            scripts.append(text)
    return scripts


def _command_elements(script: ParsedScript) -> list[Node]:
    found: list[Node] = []
    pending = [script.root]
    while pending:
        node = pending.pop()
        if node.type == "command_elements":
            found.append(node)
        pending.extend(node.children)
    return found


@pytest.mark.parametrize("text", _scripts())
def test_plan_gives_the_arguments_the_element_walk_gave(text: str) -> None:
    script = parse_uncached(text)
    elements = _command_elements(script)
    assert elements or text not in COMMANDS
    for node in elements:
        expected = oracle_command_arguments(StandIn(script), node)
        planned = evaluator_module.Evaluator.command_arguments(StandIn(script), node)  # type: ignore[arg-type]
        assert planned == expected
        again = evaluator_module.Evaluator.command_arguments(StandIn(script), node)  # type: ignore[arg-type]
        assert again == expected  # from the plan kept with the script


def test_template_corpus_is_not_empty() -> None:
    assert len(_scripts()) > len(COMMANDS) + 5


def test_arguments_are_evaluated_per_call_in_order() -> None:
    """The plan keeps nodes, not values: each call evaluates its elements anew."""
    script = "$i = 0\n1..3 | ForEach-Object { Write-Output ($i++) }"
    assert run(script).output == [0, 1, 2]
