"""Decoding string tokens with PowerShell's rules, from the original script text.

The values come from the text the user wrote, not from tree-sitter's view of it, so the
five single-quote and four double-quote characters behave as PowerShell's tokenizer
says: a pair of any two of them stands for the second one.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from psrunbook.sim.ps.lexer import DOUBLE_QUOTES, SINGLE_QUOTES

BACKTICK_ESCAPES = {
    "0": "\0",
    "a": "\a",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "v": "\v",
}
"""Windows PowerShell 5.1's escapes; `e and `u{} are PowerShell 6+ and not modelled."""


def _here_body(token: str) -> str:
    """The content of a here-string: after the header line, before the footer's newline."""
    start = token.index("\n") + 1
    body = token[start:-2]
    if body.endswith("\r\n"):
        return body[:-2]
    if body.endswith("\n"):
        return body[:-1]
    return body


def decode_verbatim(token: str) -> str:
    """Decode a single-quoted string or here-string token."""
    if token.startswith("@"):
        return _here_body(token)
    content = token[1:-1]
    out: list[str] = []
    i = 0
    while i < len(content):
        c = content[i]
        if c in SINGLE_QUOTES and i + 1 < len(content) and content[i + 1] in SINGLE_QUOTES:
            out.append(content[i + 1])
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


class Literal(msgspec.Struct, frozen=True):
    """Literal text of an expandable string."""

    text: str


class VariableRef(msgspec.Struct, frozen=True):
    """``$name`` or ``${name}`` inside an expandable string."""

    name: str


class SubExpression(msgspec.Struct, frozen=True):
    """``$( ... )``; ``offset`` is its position (characters) within the token."""

    offset: int


Part = Literal | VariableRef | SubExpression


def _is_name_char(c: str) -> bool:
    return c.isalnum() or c in "_?"


def _read_variable(content: str, i: int) -> tuple[str, int] | None:
    """Read a variable name after ``$`` at ``i``; None when ``$`` is literal."""
    n = len(content)
    if i >= n:
        return None
    c = content[i]
    if c == "{":
        j = i + 1
        name: list[str] = []
        while j < n and content[j] != "}":
            if content[j] == "`" and j + 1 < n:
                j += 1
            name.append(content[j])
            j += 1
        return "".join(name), j + 1
    if c in "$^_" and not (c == "_" and i + 1 < n and _is_name_char(content[i + 1])):
        return c, i + 1
    if not _is_name_char(c):
        return None
    j = i
    while j < n and _is_name_char(content[j]):
        j += 1
    if j + 1 < n and content[j] == ":" and _is_name_char(content[j + 1]):
        j += 1
        while j < n and _is_name_char(content[j]):
            j += 1
    return content[i:j], j


def expandable_parts(token: str, subexpression_end: Callable[[int], int]) -> list[Part]:
    """Split an expandable string or here-string token into literal and dynamic parts.

    ``subexpression_end(offset)`` returns the token offset just after the ``)`` of the
    ``$(`` at ``offset``; the caller knows it from the parse tree.
    """
    if token.startswith("@"):
        start = token.index("\n") + 1
        end = len(token) - 2
        if token[start:end].endswith("\r\n"):
            end -= 2
        elif token[start:end].endswith("\n"):
            end -= 1
        here = True
    else:
        start, end, here = 1, len(token) - 1, False
    parts: list[Part] = []
    buf: list[str] = []
    i = start
    while i < end:
        c = token[i]
        if c == "`" and i + 1 < end:
            nxt = token[i + 1]
            buf.append(BACKTICK_ESCAPES.get(nxt, nxt))
            i += 2
            continue
        if not here and c in DOUBLE_QUOTES and i + 1 < end and token[i + 1] in DOUBLE_QUOTES:
            buf.append(token[i + 1])
            i += 2
            continue
        if c == "$" and i + 1 < end and token[i + 1] == "(":
            if buf:
                parts.append(Literal("".join(buf)))
                buf = []
            parts.append(SubExpression(i))
            i = subexpression_end(i)
            continue
        if c == "$":
            read = _read_variable(token[:end], i + 1)
            if read is not None:
                if buf:
                    parts.append(Literal("".join(buf)))
                    buf = []
                parts.append(VariableRef(read[0]))
                i = read[1]
                continue
        buf.append(c)
        i += 1
    if buf:
        parts.append(Literal("".join(buf)))
    return parts
