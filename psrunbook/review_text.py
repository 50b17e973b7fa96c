"""The one place where values are written into review text: PowerShell comments and Markdown.

A review bundle is read by people who approve it, so no value may change the structure
of what they read. Values that a script *uses* are written as PowerShell literals by
:func:`psrunbook.templates.literal.ps_literal`; every value that is only *shown* (a step
title in a wrapper's ``#`` comment, a cluster name or group in REVIEW.md) goes through
exactly one function here per format:

- :func:`ps_comment` for text after ``#`` on a PowerShell comment line: a CR or LF would
  end the comment and make the rest of the value code;
- :func:`md_text` for Markdown prose: a newline followed by ``## Approved by CAB`` would
  add a heading, ``*``, ``[`` or ``<`` would add emphasis, links or HTML;
- :func:`md_code` for a Markdown code span: a backtick run would close it early;
- :func:`md_block` for a multi-line value as a fenced code block;
- :func:`html_text` for HTML text and attribute values (a run report's HTML form):
  ``<``, ``>``, ``&`` and both quotes become character references.

Characters that are invisible or end a line (C0/C1 controls, format characters such as
bidi overrides and zero-width spaces, line and paragraph separators) are shown as
``<U+XXXX>`` by :func:`visible`, so what the reviewer reads is what the value holds.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Final

__all__ = ["html_text", "md_block", "md_code", "md_text", "ps_comment", "visible"]

# Cc: C0/C1 controls (CR, LF, NEL, tab, ESC...); Cf: format characters (bidi overrides,
# zero-width, BOM); Zl/Zp: U+2028/U+2029; Cs: lone surrogates.
_HIDDEN_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})
# ASCII punctuation that starts Markdown inline syntax anywhere in a line: escapes, code
# spans, emphasis, links and images, raw HTML and autolinks, headings, table cells,
# strikethrough and character references. CommonMark allows a backslash before any ASCII
# punctuation, so escaping more than needed never shows a backslash.
_MD_INLINE: Final = frozenset("\\`*_[]<>#|~&")
# At the start of a line these open a list, a setext underline or an ordered list.
_MD_LINE_START: Final = re.compile(r"^(?:[-+=]|\d+[.)])")


def visible(text: str) -> str:
    """``text`` with every invisible or line-ending character written as ``<U+XXXX>``.

    Printable ASCII (most values: names, paths, hashes) has none of those characters and
    is returned without a look-up per character; a review bundle shows thousands of
    values, and each one was otherwise read character by character in Python.
    """
    if text.isascii() and text.isprintable():
        return text
    if all(unicodedata.category(char) not in _HIDDEN_CATEGORIES for char in text):
        return text
    return "".join(
        f"<U+{ord(char):04X}>" if unicodedata.category(char) in _HIDDEN_CATEGORIES else char
        for char in text
    )


def ps_comment(text: str) -> str:
    """Text that stays inside a ``# ...`` PowerShell comment line, whatever ``text`` holds.

    A line comment ends only at a line break; :func:`visible` leaves none (and no other
    control character a tokenizer might treat as one).
    """
    return visible(text)


def md_text(text: str) -> str:
    """Markdown that renders as exactly ``text`` (made :func:`visible`), as plain prose.

    Safe in the middle of a line and at its start (the REVIEW.md summary line): every
    inline marker is backslash-escaped, a leading list, ordered-list or underline marker
    too, and leading spaces become character references so that they cannot indent the
    line into a code block.
    """
    shown = visible(text)
    escaped = "".join(f"\\{char}" if char in _MD_INLINE else char for char in shown)
    start = _MD_LINE_START.match(escaped)
    if start is not None:
        marker = start.group(0)
        escaped = marker[:-1] + "\\" + marker[-1] + escaped[len(marker) :]
    stripped = escaped.lstrip(" ")
    return "&#32;" * (len(escaped) - len(stripped)) + stripped


def md_code(text: str, *, table: bool = False) -> str:
    """A Markdown code span that shows exactly ``text`` (made :func:`visible`).

    The fence is one backtick longer than the longest run inside, and a space pads a value
    that starts or ends with a backtick or a space, as CommonMark strips one. An empty
    value has no code span in Markdown and is written as ``(empty)``. With ``table`` a
    pipe is escaped, as GitHub tables split cells on it even inside code spans.
    """
    shown = visible(text)
    if not shown:
        return "(empty)"
    longest = max((len(run) for run in re.findall(r"`+", shown)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if shown[0] in "` " or shown[-1] in "` " else ""
    if shown.strip(" ") == "":
        pad = ""  # all spaces: CommonMark keeps them as they are
    if table:
        shown = shown.replace("|", "\\|")
    return f"{ticks}{pad}{shown}{pad}{ticks}"


def md_block(text: str, indent: str = "") -> str:
    """A fenced code block showing ``text`` line by line, each line made :func:`visible`.

    Lines are split on LF only; a CR (which Markdown also treats as a line end) is shown,
    so no line inside can close the fence, which is longer than any backtick run inside.
    """
    lines = [visible(line) for line in text.split("\n")]
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    ticks = "`" * max(3, longest + 1)
    body = [ticks, *lines, ticks]
    return "\n".join(indent + line if line else line for line in body)


def html_text(text: str) -> str:
    """HTML that shows exactly ``text`` (made :func:`visible`), in an element or attribute."""
    return html.escape(visible(text), quote=True)
