"""Syntax nodes compiled once into Python closures, so loops stop re-reading the tree.

Walking the tree-sitter tree costs a new Python object per child access and a string
compare per node type; a loop evaluates the same nodes thousands of times. Each node
is compiled the first time it runs into a closure ``(evaluator) -> value`` kept with
its :class:`~psrunbook.sim.ps.parser.ParsedScript` (a closure never holds an
evaluator, so one parsed script serves every pipeline and thread). The closures do
what the evaluator's ``expr_*``/``stmt_*`` methods do; a few hot shapes get a direct
version: plain variables, integer literals, arithmetic and comparison of two Int32
values, ``$x op= value`` and ``$i++``. Anything else compiles to a call of the
evaluator's own handler, so compiling never changes what a script does. Compiling
evaluates nothing and raises nothing: an unsupported construct is still reported when
it runs, exactly as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from tree_sitter import Node

from psrunbook.sim.ps.operators import operator_name
from psrunbook.sim.ps.references import REFERENCE_TYPE_NAMES
from psrunbook.sim.ps.strings import Literal, decode_verbatim
from psrunbook.sim.ps.values import NOTHING, integer_result

if TYPE_CHECKING:
    from psrunbook.sim.ps.evaluator import Emit, Evaluator
    from psrunbook.sim.ps.parser import ParsedScript
    from psrunbook.sim.ps.scope import Scope

_T = TypeVar("_T")

Expr = Callable[["Evaluator"], Any]
"""A compiled expression: evaluates its node for the evaluator it is given."""
Pipe = Callable[["Evaluator", "Emit | None"], Any]
"""A compiled pipeline: ``eval_pipeline(node, emit_commands)``."""
HashEntry = tuple[str | None, Expr | None, Pipe]
"""One entry of a hash literal: its key as written when it is a bare name (else None),
the compiled key expression (None for a bare name), the compiled value pipeline."""

VERBATIM_STRINGS = frozenset({"verbatim_string_characters", "verbatim_here_string_characters"})
"""The string tokens without expansion (single-quoted), whose value is their text."""

_CONSTANT_VARIABLES = {"true": True, "false": False, "null": None}
"""``$true``, ``$false`` and ``$null``: the evaluator reads them before any scope."""

WRAPPERS = frozenset(
    {
        "pipeline",
        "pipeline_chain",
        "logical_expression",
        "bitwise_expression",
        "comparison_expression",
        "additive_expression",
        "multiplicative_expression",
        "format_expression",
        "range_expression",
        "array_literal_expression",
        "unary_expression",
        "argument_expression",
        "logical_argument_expression",
        "bitwise_argument_expression",
        "comparison_argument_expression",
        "additive_argument_expression",
        "multiplicative_argument_expression",
        "format_argument_expression",
        "range_argument_expression",
        "expression_with_unary_operator",
        "left_assignment_expression",
        "key_expression",
        "while_condition",
        "for_condition",
        "for_initializer",
        "for_iterator",
        "switch_condition",
    }
)
"""Node types that stand for their one child when they have only one."""

ARGUMENT_FORMS = {
    "logical_argument_expression": "logical_expression",
    "bitwise_argument_expression": "bitwise_expression",
    "comparison_argument_expression": "comparison_expression",
    "additive_argument_expression": "additive_expression",
    "multiplicative_argument_expression": "multiplicative_expression",
    "format_argument_expression": "format_expression",
    "range_argument_expression": "range_expression",
}
"""The expression each node of a method call's argument list stands for.

