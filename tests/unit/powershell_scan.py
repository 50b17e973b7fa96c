"""An independent reader for the PowerShell literals ``ps_literal`` writes, for the tests.

It is written from PowerShell's tokenizer rules (``CharTraits.IsSingleQuote`` and
``Tokenizer.ScanStringLiteral``), not from the writer, so a writer mistake cannot hide behind
a matching reader mistake. tree-sitter-powershell cannot play this role alone because it does
not treat the Unicode quotes as quotes.

Rules implemented:

* Any of U+0027, U+2018, U+2019, U+201A, U+201B opens a verbatim string. Inside it, any of
  them followed by any of them is an escape that yields the second character; any of them
  followed by anything else ends the string. Everything else, newlines included, is content.
* ``@( ... )`` evaluates its comma expression and enumerates the result one level: a single
  element that is itself an array is flattened unless the unary comma ``,x`` wraps it.
* ``@{ k = v; ... }`` builds a hashtable whose string keys are compared case-insensitively;
  a duplicate key is an error, as in PowerShell's hash literal.
"""

from __future__ import annotations

from dataclasses import dataclass

SINGLE_QUOTES = "'\u2018\u2019\u201a\u201b"
BLANKS = " \t"


class ScanError(ValueError):
    """The text is not a literal of the supported subset, or is not exactly one."""


def scan_verbatim_string(text: str, start: int) -> tuple[str, int]:
    """Read the single-quoted string opening at ``text[start]``: (content, index after it)."""
    if start >= len(text) or text[start] not in SINGLE_QUOTES:
        raise ScanError(f"no single quote at {start}")
    content: list[str] = []
    index = start + 1
    while index < len(text):
        char = text[index]
        if char in SINGLE_QUOTES:
            following = text[index + 1] if index + 1 < len(text) else ""
            if following and following in SINGLE_QUOTES:
                content.append(following)
                index += 2
                continue
            return "".join(content), index + 1
        content.append(char)
        index += 1
    raise ScanError("string not terminated")


def read_string_token(text: str) -> str:
    """The content of ``text`` when ``text`` is exactly one verbatim string token."""
    content, end = scan_verbatim_string(text, 0)
    if end != len(text):
        raise ScanError(f"the string token ends at {end}, before the text ends at {len(text)}")
    return content


def read_literal(text: str) -> object:
    """The value of ``text`` when it is exactly one literal of the supported subset."""
    reader = _Reader(text)
    value = reader.value()
    reader.blanks()
    if reader.index != len(text):
        raise ScanError(f"unexpected text after the literal at {reader.index}")
    return value


@dataclass
class _Reader:
    text: str
    index: int = 0

    def peek(self, count: int = 1) -> str:
        return self.text[self.index : self.index + count]

    def blanks(self) -> None:
        while self.peek() and self.peek() in BLANKS:
            self.index += 1

    def expect(self, token: str) -> None:
        self.blanks()
        if self.peek(len(token)) != token:
            raise ScanError(f"expected {token!r} at {self.index}")
        self.index += len(token)

    def value(self) -> object:
        self.blanks()
        for word, result in (("$null", None), ("$true", True), ("$false", False)):
            if self.peek(len(word)).lower() == word and not self._name_char(len(word)):
                self.index += len(word)
                return result
        head = self.peek()
        if head and head in SINGLE_QUOTES:
            content, self.index = scan_verbatim_string(self.text, self.index)
            return content
        if self.peek(2) == "@(":
            return self.array()
        if self.peek(2) == "@{":
            return self.hashtable()
        if head == "(":
            self.index += 1
            self.expect("-")
            number = self.number()
            self.expect(")")
            return -number
        return self.number()

    def _name_char(self, offset: int) -> bool:
        following = self.text[self.index + offset : self.index + offset + 1]
        return bool(following) and (following.isalnum() or following == "_")

    def number(self) -> int | float:
        start = self.index
        while self.peek().isdigit() or (self.peek() and self.peek() in ".eE+-"):
            if self.peek() in "+-" and self.text[self.index - 1] not in "eE":
                break
            self.index += 1
        token = self.text[start : self.index]
        if not token or not token[0].isdigit():
            raise ScanError(f"expected a value at {start}")
        if any(marker in token for marker in ".eE"):
            return float(token)
        return int(token)

    def array(self) -> list[object]:
        self.expect("@(")
        self.blanks()
        if self.peek() == ")":
            self.index += 1
            return []
        wrapped = False
        if self.peek() == ",":
            wrapped = True
            self.index += 1
        elements = [self.value()]
        self.blanks()
        while self.peek() == ",":
            self.index += 1
            elements.append(self.value())
            self.blanks()
        self.expect(")")
        if wrapped and len(elements) > 1:
            raise ScanError("a unary comma followed by more elements is outside the subset")
        if len(elements) == 1 and not wrapped and isinstance(elements[0], list):
            return elements[0]
        return elements

    def hashtable(self) -> dict[object, object]:
        self.expect("@{")
        result: dict[object, object] = {}
        folded: set[object] = set()
        self.blanks()
        while self.peek() != "}":
            key = self.value()
            if not isinstance(key, str | int) or isinstance(key, bool):
                raise ScanError(f"unsupported hashtable key {key!r}")
            marker = key.casefold() if isinstance(key, str) else key
            if marker in folded:
                raise ScanError(f"duplicate key {key!r} in hash literal")
            folded.add(marker)
            self.expect("=")
            result[key] = self.value()
            self.blanks()
            if self.peek() == ";":
                self.index += 1
                self.blanks()
            elif self.peek() != "}":
                raise ScanError(f"expected ';' or '}}' at {self.index}")
        self.index += 1
        return result
