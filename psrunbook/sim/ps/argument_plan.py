"""A command's elements read once into the steps that turn them into arguments.

Which element is a parameter name, a ``-Name:value`` pair, a splat, a value with
``,rest`` continuations, or a separator/redirection to skip depends only on the parsed
tree. The evaluator walked the elements for that on every call (tree-sitter builds new
node objects at each child access), so a step run once per node and pipeline paid it
each time (issue 16); the plan is built once per elements node and kept with the parsed
script, and only the values are evaluated per call, in the same order as before.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from tree_sitter import Node

from psrunbook.sim.ps.parser import is_comma_continuation
from psrunbook.sim.ps.redirection import glued


class Switch(msgspec.Struct, frozen=True):
    """``-Name`` without a value (or ``-Name:`` with nothing after it)."""

    name: str


class Colon(msgspec.Struct, frozen=True):
    """``-Name:value``: the value is the element ``node`` (called with ``call``, see
    :class:`Positional`)."""

    name: str
    node: Node
    call: Node | None = None


class Splat(msgspec.Struct, frozen=True):
    """``@variable``."""

    variable: Node


class Positional(msgspec.Struct, frozen=True):
    """A value, with the ``,rest`` elements that continue it into an array.

    ``call`` is the argument list of a method call in argument mode (``Write-Output
    $s.Substring(1)``): tree-sitter reads the member access and the parenthesised list
    as two elements, PowerShell one expression, the method's result (about_Parsing: an
    argument that starts with ``$`` or ``(`` is an expression up to the next blank).
    """

    node: Node
    continuations: tuple[Node, ...]
    call: Node | None = None


Step = Switch | Colon | Splat | Positional


def argument_plan(
    elements: Node, text_of: Callable[[Node], str], unwrap: Callable[[Node], Node]
) -> tuple[Step, ...]:
    """The steps of ``elements`` (a command's ``command_elements``), in order."""
    steps: list[Step] = []
    parts = [c for c in elements.children if c.type != "comment"]
    i = 0
    while i < len(parts):
        part = parts[i]
        if part.type == "command_argument_sep":
            i += 1
            continue
        if part.type == "redirection" or (
            part.type == "generic_token" and glued(text_of(part)) is not None
        ):
            i += 1
            continue
        if part.type == "command_parameter":
            name = text_of(part)[1:].rstrip(":")
            colon = text_of(part).endswith(":")
            if not colon and i + 1 < len(parts) and text_of(parts[i + 1]) == ":":
                colon = True
            if colon:
                j = i + 1
                while j < len(parts) and parts[j].type == "command_argument_sep":
                    j += 1
                if j >= len(parts):
                    steps.append(Switch(name))
                    break
                call = _method_call(parts, j, unwrap, text_of)
                steps.append(Colon(name, parts[j], call))
                i = j + (2 if call is not None else 1)
                continue
            steps.append(Switch(name))
            i += 1
            continue
        inner = unwrap(part)
        if inner.type == "variable" and text_of(inner).startswith("@"):
            steps.append(Splat(inner))
            i += 1
            continue
        call = _method_call(parts, i, unwrap, text_of)
        i += 2 if call is not None else 1
        continuations: list[Node] = []
        while i + 1 < len(parts) and is_comma_continuation(parts[i]):
            continuations.append(parts[i + 1])
            i += 2
        steps.append(Positional(part, tuple(continuations), call))
    return tuple(steps)


def _method_call(
    parts: list[Node], at: int, unwrap: Callable[[Node], Node], text_of: Callable[[Node], str]
) -> Node | None:
    """The argument list right after the member access ``parts[at]``, with nothing
    between them (``$s.Substring(1)``), or None. With a blank between (``$s.Sub (1)``)
    PowerShell too reads two arguments, and an element that does not start an expression
    in argument mode (``$``, ``(``, ``@``; about_Parsing) is a bare word there:
    ``Write-Output [math]::Round(1)`` writes the text ``[math]::Round`` and then 1."""
    if at + 1 >= len(parts):
        return None
    following = parts[at + 1]
    if following.type != "argument_list" or following.start_byte != parts[at].end_byte:
        return None
    if unwrap(parts[at]).type != "member_access" or text_of(parts[at])[:1] not in ("$", "(", "@"):
        return None
    return following
