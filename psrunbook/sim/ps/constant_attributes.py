"""Attribute arguments: what PowerShell accepts there, and what the evaluator may read once.

:func:`non_constant_argument` is PowerShell's own rule. Its parser refuses a script
whose attribute argument (in a ``param()`` block, on a variable, anywhere in the
script) is not a constant or a script block: "Attribute argument must be a constant or
a script block." (``ParameterAttributeArgumentNeedsToBeConstantOrScriptBlock``), before
any of it runs. Its ``IsConstantValueVisitor`` (attribute mode, outside a class)
accepts: number and string literals without ``$var`` or ``$(...)`` inside; ``$true``,
``$false`` and ``$null``; the unary and binary operators that fold (``-`` ``+`` ``!``
``-not`` ``-bnot``; ``*`` ``/`` ``%`` ``+`` ``-`` ``-and`` ``-or`` ``-xor`` ``-band``
``-bor`` ``-bxor`` ``-shl`` ``-shr``; never dividing by ``$null`` or ``$false``) over
constants; a cast to a primitive type (``[int]'2'``, not ``[string]``); ``(...)`` and
``$(...)`` around one constant expression; a type literal; a static *literal* field
(``[int]::MaxValue``, not ``[datetime]::MaxValue`` or ``[string]::Empty``, which are
read-only fields); a script block. Not ``..``, ``-f``, comparisons, ``@(...)``,
hashtables, other variables, calls or indexing. The lab refuses what that refuses (a
type or field it does not know is refused too: stricter, never kinder).

:func:`constant_attribute_arguments` is the evaluator's narrower question: whether a
``param()`` block declares the same parameters whatever the scope, so that it may be
read once per parsed script.

The evaluator reads a ``param()`` block (types, ``[Parameter(...)]``, ``[Validate...()]``)
on every run of the script, evaluating each attribute argument; a script sent to every
node of a fleet pays that once per node and run (issue 16). A block whose arguments are
all literals or ``$true``/``$false``/``$null`` declares the same parameters whatever the
scope, so the evaluator reads it once per parsed script. Any other constant PowerShell
accepts (a script block, which is a new object each run, a cast, an operator, a
sub-expression, a field) is read on every run, as it always was.
"""

from __future__ import annotations

import re
from typing import Final

from tree_sitter import Node

BINARY_EXPRESSIONS: Final = frozenset(
    {
        "logical_expression",
        "bitwise_expression",
        "comparison_expression",
        "additive_expression",
        "multiplicative_expression",
        "format_expression",
        "range_expression",
    }
)
"""tree-sitter's binary expressions (each also wraps a single operand)."""

NOT_CONSTANT_ARGUMENT: Final = "Attribute argument must be a constant or a script block."
"""PowerShell's message (``ParameterAttributeArgumentNeedsToBeConstantOrScriptBlock``)."""

