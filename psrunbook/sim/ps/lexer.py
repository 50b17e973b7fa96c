"""PowerShell's own tokenization of quotes and dashes, applied before tree-sitter.

tree-sitter-powershell only knows the ASCII quote and dash characters, but PowerShell
treats the five single-quote characters, the four double-quote characters and three
Unicode dashes as their ASCII counterparts. This module scans the script with
PowerShell's rule and returns a copy of the text, of exactly the same length in
characters, in which every delimiter, escape pair and dash PowerShell recognises is
ASCII, so tree-sitter sees the token structure PowerShell sees. Values are always decoded
from the original text (see :mod:`psrunbook.sim.ps.strings`), so content is never changed.

It also moves the blanks after an argument comma in front of it (``Name, State`` becomes
``Name ,State``, see :func:`spaced_commas`), the same length again.

A string that PowerShell closes at a smart quote in the middle of what looks like one
token (``'b’c'``) is refused: Windows would split it into pieces, and the simulator must
not accept what Windows would break on.
"""

from __future__ import annotations

import re

from psrunbook.sim.ps.exceptions import ScriptParseError

SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
DOUBLE_QUOTES = '"\u201c\u201d\u201e'
DASHES = "\u2013\u2014\u2015"
_TOKEN_END = set(" \t\r\n;)}],|\u00a0\u0085")
COMMENT_START_AFTER = set(" \t\r\n;(){}|,=&\u00a0\u0085")
_BLANKS = " \t"

# Where each scan must look at a character again: every other character only advances.
# The loops jump from one such place to the next with a regex search (in C) instead of
# stepping through every character in Python; the branches taken there are the same.
# A lookahead the branch itself tests (``$`` then ``{``) is part of the pattern, and a
# test of the character before (``#``) or of more text (a here-string header) is made by
# the branch, which otherwise advances by one as before.
_SCRIPT_STOP_CHARS = "`#'\"\u2018-\u201e\u2013-\u2015"
_SCRIPT_STOP_PAIRS = {"<": "#", "@": "['\"\u2018-\u201e]", "\\$": "\\{", ",": "[ \t]"}
"""A character that is a stop only when the next one matches: ``<#``, ``@'``, ``${``,
``, ``."""


def _stops(chars: str, pairs: dict[str, str]) -> re.Pattern[str]:
    """A search for any of ``chars``, or a key of ``pairs`` followed by its value.

    Written as one character class first, then what must follow which character (each
    branch tests the character just read with a lookbehind): a pattern that starts with a
    class lets ``re`` skip every other character in its C loop, while the alternation
    ``[chars]|<#|...`` ran the whole matcher at each position (searching the shipped
    templates that way took about half as long again, issue 16). The stops it finds are
    the same (``tests/unit/sim/ps/test_lexer_stops.py``).
    """
    follows = "|".join(f"(?<={first}){after}" for first, after in pairs.items())
    return re.compile(f"[{chars}{''.join(pairs)}](?:(?<=[{chars}])|{follows})")


_TOP_LEVEL_STOP = _stops(_SCRIPT_STOP_CHARS, _SCRIPT_STOP_PAIRS)
"""Outside a ``$( )`` parentheses need no count: only a subexpression ends at one."""
_SUBEXPRESSION_STOP = _stops("()" + _SCRIPT_STOP_CHARS, _SCRIPT_STOP_PAIRS)
_SINGLE_STOP = re.compile("['\u2018-\u201b]")
_DOUBLE_STOP = _stops('`"\u201c-\u201e', {"\\$": "[({]"})
_BRACED_STOP = re.compile("[`}]")
_HERE_VERBATIM_STOP = re.compile("\n")
_HERE_EXPANDABLE_STOP = re.compile("[\n`$]")


