"""The lexer's stop patterns find the places the plain alternations they replace find.

:mod:`psrunbook.sim.ps.lexer` searches for the next character a scan must look at with
patterns written as one character class followed by lookbehind branches (so ``re`` can
skip other characters in C). Each must stop exactly where the alternation that says the
same thing plainly (``[chars]|<#|@'|${|, ``) stops, from every position of any text.
"""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from psrunbook.sim.ps import lexer

_CHARS = "`#'\"\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u2013\u2014\u2015"
_PAIRS = "<#|@['\"\u2018-\u201e]|\\$\\{|,[ \t]"
_PLAIN = {
    "top level": (lexer._TOP_LEVEL_STOP, re.compile(f"[{_CHARS}]|{_PAIRS}")),
    "subexpression": (lexer._SUBEXPRESSION_STOP, re.compile(f"[(){_CHARS}]|{_PAIRS}")),
    "double-quoted": (lexer._DOUBLE_STOP, re.compile('[`"\u201c-\u201e]|\\$[({]')),
}
_ALPHABET = (
    "`#'\"<>@${}(),; \t\r\nab-_\u2017\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u201f"
    "\u2012\u2013\u2014\u2015\u2016"
)
"""Every character a pattern names, and the ones just outside its ranges."""


def _stops(pattern: re.Pattern[str], text: str) -> list[int | None]:
    found = (pattern.search(text, start) for start in range(len(text) + 1))
    return [None if match is None else match.start() for match in found]


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_ALPHABET, max_size=40))
def test_each_stop_pattern_stops_where_its_alternation_does(text: str) -> None:
    for name, (pattern, plain) in _PLAIN.items():
        assert _stops(plain, text) == _stops(pattern, text), name


def test_the_pairs_stop_only_before_their_second_character() -> None:
    """``<``, ``@``, ``$`` and ``,`` alone are not stops; with what follows them they are."""
    text = "a<b@c$d,e<#@'x'${h},\tj"
    #       0123456789012345678901
    stops = {m for m in _stops(lexer._TOP_LEVEL_STOP, text) if m is not None}
    assert [9, 10, 11, 12, 14, 15, 19] == sorted(stops)  # 10 is the `#` itself
