"""The ``param()`` reader finds parameters and attributes by a query; it reads as before.

:func:`_walked_parameters` is the reader it replaced, which walked every node of the
block in Python; on every shipped script and on unusual blocks (nested ``param()`` in
a ``ValidateScript``, attributes after the type, broken text) both give the same answer.
"""

from __future__ import annotations

import pytest
import tree_sitter

from bench.render_lint import work_list
from psrunbook.errors import TemplateError
from psrunbook.lint import parse
from psrunbook.templates import TemplateLibrary
from psrunbook.templates.params import _normalise_type, _text, parse_declared_parameters
from psrunbook.templates.script import DeclaredParameter


def _walk(node: tree_sitter.Node, kind: str) -> list[tree_sitter.Node]:
    found: list[tree_sitter.Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == kind:
            found.append(current)
        stack.extend(reversed(current.children))
    return found


def _walked_declared(node: tree_sitter.Node) -> DeclaredParameter:
    variable = next(c for c in node.children if c.type == "variable")
    ps_type = "object"
    mandatory = False
    for attribute in _walk(node, "attribute"):
        type_literal = next((c for c in attribute.children if c.type == "type_literal"), None)
        if type_literal is not None:
            ps_type = "".join(_text(n) for n in _walk(type_literal, "type_spec")[:1]).lower()
            continue
        body = _text(attribute).replace(" ", "").lower()
        if body.startswith("[parameter(") and (
            "mandatory=$true" in body or "mandatory)" in body or "mandatory," in body
        ):
            mandatory = True
    has_default = any(c.type == "script_parameter_default" for c in node.children)
    return DeclaredParameter(
        name=_text(variable).lstrip("$"),
        ps_type=_normalise_type(ps_type),
        mandatory=mandatory,
        has_default=has_default,
    )


def _walked_parameters(text: str) -> tuple[DeclaredParameter, ...] | str:
    blocks = [c for c in parse(text).root_node.children if c.type == "param_block"]
    if not blocks:
        return ()
    try:
        parameters = tuple(_walked_declared(n) for n in _walk(blocks[0], "script_parameter"))
    except StopIteration:
        return "StopIteration"
    names = [p.name.casefold() for p in parameters]
    if any(names.count(n) > 1 for n in names):
        return "declared twice"
    return parameters


def _queried_parameters(text: str) -> tuple[DeclaredParameter, ...] | str:
    parse_declared_parameters.cache_clear()
    try:
        return parse_declared_parameters(text, source="t")
    except StopIteration:
        return "StopIteration"
    except TemplateError as error:
        assert "declared twice" in str(error)
        return "declared twice"


BLOCKS = [
    "param([Parameter(Mandatory)][string]$A, [int]$B = 1, [switch]$CheckOnly)\n$A",
    "param(\n  [ValidateScript({ param([int]$Inner) $true })][Parameter(Mandatory)]"
    "[System.String[]]$Names,\n  [switch]$CheckOnly\n)\n$Names",
    "param([string][Parameter(Mandatory=$true)]$Late, [Alias('x')][int32]$X)\n1",
    "param([Parameter(Mandatory, Position = 0)][hashtable]$Table, $Untyped)\n1",
    "param([string]$A, [string]$a)\n1",
    "param([string]$A,\n",
    "param([Parameter(Mandatory)][string]$A [int]$B)\n1",
    "$x = 1\nparam([string]$Late)\n",
    "param()\n1",
    "param([]$A, [ ]$B, [[int]]$C, [string$D, [int[]$E)\n1",
    "param([<#c#>string]$A, [<#[int]#>string]$B)\n1",
]


@pytest.mark.parametrize("text", BLOCKS)
def test_queried_parameters_are_the_walked_ones(text: str) -> None:
    assert _walked_parameters(text) == _queried_parameters(text)


def test_queried_parameters_are_the_walked_ones_in_every_shipped_script() -> None:
    library = TemplateLibrary()
    for template, arguments, structure in work_list():
        text = library.render(template, arguments, structure).text
        walked = _walked_parameters(text)
        assert walked, template
        assert walked == _queried_parameters(text), template


def test_queried_parameters_are_the_walked_ones_in_cut_up_scripts() -> None:
    """Shipped scripts cut at random places: broken ``param()`` blocks, error recovery."""
    from tests.unit.test_lint_oracle import cut_ups  # noqa: PLC0415 (one cutter for both oracles)

    library = TemplateLibrary()
    texts = sorted({library.render(t, a, s).text for t, a, s in work_list()})
    for text in cut_ups(texts):
        assert _walked_parameters(text) == _queried_parameters(text), text[:200]
