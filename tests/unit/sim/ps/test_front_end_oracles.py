"""The front end's fast paths read every text as the plain code they replaced.

The scanner jumps between the characters it must look at, and copies the text only when
it changes a character; it reads text as before.

``lexer._Scanner`` finds the next quote, comment, ``$``, comma or parenthesis with a regex
search instead of stepping through every character in Python (the linter scans every
rendered script). :class:`_StepScanner` below is the character-by-character scanner it
replaced, kept as the oracle: on any text both give the same normalised copy, the same
moved commas and the same error.

``.ForEach(`` is found without a lookbehind (which was tried at every byte); the byte
before it is tested by the replacement, which stands in for the same places.
"""

from __future__ import annotations

import re

import pytest
import tree_sitter
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.render_lint import work_list
from psrunbook.sim.ps.exceptions import ScriptParseError, UnsupportedConstruct
from psrunbook.sim.ps.lexer import (
    _BLANKS,
    COMMENT_START_AFTER,
    DASHES,
    DOUBLE_QUOTES,
    SINGLE_QUOTES,
    _Scanner,
)
from psrunbook.sim.ps.parser import (
    _FOREACH_METHOD,
    _LANGUAGE,
    _byte_map,
    _foreach_standin,
    parse_uncached,
)
from psrunbook.templates import TemplateLibrary


class _StepScanner(_Scanner):
    """The scanner as it was: every character visited by the Python loop, the text copied
    into ``out`` first and every delimiter written there."""

    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.out = list(text)

    def normalised(self) -> str:
        return "".join(self.out)

    def comma(self, i: int) -> int:
        j = i + 1
        while j < self.n and self.text[j] in _BLANKS:
            j += 1
        if j < self.n and (self.text[j].isalnum() or self.text[j] in "_*?"):
            self.out[i : j - 1] = self.text[i + 1 : j]
            self.out[j - 1] = ","
            self.commas.append((i, j - 1))
        return j

    def script(self, i: int, in_subexpression: bool) -> int:
        text, n = self.text, self.n
        depth = 0
        while i < n:
            c = text[i]
            nxt = text[i + 1] if i + 1 < n else ""
            if c == "`":
                i += 2
            elif c == "#" and (i == 0 or text[i - 1] in COMMENT_START_AFTER):
                end = text.find("\n", i)
                i = n if end < 0 else end
            elif c == "<" and nxt == "#":
                end = text.find("#>", i + 2)
                if end < 0:
                    raise self.fail(i, "missing end of block comment '#>'")
                i = end + 2
            elif (
                c == "@"
                and nxt
                and (nxt in SINGLE_QUOTES or nxt in DOUBLE_QUOTES)
                and (self._here_header(i + 2))
            ):
                i = self.here_string(i)
            elif c in SINGLE_QUOTES:
                i = self.single(i)
            elif c in DOUBLE_QUOTES:
                i = self.double(i)
            elif c == "$" and nxt == "{":
                i = self.braced_variable(i)
            elif c in DASHES:
                self.out[i] = "-"
                i += 1
            elif c == "," and nxt and nxt in _BLANKS:
                i = self.comma(i)
            elif c == "(":
                depth += 1
                i += 1
            elif c == ")":
                i += 1
                if in_subexpression:
                    if depth == 0:
                        return i
                    depth -= 1
            else:
                i += 1
        if in_subexpression:
            raise self.fail(n - 1, "missing closing ')' in subexpression")
        return i

    def braced_variable(self, i: int) -> int:
        j = i + 2
        while j < self.n:
            if self.text[j] == "`":
                j += 2
                continue
            if self.text[j] == "}":
                return j + 1
            j += 1
        raise self.fail(i, "missing closing '}' in variable name")

    def single(self, i: int) -> int:
        text, n = self.text, self.n
        j = i + 1
        while j < n:
            if text[j] in SINGLE_QUOTES:
                if j + 1 < n and text[j + 1] in SINGLE_QUOTES:
                    self.out[j] = self.out[j + 1] = "'"
                    j += 2
                    continue
                self._check_close(i, j)
                self.out[i] = self.out[j] = "'"
                return j + 1
            j += 1
        raise self.fail(i, "the string is missing the terminator: '")

    def double(self, i: int) -> int:
        text, n = self.text, self.n
        j = i + 1
        while j < n:
            c = text[j]
            if c == "`":
                j += 2
            elif c in DOUBLE_QUOTES:
                if j + 1 < n and text[j + 1] in DOUBLE_QUOTES:
                    self.out[j] = self.out[j + 1] = '"'
                    j += 2
                    continue
                self._check_close(i, j)
                self.out[i] = self.out[j] = '"'
                return j + 1
            elif c == "$" and j + 1 < n and text[j + 1] == "(":
                j = self.script(j + 2, in_subexpression=True)
            elif c == "$" and j + 1 < n and text[j + 1] == "{":
                j = self.braced_variable(j)
            else:
                j += 1
        raise self.fail(i, 'the string is missing the terminator: "')

    def here_string(self, i: int) -> int:
        text, n = self.text, self.n
        quote = text[i + 1]
        verbatim = quote in SINGLE_QUOTES
        quotes = SINGLE_QUOTES if verbatim else DOUBLE_QUOTES
        self.out[i + 1] = "'" if verbatim else '"'
        j = text.find("\n", i) + 1
        if j == 0:  # a lone CR after the header: refused, as the scanner now refuses it
            raise self.fail(i, "the here-string is missing its terminator at the start of a line")
        at_line_start = True
        while j < n:
            c = text[j]
            if at_line_start and c in quotes and j + 1 < n and text[j + 1] == "@":
                self.out[j] = "'" if verbatim else '"'
                return j + 2
            at_line_start = False
            if c == "\n":
                at_line_start = True
                j += 1
            elif not verbatim and c == "`":
                j += 2
            elif not verbatim and c == "$" and j + 1 < n and text[j + 1] == "(":
                j = self.script(j + 2, in_subexpression=True)
            else:
                j += 1
        raise self.fail(i, "the here-string is missing its terminator at the start of a line")


