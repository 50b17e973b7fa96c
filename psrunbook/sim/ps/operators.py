"""Operator nodes: comparison, logical, arithmetic, string operators and unary forms.

A collaborator of :class:`psrunbook.sim.ps.evaluator.Evaluator`, which hands it the
operator nodes (the ``expr_*`` methods) and calls its ``op_*`` rules; it reaches back
only through :class:`~psrunbook.sim.ps.evaluator_api.EvaluatorApi`. The value rules
themselves are in :mod:`psrunbook.sim.ps.values`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from psrunbook.sim.objects import (
    DotNetList,
    PSChar,
    PSEnum,
    PSHashtable,
    PSObject,
    TypedArray,
    member_text,
)
from psrunbook.sim.ps import span_arithmetic
from psrunbook.sim.ps.date_arithmetic import DateArgumentError
from psrunbook.sim.ps.date_format import datetime_moment
from psrunbook.sim.ps.date_parse import DateNotModelled, DateParseError, parse_datetime
from psrunbook.sim.ps.date_values import datetime_value
from psrunbook.sim.ps.dotnet_lists import is_list_type
from psrunbook.sim.ps.number_format import FormatNotModelled
from psrunbook.sim.ps.span_arithmetic import SpanOperandNotModelled, is_span_operand
from psrunbook.sim.ps.timespan_format import TimeSpanError
from psrunbook.sim.ps.timespan_values import to_timespan
from psrunbook.sim.ps.values import (
    NOTHING,
    ConversionError,
    as_list,
    dotnet_regex,
    dotnet_replacement,
    format_operator,
    integer_result,
    is_collection,
    ps_compare,
    ps_equals,
    to_bool,
    to_number,
    to_string,
    type_name_of,
    wildcard_regex,
)
from psrunbook.sim.timespan_wire import timespan_ticks

if TYPE_CHECKING:
    from psrunbook.sim.ps.evaluator_api import EvaluatorApi

_DASHES = "-\u2013\u2014\u2015"
_FILTERING = {"eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch"}
_VALUE_TYPE_ELEMENTS = frozenset(
    ("System.Int32", "System.Int64", "System.Char", "System.Double", "System.Boolean")
)
"""Element types of the lab's typed arrays that are value types (no array covariance)."""

_TYPE_ALIASES = {
    "string": ("system.string",),
    "int": ("system.int32",),
    "int32": ("system.int32",),
    "long": ("system.int64",),
    "bool": ("system.boolean",),
    "double": ("system.double",),
    "hashtable": ("system.collections.hashtable",),
    "array": ("system.object[]",),
    "object[]": ("system.object[]",),
    "pscustomobject": ("system.management.automation.pscustomobject",),
    "scriptblock": ("system.management.automation.scriptblock",),
    "securestring": ("system.security.securestring",),
    "errorrecord": ("system.management.automation.errorrecord",),
}


_DICTIONARY_INTERFACES = frozenset(
    {
        "system.collections.idictionary",
        "system.collections.icollection",
        "system.collections.ienumerable",
    }
)
"""The interfaces Hashtable and OrderedDictionary both implement."""


def operator_name(text: str) -> str:
    """``-EQ``, ``–eq`` (en dash) and ``-ieq`` all name ``eq``; ``-ceq`` keeps its c."""
    name = text.strip().lstrip(_DASHES).casefold()
    if name.startswith("i") and name[1:] in _ALL_OPERATORS:
        return name[1:]
    return name


_ALL_OPERATORS = {
    "eq", "ne", "gt", "ge", "lt", "le", "like", "notlike", "match", "notmatch", "contains",
    "notcontains", "in", "notin", "replace", "split", "join", "is", "isnot", "as",
}  # fmt: skip


