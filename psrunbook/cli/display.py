"""The one way a value reaches the console: control characters made visible.

Names, states and error messages come back from nodes, out of the journal and from
runbooks; any of them can hold an escape sequence (``ESC [ 2 J`` clears the screen,
``ESC ] 52`` writes the clipboard, ``ESC [ 8 m`` hides text), a carriage return that
overwrites the start of a line, a newline that fakes a row, or a bidirectional override
that reverses what the reader sees. A terminal obeys them; a pipe or log file keeps them
for whoever views it later. So every value is passed through :func:`shown` before it is
printed, on every output: such characters are written as visible escapes (``\\x1b``,
``\\u202e``) and the rest of the text is left as it is.

:func:`cell` does the same for rich tables and also stops rich from reading ``[...]`` in
a value as markup (a node name like ``[/]`` would otherwise end in a ``MarkupError``).
"""

from __future__ import annotations

import unicodedata
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from rich.text import Text

# Bidirectional embeddings, overrides, isolates and marks ("Trojan Source"), and the
# Unicode line and paragraph separators: not category Cc, but they change what is seen.
_INVISIBLE_FORMATTING: Final = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
)


def _visible(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def is_hidden(character: str, *, lines: bool = False) -> bool:
    """True for a character :func:`shown` rewrites (``\\n`` is kept with ``lines``)."""
    if lines and character == "\n":
        return False
    return unicodedata.category(character) == "Cc" or character in _INVISIBLE_FORMATTING


def shown(value: object, *, lines: bool = False) -> str:
    """``str(value)`` with every control character written as a visible escape.

    C0 and C1 controls (ESC, CR, BEL, CSI ``\\x9b`` ...), DEL and the bidirectional and
    line-separator formatting characters become ``\\xNN`` or ``\\uNNNN``. With ``lines``
    a newline is kept, for messages that are meant to span lines (psrunbook's own error
    text); a value shown in one line or one table cell never keeps one.
    """
    text = str(value)
    # Printable ASCII has no control character and none of the formatting characters
    # (all outside ASCII): the common case, one C loop instead of a lookup per character.
    if text.isascii() and text.isprintable():
        return text
    if not any(is_hidden(c, lines=lines) for c in text):
        return text
    return "".join(_visible(c) if is_hidden(c, lines=lines) else c for c in text)


def cell(value: object) -> Text:
    """A rich table cell (or title) holding exactly :func:`shown` text, never markup."""
    from rich.text import Text

    return Text(shown(value))
