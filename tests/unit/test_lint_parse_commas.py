"""The linter's tree is the one ``spaced_commas`` gives, found without its scan when it can.

:func:`psrunbook.lint.parse` first parses the text as written and looks each comma
``spaced_commas`` could move up in that tree; only when one is not a comment's or a
string's text (or the tree has an error, or the text is not ASCII) does it scan. Either
way the tree must be the one parsing ``spaced_commas(text)`` gives: the same source bytes
and the same nodes, for generated texts mixing commas with every kind of string,
comment and sub-expression, for every shipped script and for pieces cut from them.
"""

from __future__ import annotations

import pytest
import tree_sitter
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bench.render_lint import work_list
from psrunbook import lint
from psrunbook.sim.ps.lexer import spaced_commas
from psrunbook.sim.ps.parser import parse_mended
from psrunbook.templates import TemplateLibrary
from tests.unit.sim.ps.test_spaced_commas_scan import _PIECES
from tests.unit.test_lint_oracle import cut_ups

_EXTRA_PIECES = [
    "Write-Output",
    " a#b",
    "Get-X -Name a, b",
    '"$(x, y)"',
    "'it''s, x'",
    "\t",
    "@'\n",
    "\n'@",
    "\r\n'@",
    '@"\n',
    '\n"@',
    "`$(",
    "$(1 # c, d\n)",
]


def _reference(text: str) -> tree_sitter.Tree:
    """The tree as the linter made it before: ``spaced_commas`` always, then the parse."""
    parser = tree_sitter.Parser(lint.language())
    return parse_mended(parser, spaced_commas(text).encode("utf-8", "surrogatepass"))


def assert_same_tree(text: str) -> None:
    lint.parse.cache_clear()
    actual, expected = lint.parse(text).root_node, _reference(text).root_node
    assert actual.text == expected.text
    assert str(actual) == str(expected)


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(_PIECES + _EXTRA_PIECES), max_size=14))
@example(['@"\n', "# note, here\n", '"$(x, y)"', '\n"@'])
def test_generated_texts_get_the_tree_the_scan_gives(pieces: list[str]) -> None:
    assert_same_tree("".join(pieces))


@pytest.mark.parametrize(
    "text",
    [
        # a line starting with '#' in a here-string hides a later sub-expression
        '@"\n# note, here\n"$(x, y)"\n"@',
        # ... and is read as a comment, though a here-string has none
        '@"\n\n#,"$(x, y)"\'\n"@',
        # an empty here-string's closing line is missed: the string runs on
        "@'\n\n'@, $x# x, y\n@'\n\t`$(Get-X -Name a, b)\n'@",
        "# note, here\n@'\n\n'@, 'q'`$(`Get-Item a, b@'\n('it''s, x' a#b)'\n'@",
        # a quote inside a bare word starts a string PowerShell takes into the word
        # (found by pieces cut from the shipped scripts)
        "e node's A\nif ($a) {\n    throw ('x ' + $i + ' y (a group), in z')\n}\n"
        "# C:\\W to C:\\S (F R): SSIS's\nif ($b) {\n}\n",
    ],
)
def test_texts_tree_sitter_misreads_get_the_tree_the_scan_gives(text: str) -> None:
    """Found by the generated texts (and 300,000 more with random seeds): tree-sitter
    reads these strings otherwise than PowerShell; the linter must not trust it there."""
    assert_same_tree(text)


@pytest.fixture(scope="module")
def shipped_texts() -> list[str]:
    library = TemplateLibrary()
    return sorted({library.render(t, a, s).text for t, a, s in work_list()})


def test_shipped_scripts_and_pieces_of_them_get_the_tree_the_scan_gives(
    shipped_texts: list[str],
) -> None:
    for text in shipped_texts + cut_ups(shipped_texts):
        assert_same_tree(text)


def test_a_shipped_script_is_parsed_without_the_scan(
    shipped_texts: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its movable-looking commas are all in comments and messages: the tree says so."""

    def no_scan(text: str) -> str:
        raise AssertionError("scanned")

    monkeypatch.setattr(lint, "spaced_commas", no_scan)
    for text in shipped_texts:
        lint.parse.cache_clear()
        assert not lint.parse(text).root_node.has_error


@pytest.mark.parametrize(
    ("text", "source"),
    [
        ("Select-Object Name, State", b"Select-Object Name ,State"),
        ('Write-Output "$(Get-Item a, b)"', b'Write-Output "$(Get-Item a ,b)"'),
        ("Write-Output 'a, b', c # d, e", b"Write-Output 'a, b' ,c # d, e"),
        # tree-sitter reads this sub-expression as the here-string's text (the line
        # starting with '#' before it); PowerShell reads code, and so must the linter.
        ('@"\n# note, here\n"$(x, y)"\n"@', b'@"\n# note, here\n"$(x ,y)"\n"@'),
        ('@"\n# a\n$(x, y)\n"@', b'@"\n# a\n$(x ,y)\n"@'),
        ('"$($a.B), $(x, y)"', b'"$($a.B), $(x ,y)"'),
    ],
)
def test_a_comma_in_code_is_still_moved(text: str, source: bytes) -> None:
    lint.parse.cache_clear()
    assert lint.parse(text).root_node.text == source
