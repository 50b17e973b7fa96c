"""Property tests of ``psrunbook.cli.display``: no control character survives, nothing else
changes, and a rich table of such values renders to text without control characters."""

from __future__ import annotations

import io
import unicodedata

from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from rich.table import Column, Table

from psrunbook.cli.display import cell, is_hidden, shown

BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
HOSTILE = st.sampled_from(
    [
        "\x1b[2J",
        "\x1b]52;c;eA==\x07",
        "\r",
        "\n",
        "\t",
        "\x9b",
        "\x85",
        "\x7f",
        "\x00",
        "[/]",
        "[bold]",
        "\u2028",
        "\u2029",
        *BIDI,
        "\\x1b",
    ]
)
TEXT = st.lists(st.one_of(st.text(), HOSTILE), max_size=8).map("".join)


def hidden_in(text: str, *, keep_newline: bool = False) -> list[str]:
    """Written independently of the module: categories and bidi classes from unicodedata."""
    return [
        c
        for c in text
        if not (keep_newline and c == "\n")
        and (unicodedata.category(c) == "Cc" or c in BIDI or c in "\u2028\u2029")
    ]


@given(TEXT)
def test_no_control_character_survives(text: str) -> None:
    assert [] == hidden_in(shown(text))
    assert [] == hidden_in(shown(text, lines=True), keep_newline=True)
    assert text.count("\n") == shown(text, lines=True).count("\n")


@given(TEXT)
def test_each_control_character_becomes_its_escape_and_the_rest_is_unchanged(text: str) -> None:
    expected = "".join(
        (f"\\x{ord(c):02x}" if ord(c) < 0x100 else f"\\u{ord(c):04x}") if is_hidden(c) else c
        for c in text
    )
    assert expected == shown(text)
    if not hidden_in(text):
        assert text == shown(text)


@given(st.lists(TEXT, min_size=1, max_size=4), TEXT)
def test_a_table_of_cells_renders_without_control_characters_or_markup(
    values: list[str], title: str
) -> None:
    """What a pipe receives: the visible escapes and the literal brackets, nothing else."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=False, width=200, highlight=False, soft_wrap=True)
    table = Table(*(Column(header=cell(v)) for v in values), title=cell(title))
    table.add_row(*map(cell, values))
    console.print(table)
    rendered = out.getvalue()
    assert [] == hidden_in(rendered, keep_newline=True)
    for value in values:
        if shown(value).isascii() and len(shown(value)) < 40 and shown(value).strip():
            assert shown(value).strip() in rendered
