"""The parser's and the compiler's walks read every tree as the plain code they replaced.

:func:`~psrunbook.sim.ps.parser.preorder` (a tree cursor) replaced a stack of
``node.children`` lists in the check every script gets before it runs,
``_line_starts`` jumps from line break to line break instead of testing every
character, and ``Compiler.unwrap`` and the semantic checks' assignment target step
through a one-child wrapper without building its list of children; the plain versions
are kept here as the oracles. A script with more than one refused construct still
reports the first one in the text.
"""

from __future__ import annotations

import pytest
import tree_sitter
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.render_lint import work_list
from psrunbook.sim.ps.compiled import WRAPPERS, Compiler
from psrunbook.sim.ps.exceptions import ScriptParseError, UnsupportedConstruct
from psrunbook.sim.ps.parser import _LANGUAGE, _line_starts, parse_uncached, preorder
from psrunbook.sim.ps.semantic_checks import _SINGLE_OPERAND, _assignment_target
from psrunbook.templates import TemplateLibrary


def _stack_walk(root: tree_sitter.Node) -> list[tuple[int, int, str]]:
    """Every node, each before its children, as the check walked them before."""
    found: list[tuple[int, int, str]] = []
    stack = [root]
    while stack:
        node = stack.pop()
        found.append((node.start_byte, node.end_byte, node.type))
        stack.extend(reversed(node.children))
    return found


def _cursor_walk(root: tree_sitter.Node) -> list[tuple[int, int, str]]:
    return [(node.start_byte, node.end_byte, node.type) for node in preorder(root)]


def _stepping_line_starts(text: str) -> tuple[int, ...]:
    return (0, *(i + 1 for i, c in enumerate(text) if c == "\n"))


def _shipped_scripts() -> list[str]:
    library = TemplateLibrary()
    return sorted({library.render(*item).text for item in work_list()})


def test_preorder_visits_every_shipped_script_as_the_stack_walk_did() -> None:
    for text in _shipped_scripts():
        script = parse_uncached(text)
        assert _stack_walk(script.root) == _cursor_walk(script.root)
        assert _stepping_line_starts(text) == _line_starts(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "$x",
        "function f { param($a) $a }\nf 1",
        "if ($x) {",  # an error and a missing node
        "Get-Item x,\n  y | ForEach-Object { $_ } # comment",
    ],
)
def test_preorder_visits_odd_trees_as_the_stack_walk_did(text: str) -> None:
    tree = tree_sitter.Parser(_LANGUAGE).parse(text.encode())
    assert _stack_walk(tree.root_node) == _cursor_walk(tree.root_node)


def test_preorder_of_an_inner_node_stays_inside_it() -> None:
    script = parse_uncached("$a = 1\nif ($a) { $b = 2 }\n$c = 3")
    statement = next(n for n in preorder(script.root) if n.type == "if_statement")
    assert _stack_walk(statement) == _cursor_walk(statement)
    assert "$c" not in {script.source(n) for n in preorder(statement)}


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ab\n\r \t", max_size=40))
def test_line_starts_are_the_stepping_ones(text: str) -> None:
    assert _stepping_line_starts(text) == _line_starts(text)


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("Read-Host 'a'\nclass C { }", "command Read-Host"),
        ("class C { }\nRead-Host 'a'", "class definition"),
        ("Get-Item x 3>&2\n. ./helpers.ps1", "redirection other than n>&1"),
    ],
)
def test_the_first_refused_construct_in_the_text_is_the_one_reported(text: str, first: str) -> None:
    with pytest.raises((UnsupportedConstruct, ScriptParseError)) as refused:
        parse_uncached(text)
    assert first in str(refused.value)


def _listing_unwrap(node: tree_sitter.Node) -> tree_sitter.Node:
    """``Compiler.unwrap`` as it was: both lists of children built at every level."""
    inner = node
    while inner.type in WRAPPERS:
        parts = [c for c in inner.named_children if c.type != "comment"]
        if len(parts) != 1 or len([c for c in inner.children if c.type != "comment"]) != 1:
            break
        inner = parts[0]
    return inner


@pytest.mark.parametrize(
    "text",
    [
        "$x = (1 + 2) * 3; if ($x -gt 2) { 'big' }",
        "$b = -not $true; $c = ,1; $d = 1..3",
        # wrappers with a comment among their children
        "switch ($x <# c #>) { 1 { 'one' } }",
        "$a = 1,<# c #>2",
        "$x = -not <# c #> $y",
    ],
)
def test_unwrap_reads_odd_wrappers_as_the_listing_rule(text: str) -> None:
    script = parse_uncached(text)
    compiler = Compiler(script)
    for node in preorder(script.root):
        assert _listing_unwrap(node).id == compiler.unwrap(node, WRAPPERS).id


def test_unwrap_reads_every_shipped_script_as_the_listing_rule() -> None:
    for text in _shipped_scripts():
        script = parse_uncached(text)
        compiler = Compiler(script)
        for node in preorder(script.root):
            assert _listing_unwrap(node).id == compiler.unwrap(node, WRAPPERS).id


def _listing_assignment_target(node: tree_sitter.Node) -> tree_sitter.Node:
    """``semantic_checks._assignment_target`` as it was: the operands listed at every level."""
    while True:
        operands = [c for c in node.named_children if c.type != "comment"]
        if node.type in _SINGLE_OPERAND and len(operands) == 1:
            node = operands[0]
        elif node.type == "expression_with_unary_operator" and node.children[0].type == (
            "cast_expression"
        ):
            node = node.children[0]
        elif node.type == "cast_expression" and len(operands) == 2:
            node = operands[1]
        else:
            return node


def test_assignment_targets_of_every_shipped_script_are_the_listing_rules() -> None:
    odd = "$a = 1,<# c #>2; ($b) = 3; [int]$c = 4; (-not $d)++; ($e <# c #>)--"
    for text in [*_shipped_scripts(), odd]:
        tree = tree_sitter.Parser(_LANGUAGE).parse(text.encode())
        for node in preorder(tree.root_node):
            assert _listing_assignment_target(node).id == _assignment_target(node).id
