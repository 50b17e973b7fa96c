"""Text quoted inside a message: control characters written as visible escapes.

Error messages name what is wrong by quoting it: a key path from an inventory or a
parameter file, a node name, a file name. Those come from files an operator may not have
written, and a key such as ``"k\\nerror: fake"`` would otherwise start a second,
forged ``error:`` line, an escape sequence would drive the terminal, a bidirectional
override would reverse what is read. :func:`quoted` writes every such character as
``\\xNN`` or ``\\uNNNN`` and leaves the rest of the text as it is, so a quoted piece is
always exactly one visible line. The console applies the same rule to whole messages
(:func:`psrunbook.cli.display.shown`), keeping the line breaks of psrunbook's own
multi-line messages; quoting a piece here is what stops that piece from adding one.
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["is_hidden", "quoted", "visible_escape"]

# Bidirectional embeddings, overrides, isolates and marks ("Trojan Source"), and the
# Unicode line and paragraph separators: not category Cc, but they change what is seen.
_INVISIBLE_FORMATTING: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
)


def visible_escape(character: str) -> str:
    """``\\xNN`` (below U+0100) or ``\\uNNNN`` for one character."""
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def is_hidden(character: str, *, lines: bool = False) -> bool:
    """True for a character that is written as an escape (``\\n`` is kept with ``lines``)."""
    if lines and character == "\n":
        return False
    return unicodedata.category(character) == "Cc" or character in _INVISIBLE_FORMATTING


def quoted(value: object, *, lines: bool = False) -> str:
    """``str(value)`` with every control character written as a visible escape.

    C0 and C1 controls (ESC, CR, LF, BEL, CSI ``\\x9b`` ...), DEL and the bidirectional
    and line-separator formatting characters become ``\\xNN`` or ``\\uNNNN``. With
    ``lines`` a newline is kept, for messages that are meant to span lines.
    """
    text = str(value)
    # Printable ASCII has no control character and none of the formatting characters
    # (all outside ASCII): the common case, one C loop instead of a lookup per character.
    if text.isascii() and text.isprintable():
        return text
    if not any(is_hidden(c, lines=lines) for c in text):
        return text
    return "".join(visible_escape(c) if is_hidden(c, lines=lines) else c for c in text)