def _scan(scanner_type: type[_Scanner], text: str) -> tuple[object, ...]:
    """Everything a scan yields: the normalised copy and moved commas, or the error."""
    scanner = scanner_type(text)
    try:
        end = scanner.script(0, in_subexpression=False)
    except ScriptParseError as error:
        return ("error", str(error), error.args)
    except ValueError as error:  # ``@"`` then a lone CR: both scanners fail the same way
        return ("crash", str(error))
    return ("read", end, scanner.normalised(), scanner.commas)


# Every character some branch of the scanner tests, with a few plain ones between them.
_SPECIAL = "`#<>@${}(),;'\"\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u2013\u2014\u2015 \t\r\n"
_TEXTS = st.text(alphabet=st.sampled_from([*_SPECIAL, "a", "Z", "1", "_", "*", "-", "é"]))


@settings(max_examples=3000)
@given(_TEXTS)
def test_jumping_scanner_reads_any_text_as_the_stepping_one(text: str) -> None:
    assert _scan(_StepScanner, text) == _scan(_Scanner, text)


@pytest.mark.parametrize(
    "text",
    [
        "Get-Thing | Select-Object Name, State",
        "$x = \"a $(Get-Item (1 + (2)), b) c\", 'd’’e' – f",
        "@'\n'@ not yet\n  '@\n'@",
        '@"\n`\n"@ $(\n"@\n) x\n"@',
        "${a`}b} <# c, d #> e, f",
        "x = ‘unterminated",
        "$(1",
        "a#b, c # d, e",
    ],
)
def test_jumping_scanner_reads_tricky_text_as_the_stepping_one(text: str) -> None:
    assert _scan(_StepScanner, text) == _scan(_Scanner, text)


