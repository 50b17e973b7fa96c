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

from typing import TYPE_CHECKING

from psrunbook.message_text import is_hidden, quoted

if TYPE_CHECKING:
    from rich.text import Text

__all__ = ["cell", "is_hidden", "shown"]


def shown(value: object, *, lines: bool = False) -> str:
    """``str(value)`` with every control character written as a visible escape.

    C0 and C1 controls (ESC, CR, BEL, CSI ``\\x9b`` ...), DEL and the bidirectional and
    line-separator formatting characters become ``\\xNN`` or ``\\uNNNN``. With ``lines``
    a newline is kept, for messages that are meant to span lines (psrunbook's own error
    text); a value shown in one line or one table cell never keeps one. The rule is
    :func:`psrunbook.message_text.quoted`'s, which engine messages use for the pieces
    they quote.
    """
    return quoted(value, lines=lines)


def cell(value: object) -> Text:
    """A rich table cell (or title) holding exactly :func:`shown` text, never markup."""
    from rich.text import Text

    return Text(shown(value))