class _Scanner:
    """One pass over the text; :meth:`normalised` is the normalised copy."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._out: list[str] | None = None
        """The normalised copy as a list, made at the first write that changes a character:
        copying every script's text first cost a third of a scan, and in most scripts
        (ASCII quotes and dashes, no comma to move) nothing changes."""
        self.n = len(text)
        self.commas: list[tuple[int, int]] = []
        """Each moved comma: where it was and where it goes."""

    def put(self, index: int, char: str) -> None:
        """Write ``char`` at ``index`` of the normalised copy."""
        if self._out is not None:
            self._out[index] = char
        elif self.text[index] != char:
            self._out = list(self.text)
            self._out[index] = char

    def normalised(self) -> str:
        """The text as scanned so far, with every write made."""
        return self.text if self._out is None else "".join(self._out)

    def fail(self, index: int, message: str) -> ScriptParseError:
        line = self.text.count("\n", 0, index) + 1
        start = self.text.rfind("\n", 0, index) + 1
        end = self.text.find("\n", index)
        line_text = self.text[start : end if end >= 0 else self.n].rstrip("\r")
        return ScriptParseError(line, index - start + 1, message, line_text)

    def script(self, i: int, in_subexpression: bool) -> int:
        """Scan script-mode text from ``i``; in a ``$( )`` stop after its ``)``."""
        text, n = self.text, self.n
        stops = _SUBEXPRESSION_STOP if in_subexpression else _TOP_LEVEL_STOP
        depth = 0
        while i < n:
            found = stops.search(text, i)
            if found is None:
                i = n
                break
            i = found.start()
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
                self.put(i, "-")
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

    def comma(self, i: int) -> int:
        """Move a comma followed by blanks and a bare word next to the word.

        tree-sitter-powershell 0.26.4 cannot parse ``Select-Object Name, State`` (a bare
        word after ``, ``), and parses ``Name ,State`` as the bare word ``Name`` and the
        token ``,State``, which :func:`psrunbook.sim.ps.parser.is_comma_continuation`
        joins into one array argument. PowerShell skips blanks around a comma in both
        modes (about_Parsing), so the move changes nothing PowerShell sees; a line break
        is never crossed, and only a bare word's first character qualifies, because an
        expression after ``,`` (``$x``, ``'s'``, ``@{}``) parses already.
        """
        j = i + 1
        while j < self.n and self.text[j] in _BLANKS:
            j += 1
        if j < self.n and (self.text[j].isalnum() or self.text[j] in "_*?"):
            for index in range(i, j - 1):  # the blanks move left over the comma
                self.put(index, self.text[index + 1])
            self.put(j - 1, ",")
            self.commas.append((i, j - 1))
        return j

    def _here_header(self, i: int) -> bool:
        while i < self.n and self.text[i] in " \t":
            i += 1
        return i < self.n and self.text[i] in "\r\n"

    def braced_variable(self, i: int) -> int:
        j = i + 2
        while j < self.n:
            found = _BRACED_STOP.search(self.text, j)
            if found is None:
                break
            j = found.start()
            if self.text[j] == "`":
                j += 2
                continue
            return j + 1
        raise self.fail(i, "missing closing '}' in variable name")

    def _check_close(self, open_index: int, close_index: int) -> None:
        """Refuse a string PowerShell closes at a smart quote inside a word."""
        closer = self.text[close_index]
        after = close_index + 1
        if closer.isascii() or after >= self.n or self.text[after] in _TOKEN_END:
            return
        raise self.fail(
            close_index,
            f"PowerShell ends the string that starts at column "
            f"{open_index - self.text.rfind(chr(10), 0, open_index)} at the quote "
            f"U+{ord(closer):04X} '{closer}'; double it to keep it in the string",
        )

    def single(self, i: int) -> int:
        text, n = self.text, self.n
        j = i + 1
        while j < n:
            found = _SINGLE_STOP.search(text, j)
            if found is None:
                break
            j = found.start()
            if j + 1 < n and text[j + 1] in SINGLE_QUOTES:
                self.put(j, "'")
                self.put(j + 1, "'")
                j += 2
                continue
            self._check_close(i, j)
            self.put(i, "'")
            self.put(j, "'")
            return j + 1
        raise self.fail(i, "the string is missing the terminator: '")

    def double(self, i: int) -> int:
        text, n = self.text, self.n
        j = i + 1
        while j < n:
            found = _DOUBLE_STOP.search(text, j)
            if found is None:
                break
            j = found.start()
            c = text[j]
            if c == "`":
                j += 2
            elif c in DOUBLE_QUOTES:
                if j + 1 < n and text[j + 1] in DOUBLE_QUOTES:
                    self.put(j, '"')
                    self.put(j + 1, '"')
                    j += 2
                    continue
                self._check_close(i, j)
                self.put(i, '"')
                self.put(j, '"')
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
        self.put(i + 1, "'" if verbatim else '"')
        stops = _HERE_VERBATIM_STOP if verbatim else _HERE_EXPANDABLE_STOP
        # The header ends its line; a lone CR (old Mac line ends) is not read as one here,
        # so such a here-string is refused as unterminated rather than read some other way.
        j = text.find("\n", i) + 1
        if j == 0:
            raise self.fail(i, "the here-string is missing its terminator at the start of a line")
        at_line_start = True
        while j < n:
            c = text[j]
            if at_line_start and c in quotes and j + 1 < n and text[j + 1] == "@":
                self.put(j, "'" if verbatim else '"')
                return j + 2
            at_line_start = False
            if c == "\n":
                at_line_start = True
                j += 1
                continue  # the next character starts a line: look at it
            if not verbatim and c == "`":
                j += 2
            elif not verbatim and c == "$" and j + 1 < n and text[j + 1] == "(":
                j = self.script(j + 2, in_subexpression=True)
            else:
                j += 1
            found = stops.search(text, j) if j < n else None
            j = n if found is None else found.start()
        raise self.fail(i, "the here-string is missing its terminator at the start of a line")


def normalise(text: str) -> str:
    """Return ``text`` with PowerShell's quotes and dashes made ASCII (same length)."""
    scanner = _Scanner(text)
    scanner.script(0, in_subexpression=False)
    return scanner.normalised()


