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
    """``-Name:value``: the value is the element ``node``."""

    name: str
    node: Node


class Splat(msgspec.Struct, frozen=True):
    """``@variable``."""

    variable: Node


class Positional(msgspec.Struct, frozen=True):
    """A value, with the ``,rest`` elements that continue it into an array."""

    node: Node
    continuations: tuple[Node, ...]


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
                steps.append(Colon(name, parts[j]))
                i = j + 1
                continue
            steps.append(Switch(name))
            i += 1
            continue
        inner = unwrap(part)
        if inner.type == "variable" and text_of(inner).startswith("@"):
            steps.append(Splat(inner))
            i += 1
            continue
        i += 1
        continuations: list[Node] = []
        while i + 1 < len(parts) and is_comma_continuation(parts[i]):
            continuations.append(parts[i + 1])
            i += 2
        steps.append(Positional(part, tuple(continuations)))
    return tuple(steps)