tree-sitter-powershell parses the arguments of ``$s.Substring($s.Length - 2)`` as a
family of its own (``additive_argument_expression`` ...) with the same children as the
ordinary forms, so they compile to the same closures; PowerShell has one expression
grammar for both (about_Operators, about_Operator_Precedence)."""

_LOGICAL = frozenset({"and", "or", "xor"})
"""Operators of ``logical_expression``: the grammar's ``bitwise_argument_expression``
also takes them (and not ``-band``), so its operator, not its type, decides."""

UNSUPPORTED_VARIABLES = frozenset({"^", "$", "pscmdlet", "using"})
"""Automatic variables the lab refuses to read."""

_INT32_MIN = -(2**31)
_INT32_MAX = 2**31 - 1

_SPECIAL_NAMES = frozenset({"true", "false", "null", "psitem", "?", "maximumerrorcount", "host"})
"""Variable names whose reads or writes the evaluator treats specially."""

_COMPARE: dict[str, Callable[[int, int], bool]] = {
    "eq": lambda a, b: a == b,
    "ne": lambda a, b: a != b,
    "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b,
    "gt": lambda a, b: a > b,
    "ge": lambda a, b: a >= b,
}
"""Comparisons whose result for two plain integers is Python's (``ps_compare`` orders
numbers numerically and ``ps_equals`` compares them by value)."""

_ARITH: dict[str, Callable[[int, int], int]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
}


def _int32(value: Any) -> bool:
    """A plain ``int`` in Int32 range: not a bool, not a ``PSInt64``, not an Int64 value."""
    return type(value) is int and _INT32_MIN <= value <= _INT32_MAX


def _int_arith(op: str, fallback: Callable[[Evaluator, Any, Any], Any]) -> Callable[..., Any]:
    """``left op right`` with the Int32 case inline and every other case as before."""
    compute = _ARITH[op]

    def apply(ev: Evaluator, left: Any, right: Any) -> Any:
        if _int32(left) and _int32(right):
            result = compute(left, right)
            if _INT32_MIN <= result <= _INT32_MAX:
                return result
            return integer_result(result, left, right)
        return fallback(ev, left, right)

    return apply


_OPERATOR_METHODS = {
    "+": lambda ev, a, b: ev.operators.op_add(a, b),
    "-": lambda ev, a, b: ev.operators.op_subtract(a, b),
    "*": lambda ev, a, b: ev.operators.op_multiply(a, b),
    "/": lambda ev, a, b: ev.operators.op_divide(a, b),
    "%": lambda ev, a, b: ev.operators.op_remainder(a, b),
}


def binary(op: str) -> Callable[[Evaluator, Any, Any], Any] | None:
    """The rule for an arithmetic operator (``+`` ... ``%``), or None for another one."""
    method = _OPERATOR_METHODS.get(op)
    if method is None:
        return None
    return _int_arith(op, method) if op in _ARITH else method


class Compiler:
    """Compiles the nodes of one parsed script, each once (the closures live with it)."""

    def __init__(self, script: ParsedScript) -> None:
        self.script = script
        self.expressions: dict[int, Expr] = {}
        self.pipelines: dict[int, Pipe] = {}
        self.blocks: dict[int, list[Node]] = {}
        self.assignments: dict[int, Callable[[Evaluator], None]] = {}
        self.hashes: dict[int, tuple[HashEntry, ...]] = {}

    # ----------------------------------------------------------------- tree helpers

    def kids(self, node: Node) -> list[Node]:
        cache = self.script.kids
        found = cache.get(node.id)
        if found is None:
            found = cache[node.id] = [c for c in node.named_children if c.type != "comment"]
        return found

    def text(self, node: Node) -> str:
        return self.script.source(node)

    def unwrap(self, node: Node, wrappers: frozenset[str]) -> Node:
        """What ``Evaluator.eval`` evaluates for ``node``: single-child wrappers skipped."""
        inner = node
        while inner.type in wrappers:
            if inner.child_count == 1:
                # The common case, a wrapper around one node, read without building
                # (and caching) a list of children for each level of the chain.
                only = inner.child(0)
                if only is None or not only.is_named or only.type == "comment":
                    break
                inner = only
                continue
            parts = self.kids(inner)
            if len(parts) != 1 or len([c for c in inner.children if c.type != "comment"]) != 1:
                break
            inner = parts[0]
        return inner

    def statements_of_block(self, node: Node) -> list[Node]:
        """The statements of a ``{ ... }`` statement block."""
        found = self.blocks.get(node.id)
        if found is None:
            body = next((c for c in self.kids(node) if c.type == "statement_list"), None)
            found = self.blocks[node.id] = [] if body is None else self.kids(body)
        return found

    # ----------------------------------------------------------------- expressions

    def expression(self, node: Node, ev: Evaluator) -> Expr:
        """The closure for ``ev.eval(node)``; ``ev`` only supplies the handler table."""
        return self.expressions.get(node.id) or _keep(
            self.expressions, node, self._compile(node, ev)
        )

    def _compile(self, node: Node, ev: Evaluator) -> Expr:
        inner = self.unwrap(node, WRAPPERS)
        kind = self.kind(inner)
        special = _SPECIAL_SHAPES.get(kind)
        if special is not None:
            compiled = special(self, inner, ev)
            if compiled is not None:
                return compiled
        return self._generic(inner, kind, ev)

    def kind(self, node: Node) -> str:
        """The node's type, an argument form (:data:`ARGUMENT_FORMS`) as its ordinary one."""
        kind = node.type
        ordinary = ARGUMENT_FORMS.get(kind)
        if ordinary is None:
            return kind
        if ordinary in ("logical_expression", "bitwise_expression"):
            parts = [c for c in node.children if c.type != "comment"]
            if len(parts) == 3:
                logical = operator_name(parts[1].type) in _LOGICAL
                return "logical_expression" if logical else "bitwise_expression"
        return ordinary

    def _generic(self, node: Node, kind: str, ev: Evaluator) -> Expr:
        """The evaluator's own handler for the node, found once."""
        method = getattr(type(ev), "expr_" + kind, None)
        if method is not None:
            return lambda e: method(e, node)
        operators = getattr(type(ev.operators), "expr_" + kind, None)
        if operators is not None:
            return lambda e: operators(e.operators, node)
        return lambda e: e.eval_statement_or_refuse(node)

    def _integer(self, node: Node, ev: Evaluator) -> Expr | None:
        try:
            value = ev.integer_value(node)
        except ValueError:
            return None  # reported when it runs, as before
        return lambda e: value

    def _variable(self, node: Node, ev: Evaluator) -> Expr | None:
        """A plain ``$name``: the scope chain read inline (no drive, no special name);
        ``$true``, ``$false`` and ``$null`` are their constant values."""
        text = self.text(node)
        if text.startswith("$"):
            bare = text[1:]
            if bare.startswith("{") and bare.endswith("}"):
                bare = bare[1:-1]
            folded_text = bare.casefold()
            if folded_text in _CONSTANT_VARIABLES:
                constant = _CONSTANT_VARIABLES[folded_text]
                return lambda e: constant
        name = plain_variable(text)
        if name is None:
            return None
        folded = name.casefold()
        if folded in UNSUPPORTED_VARIABLES or folded == "input":  # $input may be streamed
            return None

        def read(e: Evaluator) -> Any:
            scope: Scope | None = e.scope
            while scope is not None:
                entry = scope.variables.get(folded)
                if entry is not None:
                    return entry[1]
                scope = scope.parent
            return e.read_variable(name, node)  # not set: strict mode decides

        return read

    def _string(self, node: Node, ev: Evaluator) -> Expr | None:
        """A string literal: a verbatim one, or an expandable one without ``$``, is its
        constant value; an expandable one with variables or ``$( )`` joins parts split
        once (``Evaluator.expr_string_literal`` and ``expand_string`` split it at every run)."""
        token = ev.text_of(node)
        inner = node
        if node.type == "string_literal":
            parts = self.kids(node)
            inner = parts[0] if parts else node
            if inner.type in VERBATIM_STRINGS:
                try:
                    value = decode_verbatim(token)
                except Exception:  # noqa: BLE001 - reported when it runs, as before
                    return None
                return lambda e: value
        try:
            pieces, subexpressions = ev.string_parts(inner, token)
        except Exception:  # noqa: BLE001 - as above
            return None
        if all(type(piece) is Literal for piece in pieces):
            text = "".join(piece.text for piece in pieces)
            return lambda e: text
        return lambda e: e.join_parts(pieces, subexpressions, inner)

    def _cast(self, node: Node, ev: Evaluator) -> Expr | None:
        """``[type]operand`` with the type's name read once."""
        parts = self.kids(node)
        if not parts:
            return None
        try:
            name = ev.type_name(parts[0])
        except Exception:  # noqa: BLE001 - reported when it runs, as before
            return None
        if name.casefold() in REFERENCE_TYPE_NAMES:
            return None  # a reference to the variable, not to its value: the evaluator's
        operand = self.expression(parts[-1], ev)
        return lambda e: e.cast_value(name, operand(e), node)

    def _member(self, node: Node, ev: Evaluator) -> Expr | None:
        """``target.Name`` with a written (not computed) name, not ``::``: the name read once."""
        parts = self.kids(node)
        if not parts:
            return None
        target_node, member = parts[0], parts[-1]
        member_parts = self.kids(member)
        if member_parts and member_parts[0].type != "simple_name":
            return None  # a computed name is evaluated before the target, at each run
        if any(c.type == "::" for c in node.children):
            return None
        name = ev.text_of(member)
        target = self.expression(target_node, ev)
        return lambda e: e.members.get_member(target(e), name, node)

    def _hash_literal(self, node: Node, ev: Evaluator) -> Expr | None:
        try:
            entries = self.hash_entries(node, ev)
        except Exception:  # noqa: BLE001 - reported when it runs, as before
            return None
        return lambda e: e.hash_literal(entries)

    def hash_entries(self, node: Node, ev: Evaluator) -> tuple[HashEntry, ...]:
        """A hash literal's entries with their keys and values compiled, once per node."""
        found = self.hashes.get(node.id)
        if found is None:
            found = self.hashes[node.id] = tuple(
                (name, None if name is not None else self.expression(key, ev),
                 self.pipeline(value, ev))
                for key, name, value in ev.hash_entries_of(node)
            )  # fmt: skip
        return found

    def _operands(self, node: Node, ev: Evaluator) -> tuple[Expr, str, Expr]:
        parts = [c for c in node.children if c.type != "comment"]
        return (
            self.expression(parts[0], ev),
            self.text(parts[1]),
            self.expression(parts[-1], ev),
        )

    def _comparison(self, node: Node, ev: Evaluator) -> Expr | None:
        left, op_text, right = self._operands(node, ev)
        name = operator_name(op_text)
        if name in ("is", "isnot", "as"):
            return None
        fast = _COMPARE.get(name)
        compare = ev.operators.__class__.compare

        def run(e: Evaluator) -> Any:
            a, b = _value(left, e), _value(right, e)
            if fast is not None and _int32(a) and _int32(b):
                return fast(a, b)
            return compare(e.operators, name, a, b, node)

        return run

    def _arithmetic(self, node: Node, ev: Evaluator) -> Expr | None:
        left, op_text, right = self._operands(node, ev)
        rule = binary(op_text.strip())
        if rule is None:
            return None
        if self.kind(node) == "additive_expression" and op_text.strip() not in ("+", "-"):
            return None

        def run(e: Evaluator) -> Any:
            return rule(e, _value(left, e), _value(right, e))

        return run

    def _step(self, node: Node, ev: Evaluator) -> Expr | None:
        """``$i++`` and friends on a plain variable; others go through ``Evaluator._step``."""
        parts = self.kids(node)
        if not parts:
            return None
        target = parts[0]
        variable = self.unwrap(target, WRAPPERS)
        setter = self.variable_setter(variable) if variable.type == "variable" else None
        if setter is None:
            return None
        delta = 1 if "increment" in node.type else -1
        post = node.type.startswith("post")
        read = self.expression(target, ev)
        add = binary("+")
        assert add is not None
        statement = ev.is_statement_node(node)

        def run(e: Evaluator) -> Any:
            old = read(e)
            new = add(e, old if old is not None else 0, delta)
            setter(e, new)
            if statement or e.statement is node:
                return NOTHING
            return old if post else new

        return run

    def variable_setter(self, node: Node) -> Callable[[Evaluator, Any], None] | None:
        """Assigning a plain ``$name`` in the current scope; None for any other target.

        A scope with type constraints takes the evaluator's full path (conversion).
        """
        name = plain_variable(self.text(node))
        if name is None:
            return None
        folded = name.casefold()

        def assign(e: Evaluator, value: Any) -> None:
            scope = e.scope
            if scope.constraints:
                e.assign_variable(node, value)
            else:
                scope.variables[folded] = (name, value)

        return assign

    # ----------------------------------------------------------------- pipelines

    def pipeline(self, node: Node, ev: Evaluator) -> Pipe:
        """The closure for ``ev.eval_pipeline(node, emit_commands)``."""
        return self.pipelines.get(node.id) or _keep(
            self.pipelines, node, self._compile_pipeline(node, ev)
        )

    def _compile_pipeline(self, node: Node, ev: Evaluator) -> Pipe:
        chain = node
        while chain.type in ("pipeline", "pipeline_chain") and len(self.kids(chain)) == 1:
            chain = self.kids(chain)[0]
        if chain.type in ("pipeline_chain", "command"):
            stages = [chain] if chain.type == "command" else self.kids(chain)

            def run_commands(e: Evaluator, emit: Emit | None) -> Any:
                return e.run_stages(stages, emit)

            return run_commands
        if chain.type == "assignment_expression":
            assign = self.assignment(chain, ev)

            def run_assignment(e: Evaluator, emit: Emit | None) -> Any:
                assign(e)
                return NOTHING

            return run_assignment
        expression = self.expression(chain, ev)
        return lambda e, emit: expression(e)

    def assignment(self, node: Node, ev: Evaluator) -> Callable[[Evaluator], None]:
        """The closure for ``ev.eval_assignment(node)``."""
        return self.assignments.get(node.id) or _keep(
            self.assignments, node, self._compile_assignment(node, ev)
        )

    def _compile_assignment(self, node: Node, ev: Evaluator) -> Callable[[Evaluator], None]:
        """``target op= value``: the value first, then the current value, then the store."""
        parts = self.kids(node)
        target = parts[0]
        operator = self.text(parts[1]).strip()
        value_node = node.child_by_field_name("value") or parts[-1]
        value_of = self.pipeline(value_node, ev)
        unwrapped = self.unwrap(target, WRAPPERS)
        setter = self.variable_setter(unwrapped) if unwrapped.type == "variable" else None
        rule = binary(operator[:-1]) if operator != "=" and len(operator) == 2 else None
        if operator != "=" and rule is None:
            return lambda e: e.eval_assignment_uncompiled(node)
        current = self.expression(target, ev) if rule is not None else None

        def run(e: Evaluator) -> None:
            value = value_of(e, None)
            if value is NOTHING:
                value = None
            if rule is not None:
                assert current is not None
                value = rule(e, current(e), value)
            if setter is not None:
                setter(e, value)
            else:
                e.assign_to(target, value)

        return run


