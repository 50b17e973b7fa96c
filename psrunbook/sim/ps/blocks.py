"""The shape of a script, script block or function: its parameters and named blocks.

PowerShell runs every one of them the same way: ``begin`` once, ``process`` once per
pipeline object (once without pipeline input), ``end`` once; a body without named
blocks is all ``end`` block, and a ``filter`` is all ``process`` block
(about_Functions_Advanced_Methods). tree-sitter nests these nodes differently for a
script, a ``{ }`` literal and a ``function`` statement; :func:`body_of` reads all three
into one :class:`ScriptBody`, cached per node because loops call the same block many
times.
"""

from __future__ import annotations

import msgspec
from tree_sitter import Node

_DESCEND = frozenset({"script_block", "script_block_body", "script_block_expression"})
_PARAMS = frozenset({"param_block", "function_parameter_declaration"})


class ScriptBody(msgspec.Struct, frozen=True):
    """What runs: a param block and the statement lists of the named blocks.

    ``named`` is False for a body without named blocks (its statements are ``end``,
    or ``process`` for a filter); ``dynamicparam`` is the node of a ``dynamicparam``
    block, which the evaluator refuses.
    """

    params: Node | None
    begin: Node | None
    process: Node | None
    end: Node | None
    named: bool
    has_process: bool
    dynamicparam: Node | None = None


def _statements(block: Node) -> Node | None:
    """The statement list of a ``{ ... }`` statement block (None when it is empty)."""
    return next((c for c in block.named_children if c.type == "statement_list"), None)


def body_of(node: Node, *, is_filter: bool = False) -> ScriptBody:
    """Read ``node`` (a program, a script block literal or a function statement)."""
    params: Node | None = None
    statements: Node | None = None
    named: Node | None = None
    frontier = [node]
    while frontier:
        current = frontier.pop(0)
        for child in current.named_children:
            kind = child.type
            if kind in _PARAMS:
                params = child
            elif kind == "statement_list":
                statements = child
            elif kind == "named_block_list":
                named = child
            elif kind in _DESCEND:
                frontier.append(child)
    if named is None:
        if is_filter:
            return ScriptBody(params, None, statements, None, named=True, has_process=True)
        return ScriptBody(params, None, None, statements, named=False, has_process=False)
    blocks: dict[str, Node | None] = {}
    dynamicparam: Node | None = None
    for block in named.named_children:
        if block.type != "named_block":
            continue
        name_node = next(c for c in block.named_children if c.type == "block_name")
        name = (name_node.text or b"").decode().casefold()
        body = next(c for c in block.named_children if c.type == "statement_block")
        if name == "dynamicparam":
            dynamicparam = block
            continue
        blocks[name] = _statements(body)
    return ScriptBody(
        params,
        blocks.get("begin"),
        blocks.get("process"),
        blocks.get("end"),
        named=True,
        has_process="process" in blocks,
        dynamicparam=dynamicparam,
    )
