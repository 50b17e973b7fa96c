"""The intrinsic ``.Where()`` and ``.ForEach()`` methods every object has (PowerShell 4+).

about_Arrays ("Where", "ForEach"): they run on a collection's elements, or on a scalar
as a one-element collection, and return a collection (a Collection<PSObject>, which an
assignment keeps as a collection even with one element). ``.Where({ }, mode, n)`` takes
a WhereOperatorSelectionMode: Default (every match, at most ``n`` when ``n`` > 0),
First and Last (``n`` matches, 1 by default), SkipUntil (from the first match on),
Until (up to the first match) and Split (the matches, then the rest, as two
collections). ``.ForEach({ })`` runs the block with ``$_`` each element (extra
arguments are ``$args``); ``.ForEach('Name')`` gives each element's property (the
method-name and type forms are refused).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from tree_sitter import Node

from psrunbook.sim.objects import PSHashtable, PSObject
from psrunbook.sim.ps.binding import Argument
from psrunbook.sim.ps.values import ScriptBlockValue, is_collection, to_bool, to_int, to_string

if TYPE_CHECKING:
    from psrunbook.sim.ps.evaluator_api import EvaluatorApi

WHERE_MODES = ("Default", "First", "Last", "SkipUntil", "Until", "Split")
"""System.Management.Automation.WhereOperatorSelectionMode, in its order."""


def call_intrinsic(
    ev: EvaluatorApi,
    target: Any,
    name: str,
    args: Sequence[Any],
    node: Node | None,
    get_member: Callable[[Any, str, Node], Any],
) -> list[Any]:
    """``target.Where(...)`` or ``target.ForEach(...)`` (``name`` folded)."""
    items = list(target) if is_collection(target) else [target]
    if name == "where":
        return _where(ev, items, args, node)
    if args and isinstance(args[0], ScriptBlockValue):
        out: list[Any] = []
        extra = [Argument(None, a) for a in args[1:]]
        for item in items:
            ev.check_stop()
            out.extend(ev.invoke_block(args[0], item, extra))
        return out
    if (
        len(args) == 1
        and isinstance(args[0], str)
        and node is not None
        and all(_has_property(item, args[0]) for item in items)
    ):
        return [get_member(item, args[0], node) for item in items]
    # Windows also calls a method of that name, or converts to a type: not modelled.
    raise ev.unsupported(
        node, "ForEach() other than with a script block or a property of every element"
    )


def _has_property(item: Any, name: str) -> bool:
    folded = name.casefold()
    if isinstance(item, PSHashtable):
        return True
    return isinstance(item, PSObject) and any(k.casefold() == folded for k in item.properties)


def _where(ev: EvaluatorApi, items: list[Any], args: Sequence[Any], node: Node | None) -> list[Any]:
    if not args or len(args) > 3 or not isinstance(args[0], ScriptBlockValue):
        raise ev.unsupported(node, "Where() other than Where({ ... }[, mode[, count]])")
    mode = _mode(ev, args[1]) if len(args) > 1 else "Default"
    count = to_int(args[2]) if len(args) > 2 else 0

    def matches(item: Any) -> bool:
        ev.check_stop()
        return to_bool(_single(ev.invoke_block(args[0], item)))

    if mode == "Default":
        found = [item for item in items if matches(item)]
        return found[:count] if count > 0 else found
    if mode == "First":
        found = []
        for item in items:
            if len(found) >= max(count, 1):
                break
            if matches(item):
                found.append(item)
        return found
    if mode == "Last":
        found = [item for item in items if matches(item)]
        return found[-max(count, 1) :]
    if mode == "Split":
        hits: list[Any] = []
        rest: list[Any] = []
        for item in items:
            (hits if (count <= 0 or len(hits) < count) and matches(item) else rest).append(item)
        return [hits, rest]
    index = next((i for i, item in enumerate(items) if matches(item)), len(items))
    chosen = items[index:] if mode == "SkipUntil" else items[:index]
    return chosen[:count] if count > 0 else chosen


def _single(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values


def _mode(ev: EvaluatorApi, value: Any) -> str:
    text = to_string(value)
    for mode in WHERE_MODES:
        if mode.casefold() == text.strip().casefold():
            return mode
    # UNVERIFIED wording: the method argument conversion error of 5.1.
    raise ev.runtime_fail(
        f'Cannot convert argument "mode", with value: "{text}", for "Where" to type '
        '"System.Management.Automation.WhereOperatorSelectionMode": "Cannot convert value '
        f'"{text}" to type "System.Management.Automation.WhereOperatorSelectionMode". Error: '
        f'"Unable to match the identifier name {text} to a valid enumerator name. Specify one '
        f'of the following enumerator names and try again: {", ".join(WHERE_MODES)}""',
        "MethodArgumentConversionInvalidCastArgument",
        "NotSpecified",
        exception_type="System.Management.Automation.MethodException",
    )