MOVABLE_COMMA = re.compile(r",[ \t]+[\w*?]")
r"""Every comma :func:`spaced_commas` can move: one followed by blanks and a bare word's
first character (alphanumeric, ``_``, ``*`` or ``?``; ``\w`` is alphanumeric or ``_``)."""


def spaced_commas(text: str) -> str:
    """``text`` with only the argument commas moved (see :meth:`_Scanner.comma`), quotes
    and dashes as written; for the linter, which reports those itself. Text the scanner
    cannot read (an unterminated string) comes back unchanged for tree-sitter to report.

    The text is scanned only to the end of the line of its last comma that could move
    (about 60% of a shipped script, whose last such comma is in a comment or a message
    near its end; the rest of the scan was 40% of its cost, issue 16). The scanner reads
    left to right, and whether it moves a comma depends only on the text up to the word
    after it, so scanning that far moves what the whole scan would. When that scan moves
    nothing, ``text`` is the answer either way (the whole scan moves nothing, or refuses
    the text and returns it unchanged); when it moves a comma or refuses the shorter text
    (a string that goes on past it), the whole text is scanned. The line's end, not the
    comma's word: a comma in a one-line string is inside it, and a scan ending there
    would refuse the text and scan it all again.
    """
    last = None
    for last in MOVABLE_COMMA.finditer(text):  # noqa: B007 (the last one is wanted)
        pass
    if last is None:
        return text
    end = text.find("\n", last.end())
    if end >= 0:
        prefix = _Scanner(text[:end])
        try:
            prefix.script(0, in_subexpression=False)
        except ScriptParseError:
            return _whole_text_commas_moved(text)
        if not prefix.commas:
            return text
    return _whole_text_commas_moved(text)


def _whole_text_commas_moved(text: str) -> str:
    """:func:`spaced_commas` by a scan of the whole text (what its shorter scan must equal)."""
    scanner = _Scanner(text)
    try:
        scanner.script(0, in_subexpression=False)
    except ScriptParseError:
        return text
    if not scanner.commas:
        return text
    chars = list(text)
    for old, new in scanner.commas:
        chars[old:new] = text[old + 1 : new + 1]
        chars[new] = ","
    return "".join(chars)
