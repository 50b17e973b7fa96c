"""Reads a rendered script's ``param()`` block with the real PowerShell grammar.

The declared parameters are taken from the script itself rather than from a separate
declaration, so the check of a step's values can never disagree with what PowerShell
will bind on the node.
"""

from __future__ import annotations

from functools import lru_cache

import tree_sitter

from psrunbook.errors import TemplateError
from psrunbook.lint import parse
from psrunbook.templates.script import DeclaredParameter


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8")


def _walk(node: tree_sitter.Node, kind: str) -> list[tree_sitter.Node]:
    found: list[tree_sitter.Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == kind:
            found.append(current)
        stack.extend(reversed(current.children))
    return found


def _declared(node: tree_sitter.Node) -> DeclaredParameter:
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


def _normalise_type(ps_type: str) -> str:
    aliases = {
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
    return aliases.get(ps_type, ps_type)


@lru_cache(maxsize=512)
def parse_declared_parameters(text: str, *, source: str) -> tuple[DeclaredParameter, ...]:
    """The ``param()`` block's parameters, in order; a script without one declares none."""
    tree = parse(text)  # the linter's tree of the same text: parsed once
    blocks = [c for c in tree.root_node.children if c.type == "param_block"]
    if not blocks:
        return ()
    parameters = tuple(_declared(n) for n in _walk(blocks[0], "script_parameter"))
    names = [p.name.casefold() for p in parameters]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise TemplateError(f"template {source}: parameter(s) declared twice: {duplicates}")
    return parameters