def test_jumping_scanner_reads_every_shipped_script_as_the_stepping_one() -> None:
    library = TemplateLibrary()
    for template, arguments, structure in work_list():
        text = library.render(template, arguments, structure).text
        assert _scan(_StepScanner, text) == _scan(_Scanner, text), template


_LOOKBEHIND_FOREACH = re.compile(rb"(?i)(?<=[^\s.;|&])\.foreach(?=\()")


def _lookbehind_standin(match: re.Match[bytes]) -> bytes:
    text = match.group(0)
    return text[:2] + b"0" + text[3:]


_PIECES = [b".foreach(", b".ForEach(", b".FOREACH", b"foreach", b"(", b".", b"$a", b"\xc3\xa9"]
_BEFORE = [b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b"\x1c", b";", b"|", b"&", b")", b"]"]


@settings(max_examples=3000)
@given(st.lists(st.sampled_from(_PIECES + _BEFORE), max_size=12).map(b"".join))
def test_foreach_stand_in_replaces_what_the_lookbehind_did(source: bytes) -> None:
    expected = _LOOKBEHIND_FOREACH.sub(_lookbehind_standin, source)
    assert expected == _FOREACH_METHOD.sub(_foreach_standin, source)


# The byte-to-character map: counted in C, as the per-character loop built it.


def _per_character_byte_map(text: str) -> tuple[int, ...]:
    """The map as it was built: each character encoded on its own."""
    mapping: list[int] = []
    for index, char in enumerate(text):
        mapping.extend([index] * len(char.encode("utf-8")))
    mapping.append(len(text))
    return tuple(mapping)


@given(st.text())
def test_byte_map_is_the_per_character_one(text: str) -> None:
    try:
        expected = _per_character_byte_map(text)
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            _byte_map(text)
        return
    assert expected == _byte_map(text)


@pytest.mark.parametrize("text", ["", "a", "é", "€", "𝄞", "a€b𝄞\n“x”"])
def test_byte_map_of_each_utf8_length(text: str) -> None:
    assert _per_character_byte_map(text) == _byte_map(text)


# The check walks past node types it does not read, and looks for errors only in a tree
# tree-sitter says has one: an error or a missing node always marks every ancestor.


@pytest.mark.parametrize(
    "script",
    [
        "if ($x) { 'a' ",
        "$a = (1 + ",
        "Get-Item -Path 'x' |",
        "function f { param([string]$a",
        "@{ a = 1; b = }",
        "foreach ($i in 1..3) { $i ",
        "'unterminated",
        "switch -w ($x) { 'a*' { 1 } }",
    ],
)
def test_every_error_or_missing_node_is_under_a_root_that_has_an_error(script: str) -> None:
    tree = tree_sitter.Parser(_LANGUAGE).parse(script.encode("utf-8"))
    stack = [tree.root_node]
    flagged = []
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            flagged.append(node)
        stack.extend(node.children)
    assert flagged, "the script was meant to hold an error"
    assert tree.root_node.has_error
    for node in flagged:
        parent = node.parent
        while parent is not None:
            assert parent.has_error
            parent = parent.parent


def test_every_shipped_script_parses_and_every_refused_construct_is_still_refused() -> None:
    library = TemplateLibrary()
    for text in sorted({library.render(*item).text for item in work_list()}):
        parse_uncached(text)  # the shipped scripts run on the lab: none is refused
    refused = {
        "$n = 1\nRead-Host 'name'": "command Read-Host",
        "Microsoft.PowerShell.Utility\\Format-Custom": "command Format-Custom",
        ". ./helpers.ps1": "dot-sourcing",
        "Get-Item x 3>&2": "redirection other than n>&1",
        "function f { dynamicparam { } }": "dynamicparam block",
        "class C { }": "class definition",
        ":outer foreach ($i in 1..2) { break outer }": "loop label",
        "Get-Item x && Get-Item y": "pipeline chain operator",
        "if ($x) {": "missing }",
    }
    for text, words in refused.items():
        with pytest.raises((UnsupportedConstruct, ScriptParseError), match=re.escape(words)):
            parse_uncached(text)