_CONSTANT_NODES = frozenset(
    {
        # the expression wrappers tree-sitter puts around a single operand
        *BINARY_EXPRESSIONS,
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


_PASS_THROUGH: Final = frozenset({"unary_expression", "attribute_argument"})
_FOLDING_BINARY: Final = frozenset(
    {"*", "/", "%", "+", "-", "-and", "-or", "-xor", "-band", "-bor", "-bxor", "-shl", "-shr"}
)
"""Binary operators whose token has ``CanConstantFold`` (PowerShell's TokenTraits)."""
_FOLDING_UNARY: Final = frozenset({"-", "+", "!", "-not", "-bnot"})
_DIVISIONS: Final = frozenset({"/", "%"})
_CONSTANT_DIVISORS_REFUSED: Final = frozenset({"$null", "$false"})

_CLR_PRIMITIVES: Final = (
    *("boolean", "byte", "sbyte", "char", "int16", "uint16", "int32", "uint32"),
    *("int64", "uint64", "double", "single"),
)
_PRIMITIVE_TYPES: Final = frozenset(
    {
        *("bool", "byte", "sbyte", "char", "int", "long", "double", "float", "single"),
        *(f"{prefix}{name}" for prefix in ("", "system.") for name in _CLR_PRIMITIVES),
    }
)
"""Type names (accelerators of Windows PowerShell 5.1, full names) of the primitive types
other than IntPtr/UIntPtr: ``IsSafePrimitive``, the casts a constant may use."""

_INTEGERS: Final = ("byte", "sbyte", "int16", "uint16", "int32", "uint32", "int64", "uint64")
_FLOATS: Final = ("double", "single")
_LITERAL_FIELDS: Final = {
    **{name: frozenset({"maxvalue", "minvalue"}) for name in (*_INTEGERS, "char")},
    **{
        name: frozenset(
            {"maxvalue", "minvalue", "epsilon", "nan", "positiveinfinity", "negativeinfinity"}
        )
        for name in _FLOATS
    },
    "math": frozenset({"pi", "e"}),
}
"""The .NET Framework's ``const`` fields of the types a script names here (``Decimal``'s
are read-only fields in metadata, so not constants to PowerShell)."""
_TYPE_NAMES: Final = {
    "int": "int32",
    "long": "int64",
    "float": "single",
    **{name: name for name in (*_INTEGERS, *_FLOATS, "char", "math")},
}


def non_constant_argument(arguments: Node) -> Node | None:
    """The first argument in ``attribute_arguments`` PowerShell would refuse (None if none).

    A named argument without a value (``[Parameter(Mandatory)]``) has nothing to check.
    """
    for argument in arguments.named_children:
        values = [c for c in argument.named_children if c.type not in ("simple_name", "comment")]
        if (
            values
            and not _LITERAL.fullmatch(_text(values[-1]))
            and not _powershell_constant(values[-1])
        ):
            return values[-1]
    return None


_LITERAL: Final = re.compile(r"\$(?i:true|false|null)|[0-9]+|'[^'\u2018-\u201b]*'")
"""The arguments most attributes have (``$true``, ``0``, ``'Name'``): constants, read
without walking the dozen expression wrappers tree-sitter puts around each."""


def _operands(node: Node) -> list[Node]:
    return [c for c in node.named_children if c.type != "comment"]


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _powershell_constant(node: Node) -> bool:
    kind = node.type
    if kind in _PASS_THROUGH:
        operands = _operands(node)
        return len(operands) == 1 and _powershell_constant(operands[0])
    if kind in BINARY_EXPRESSIONS:
        return _binary_constant(node)
    if kind == "array_literal_expression":
        return all(_powershell_constant(e) for e in _operands(node))
    if kind == "expression_with_unary_operator":
        first = node.children[0]
        if first.type == "cast_expression":
            return _powershell_constant(first)
        operands = _operands(node)
        return (
            _text(first).casefold() in _FOLDING_UNARY
            and len(operands) == 1
            and _powershell_constant(operands[0])
        )
    if kind == "cast_expression":
        type_literal, *rest = _operands(node)
        return (
            _type_name(type_literal) in _PRIMITIVE_TYPES
            and len(rest) == 1
            and _powershell_constant(rest[0])
        )
    if kind in ("integer_literal", "real_literal", "script_block_expression", "type_literal"):
        return True
    if kind == "string_literal":
        return all(_literal_string(part) for part in node.named_children)
    if kind == "variable":
        name = _text(node).casefold()
        if name.startswith("${") and name.endswith("}"):
            name = "$" + name[2:-1]
        return name in _CONSTANT_VARIABLES
    if kind == "parenthesized_expression":
        return _pure_expression_constant(_operands(node))
    if kind == "sub_expression":
        statements = _operands(node)
        if len(statements) != 1 or statements[0].type != "statement_list":
            return False
        return _pure_expression_constant(_operands(statements[0]))
    if kind == "member_access":
        return _literal_field(node)
    return False


def _literal_string(part: Node) -> bool:
    if part.type in ("expandable_string_literal", "expandable_here_string_literal"):
        return not part.named_children
    return part.type in ("verbatim_string_characters", "verbatim_here_string_characters")


def _binary_constant(node: Node) -> bool:
    children = [c for c in node.children if c.type != "comment"]
    if len(children) == 1:
        return _powershell_constant(children[0])
    if len(children) != 3:
        return False
    left, operator, right = children
    symbol = _text(operator).casefold()
    if symbol not in _FOLDING_BINARY:
        return False
    if symbol in _DIVISIONS and _text(right).strip().casefold() in _CONSTANT_DIVISORS_REFUSED:
        return False
    return _powershell_constant(left) and _powershell_constant(right)


def _pure_expression_constant(statements: list[Node]) -> bool:
    """One pipeline of one expression (no command, no second statement), constant."""
    if len(statements) != 1 or statements[0].type != "pipeline":
        return False
    chains = _operands(statements[0])
    if len(chains) != 1 or chains[0].type != "pipeline_chain":
        return False
    elements = _operands(chains[0])
    return len(elements) == 1 and _powershell_constant(elements[0])


def _type_name(type_literal: Node) -> str:
    return _text(type_literal).strip().strip("[]").strip().casefold()


def _literal_field(node: Node) -> bool:
    """``[type]::Field`` where the field is a ``const`` of a type named here."""
    operands = _operands(node)
    if len(operands) != 2 or operands[0].type != "type_literal":
        return False
    if not any(c.type == "::" for c in node.children):
        return False
    name = _type_name(operands[0]).removeprefix("system.")
    fields = _LITERAL_FIELDS.get(_TYPE_NAMES.get(name, ""), frozenset())
    return _text(operands[1]).strip().casefold() in fields
