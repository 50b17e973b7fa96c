"""``spaced_commas`` scans a script for movable commas only as far as its last one.

:func:`psrunbook.sim.ps.lexer.spaced_commas` must give exactly what a scan of the whole
text gives, whatever stands
after the last comma it could move: an unterminated string, a smart quote closing a
string inside a word (both refused by the whole scan, which then leaves the text as it
is), a comment, a here-string.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bench.render_lint import work_list
from psrunbook.sim.ps.lexer import _whole_text_commas_moved, spaced_commas
from psrunbook.templates import TemplateLibrary

_PIECES = [
    "Select-Object Name, State",
    "Get-Item a, b",
    ", x",
    ",\tY",
    ", $x",
    ", 'q'",
    ", _",
    ", *",
    ", \u00e9",
    ",",
    " ",
    "\n",
    "'",
    '"',
    "\u2019",
    "\u201c",
    "\u2013",
    "`",
    "# note, here\n",
    "#",
    "<#",
    "#>",
    "$(",
    ")",
    "(",
    "${",
    "}",
    "{",
    "@'\n",
    "\n'@",
    '@"\n',
    '\n"@',
    "word",
    "b\u2019c",
    ";",
]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=14))
def test_the_shorter_scan_moves_what_the_whole_scan_moves(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert spaced_commas(text) == _whole_text_commas_moved(text)


def test_a_comma_to_move_is_moved_wherever_the_scan_stops() -> None:
    assert spaced_commas("Select-Object Name, State\n'x'") == "Select-Object Name ,State\n'x'"
    # The scan that stops at the comma succeeds; the whole scan refuses the string.
    text = "Select-Object Name, State\n'unterminated"
    assert spaced_commas(text) == _whole_text_commas_moved(text) == text
    # The shorter scan refuses the text (the string runs past it); the whole one moves.
    text = "Write-Output 'a, b' , c\n'x, y'"
    assert spaced_commas(text) == _whole_text_commas_moved(text)


def test_every_shipped_script_is_scanned_alike() -> None:
    library = TemplateLibrary()
    for text in {library.render(t, a, s).text for t, a, s in work_list()}:
        assert spaced_commas(text) == _whole_text_commas_moved(text)