_SPECIAL_SHAPES: dict[str, Callable[[Compiler, Node, Evaluator], Expr | None]] = {
    "integer_literal": Compiler._integer,
    "variable": Compiler._variable,
    "comparison_expression": Compiler._comparison,
    "additive_expression": Compiler._arithmetic,
    "multiplicative_expression": Compiler._arithmetic,
    "post_increment_expression": Compiler._step,
    "post_decrement_expression": Compiler._step,
    "pre_increment_expression": Compiler._step,
    "pre_decrement_expression": Compiler._step,
    "string_literal": Compiler._string,
    "expandable_string_literal": Compiler._string,
    "cast_expression": Compiler._cast,
    "member_access": Compiler._member,
    "hash_literal_expression": Compiler._hash_literal,
}
"""The :class:`Compiler` method with a direct version of each hot node type (a table of
bound methods built for every node compiled cost a dictionary each time)."""


def _value(expression: Expr, ev: Evaluator) -> Any:
    """An operand's value: NOTHING (an assignment's) is ``$null``, as ``Operators._value``."""
    value = expression(ev)
    return None if value is NOTHING else value


def _keep(cache: dict[int, _T], node: Node, compiled: _T) -> _T:
    """Store a node's closure the first time it is compiled."""
    cache[node.id] = compiled
    return compiled


def plain_variable(text: str) -> str | None:
    """The name in ``$name`` when it is a plain variable the closures may read and write
    directly: no ``@`` splat, no ``scope:`` or drive, not ``$true``/``$null``/``$PSItem``."""
    if not text.startswith("$"):
        return None
    name = text[1:]
    if name.startswith("{") and name.endswith("}"):
        name = name[1:-1]
    if not name or ":" in name or name.casefold() in _SPECIAL_NAMES:
        return None
    return name


def compiler_of(script: ParsedScript) -> Compiler:
    """The script's compiler, made on first use (one per parsed script)."""
    found = script.bodies.get("compiler")
    if found is None:
        found = script.bodies.setdefault("compiler", Compiler(script))
    assert isinstance(found, Compiler)
    return found
