"""Reads a rendered script's ``param()`` block with the real PowerShell grammar.

The declared parameters are taken from the script itself rather than from a separate
declaration, so the check of a step's values can never disagree with what PowerShell
will bind on the node.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from functools import cache, lru_cache
from typing import Final

import tree_sitter

from psrunbook.errors import TemplateError
from psrunbook.lint import language, parse
from psrunbook.templates.script import DeclaredParameter


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8")


@cache
def _query() -> tree_sitter.Query:
    return tree_sitter.Query(language(), "(script_parameter) @parameter (attribute) @attribute")


def _preorder(nodes: list[tree_sitter.Node]) -> list[tree_sitter.Node]:
    """``nodes`` in the order a walk meets them: by position, an enclosing node first (a
    query returns its captures in an order of its own)."""
    return sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))


def _attributes_under(
    parameter: tree_sitter.Node, attributes: list[tree_sitter.Node], starts: list[int]
) -> list[tree_sitter.Node]:
    """The attributes (in walk order, ``starts`` their start bytes) under ``parameter``.

    Siblings never overlap, so an attribute with any width inside the parameter's bytes
    is under it; an empty one (only possible in a broken text) is checked up its parents.
    """
    first = bisect_left(starts, parameter.start_byte)
    last = bisect_right(starts, parameter.end_byte)
    return [a for a in attributes[first:last] if _is_under(a, parameter)]


def _is_under(node: tree_sitter.Node, ancestor: tree_sitter.Node) -> bool:
    if node.end_byte > ancestor.end_byte:
        return False
    if node.start_byte < node.end_byte:
        return True
    parent = node.parent
    while parent is not None and parent != ancestor:
        parent = parent.parent
    return parent is not None


def _first(node: tree_sitter.Node, kind: str) -> tree_sitter.Node | None:
    """The first ``kind`` node met walking ``node`` in pre-order (``node`` included)."""
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == kind:
            return current
        stack.extend(reversed(current.children))
    return None


def _type_spec(type_literal: tree_sitter.Node) -> tree_sitter.Node | None:
    """The first ``type_spec`` in ``type_literal``, walking in pre-order: the one right
    after its ``[`` token, found without a walk, unless something (a comment) stands
    between them."""
    bracket, spec = type_literal.child(0), type_literal.child(1)
    if (
        bracket is not None
        and spec is not None
        and bracket.type == "["  # a token: nothing under it comes first
        and spec.type == "type_spec"
    ):
        return spec
    return _first(type_literal, "type_spec")


def _declared(node: tree_sitter.Node, attributes: list[tree_sitter.Node]) -> DeclaredParameter:
    """One parameter from its node and every attribute under it, in walk order."""
    children = node.children
    variable = next(c for c in children if c.type == "variable")
    ps_type = "object"
    mandatory = False
    for attribute in attributes:
        type_literal = None
        for child in attribute.named_children:  # a type literal is a named node
            if child.type == "type_literal":
                type_literal = child
                break
        if type_literal is not None:
            type_spec = _type_spec(type_literal)
            ps_type = "" if type_spec is None else _text(type_spec).lower()
            continue
        body = _text(attribute).replace(" ", "").lower()
        if body.startswith("[parameter(") and (
            "mandatory=$true" in body or "mandatory)" in body or "mandatory," in body
        ):
            mandatory = True
    has_default = any(c.type == "script_parameter_default" for c in children)
    return DeclaredParameter(
        name=_text(variable).lstrip("$"),
        ps_type=_normalise_type(ps_type),
        mandatory=mandatory,
        has_default=has_default,
    )


_TYPE_ALIASES: Final = {
    "system.string": "string",
    "system.string[]": "string[]",
    "int32": "int",
    "system.int32": "int",
    "int64": "long",
    "boolean": "bool",
    "system.boolean": "bool",
    "system.security.securestring": "securestring",
    "system.collections.hashtable": "hashtable",
}


def _normalise_type(ps_type: str) -> str:
    return _TYPE_ALIASES.get(ps_type, ps_type)


def _plain_parameters(
    block: tree_sitter.Node,
) -> list[tuple[tree_sitter.Node, list[tree_sitter.Node]]] | None:
    """Each parameter of a block without a syntax error or a ``{``, with its attributes,
    read from where the grammar puts them; None for any other block.

    Only a script block, a hash literal or a definition (each opened by ``{``) can hold
    another parameter or attribute inside a ``param()`` block, and only error recovery
    can put one anywhere else: so in such a block every parameter is a child of its
    parameter list and every attribute of a parameter is in its attribute list, the
    nodes the query finds, in the same order, without the query's visit of every node
    of the attribute arguments and defaults (the whole reader cost about twice as much).
    """
    if block.has_error or b"{" in (block.text or b""):
        return None
    found = []
    for parameters in block.named_children:
        if parameters.type != "parameter_list":
            continue
        for parameter in parameters.named_children:
            if parameter.type != "script_parameter":
                continue
            attributes = [
                attribute
                for attribute_list in parameter.named_children
                if attribute_list.type == "attribute_list"
                for attribute in attribute_list.named_children
                if attribute.type == "attribute"
            ]
            found.append((parameter, attributes))
    return found


def _queried_parameters(
    block: tree_sitter.Node,
) -> list[tuple[tree_sitter.Node, list[tree_sitter.Node]]]:
    """Each parameter anywhere in ``block``, with every attribute under it, in walk order.

    Found by one query (in C), not by walking the attribute arguments' deep expression
    trees node by node in Python.
    """
    found = tree_sitter.QueryCursor(_query()).captures(block)
    attributes = _preorder(found.get("attribute", []))
    starts = [a.start_byte for a in attributes]
    return [
        (node, _attributes_under(node, attributes, starts))
        for node in _preorder(found.get("parameter", []))
    ]


@lru_cache(maxsize=512)
def parse_declared_parameters(text: str, *, source: str) -> tuple[DeclaredParameter, ...]:
    """The ``param()`` block's parameters, in order; a script without one declares none."""
    tree = parse(text)  # the linter's tree of the same text: parsed once
    blocks = [c for c in tree.root_node.children if c.type == "param_block"]
    if not blocks:
        return ()
    found = _plain_parameters(blocks[0])
    if found is None:
        found = _queried_parameters(blocks[0])
    parameters = tuple(_declared(node, attributes) for node, attributes in found)
    names = [p.name.casefold() for p in parameters]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise TemplateError(f"template {source}: parameter(s) declared twice: {duplicates}")
    return parameters
