"""ps_literal: every value comes back exactly, read by PowerShell's rule and by tree-sitter."""

from __future__ import annotations

import math
import unicodedata
from collections import OrderedDict
from typing import Any

import pytest
import tree_sitter
from hypothesis import example, given
from hypothesis import strategies as st
from powershell_scan import ScanError, read_literal, read_string_token

from psrunbook.errors import LiteralError
from psrunbook.lint import parse
from psrunbook.templates.literal import ps_literal

SMART_SINGLE = "\u2018\u2019\u201a\u201b"
ADVERSARIAL = [
    "'",
    *SMART_SINGLE,
    '"',
    "\u201c",
    "\u201d",
    "\u201e",
    "$(Remove-Item C:\\ -Recurse)",
    "${env:PATH}",
    "$x",
    "`",
    "`n",
    ";",
    "|",
    "&",
    "#",
    "<#",
    "#>",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "\n'@\n",
    "\n\u2019@",
    "'@",
    "@'",
    "\u00a0",
    "\u2013",
    "\u2014",
    "\u2015",
    "--%",
    "-Force",
    "''",
    "\u2019'",
    "'\u2019",
    "\U0001f600",
    "\U00010348",
    "{{ x }}",
    "\ufeff",
    "\u2028",
]

text_characters = st.characters(exclude_categories=("Cs", "Cc"), include_characters="\t\r\n")
adversarial_text = st.lists(
    st.one_of(st.sampled_from(ADVERSARIAL), st.text(text_characters, max_size=8)),
    max_size=24,
).map("".join)
any_text = st.one_of(st.text(text_characters), adversarial_text)


def _no_case_duplicates(mapping: dict[str | int, Any]) -> bool:
    folded = [key.casefold() if isinstance(key, str) else key for key in mapping]
    return len(folded) == len(set(folded))


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    any_text,
)
keys = st.one_of(any_text, st.integers(min_value=-(2**63), max_value=2**63 - 1))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(keys, inner, max_size=5).filter(_no_case_duplicates),
    ),
    max_leaves=20,
)


def _nodes(node: tree_sitter.Node, kind: str) -> list[tree_sitter.Node]:
    found = [node] if node.type == kind else []
    for child in node.children:
        found.extend(_nodes(child, kind))
    return found


def _tree_sitter_string_span(literal: str) -> tuple[bool, list[tuple[int, int]]]:
    """Parse ``$x = <literal>``: (has error, character spans of string literal nodes)."""
    source = f"$x = {literal}\n"
    tree = parse(source)
    encoded = source.encode("utf-8")
    spans = [
        (
            len(encoded[: node.start_byte].decode("utf-8")),
            len(encoded[: node.end_byte].decode("utf-8")),
        )
        for node in _nodes(tree.root_node, "string_literal")
    ]
    return tree.root_node.has_error, spans


@given(any_text)
@example("it\u2019s")
@example("\u2019")
@example("'\u2019\u2018\u201a\u201b'")
@example("a\n'@\nb")
@example("$(Get-Process); `whoami`")
def test_string_round_trips_by_powershell_rule(text: str) -> None:
    """PowerShell's own scanning rule reads the literal as one token holding the input."""
    assert text == read_string_token(ps_literal(text))


@given(any_text)
@example("it\u2019s")
@example("a\n'@\nb")
def test_string_is_one_tree_sitter_token(text: str) -> None:
    """tree-sitter sees one string literal spanning the whole literal, without errors."""
    literal = ps_literal(text)
    has_error, spans = _tree_sitter_string_span(literal)
    assert (False, [(5, 5 + len(literal))]) == (has_error, spans)


@given(any_text.filter(lambda text: not any(quote in text for quote in SMART_SINGLE)))
def test_string_content_by_tree_sitter(text: str) -> None:
    """Without Unicode quotes (which tree-sitter does not unescape), its content matches too."""
    literal = ps_literal(text)
    source = f"$x = {literal}\n".encode()
    tree = parse(source.decode())
    (node,) = _nodes(tree.root_node, "string_literal")
    token = source[node.start_byte : node.end_byte].decode("utf-8")
    assert text == token[1:-1].replace("''", "'")


def test_naive_escaper_is_caught_by_the_powershell_rule() -> None:
    """The test reader is strict enough to reject an escaper that only doubles ASCII quotes."""
    naive = "'" + "it\u2019s; Remove-Item C:\\".replace("'", "''") + "'"
    with pytest.raises(ScanError):
        read_string_token(naive)


def test_very_long_string_round_trips() -> None:
    """A 200 000-character value full of quotes survives intact."""
    text = ("a'\u2019$(x)`;\n" * 20_000)[:200_000]
    assert text == read_string_token(ps_literal(text))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "$null"),
        (True, "$true"),
        (False, "$false"),
        (0, "0"),
        (42, "42"),
        (-7, "(-7)"),
        (1.5, "1.5"),
        (-0.25, "(-0.25)"),
        ("", "''"),
        ("it's", "'it''s'"),
        ("\u2018x\u2019", "'\u2018\u2018x\u2019\u2019'"),
        ([], "@()"),
        ([1, "a"], "@(1, 'a')"),
        ([[1, 2]], "@(,@(1, 2))"),
        ((None,), "@($null)"),
        ({}, "@{}"),
        ({"Name": "x", "Count": 2}, "@{ 'Name' = 'x'; 'Count' = 2 }"),
    ],
)
def test_exact_text(value: object, expected: str) -> None:
    """Each kind of value has one fixed spelling."""
    assert expected == ps_literal(value)