class Operators:
    """Operator evaluation for one evaluator, which it reaches through :class:`EvaluatorApi`."""

    def __init__(self, evaluator: EvaluatorApi) -> None:
        self._ev = evaluator

    def _value(self, node: Node) -> Any:
        value = self._ev.eval(node)
        return None if value is NOTHING else value

    # ----------------------------------------------------------------- comparison

    def op_equals(self, left: Any, right: Any, case_sensitive: bool = False) -> bool:
        return ps_equals(left, right, case_sensitive)

    def expr_comparison_expression(self, node: Node) -> Any:
        parts = [c for c in node.children if c.type != "comment"]
        left_node, op_node, right_node = parts[0], parts[1], parts[-1]
        name = operator_name(self._ev.text_of(op_node))
        left = self._value(left_node)
        if name in ("is", "isnot"):
            right_type = self._ev.eval(right_node)
            result = self.is_type(left, str(right_type))
            return result if name == "is" else not result
        if name == "as":
            try:
                return self._ev.cast(str(self._ev.eval(right_node)), left, node)
            except Exception:  # noqa: BLE001 -- -as turns any failed conversion into $null
                return None
        right = self._value(right_node)
        return self.compare(name, left, right, node)

    def compare(self, name: str, left: Any, right: Any, node: Node | None) -> Any:
        case_sensitive = name.startswith("c") and name[1:] in _ALL_OPERATORS
        base = name[1:] if case_sensitive else name
        if base not in _ALL_OPERATORS:
            raise self._ev.unsupported(node, f"operator -{name}")
        if base == "join":
            # ParserOps.JoinOperator: the separator as any value becomes a string ($OFS
            # joins an array of them), the items as a collection's items do.
            return self._ev.ofs_text(right).join(member_text(v) for v in as_list(left))
        if base == "split":
            return self.op_split(left, right, case_sensitive)
        if base == "replace":
            return self.op_replace(left, right, case_sensitive, node)
        if base in ("contains", "notcontains"):
            found = any(ps_equals(item, right, case_sensitive) for item in as_list_or_null(left))
            return found if base == "contains" else not found
        if base in ("in", "notin"):
            found = any(ps_equals(item, left, case_sensitive) for item in as_list_or_null(right))
            return found if base == "in" else not found
        if is_collection(left) and base in _FILTERING:
            return [
                item
                for item in left
                if self._scalar_compare(base, item, right, case_sensitive, node, False)
            ]
        return self._scalar_compare(base, left, right, case_sensitive, node, True)

    def _datetime_order(
        self, left: Any, right: Any, node: Node | None, equality: bool = False
    ) -> int | None:
        """``-eq``/``-lt``/``-gt``/... with a DateTime on the left: DateTime.CompareTo (and
        Equals), by ticks whatever the Kinds; None when the left is neither a DateTime nor
        a TimeSpan (:meth:`_timespan_order`). A right side that is not a DateTime
        PowerShell would convert to one (a string parsed in the culture), which the lab
        does not model: refused by name."""
        moment = datetime_moment(left)
        if moment is None:
            return self._timespan_order(left, right, equality)
        if right is None:
            return 1
        other = datetime_moment(right)
        if other is None and isinstance(right, str):
            # PowerShell converts the right side to a DateTime (the invariant culture).
            try:
                other = parse_datetime(right)
            except DateNotModelled as refused:
                raise self._ev.unsupported(node, str(refused)) from None
            except DateParseError as exc:
                if equality:
                    return 1
                reason = ConversionError(right, "datetime", str(exc))
                raise self._ev.runtime_fail(
                    f'Could not compare "{to_string(left)}" to "{right}". Error: "{reason}"',
                    "ComparisonFailure",
                    "InvalidOperation",
                ) from None
        if other is None:
            raise self._ev.unsupported(
                node, f"comparing a DateTime with a {type_name_of(right)} (conversion to DateTime)"
            )
        return (moment.ticks > other.ticks) - (moment.ticks < other.ticks)

    def _timespan_order(self, left: Any, right: Any, equality: bool) -> int | None:
        """A TimeSpan on the left: TimeSpan.CompareTo by ticks, the right converted to a
        TimeSpan as PowerShell converts it (``'00:05:00'`` parsed, an integer as ticks);
        ``$null`` is smaller. A right side that does not convert is unequal to it and
        cannot be ordered against it (PowerShell's "Could not compare")."""
        mine = timespan_ticks(left)
        if mine is None:
            return None
        if right is None:
            return 1
        try:
            theirs = timespan_ticks(to_timespan(right))
        except ConversionError as exc:
            if equality:
                return 1
            raise self._ev.runtime_fail(
                f'Could not compare "{to_string(left)}" to "{to_string(right)}". Error: "{exc}"',
                "ComparisonFailure",
                "InvalidOperation",
            ) from None
        assert theirs is not None
        return (mine > theirs) - (mine < theirs)

    def switch_match(self, mode: str, item: Any, label: Any, cs: bool, node: Node) -> bool:
        """A switch clause's string label against the item (about_Switch): ``-eq``
        by default and with -Exact, ``-like`` with -Wildcard, ``-match`` with -Regex
        (which sets ``$Matches``); ``cs`` for -CaseSensitive."""
        name = {"wildcard": "like", "regex": "match"}.get(mode, "eq")
        return self._scalar_compare(name, item, label, cs, node, True)

    def _scalar_compare(
        self, name: str, left: Any, right: Any, cs: bool, node: Node | None, set_matches: bool
    ) -> bool:
        if name in ("eq", "ne"):
            order = self._datetime_order(left, right, node, equality=True)
            equal = ps_equals(left, right, cs) if order is None else order == 0
            return equal if name == "eq" else not equal
        if name in ("like", "notlike"):
            matched = wildcard_regex(to_string(right), cs).match(to_string(left)) is not None
            return matched if name == "like" else not matched
        if name in ("match", "notmatch"):
            try:
                pattern = dotnet_regex(to_string(right), cs)
            except re.error as exc:
                raise self._ev.runtime_fail(
                    f'Invalid regular expression pattern: "{to_string(right)}": {exc}',
                    "InvalidRegularExpression",
                    "InvalidOperation",
                ) from None
            match = pattern.search(to_string(left))
            if set_matches and match is not None:
                groups = PSHashtable()
                groups["0"] = match.group(0)
                for index, value in enumerate(match.groups(), start=1):
                    if value is not None:
                        groups[str(index)] = value
                for key, value in match.groupdict().items():
                    if value is not None:
                        groups[key] = value
                self._ev.scope.set_local("Matches", groups)
            return (match is not None) if name == "match" else match is None
        order = self._datetime_order(left, right, node)
        if order is not None:
            return {"gt": order > 0, "ge": order >= 0, "lt": order < 0, "le": order <= 0}[name]
        try:
            order = ps_compare(left, right, cs)
        except ConversionError as exc:
            raise self._ev.runtime_fail(
                f'Could not compare "{to_string(left)}" to "{to_string(right)}". Error: "{exc}"',
                "ComparisonFailure",
                "InvalidOperation",
            ) from None
        return {
            "gt": order > 0,
            "ge": order >= 0,
            "lt": order < 0,
            "le": order <= 0,
        }[name]

    def op_split(self, left: Any, right: Any, cs: bool) -> TypedArray:
        arguments = as_list(right)
        pattern = to_string(arguments[0]) if arguments else " "
        limit = int(to_number(arguments[1])) if len(arguments) > 1 else 0
        regex = dotnet_regex(pattern, cs)
        out: list[str] = []
        for item in as_list_or_null(left):
            pieces = regex.split(to_string(item), maxsplit=max(limit - 1, 0))
            out.extend(p for p in pieces if p is not None)
        return TypedArray(out, element="System.String")  # ParserOps.SplitOperator: string[]

    def op_replace(self, left: Any, right: Any, cs: bool, node: Node | None) -> Any:
        arguments = as_list(right)
        if not arguments or len(arguments) > 2:
            raise self._ev.unsupported(node, "-replace with this right-hand side")
        regex = dotnet_regex(to_string(arguments[0]), cs)
        replacement = to_string(arguments[1]) if len(arguments) > 1 else ""
        substitute = dotnet_replacement(replacement)
        if is_collection(left):
            return [regex.sub(substitute, to_string(item)) for item in left]
        return regex.sub(substitute, to_string(left))

    def is_type(self, value: Any, type_name: str) -> bool:
        wanted = type_name.casefold()
        if value is None:
            return False
        names: set[str] = {type_name_of(value).casefold(), "system.object", "object", "psobject"}
        if isinstance(value, PSObject):
            names.update(t.casefold() for t in value.type_names)
        elif isinstance(value, PSHashtable):
            # Its type's bases (a PSPrimitiveDictionary is a Hashtable) and the interfaces
            # every .NET dictionary implements; an [ordered] one is no Hashtable.
            names.update(t.casefold() for t in value.TYPE_NAMES)
            names.update(_DICTIONARY_INTERFACES)
        if isinstance(value, PSEnum):
            names.add("system.enum")
        if isinstance(value, DotNetList) and is_list_type(value, type_name):
            return True
        candidates = {wanted, "system." + wanted, *_TYPE_ALIASES.get(wanted, ())}
        if wanted.endswith("[]"):  # [int[]] is System.Int32[]
            candidates |= {f"{alias}[]" for alias in _TYPE_ALIASES.get(wanted[:-2], ())}
        if isinstance(value, TypedArray) and wanted in ("object[]", "system.object[]"):
            # Array covariance: a String[] is an Object[], an Int32[] (value types) is not.
            return value.element not in _VALUE_TYPE_ELEMENTS
        if wanted in ("array", "object[]", "system.array") and is_collection(value):
            return not isinstance(value, DotNetList)
        return bool(candidates & names)

    # ----------------------------------------------------------------- logical

    def expr_logical_expression(self, node: Node) -> Any:
        parts = [c for c in node.children if c.type != "comment"]
        left_node, op, right_node = parts[0], operator_name(parts[1].type), parts[-1]
        left = to_bool(self._value(left_node))
        if op == "and":
            return left and to_bool(self._value(right_node))
        if op == "or":
            return left or to_bool(self._value(right_node))
        if op == "xor":
            return left != to_bool(self._value(right_node))
        raise self._ev.unsupported(node, f"operator {parts[1].type}")

    def expr_bitwise_expression(self, node: Node) -> Any:
        parts = [c for c in node.children if c.type != "comment"]
        op = operator_name(parts[1].type)
        left = int(to_number(self._value(parts[0])))
        right = int(to_number(self._value(parts[-1])))
        if op == "band":
            return left & right
        if op == "bor":
            return left | right
        if op == "bxor":
            return left ^ right
        raise self._ev.unsupported(node, f"operator {parts[1].type}")

    def expr_expression_with_unary_operator(self, node: Node) -> Any:
        parts = [c for c in node.children if c.type != "comment"]
        if len(parts) == 1:
            return self._ev.eval(parts[0])
        op = self._ev.text_of(parts[0]).strip()
        operand = self._value(parts[-1])
        name = operator_name(op) if op[:1] in _DASHES and len(op) > 1 else op
        if op == "!" or name == "not":
            return not to_bool(operand)
        if op == "," or parts[0].type == ",":
            # The operator's node, not its text: a comma the lexer moved to close up a
            # spaced list (``, 2``, ``@(1`` / ``, 2)``) reads as "" at its place, and ""
            # is "in" any string (it once negated the operand).
            return [operand]
        if op and op in _DASHES:
            return -self._number(operand, node)
        if op == "+":
            return self._number(operand, node)
        if name == "join":
            return "".join(member_text(v) for v in as_list(operand))
        if name == "split":
            pieces = [p for p in re.split(r"\s+", to_string(operand).strip()) if p]
            return TypedArray(pieces, element="System.String")
        if name == "bnot":
            return ~int(to_number(operand))
        raise self._ev.unsupported(node, f"unary operator {op}")

    def _number(self, value: Any, node: Node) -> int | float:
        try:
            return to_number(value)
        except ConversionError as exc:
            raise self._ev.runtime_fail(str(exc), "InvalidCastFromStringToInteger") from None

    # ----------------------------------------------------------------- arithmetic

    def expr_additive_expression(self, node: Node) -> Any:
        parts = [c for c in node.children if c.type != "comment"]
        left = self._value(parts[0])
        right = self._value(parts[-1])
        op = self._ev.text_of(parts[1]).strip()
        if op == "+":
            return self.op_add(left, right)
        return self.op_subtract(left, right)

    def expr_multiplicative_expression(self, node: Node) -> Any:
        parts = [c for c in node.children if c.type != "comment"]
        left = self._value(parts[0])
        right = self._value(parts[-1])
        op = self._ev.text_of(parts[1]).strip()
        if op == "*":
            return self.op_multiply(left, right)
        if op == "/":
            return self.op_divide(left, right)
        return self.op_remainder(left, right)

    def expr_format_expression(self, node: Node) -> Any:
        parts = [c for c in node.children if c.type != "comment"]
        template = to_string(self._value(parts[0]))
        args = self._value(parts[-1])
        try:
            return format_operator(template, as_list(args) if args is not None else [None])
        except FormatNotModelled as exc:
            raise self._ev.unsupported(node, str(exc)) from None
        except ConversionError as exc:
            raise self._ev.runtime_fail(
                f"Error formatting a string: {exc}", "FormatError", "InvalidOperation"
            ) from None

    def op_add(self, left: Any, right: Any) -> Any:
        if left is None:
            return right
        if isinstance(left, PSChar):  # a Char adds as its code: [char]'a' + 1 is 98
            return self._arith(left, right, lambda a, b: a + b, "op_Addition")
        if isinstance(left, str):
            return left + self._ev.ofs_text(right)
        if is_collection(left):
            return [*left, *(right if is_collection(right) else [right])]
        if isinstance(left, PSHashtable):
            if not isinstance(right, PSHashtable):
                raise self._ev.runtime_fail(
                    "A hash table can only be added to another hash table.",
                    "AddHashTableToNonHashTable",
                )
            merged = PSHashtable(left.items())
            for key, value in right.items():
                if key in merged:
                    raise self._ev.runtime_fail(
                        f"Item has already been added. Key in dictionary: '{key}'  Key being "
                        f"added: '{key}'",
                        "System.ArgumentException",
                        exception_type="System.ArgumentException",
                    )
                merged[key] = value
            return merged
        return self._arith(left, right, lambda a, b: a + b, "op_Addition")

    def op_subtract(self, left: Any, right: Any) -> Any:
        return self._arith(left, right, lambda a, b: a - b, "op_Subtraction")

    def op_multiply(self, left: Any, right: Any) -> Any:
        if isinstance(left, str) and not isinstance(left, PSChar):
            return left * int(self._checked(right))
        if is_collection(left):
            return list(left) * int(self._checked(right))
        return self._arith(left, right, lambda a, b: a * b, "op_Multiply")

    def op_divide(self, left: Any, right: Any) -> Any:
        if is_span_operand(left):
            raise self._method_not_found(left, "op_Division")
        divisor = self._checked(right)
        if divisor == 0:
            raise self._divided_by_zero()
        dividend = self._checked(left)
        if isinstance(dividend, int) and isinstance(divisor, int) and dividend % divisor == 0:
            return integer_result(dividend // divisor, dividend, divisor)
        return dividend / divisor

    def _divided_by_zero(self) -> Exception:
        """``1/0``: PowerShell's RuntimeException around .NET's DivideByZeroException
        (``$_.Exception`` is the RuntimeException, its InnerException the other; a
        ``catch [System.DivideByZeroException]`` still takes it)."""
        return self._ev.runtime_fail(
            "Attempted to divide by zero.",
            "RuntimeException",
            "NotSpecified",
            inner=("System.DivideByZeroException", "Attempted to divide by zero."),
        )

    def op_remainder(self, left: Any, right: Any) -> Any:
        divisor = self._checked(right)
        if divisor == 0:
            raise self._divided_by_zero()
        dividend = self._checked(left)
        result = abs(dividend) % abs(divisor)
        return -result if dividend < 0 else result

    def _method_not_found(self, left: Any, method: str) -> Exception:
        return self._ev.runtime_fail(
            f"Method invocation failed because [{type_name_of(left)}] does not contain a "
            f"method named '{method}'.",
            "MethodNotFound",
            exception_type="System.Management.Automation.RuntimeException",
        )

    def _checked(self, value: Any) -> int | float:
        try:
            return to_number(value)
        except ConversionError as exc:
            raise self._ev.runtime_fail(
                str(exc),
                "InvalidCastFromStringToInteger",
                "InvalidArgument",
                exception_type="System.Management.Automation.PSInvalidCastException",
            ) from None

    def _arith(self, left: Any, right: Any, op: Any, method: str) -> Any:
        """``left op right`` for numbers; for anything else PowerShell looks for the .NET
        operator ``method`` (op_Addition, op_Subtraction, op_Multiply) on the left's type.
        DateTime and TimeSpan have op_Addition and op_Subtraction
        (:mod:`psrunbook.sim.ps.span_arithmetic`); neither has op_Multiply in .NET
        Framework."""
        if method != "op_Multiply" and is_span_operand(left):
            combine = span_arithmetic.add if method == "op_Addition" else span_arithmetic.subtract
            try:
                return combine(left, right, datetime_value)
            except SpanOperandNotModelled as refused:
                raise self._ev.unsupported(self._ev.statement, str(refused)) from None
            except (DateArgumentError, TimeSpanError) as thrown:
                raise self._ev.runtime_fail(
                    f'Exception calling "{method}" with "2" argument(s): "{thrown}"',
                    thrown.exception,
                    "NotSpecified",
                    exception_type="System.Management.Automation.MethodInvocationException",
                ) from None
        if is_collection(left) or isinstance(left, PSHashtable | PSObject):
            raise self._method_not_found(left, method)
        a, b = self._checked(left), self._checked(right)
        result = op(a, b)
        if isinstance(a, int) and isinstance(b, int):
            return integer_result(int(result), a, b)
        return float(result)


def as_list_or_null(value: Any) -> list[Any]:
    """Operands of ``-contains``/``-in``: ``$null`` is a one-element collection."""
    if value is None:
        return [None]
    return as_list(value)
