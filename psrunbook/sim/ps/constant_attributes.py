"""Whether a ``param()`` block's attribute arguments are constants.

The evaluator reads a ``param()`` block (types, ``[Parameter(...)]``, ``[Validate...()]``)
on every run of the script, evaluating each attribute argument; a script sent to every
node of a fleet pays that once per node and run (issue 16). PowerShell itself accepts
only constants there (literals, ``$true``/``$false``/``$null``, a script block), so a
block whose arguments are all literals or those three variables declares the same
parameters whatever the scope: the evaluator may read it once per parsed script.
Anything else (a script block, a variable, a cast, a sub-expression) is read on every
run as before, so nothing the lab did with it changes.
"""

from __future__ import annotations

from tree_sitter import Node

_CONSTANT_NODES = frozenset(
    {
        # the expression wrappers tree-sitter puts around a single operand
        "logical_expression",
        "bitwise_expression",
        "comparison_expression",
        "additive_expression",
        "multiplicative_expression",
        "format_expression",
        "range_expression",
        "array_literal_expression",
        "unary_expression",
        "expression_with_unary_operator",  # -1, -not 0: an operator over constants
        # literals
        "string_literal",
        "verbatim_string_characters",
        "verbatim_here_string_characters",
        "integer_literal",
        "decimal_integer_literal",
        "hexadecimal_integer_literal",
        "real_literal",
        "simple_name",
    }
)
"""Nodes whose value does not depend on the scope (an expandable string only without
any named child, i.e. without ``$var`` or ``$(...)`` inside: checked apart)."""

_CONSTANT_VARIABLES = frozenset({"$true", "$false", "$null"})


def constant_attribute_arguments(param_block: Node) -> bool:
    """True when every attribute argument in ``param_block`` is a constant (see above)."""
    pending = [param_block]
    while pending:
        node = pending.pop()
        if node.type == "attribute_arguments":
            if not all(_constant(argument) for argument in node.named_children):
                return False
            continue
        pending.extend(node.named_children)
    return True


def _constant(argument: Node) -> bool:
    pending = list(argument.named_children)
    while pending:
        node = pending.pop()
        kind = node.type
        if kind == "comment":
            continue
        if kind == "variable":
            if (node.text or b"").decode("utf-8", "replace").casefold() not in _CONSTANT_VARIABLES:
                return False
            continue
        if kind in ("expandable_string_literal", "expandable_here_string_literal"):
            if node.named_children:
                return False
            continue
        if kind not in _CONSTANT_NODES:
            return False
        pending.extend(node.named_children)
    return True