def test_mapping_keeps_insertion_order() -> None:
    """Keys are written in the mapping's own order, not sorted."""
    expected = "@{ 'b' = 1; 'a' = 2 }"
    assert expected == ps_literal(OrderedDict([("b", 1), ("a", 2)]))


def _normalise(value: object) -> object:
    if isinstance(value, tuple | list):
        return [_normalise(item) for item in value]
    if isinstance(value, dict):
        return {key: _normalise(item) for key, item in value.items()}
    return value


def _same(expected: object, actual: object) -> bool:
    """Equality that also tells -0.0 from 0.0 and bool from int."""
    if type(expected) is not type(actual):
        return False
    if isinstance(expected, float):
        assert isinstance(actual, float)
        return expected == actual and math.copysign(1, expected) == math.copysign(1, actual)
    if isinstance(expected, list):
        assert isinstance(actual, list)
        return len(expected) == len(actual) and all(map(_same, expected, actual))
    if isinstance(expected, dict):
        assert isinstance(actual, dict)
        return list(expected) == list(actual) and all(
            _same(expected[key], actual[key]) for key in expected
        )
    return expected == actual


@given(values)
@example([["nested"]])
@example([[]])
@example({"k": [[1, 2]]})
@example([{"a": None}])
def test_nested_values_round_trip(value: object) -> None:
    """Lists and dictionaries of any depth read back to the same value by PowerShell's rule."""
    assert _same(_normalise(value), read_literal(ps_literal(value)))


@given(values)
def test_nested_values_parse_cleanly(value: object) -> None:
    """tree-sitter parses every written value as an assignment without errors."""
    has_error, _ = _tree_sitter_string_span(ps_literal(value))
    assert not has_error


CONTROL_CHARACTERS = [
    chr(code)
    for code in [*range(0x20), *range(0x7F, 0xA0)]
    if unicodedata.category(chr(code)) == "Cc" and chr(code) not in "\t\r\n"
]


@pytest.mark.parametrize("char", CONTROL_CHARACTERS, ids=lambda char: f"U+{ord(char):04X}")
def test_control_characters_are_refused(char: str) -> None:
    """C0/C1 controls other than tab, CR and LF are refused, naming the code point."""
    with pytest.raises(LiteralError, match=f"U\\+{ord(char):04X}"):
        ps_literal(f"ok{char}")


@given(st.text(text_characters, max_size=20), st.sampled_from(CONTROL_CHARACTERS))
def test_refusal_names_the_position(prefix: str, char: str) -> None:
    """The error says where the bad character is."""
    with pytest.raises(LiteralError, match=f"position {len(prefix)} "):
        ps_literal(prefix + char + "tail")


def test_nul_is_refused_with_its_name() -> None:
    """NUL is named in the message, so the user knows what to remove."""
    with pytest.raises(LiteralError, match=r"U\+0000 \(NUL\) at position 1"):
        ps_literal("a\x00b")


def test_nested_refusal_names_the_path() -> None:
    """A bad character deep inside a structure is reported with its path."""
    with pytest.raises(LiteralError, match=r"at \[1\]\['k'\]"):
        ps_literal(["fine", {"k": "\x1b[31m"}])


def test_lone_surrogate_is_refused() -> None:
    """Half a surrogate pair is not text and is refused."""
    with pytest.raises(LiteralError, match=r"surrogate U\+D800"):
        ps_literal("x\ud800")


@pytest.mark.parametrize(
    ("value", "pattern"),
    [
        ({1, 2}, "type set"),
        (b"bytes", "type bytes"),
        (object(), "type object"),
        (float("nan"), "finite"),
        (float("inf"), "finite"),
        (2**63, "Int64"),
        ({1.5: "x"}, "key of type float"),
        ({"a": 1, "A": 2}, "differ only by case"),
    ],
)
def test_unsupported_values_are_refused(value: object, pattern: str) -> None:
    """Values with no faithful literal raise LiteralError naming the problem."""
    with pytest.raises(LiteralError, match=pattern):
        ps_literal(value)


def test_self_containing_list_is_refused() -> None:
    """A list that contains itself is refused instead of recursing forever."""
    looped: list[object] = [1]
    looped.append(looped)
    with pytest.raises(LiteralError, match="contains itself"):
        ps_literal(looped)


def test_shared_but_acyclic_values_are_fine() -> None:
    """The same list used twice is not mistaken for a cycle."""
    shared = ["x"]
    expected = "@(@('x'), @('x'))"
    assert expected == ps_literal([shared, shared])


@pytest.mark.parametrize(
    ("token", "content"),
    [
        ("'a''b'", "a'b"),
        ("'a\u2019\u2019b'", "a\u2019b"),
        ("'a\u2019'b'", "a'b"),
        ("\u2018x\u2019", "x"),
        ("'\n'", "\n"),
    ],
)
def test_reader_follows_powershell_pairs(token: str, content: str) -> None:
    """The test reader yields the second quote of any pair, as PowerShell's tokenizer does."""
    assert content == read_string_token(token)


@pytest.mark.parametrize("token", ["'b\u2019c'", "'a\u2019'", "'x", "'a' 'b'"])
def test_reader_rejects_what_powershell_splits(token: str) -> None:
    """A token PowerShell would end early or never end is not one string to the reader."""
    with pytest.raises(ScanError):
        read_string_token(token)
