"""Static checks that every rendered script must pass before it can run or be exported.

A script reaches a node only after these checks, so the mistakes they catch never meet a
production cluster:

``PSR001`` / ``PSR002``
    tree-sitter-powershell finds a syntax error (``ERROR``) or a missing token (``MISSING``).
``PSR003`` / ``PSR004``
    The text holds a lone surrogate (not valid Unicode), or no statement at all.
``PSR005`` / ``PSR006``
    An attribute argument that is not a constant or a script block
    (``[ValidateRange(1, $max)]``, ``[ValidateSet(1..3)]``), or a parameter or an
    attribute's named argument given twice (names ignore case): PowerShell's parser
    refuses the whole script
    before any of it runs, by the rules the simulator applies
    (:mod:`psrunbook.sim.ps.constant_attributes`, :mod:`psrunbook.sim.ps.semantic_checks`).
``PSR007``
    A variable followed by a colon (``"on $owner: done"``): PowerShell's tokenizer reads
    ``$owner:`` as a drive-qualified name left empty and refuses the whole script
    ("Variable reference is not valid."); ``${owner}:`` is what was meant.
``PSR008`` .. ``PSR011``
    What PowerShell's tokenizer reads otherwise than tree-sitter, and refuses: a ``<``
    outside a string (``if ($a < 5)``, ``icacls <file>``: "The '<' operator is reserved
    for future use."), a line that starts with ``|`` (PowerShell 7's leading pipe; 5.1:
    "An empty pipe element is not allowed."), a line that starts with a binary operator
    continuing an expression (``(... -eq 1`` / ``-and ...)``: PowerShell ends the
    expression at the line break), and ``&&`` / ``||`` (PowerShell 7's pipeline chains;
    5.1: "The token '&&' is not a valid statement separator in this version.").
``PSR012`` / ``PSR013``
    A hash literal with two constant keys alike, ignoring case (``@{Name = 1; name = 2}``,
    often a splat): PowerShell's parser refuses the whole script ("Duplicate keys 'name'
    are not allowed in hash literals."), as the simulator does; a ``<#`` comment with no
    ``#>`` after it, which PowerShell refuses and tree-sitter reads past.
``PSR014``
    A Unicode blank (no-break space U+00A0, U+2003, ...) outside string content:
    PowerShell's tokenizer reads it as a space, tree-sitter as part of a word.
``PSR015`` / ``PSR016``
    The rest of PowerShell's semantic checks that refuse the whole script, by the
    simulator's rule (:func:`~psrunbook.sim.ps.semantic_checks.semantic_problem`), with
    PowerShell's error text: a function with a parameter list and a ``param()`` block,
    catches out of order, ``return``/``break``/``continue`` leaving a ``finally``,
    ``++``/``--`` on what is not a variable, ``[ordered]`` on what is not a hash literal,
    an assignment to what is not assignable (``'a' = 5``), a hexadecimal literal its type
    cannot hold (``0x1FFFFFFFFFFFFFFFF``); a splat (``@h``) that is not a command's own
    argument (PSR016).
``PSR101`` .. ``PSR108``
    A FailoverClusters cmdlet call that Windows would reject: unknown cmdlet or parameter,
    ambiguous or abbreviated parameter name, parameters from two parameter sets, a parameter
    given twice, a value-taking parameter with no value, too many positional arguments, or a
    mandatory parameter left out (PowerShell would prompt, and the host cannot answer).
``PSR201``
    Jinja left over in script text (``{{``, ``{%``, ``{#``): a rendered script has none.
``PSR301`` / ``PSR302``
    A Unicode quote or dash outside string content, or a string that PowerShell's tokenizer
    would end earlier or later than tree-sitter does. PowerShell treats U+2018..U+201B as
    single quotes, U+201C..U+201E as double quotes and U+2013..U+2015 as ``-``; the parser
    used here does not, so without these checks a script could lint clean and still break
    (or be injectable) on Windows.
``PSR401``
    A cmdlet that asks for confirmation (``Remove-ClusterResource``,
    ``Remove-ClusterCheckpoint``) without ``-Force``: the remote host is non-interactive.
``PSR501``
    ``{{`` in template source (:func:`lint_template_source`): values travel as parameters.
``PSR601`` .. ``PSR603`` (step scripts only: ``lint_script(..., step=True)``)
    The script does not open with a ``param(...)`` block declaring ``[switch]$CheckOnly``
    (every step must honour a plan's ``-CheckOnly``, docs/writing-runbooks.md), or it
    defines a function, filter, workflow, class or enum: a step is one flat script whose
    every command the linter and the reviewer see where it runs (the simulator refuses
    them too, docs/simulated-powershell.md); or it spells a parameter's variable in
    another case (``$fileExisted`` beside ``[bool]$FileExisted``): PowerShell's variable
    names ignore case, so what reads as a new local overwrites the parameter (PSR603).

A finding in a rendered script also names its place in the template source
(:func:`in_templates`: ``cluster/add_resource.ps1.j2:12:5``), where it is fixed.

Speed: one parse per distinct text with a parser reused per thread; the few nodes the
rules need (cluster cmdlet calls, definitions) found from the places the text spells
their names or keywords, going up from the node there (in C), instead of a Python walk
or a tree-sitter query over every node (a query visits each of a script's thousands of
nodes: it cost a step's lint more than every rule together); each call element read
once; positions computed only for findings (byte offsets are character offsets in ASCII
text).

How mandatory parameters are judged (kept deliberately simple and conservative):

* Parameters bind by name first; positional arguments then fill the remaining positional
  parameters in position order, as PowerShell does.
* The candidate parameter sets are those that contain every named parameter. A mandatory
  parameter counts when it is in every set (``(All)``), or when exactly one candidate set is
  left and the parameter belongs to it; otherwise the set is not determinable and it is not
  demanded.
* A mandatory parameter that takes pipeline input is satisfied when the command is not the
  first element of its pipeline.
* A call that splats (``@params``) supplies parameters the linter cannot see, so it is not
  checked for mandatory parameters or surplus positional arguments; named ones still are.
"""

from __future__ import annotations

import re
import string
import threading
import unicodedata
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import cache, cached_property, lru_cache
from itertools import accumulate
from typing import Final, Literal

import msgspec
import tree_sitter
import tree_sitter_powershell

from psrunbook.catalog import Cmdlet, Parameter, load_catalog
from psrunbook.sim.ps.constant_attributes import non_constant_argument
from psrunbook.sim.ps.lexer import COMMENT_START_AFTER, MOVABLE_COMMA, spaced_commas
from psrunbook.sim.ps.parser import (
    abbreviated_switch_flags,
    is_comma_continuation,
    mend_block_separators,
    parse_mended,
)
from psrunbook.sim.ps.semantic_checks import (
    EMPTY_PIPE_ELEMENT,
    REDIRECTION_NOT_SUPPORTED,
    colon_after_variable,
    duplicate_named_argument,
    duplicate_parameter,
    semantic_problem,
    tokenizer_refusals,
)

__all__ = [
    "Finding",
    "Severity",
    "in_templates",
    "language",
    "lint_script",
    "lint_template_source",
    "parse",
]

Severity = Literal["error", "warning"]

SINGLE_QUOTES: Final = frozenset("'\u2018\u2019\u201a\u201b")
DOUBLE_QUOTES: Final = frozenset('"\u201c\u201d\u201e')
SMART_QUOTES: Final = frozenset("\u2018\u2019\u201a\u201b\u201c\u201d\u201e")
SMART_DASHES: Final = frozenset("\u2013\u2014\u2015")
UNICODE_BLANKS: Final = frozenset(
    "\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000"
)
"""The blanks PowerShell's tokenizer skips besides space, tab, vertical tab and form feed
(PS-src ``CharExtensions.IsWhitespace``: NBSP and NEL, and ``char.IsSeparator`` above
U+0100); tree-sitter reads them as part of a word (``Write-Output\u00a0'x'``: one
command name)."""
_SMART_CHAR: Final = re.compile(
    "[\u2013-\u2015\u2018-\u201e" + "".join(sorted(UNICODE_BLANKS)) + "]"
)
_CLUSTER_DASH: Final = re.compile("-cluster", re.ASCII | re.IGNORECASE)
_NAME_NODES: Final = frozenset(
    {"command_name", "path_command_name_token", "path_command_name", "command_name_expr"}
)

_CONFIRMING_CMDLETS: Final = frozenset({"remove-clusterresource", "remove-clustercheckpoint"})
_CLUSTER_COMMAND: Final = re.compile(r"[A-Za-z]+-Cluster\w*")
_JINJA: Final = re.compile(r"\{\{|\{%|\{#")
_SPLAT: Final = re.compile(r"@[\w:?]+")
_MODULE_PREFIX: Final = re.compile(r"(?i)FailoverClusters\\")
_STRING_NODE_TYPES: Final = frozenset(
    {
        "verbatim_string_characters",
        "expandable_string_literal",
        "verbatim_here_string_characters",
        "expandable_here_string_literal",
    }
)


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in one script; ``line`` and ``column`` are 1-based, columns in characters."""

    source: str
    line: int
    column: int
    code: str
    message: str
    severity: Severity = field(default="error", compare=False)
    template: str | None = field(default=None, compare=False)
    """Where to fix it: ``template.ps1.j2:LINE:COL`` in the template source, when known."""

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}:{self.column}"
        if self.template is not None:
            where = f"{self.template} (rendered {where})"
        return f"{where}: {self.code} {self.message}"


@cache
def language() -> tree_sitter.Language:
    """The PowerShell grammar, loaded once: for queries on :func:`parse`'s trees."""
    return tree_sitter.Language(tree_sitter_powershell.language())


_parsers = threading.local()


@lru_cache(maxsize=16)
def parse(text: str) -> tree_sitter.Tree:
    """Parse PowerShell source with tree-sitter-powershell, once per text, with the
    simulator's workarounds for ``Name, State`` (same offsets; see ``spaced_commas``) and
    for a ``param()`` or ``switch`` clause followed by more on its line (``parse_mended``).

    A plan reads each rendered script's ``param()`` block and then lints it: both use
    this tree (read only), so a script is parsed once. One parser per thread, reused (a
    parser must not be shared between threads).
    """
    parser: tree_sitter.Parser | None = getattr(_parsers, "parser", None)
    if parser is None:
        parser = _parsers.parser = tree_sitter.Parser(language())
    source = text.encode("utf-8", "surrogatepass")
    tree = _parse_source(parser, source)
    if _no_comma_to_move(text, tree):
        return tree
    moved = spaced_commas(text)
    if moved == text:
        return tree
    return _parse_source(parser, moved.encode("utf-8", "surrogatepass"))


def _parse_source(parser: tree_sitter.Parser, source: bytes) -> tree_sitter.Tree:
    """``source`` as the simulator parses it: ``parse_mended``, and for a tree with an
    error the ``;`` PowerShell skips between named blocks read as blanks
    (``mend_block_separators``; only then, since it walks the whole tree)."""
    tree = parse_mended(parser, source)
    if tree.root_node.has_error:
        return mend_block_separators(parser, source, tree)
    return tree


_LITERAL_TEXT: Final = frozenset(
    {
        "comment",
        "verbatim_string_characters",
        "expandable_string_literal",
        "verbatim_here_string_characters",
        "expandable_here_string_literal",
    }
)
"""Nodes whose bytes are a comment's or a string's own text: a comma there is text."""


def _no_comma_to_move(text: str, tree: tree_sitter.Tree) -> bool:
    """True when ``spaced_commas`` could not move a comma of ``text``, read from its tree.

    ``spaced_commas`` scans the text as PowerShell reads it (strings, comments,
    sub-expressions) to find argument commas followed by blanks and a bare word; a
    shipped script has none, only such commas in its comments and messages, and that scan
    was 20 us of a script's 0.5 ms render and lint (issue 16). Here each comma it could
    move (:data:`MOVABLE_COMMA`) is looked up in the tree instead: when every one is the
    text of a comment or of a string (the smallest node there: a comma in a string's
    ``$(...)`` has a node of its own) in a tree without an error, and the tree read that
    comment or string as PowerShell does (:func:`_read_as_powershell_does`), there is
    nothing to move. Anything else (a tree with an error, which a comma tree-sitter
    cannot read makes; a comma in code; non-ASCII text, whose byte and character offsets
    differ) is left to the scan, which is always right.
    """
    root = tree.root_node
    if root.has_error or not text.isascii():
        return False
    movable = False
    for match in MOVABLE_COMMA.finditer(text):
        movable = True
        at = match.start()
        node = root.descendant_for_byte_range(at, at + 1)
        if node is None or node.type not in _LITERAL_TEXT:
            return False
        if not _read_as_powershell_does(text, node, at):
            return False
    return not movable or not _quote_in_a_bare_word(text, root)


_QUOTE_BEFORE_WORD: Final = (re.compile(r"'[^\s)\]},;|'\"]"), re.compile(r"\"[^\s)\]},;|'\"]"))
"""A quote followed by more of a word (each pattern starts with its quote, which ``re``
finds fast); with a word character before it (:data:`_WORD`): ``node's``, ``ab'c d'e``.
A string's closing quote is followed by a blank, a closer, a separator or another quote
(``'Online')``, ``'it''s'``), so the many of those are not looked up in the tree; a
quote followed by a blank inside a bare word (``ab' c'``) is left to tree-sitter's
reading (no shipped script has one)."""
_WORD: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")


def _quote_in_a_bare_word(text: str, root: tree_sitter.Node) -> bool:
    """Whether a quote right after a word character lies outside every comment and
    string of the tree. PowerShell's tokenizer takes a quoted part into a bare word
    (``Write-Output ab'c d'e`` writes ``abc de``: ScanGenericToken), so the string runs
    on from that quote; tree-sitter-powershell reads the quote otherwise, and every
    string after it may be misread (a fifth shape, found by pieces cut from shipped
    scripts). Such a text is left to the scan."""
    for pattern in _QUOTE_BEFORE_WORD:
        for match in pattern.finditer(text):
            at = match.start()
            if at > 0 and text[at - 1] in _WORD and _outside_literals(root, at):
                return True
    return False


def _outside_literals(root: tree_sitter.Node, at: int) -> bool:
    """Whether byte ``at`` is code: in no comment or string, or in a string's ``$(...)``."""
    node = root.descendant_for_byte_range(at, at + 1)
    while node is not None and node.type not in _LITERAL_TEXT:
        if node.type == "sub_expression":  # code inside a string: a bare word again
            return True
        node = node.parent
    return node is None


_EXPANDABLE_TEXT: Final = frozenset({"expandable_string_literal", "expandable_here_string_literal"})
_HERE_STRING_CLOSING: Final = {
    "verbatim_here_string_characters": "\n'@",
    "expandable_here_string_literal": '\n"@',
}


def _read_as_powershell_does(text: str, node: tree_sitter.Node, at: int) -> bool:
    """Whether the comment or string ``node``, holding the comma at ``at``, is one the
    scan reads there too. tree-sitter-powershell misreads four shapes, each found by
    generated texts (``tests/unit/test_lint_parse_commas.py``):

    - a comment the scan would not start: ``$x#note`` is one word to the scan;
    - a "comment" inside a here-string (a line starting with ``#``): PowerShell has none
      there, only text and sub-expressions;
    - a here-string that runs past its end: tree-sitter misses the closing line of an
      empty one (``@'``, a blank line, ``'@``) and reads on to a later one;
    - a ``$(`` in an expandable string it did not read as a sub-expression (after such a
      ``#`` line): PowerShell reads code there, whose comma the scan moves.
    """
    kind = node.type
    if kind == "comment":
        parent = node.parent
        inside_string = parent is not None and parent.type in _EXPANDABLE_TEXT
        return not inside_string and _scanned_as_comment(text, node.start_byte)
    closing = _HERE_STRING_CLOSING.get(kind)
    if closing is not None and text.find(closing, node.start_byte, at) >= 0:
        return False
    return kind not in _EXPANDABLE_TEXT or not _after_unread_sub_expression(text, node, at)


def _after_unread_sub_expression(text: str, node: tree_sitter.Node, at: int) -> bool:
    """Whether a ``$(`` the tree did not read as a sub-expression precedes ``at`` in the
    expandable string ``node``. A ``$(`` the tree did read is a child node of the string
    and is skipped; any other before the comma (an escaped one too) leaves the text to
    the scan."""
    start = node.start_byte
    for child in node.children:
        if child.start_byte >= at:
            break
        if "$(" in text[start : child.start_byte]:
            return True
        start = max(start, child.end_byte)
    return "$(" in text[start:at]


def _scanned_as_comment(text: str, start: int) -> bool:
    """Whether the scan of ``spaced_commas`` also starts a comment at ``start``: ``<#``
    anywhere, ``#`` at the start or after a blank or an operator (tree-sitter also reads
    ``$x#note`` as a variable and a comment, the scan as one word)."""
    return text.startswith("<#", start) or start == 0 or text[start - 1] in COMMENT_START_AFTER


_DEFINITION_KINDS: Final = frozenset({"function_statement", "class_statement", "enum_statement"})
_DEFINITION_KEYWORDS: Final = ("function", "filter", "workflow", "class", "enum")
_DEFINITION_KEYWORD: Final = re.compile("|".join(_DEFINITION_KEYWORDS), re.IGNORECASE)
"""For text with non-ASCII letters: the Unicode case folding of ``re.IGNORECASE`` matches
more letters than the grammar's ASCII-only keywords, never fewer."""


def lint_script(text: str, *, source: str, step: bool = False) -> list[Finding]:
    """Every finding for a rendered script, sorted by position; empty means it passes.

    ``step``: the script is a step's (or a probe's), so the step rules (PSR6xx) apply.
    Findings depend on the text alone, and a plan renders the same text for many steps
    (values travel as parameters), so they are computed once per distinct text.
    """
    return [replace(finding, source=source) for finding in _findings(text, step)]


@lru_cache(maxsize=1024)
def _findings(text: str, step: bool = False) -> tuple[Finding, ...]:
    script = _Script(text, "", parse(text))
    findings = [
        *_syntax_findings(script),
        *_attribute_findings(script),
        *_parameter_findings(script),
        *_colon_variable_findings(script),
        *_tokenizer_findings(script),
        *_chain_findings(script),
        *_hash_key_findings(script),
        *_semantic_findings(script),
        *_block_comment_findings(script),
        *_cmdlet_findings(script),
        *_jinja_findings(script),
        *_unicode_findings(script),
        *(_step_findings(script) if step else ()),
    ]
    return tuple(sorted(set(findings)))


def lint_template_source(text: str, source: str) -> list[Finding]:
    """Findings for template *source*: any ``{{`` is an interpolated value, and forbidden.

    Templates may use ``{% include %}``, ``{% if %}`` and ``{% for %}`` for structure; every
    value reaches the script as a parameter of its ``param(...)`` block instead.
    """
    positions = _Positions(text)
    findings = []
    for match in re.finditer(r"\{\{", text):
        line, column = positions.of_char(match.start())
        findings.append(
            Finding(
                source,
                line,
                column,
                "PSR501",
                "'{{' interpolates a value into script text; declare it in param(...) and "
                "pass it as a parameter instead",
            )
        )
    return findings


class _Positions:
    """Maps character and UTF-8 byte offsets to 1-based line and character column."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._line_starts = [0, *(m.end() for m in re.finditer("\n", text))]
        self._ascii = text.isascii()

    @cached_property
    def _byte_of_char(self) -> list[int]:
        return [0, *accumulate(_utf8_width(char) for char in self.text)]

    def char_index(self, byte_offset: int) -> int:
        """Character index of a byte offset (tree-sitter reports bytes).

        An offset inside a character (possible only around invalid text such as a lone
        surrogate) maps to the character that contains it. In ASCII text they are equal.
        """
        if self._ascii:
            return byte_offset
        return bisect_right(self._byte_of_char, byte_offset) - 1

    def of_char(self, index: int) -> tuple[int, int]:
        line = bisect_right(self._line_starts, index)
        return line, index - self._line_starts[line - 1] + 1

    def of_byte(self, byte_offset: int) -> tuple[int, int]:
        return self.of_char(self.char_index(byte_offset))


def _utf8_width(char: str) -> int:
    code = ord(char)
    if code < 0x80:
        return 1
    if code < 0x800:
        return 2
    return 3 if code < 0x10000 else 4


@dataclass
class _Script:
    text: str
    source: str
    tree: tree_sitter.Tree
    ascii: bool = field(init=False)
    folded: str | None = field(init=False)
    """The text lower-cased, for the keyword searches of ASCII text (same offsets);
    None for other text, where lower-casing can change lengths."""
    root: tree_sitter.Node = field(init=False)
    """The tree's root node, made once (each ``tree.root_node`` is a new object)."""

    def __post_init__(self) -> None:
        # Every rule needs these: made here rather than by ``cached_property``, whose
        # first read takes a lock (three of them cost about 2 us a script).
        self.ascii = self.text.isascii()
        self.folded = self.text.lower() if self.ascii else None
        self.root = self.tree.root_node

    @cached_property
    def positions(self) -> _Positions:
        return _Positions(self.text)

    @cached_property
    def definitions(self) -> list[tree_sitter.Node]:
        """Every function (filter, workflow), class and enum statement, in source order.

        Each is spelt with its keyword, so they are found from the few places the text
        holds one (most scripts: none), among the node there and its ancestors
        (:func:`_ancestors`): a query over the whole tree visits every node, and cost a
        step's lint more than all the other rules together. A keyword in a comment or a
        string, or inside a definition's body, goes up to no definition or to a real
        one: never a wrong node.
        """
        found: dict[int, tree_sitter.Node] = {}
        root = self.root
        for at, length in _definition_keywords(self.text, self.folded):
            start, end = self.byte_offset(at), self.byte_offset(at + length)
            node = root.descendant_for_byte_range(start, end)
            if node is None:
                continue
            for kin in (node, *reversed(_ancestors(root, node))):
                if kin.type in _DEFINITION_KINDS:
                    found.setdefault(kin.id, kin)
        return sorted(found.values(), key=lambda n: n.start_byte)

    def spanning(self, at: int, length: int) -> tree_sitter.Node | None:
        """The smallest node holding the characters ``at`` to ``at + length`` (one call, in
        C: from a place the text spells a keyword or a bracket, not walking every node)."""
        begin = self.byte_offset(at)
        end = begin + len(self.text[at : at + length].encode("utf-8", "surrogatepass"))
        return self.root.descendant_for_byte_range(begin, end)

    def parent_of_token(self, at: int, length: int) -> tree_sitter.Node | None:
        """The parent of the node the characters ``at`` to ``at + length`` are."""
        node = self.spanning(at, length)
        return None if node is None else node.parent

    def node_text(self, node: tree_sitter.Node) -> str:
        raw = node.text
        return "" if raw is None else raw.decode("utf-8", "surrogatepass")

    def byte_offset(self, index: int) -> int:
        if self.ascii:
            return index
        return len(self.text[:index].encode("utf-8", "surrogatepass"))

    def cluster_commands(self) -> list[tree_sitter.Node]:
        """Every command whose name is a cluster cmdlet's, in source order.

        Every FailoverClusters cmdlet (the catalog's and an unknown ``*-Cluster*`` one)
        is a ``Verb-Cluster...`` word, so the commands are found from the few places the
        text names one, by descending to each (a cursor, in C), not by walking every node.
        """
        found: dict[int, tree_sitter.Node] = {}
        for start in _cluster_word_starts(self.text):
            command = self._command_named_at(self.byte_offset(start))
            if command is not None:
                found.setdefault(command.id, command)
        return sorted(found.values(), key=lambda n: n.start_byte)

    def _command_named_at(self, offset: int) -> tree_sitter.Node | None:
        """The command whose name starts at byte ``offset``, if that word is one's name.

        Up from the word through its name's own nodes only: a word in a string, a
        comment or an argument is not a command's name.
        """
        node = self.root.descendant_for_byte_range(offset, offset + 1)
        while node is not None and node.type in _NAME_NODES:
            node = node.parent
        if node is None or node.type != "command":
            return None
        return node

    def start(self, node: tree_sitter.Node) -> int:
        # ASCII text: the byte offset, without making the line table of ``positions``.
        return node.start_byte if self.ascii else self.positions.char_index(node.start_byte)

    def end(self, node: tree_sitter.Node) -> int:
        return node.end_byte if self.ascii else self.positions.char_index(node.end_byte)

    def at_node(
        self, node: tree_sitter.Node, code: str, message: str, severity: Severity = "error"
    ) -> Finding:
        line, column = self.positions.of_byte(node.start_byte)
        return Finding(self.source, line, column, code, message, severity)

    def at_char(self, index: int, code: str, message: str) -> Finding:
        line, column = self.positions.of_char(index)
        return Finding(self.source, line, column, code, message)


def _cluster_word_starts(text: str) -> Iterator[int]:
    """Where each ``Verb-Cluster...`` word starts (ASCII letters, any case), found from
    its ``-cluster`` (a literal search, ASCII case folded by the regex engine: folding the
    text with ``str.translate`` first cost more than the rest of the search) rather than
    by trying a pattern at every letter. The letters before it are stripped off a
    window of text in C (``str.rstrip``), not stepped over one by one."""
    for match in _CLUSTER_DASH.finditer(text):
        at = match.start()
        window = text[max(0, at - _VERB_WINDOW) : at]
        start = at - (len(window) - len(window.rstrip(_ASCII_LETTERS)))
        if start == at - _VERB_WINDOW:  # letters all the way back: go on one by one
            while start > 0 and text[start - 1] in _ASCII_LETTERS:
                start -= 1
        if start < at:
            yield start


_ASCII_LETTERS: Final = string.ascii_letters
_VERB_WINDOW: Final = 32
"""Longer than any verb (``Unregister``): a ``-Cluster`` word is found in one strip."""


def _definition_keywords(text: str, folded: str | None) -> Iterator[tuple[int, int]]:
    """(start, length) of each definition keyword in ``text``, any case."""
    return _spelled(text, folded, _DEFINITION_KEYWORDS, _DEFINITION_KEYWORD)


def _spelled(
    text: str, folded: str | None, words: tuple[str, ...], any_case: re.Pattern[str]
) -> Iterator[tuple[int, int]]:
    """(start, length) of each of ``words`` in ``text``, any case. In ASCII text a search
    of ``folded``, the lower-cased copy (same offsets; made once per script), for each
    word: a case-insensitive alternation in ``re`` (``any_case``, for other text, where
    ``folded`` is None) tries every position and cost ten times as much."""
    if folded is None:
        yield from ((m.start(), m.end() - m.start()) for m in any_case.finditer(text))
        return
    for word in words:
        at = folded.find(word)
        while at != -1:
            yield at, len(word)
            at = folded.find(word, at + 1)


def _ancestors(root: tree_sitter.Node, node: tree_sitter.Node) -> list[tree_sitter.Node]:
    """``node``'s ancestors, ``root`` first: what ``node.parent`` gives, again and again.

    tree-sitter keeps no parent links: each ``.parent`` goes down from the root (in C),
    so walking up from a node ``d`` deep costs ``d * d`` steps and ``d`` calls of about
    0.7 us. Going down once, the way ``.parent`` itself does (to the child that holds
    ``node``, until that child is ``node``), finds them all in ``d`` steps.
    """
    if root.id == node.id:
        return []
    path = [root]
    while True:
        below = path[-1].child_with_descendant(node)
        if below is None or below.id == node.id:
            return path
        path.append(below)


def _walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """Pre-order traversal of every node, named or not."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children))


# --- rule 1: syntax ---------------------------------------------------------------------------


def _syntax_findings(script: _Script) -> Iterator[Finding]:
    surrogates = () if script.ascii else re.finditer("[\ud800-\udfff]", script.text)
    for match in surrogates:
        yield script.at_char(
            match.start(),
            "PSR003",
            f"lone surrogate U+{ord(match.group()):04X}: the script is not valid Unicode text",
        )
    if not script.root.has_error:
        return
    if _has_no_statement(script):
        # tree-sitter-powershell rejects a script that is only comments and a param block;
        # PowerShell accepts it, but a step script that emits nothing is wrong anyway.
        yield script.at_char(
            0, "PSR004", "the script has no statement: every script must emit its result"
        )
        return
    stack = [script.tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_missing and node.parent is not None and is_comma_continuation(node.parent):
            continue  # ``Name,State``: tree-sitter invents a separator PowerShell has not
        if node.is_missing:
            yield script.at_node(node, "PSR002", f"syntax error: missing {node.type!r}")
        elif node.is_error and abbreviated_switch_flags(node) is None:
            snippet = script.node_text(node).strip().splitlines()
            near = f" near {snippet[0][:40]!r}" if snippet else " at end of script"
            yield script.at_node(node, "PSR001", f"syntax error{near}")
            continue  # one finding per broken region, not one per token inside it
        stack.extend(reversed(node.children))


_ATTRIBUTE_OPENING: Final = re.compile(r"\[[ \t]*[A-Za-z_][\w.]*[ \t]*\(")
"""Where an attribute with arguments may open (``[ValidateRange(``): a type literal or a
cast never has ``(`` after its name."""


def _attribute_findings(script: _Script) -> Iterator[Finding]:
    """PSR005 at each attribute argument PowerShell would refuse. The attributes are found
    from where the text opens one, going up from the ``(`` there, not by a walk of every
    node (a text match outside an attribute goes up to no attribute)."""
    for match in _ATTRIBUTE_OPENING.finditer(script.text):
        attribute = script.parent_of_token(match.end() - 1, 1)
        if attribute is None or attribute.type != "attribute":
            continue
        for arguments in attribute.named_children:
            if arguments.type != "attribute_arguments":
                continue
            # Two arguments at least to repeat a name (a count, in C: reading each one
            # makes its nodes, and most attributes have one).
            repeated = (
                duplicate_named_argument(arguments) if arguments.named_child_count > 1 else None
            )
            if repeated is not None:
                yield script.at_node(
                    repeated[0],
                    "PSR006",
                    f"named argument {repeated[1]!r} given twice in one attribute: "
                    "PowerShell refuses the whole script; give it once",
                )
            argument = non_constant_argument(arguments)
            if argument is not None:
                yield script.at_node(
                    argument,
                    "PSR005",
                    "attribute argument is not a constant or a script block: PowerShell "
                    'refuses the whole script ("Attribute argument must be a constant or a '
                    'script block."); write a literal, or check the value in the script',
                )


_PARAM_KEYWORD: Final = re.compile("param", re.IGNORECASE)
_PARAM_PRECEDED: Final = re.compile(r"[\w$\-.:]")


def _parameter_lists(script: _Script) -> Iterator[tree_sitter.Node]:
    """Every parameter list: of each ``param(...)`` block, found from where the text
    spells ``param`` (a search of the lower-cased text; a case-insensitive ``re`` only
    for non-ASCII text), and of each function defined with ``function name(...)``."""
    seen: set[int] = set()
    text = script.text
    for at, length in _spelled(text, script.folded, ("param",), _PARAM_KEYWORD):
        after = text[at + length : at + length + 1]
        if (after and after not in "( \t\r\n") or (at and _PARAM_PRECEDED.match(text, at - 1)):
            continue  # part of a longer word (``[Parameter(``, ``$params``): not the keyword
        block = script.parent_of_token(at, length)
        if block is not None and block.type == "param_block" and block.id not in seen:
            seen.add(block.id)
            yield from (c for c in block.named_children if c.type == "parameter_list")
    for definition in script.definitions:
        for declaration in definition.named_children:
            if declaration.type == "function_parameter_declaration":
                yield from (c for c in declaration.named_children if c.type == "parameter_list")


def _parameter_findings(script: _Script) -> Iterator[Finding]:
    """PSR006 at a parameter named twice in one list (``param($a, $A)``).

    A hash literal's constant key given twice is refused by the simulator, not here:
    reading every literal's keys cost a step's lint about 40 us more."""
    for parameters in _parameter_lists(script):
        twice = duplicate_parameter(parameters)
        if twice is not None:
            yield script.at_node(
                twice[0],
                "PSR006",
                f"parameter ${twice[1]} is declared twice in one list (names ignore "
                "case): PowerShell refuses the whole script; declare it once",
            )


_NAME_THEN_COLON: Final = re.compile(r"\$(\w+):")
"""Where a variable may be followed by a colon (``$owner:``); the tree says whether it is
one (not a comment, a verbatim string or a braced name)."""


def _colon_variable_findings(script: _Script) -> Iterator[Finding]:
    """PSR007 at each variable PowerShell reads with an empty drive- or scope-qualified
    name (:func:`~psrunbook.sim.ps.semantic_checks.colon_after_variable`), found from where
    the text spells ``$name:``, in code and in expandable strings alike."""
    text = script.text
    for match in _NAME_THEN_COLON.finditer(text):
        colon = match.end() - 1
        if colon_after_variable(match.group(1), text[colon : colon + 3]) is None:
            continue
        node = script.spanning(match.start(), len(match.group(0)) - 1)
        if node is None or node.type != "variable" or script.node_text(node) != match.group(0)[:-1]:
            continue
        yield script.at_node(
            node,
            "PSR007",
            f"{match.group(0)} reads as a drive- or scope-qualified variable with no name: "
            f"PowerShell refuses the whole script; write ${{{match.group(1)}}}:",
        )


_TOKENIZER_CODES: Final = {
    REDIRECTION_NOT_SUPPORTED: (
        "PSR008",
        "'<' is the stdin redirection PowerShell reserves: it refuses the whole script "
        "(\"The '<' operator is reserved for future use.\"); compare with -lt, quote a "
        "literal '<'",
    ),
    EMPTY_PIPE_ELEMENT: (
        "PSR009",
        "a line starting with '|': Windows PowerShell 5.1 ends the pipeline at the line "
        'break and refuses the whole script ("An empty pipe element is not allowed."); '
        "end the line before with the '|' instead",
    ),
}


def _tokenizer_findings(script: _Script) -> Iterator[Finding]:
    """PSR008 .. PSR010 where PowerShell's tokenizer reads the text otherwise than
    tree-sitter and refuses the script
    (:func:`~psrunbook.sim.ps.semantic_checks.tokenizer_refusals`, which the lab applies
    too); found from the text, confirmed by the tree."""
    for node, message in tokenizer_refusals(script.text, script.root, script.byte_offset):
        known = _TOKENIZER_CODES.get(message)
        if known is None:  # UNEXPECTED_TOKEN: a binary operator that starts a line
            known = (
                "PSR010",
                f"a binary operator starts the line: PowerShell ends the expression at the "
                f'line break before it and refuses the whole script ("{message}"); end '
                "the line before with the operator instead",
            )
        yield script.at_node(node, *known)


"""Where a pipeline chain operator may be; the tree says whether it is one."""


def _chain_findings(script: _Script) -> Iterator[Finding]:
    """PSR011 at each ``&&`` or ``||`` tree-sitter reads as a pipeline chain operator:
    PowerShell 7's, a parse error in Windows PowerShell 5.1 ("The token '&&' is not a
    valid statement separator in this version.", quoted from 5.1 sessions). The lab
    refuses them as a construct it does not run."""
    text = script.text
    for token in ("&&", "||"):
        at = text.find(token)
        while at >= 0:
            node = script.spanning(at, 2)
            at = text.find(token, at + 2)
            if node is not None and node.type == token:
                yield script.at_node(
                    node,
                    "PSR011",
                    f"the token '{token}' is not a valid statement separator in Windows "
                    "PowerShell 5.1: it refuses the whole script; use if ($?) { ... } or "
                    "separate statements",
                )


_HASH_OPENING: Final = re.compile(r"@\{")
"""Where a hash literal may open; the tree says whether one does."""


def _hash_key_findings(script: _Script) -> Iterator[Finding]:
    """PSR012 at the second of two constant keys alike in a hash literal, by the
    simulator's rule (:mod:`psrunbook.sim.ps.semantic_checks`), found from each ``@{``."""
    for match in _HASH_OPENING.finditer(script.text):
        begin = script.byte_offset(match.start())
        node = script.root.descendant_for_byte_range(begin, begin + 2)
        if node is not None and node.type != "hash_literal_expression":
            node = node.parent
        if node is None or node.type != "hash_literal_expression" or node.start_byte != begin:
            continue
        problem = semantic_problem(node, is_comma_continuation)
        if problem is not None:
            yield script.at_node(
                problem[0],
                "PSR012",
                f"{problem[1]} PowerShell refuses the whole script; give each key once",
            )


_SEMANTIC_FIXES: Final = {
    "function_statement": "declare the parameters after the name or in param(), not both",
    "try_statement": "put the catch-all catch last and a derived type before its base",
    "finally_clause": "set a variable in finally and return, break or continue after the try",
    "++": "apply ++ and -- to a variable, a property or an element",
    "[ordered]": "write [ordered] right before a hash literal: [ordered]@{...}",
    "=": "assign to a variable, a property or an element",
    "integer_literal": "write a number the type holds: 16 hexadecimal digits at most, an L "
    "literal within the Int64 range",
}
"""For each family of PSR015 (a node type, or the text it is found from), how to fix it."""

_CATCH_KEYWORD: Final = re.compile("catch", re.IGNORECASE)
_FINALLY_KEYWORD: Final = re.compile("finally", re.IGNORECASE)
_LEAVING_KEYWORD: Final = re.compile("return|break|continue", re.IGNORECASE)
_INCREMENT_SIGNS: Final = (re.compile(r"\+\++"), re.compile(r"--+"))
"""``++`` and ``--``, a run of signs taken whole (a ``# -----`` line is one match);
searched as literals (an alternation tries every position, four times as long)."""
_COMPOUND: Final = frozenset("+-*/%")
_PLAIN_VARIABLE: Final = re.compile(r"\s*\$\w+(?::\w+)?\s*")
"""The left side of an assignment that is a variable alone: no need to read its tree."""
_HEX_DIGITS: Final = "0123456789abcdef"
_HEX_PREFIX: Final = re.compile("0x", re.IGNORECASE)
_INCREMENT_KINDS: Final = ("_increment_expression", "_decrement_expression")
_ORDERED: Final = re.compile(r"\[\s*ordered\s*\]\s*", re.IGNORECASE)
_ASSIGNMENT_CANDIDATE: Final = re.compile(
    r"=(?!"
    r"[ \t]*+\w++(?<=[A-Za-z_])(?=[ \t\r\n;({]|\Z)"
    r"|[-+*/%]?[ \t]*+\w++(?::\w++)?\$(?:[ \t]*+\][\w.\[\], ]*\[)*+[ \t]*+"
    r"(?:\Z|\n(?:[ \t\r]*+\n)*+(?![^\n]*#)[ \t\r]*+(?:\Z|[{;()}'\"]|\w++(?!-)))"
    r")",
    re.ASCII,
)
"""An ``=`` that may assign to what is not assignable, searched in the text reversed (a
look-ahead there is a look-behind of any length). Two shapes are passed over, each of
which can hold no such assignment; they are 95 % of a shipped script's ``=``:

- a bare word before it, standing alone (``Name = ...`` in a hash literal,
  ``Mandatory = $true`` in an attribute): a bare word in an expression is no operand
  (tree-sitter reads an error there, or a command), so such an ``=`` assigns to nothing;
- a line that starts with ``$name =`` (or ``[type]$name =``, or ``$name += ``) after a
  line that cannot continue into it: empty, or ending with ``{ ; ( ) }``, a quote, or a
  word not after a ``-`` (not an operator such as ``-and``), and holding no ``#`` (after
  a binary operator PowerShell skips line breaks and comments: ``5 +`` / ``$a = 1``
  assigns to ``5 + $a``). There the target is the variable.
"""


def _semantic_findings(script: _Script) -> Iterator[Finding]:
    """PSR015 and PSR016 where PowerShell's parser refuses the whole script by one of its
    semantic checks the other rules do not cover, by the simulator's rule
    (:func:`~psrunbook.sim.ps.semantic_checks.semantic_problem`, which the lab applies to
    every node): a function with a parameter list and a ``param()`` block, catches out of
    order, ``return``/``break``/``continue`` leaving a ``finally``, ``++``/``--`` on what
    is not a variable, ``[ordered]`` on what is not a hash literal, an assignment to what
    is not assignable, a hexadecimal literal its type cannot hold (PSR015), and a splat
    that is no command argument (PSR016).

    Each construct is found from the text that spells it, going up from the token there
    (in C): the node the check reads is never searched for among all the others.
    """
    for node, kind in _semantic_candidates(script):
        problem = semantic_problem(node, is_comma_continuation)
        if problem is None:
            continue
        if kind == "@":
            yield script.at_node(
                problem[0],
                "PSR016",
                f'PowerShell refuses the whole script ("{problem[1]}"); pass the splat to a '
                "command as an argument of its own",
            )
        else:
            yield script.at_node(
                problem[0],
                "PSR015",
                f'PowerShell refuses the whole script ("{problem[1]}"); ' + _SEMANTIC_FIXES[kind],
            )


def _semantic_candidates(script: _Script) -> Iterator[tuple[tree_sitter.Node, str]]:
    """Each node :func:`_semantic_findings` checks, with its family (a key of
    :data:`_SEMANTIC_FIXES`, or ``@`` for a splat)."""
    text, folded = script.text, script.folded
    for definition in script.definitions:
        if definition.type == "function_statement":
            yield definition, "function_statement"
    catches = list(_spelled(text, folded, ("catch",), _CATCH_KEYWORD))
    if len(catches) > 1:  # two catches at least to be out of order
        tries: dict[int, tree_sitter.Node] = {}
        for node in _tokens(script, iter(catches)):
            if node.type == "catch":
                clauses = node.parent
                group = None if clauses is None else clauses.parent
                statement = None if group is None else group.parent
                if statement is not None and statement.type == "try_statement":
                    tries.setdefault(statement.id, statement)
        yield from ((statement, "try_statement") for statement in tries.values())
    for node in _tokens(script, _spelled(text, folded, ("finally",), _FINALLY_KEYWORD)):
        clause = node.parent if node.type == "finally" else None
        if clause is not None and clause.type == "finally_clause":
            body = text[script.start(clause) : script.end(clause)]
            if _LEAVING_KEYWORD.search(body):  # the check walks the block: most have none
                yield clause, "finally_clause"
    for node in _tokens(script, _increments(text)):
        expression = node.parent if node.type in ("++", "--") else None
        if expression is not None and expression.type.endswith(_INCREMENT_KINDS):
            yield expression, "++"
    for match in _ORDERED.finditer(text):
        # From the ``[`` to the first character of the operand: the smallest node holding
        # both is the cast (one call, in C).
        cast = script.spanning(match.start(), match.end() + 1 - match.start())
        if cast is not None and cast.type == "cast_expression":
            yield cast, "[ordered]"
    for at in _assignment_operators(text):
        # From the character before the operator (``+=``: two before the ``=``) to its
        # ``=``: the smallest node holding them is the assignment (one call, in C).
        before = 2 if at > 1 and text[at - 1] in _COMPOUND else 1
        assignment = script.spanning(at - before, before + 1) if at >= before else None
        if assignment is None or assignment.type != "assignment_expression":
            continue
        left = text[script.start(assignment) : at - before + 1]
        if not _PLAIN_VARIABLE.fullmatch(left):  # ``$a =`` after a line it continues
            yield assignment, "="
    for node in _tokens(script, ((m.start(), m.end() - m.start()) for m in _SPLAT.finditer(text))):
        if node.type == "variable":
            yield node, "@"
    for at in _long_hexadecimals(text, folded):
        literal = script.spanning(at, 11)
        if literal is not None and literal.type == "hexadecimal_integer_literal":
            literal = literal.parent
        if literal is not None and literal.type in ("integer_literal", "command_name"):
            yield literal, "integer_literal"


def _long_hexadecimals(text: str, folded: str | None) -> Iterator[int]:
    """Where each ``0x`` followed by 9 hexadecimal digits is: a literal that may be too
    large for its type (a multiplier takes 9 digits past the Int64 range). Found from
    each ``0x`` (:func:`_spelled`): a regular expression for the whole literal tries every
    position, 20 times as long. An ``L`` literal past the Int64 range in decimal (19
    digits) is left to the lab."""
    for at, _ in _spelled(text, folded, ("0x",), _HEX_PREFIX):
        digits = text[at + 2 : at + 11]
        if len(digits) == 9 and not digits.lower().strip(_HEX_DIGITS):
            yield at


def _increments(text: str) -> Iterator[tuple[int, int]]:
    """(start, 2) of each ``++`` and ``--``; the rest of a run of signs is passed over
    (a ``# -------`` line is looked up once)."""
    for sign in _INCREMENT_SIGNS:
        at = 0
        while (match := sign.search(text, at)) is not None:
            yield match.start(), 2
            at = match.end()


def _assignment_operators(text: str) -> Iterator[int]:
    """Where each ``=`` of :data:`_ASSIGNMENT_CANDIDATE` is, in ``text``'s offsets."""
    last = len(text) - 1
    for match in _ASSIGNMENT_CANDIDATE.finditer(text[::-1]):
        yield last - match.start()


def _tokens(script: _Script, places: Iterator[tuple[int, int]]) -> Iterator[tree_sitter.Node]:
    """The node that is exactly the characters of each of ``places`` (start, length):
    the token the text spells there when it is code; a comment or a string's text is
    passed over (no node there starts and ends with the place)."""
    for at, length in places:
        node = script.spanning(at, length)
        if node is not None and node.start_byte == script.byte_offset(at):
            yield node


_STRING_NODES: Final = frozenset(
    {
        "expandable_string_literal",
        "verbatim_string_characters",
        "expandable_here_string_literal",
        "verbatim_here_string_characters",
    }
)


def _block_comment_findings(script: _Script) -> Iterator[Finding]:
    """PSR013 at a ``<#`` with no ``#>`` after it, outside a string or a line comment:
    PowerShell's tokenizer refuses the whole script ("Missing end of block comment" (UNVERIFIED
    text), ``MissingTerminatorMultiLineComment``), as the simulator's lexer does, where
    tree-sitter reads the text past it."""
    text = script.text
    at = text.find("<#")
    while at >= 0:
        if text.find("#>", at + 2) < 0:
            begin = script.byte_offset(at)
            node = script.root.descendant_for_byte_range(begin, begin + 2)
            inside = node is not None and (
                node.type in _STRING_NODES or (node.type == "comment" and node.start_byte < begin)
            )
            if node is not None and not inside:
                yield script.at_node(
                    node,
                    "PSR013",
                    "'<#' opens a block comment that never ends ('#>'): PowerShell refuses "
                    "the whole script",
                )
                return
        at = text.find("<#", at + 2)


def _has_no_statement(script: _Script) -> bool:
    """True when nothing but comments, a param block, whitespace and ``;`` is present."""
    keep = [True] * len(script.text)
    for node in _walk(script.tree.root_node):
        if node.type in {"comment", "param_block"}:
            start, end = script.start(node), script.end(node)
            keep[start:end] = [False] * (end - start)
    return all(
        char.isspace() or char == ";" for char, kept in zip(script.text, keep, strict=True) if kept
    )


# --- rule 3: Jinja leftovers ------------------------------------------------------------------


def _jinja_findings(script: _Script) -> Iterator[Finding]:
    for match in _JINJA.finditer(script.text):
        yield script.at_char(
            match.start(),
            "PSR201",
            f"Jinja left in rendered script text ({match.group()!r}); a rendered script "
            "must contain no template syntax",
        )


# --- rule 2 and 5: FailoverClusters cmdlet calls ----------------------------------------------


def _cmdlet_findings(script: _Script) -> Iterator[Finding]:
    catalog = load_catalog()
    for node in script.cluster_commands():
        name_node = _command_name_node(node)
        if name_node is None:
            continue
        name = script.node_text(name_node)
        if "\\" in name:  # what the prefix ends with: most names have none to take off
            name = _MODULE_PREFIX.sub("", name, count=1)
        cmdlet = catalog.get(name)
        if cmdlet is not None:
            yield from _CallCheck(script, node, name_node, cmdlet).findings()
        elif _CLUSTER_COMMAND.fullmatch(name):
            yield script.at_node(
                name_node,
                "PSR105",
                f"unknown cluster cmdlet {name!r}: it is not in the FailoverClusters catalog "
                "(psrunbook/data/failoverclusters.json)",
            )


def _command_name_node(command: tree_sitter.Node) -> tree_sitter.Node | None:
    for child in command.named_children:
        if child.type == "command_name":
            return child
        if child.type == "command_name_expr":
            for inner in _walk(child):
                if inner.type in {"command_name", "path_command_name_token"}:
                    return inner
            return None
    return None


class _Binding(msgspec.Struct):
    parameter: Parameter
    node: tree_sitter.Node
    value: tree_sitter.Node | None


class _CallCheck:
    """Binds one call's arguments the way PowerShell would and reports what would fail."""

    def __init__(
        self,
        script: _Script,
        command: tree_sitter.Node,
        name_node: tree_sitter.Node,
        cmdlet: Cmdlet,
    ) -> None:
        self.script = script
        self.command = command
        self.name_node = name_node
        self.cmdlet = cmdlet
        self.shape = _shape(cmdlet)
        self.bound: list[_Binding] = []
        self.positional: list[tree_sitter.Node] = []
        self.splatted = False
        self.out: list[Finding] = []

    def findings(self) -> list[Finding]:
        self._bind_elements()
        self._check_duplicates()
        candidates = self._candidate_sets()
        if candidates is not None:
            positional_bound = self._bind_positional(candidates)
            self._check_mandatory(candidates, positional_bound)
        self._check_force()
        return self.out

    # binding ---------------------------------------------------------------------------

    def _elements(self) -> list[tree_sitter.Node]:
        for child in self.command.named_children:
            if child.type == "command_elements":
                return list(child.named_children)
        return []

    def _bind_elements(self) -> None:
        elements = self._elements()
        # Each element's kind and text read once (every read makes a new Python object).
        kinds = [element.type for element in elements]
        texts = [self.script.node_text(element) for element in elements]
        index = 0
        while index < len(elements):
            element, kind, token = elements[index], kinds[index], texts[index]
            index += 1
            if kind in {"command_argument_sep", "redirection", "stop_parsing"}:
                continue
            if _is_parameter_token(kind, token):
                index = self._bind_named(elements, kinds, texts, index, element, token)
            elif _SPLAT.fullmatch(token):
                self.splatted = True
            elif index >= 2 and is_comma_continuation(elements[index - 2]):
                continue  # ``a, b``: one array argument with the value before it
            else:
                self.positional.append(element)

    def _bind_named(
        self,
        elements: list[tree_sitter.Node],
        kinds: list[str],
        texts: list[str],
        index: int,
        element: tree_sitter.Node,
        token: str,
    ) -> int:
        written = token[1:].rstrip(":")
        parameter = self._resolve(element, written)
        attached = index < len(elements) and texts[index].startswith(":")
        takes_value = attached or parameter is None or not parameter.is_switch
        value: tree_sitter.Node | None = None
        if takes_value:
            while index < len(elements) and kinds[index] == "command_argument_sep":
                index += 1
            if index < len(elements) and not _is_parameter_token(kinds[index], texts[index]):
                value = elements[index]
                index += 1
            elif parameter is not None:
                self.out.append(
                    self.script.at_node(
                        element,
                        "PSR106",
                        f"{self.cmdlet.name} -{parameter.name} needs a value and has none",
                    )
                )
        if parameter is not None:
            self.bound.append(_Binding(parameter, element, value))
        return index

    def _resolve(self, element: tree_sitter.Node, written: str) -> Parameter | None:
        """Exact name or alias first; then PowerShell's unambiguous-prefix rule."""
        wanted = written.lower()
        exact = self.shape.names.get(wanted)
        if exact is not None:
            return exact
        parameters = self.cmdlet.all_parameters
        matches = [
            parameter
            for parameter in parameters
            if any(
                candidate.lower().startswith(wanted)
                for candidate in (parameter.name, *parameter.aliases)
            )
        ]
        if not wanted or not matches:
            self.out.append(
                self.script.at_node(
                    element,
                    "PSR101",
                    f"{self.cmdlet.name} has no parameter -{written}",
                )
            )
            return None
        if len(matches) > 1:
            names = ", ".join(f"-{p.name}" for p in matches)
            self.out.append(
                self.script.at_node(
                    element,
                    "PSR102",
                    f"{self.cmdlet.name} -{written} is ambiguous: it could be {names}",
                )
            )
            return None
        full = matches[0].name
        self.out.append(
            self.script.at_node(
                element,
                "PSR103",
                f"write the full parameter name: {self.cmdlet.name} -{full}, not -{written}",
                severity="warning",
            )
        )
        return matches[0]

    # checks ----------------------------------------------------------------------------

    def _check_duplicates(self) -> None:
        seen: set[str] = set()
        for binding in self.bound:
            if binding.parameter.name in seen:
                self.out.append(
                    self.script.at_node(
                        binding.node,
                        "PSR107",
                        f"{self.cmdlet.name} -{binding.parameter.name} is given more than once",
                    )
                )
            seen.add(binding.parameter.name)

    def _candidate_sets(self) -> frozenset[str] | None:
        """The parameter sets compatible with every named parameter; None when none are."""
        candidates = self.shape.sets
        for binding in self.bound:
            parameter = binding.parameter
            if parameter.in_all_sets:
                continue
            narrowed = candidates & {parameter.parameter_set}
            if not narrowed:
                self.out.append(
                    self.script.at_node(
                        binding.node,
                        "PSR104",
                        f"{self.cmdlet.name} -{parameter.name} cannot be combined with the "
                        "other parameters given: no parameter set contains them all",
                    )
                )
                return None
            candidates = narrowed
        return candidates

    def _bind_positional(self, candidates: frozenset[str]) -> set[str]:
        """Fill unbound positional parameters in position order; return their names."""
        if not self.positional:
            return set()  # most calls name every argument: no slots to work out
        named = {binding.parameter.name for binding in self.bound}
        slots: dict[int, list[Parameter]] = {}
        for parameter, position in self.shape.positional:
            usable = parameter.in_all_sets or parameter.parameter_set in candidates
            if usable and parameter.name not in named:
                slots.setdefault(position, []).append(parameter)
        ordered = [slots[position] for position in sorted(slots)]
        filled: set[str] = set()
        for argument_index, argument in enumerate(self.positional):
            if argument_index < len(ordered):
                filled.update(parameter.name for parameter in ordered[argument_index])
            elif not self.splatted:
                text = self.script.node_text(argument)
                self.out.append(
                    self.script.at_node(
                        argument,
                        "PSR106",
                        f"{self.cmdlet.name} has no positional parameter left for the "
                        f"argument {text[:40]!r}",
                    )
                )
        return filled

    def _check_mandatory(self, candidates: frozenset[str], positional_bound: set[str]) -> None:
        if self.splatted or not self.shape.mandatory:
            return
        supplied = {binding.parameter.name for binding in self.bound} | positional_bound
        fed_by_pipeline: bool | None = None  # looked up only when it decides (a .parent)
        for parameter in self.shape.mandatory:
            if parameter.name in supplied:
                continue
            demanded = parameter.in_all_sets or (
                len(candidates) == 1 and parameter.parameter_set in candidates
            )
            if not demanded:
                continue
            if parameter.pipeline_input:
                if fed_by_pipeline is None:
                    fed_by_pipeline = self._receives_pipeline_input()
                if fed_by_pipeline:
                    continue
            self.out.append(
                self.script.at_node(
                    self.name_node,
                    "PSR108",
                    f"{self.cmdlet.name} is missing its mandatory parameter -{parameter.name}; "
                    "PowerShell would prompt for it and the remote host cannot answer",
                )
            )

    def _receives_pipeline_input(self) -> bool:
        parent = self.command.parent
        if parent is None or parent.type != "pipeline_chain":
            return False
        return parent.named_children[0].id != self.command.id

    def _check_force(self) -> None:
        if self.cmdlet.name.lower() not in _CONFIRMING_CMDLETS:
            return
        for binding in self.bound:
            if binding.parameter.name == "Force":
                value = "" if binding.value is None else self.script.node_text(binding.value)
                if value.strip().lower() != "$false":
                    return
        self.out.append(
            self.script.at_node(
                self.name_node,
                "PSR401",
                f"{self.cmdlet.name} asks for confirmation; add -Force, the remote host is "
                "non-interactive and a prompt fails the step",
            )
        )


def _is_parameter_token(kind: str, token: str) -> bool:
    if kind == "command_parameter":
        return True
    # PowerShell reads a word starting with an en/em dash or horizontal bar as a parameter;
    # tree-sitter sees a bare word. PSR301 reports the dash itself.
    return (
        kind == "generic_token"
        and len(token) > 1
        and token[0] in SMART_DASHES
        and (token[1].isalpha() or token[1] in "_?")
    )


class _Shape(msgspec.Struct, frozen=True):
    """What binding a call to one catalog cmdlet reads of it, worked out once per cmdlet
    instead of from every parameter on every call."""

    names: dict[str, Parameter]
    """Each parameter by its lower-case name and aliases (the first one a name belongs
    to, in binding order)."""
    sets: frozenset[str]
    positional: tuple[tuple[Parameter, int], ...]
    """The cmdlet's own parameters that take a position, with it, in catalog order."""
    mandatory: tuple[Parameter, ...]
    """The cmdlet's own mandatory parameters, in catalog order."""


_SHAPES: dict[int, tuple[Cmdlet, _Shape]] = {}


def _shape(cmdlet: Cmdlet) -> _Shape:
    """The cmdlet's :class:`_Shape`. Keyed by identity, the cmdlet kept beside it:
    hashing a frozen cmdlet would hash all its parameters each time."""
    entry = _SHAPES.get(id(cmdlet))
    if entry is None or entry[0] is not cmdlet:
        names: dict[str, Parameter] = {}
        for parameter in cmdlet.all_parameters:
            for name in (parameter.name, *parameter.aliases):
                names.setdefault(name.lower(), parameter)
        shape = _Shape(
            names=names,
            sets=cmdlet.parameter_sets,
            positional=tuple((p, p.position) for p in cmdlet.parameters if p.position is not None),
            mandatory=tuple(p for p in cmdlet.parameters if p.mandatory),
        )
        entry = _SHAPES[id(cmdlet)] = (cmdlet, shape)
    return entry[1]


# --- rule 6: step scripts ----------------------------------------------------------------------


def _step_findings(script: _Script) -> Iterator[Finding]:
    # The root's named children, not ``next_named_sibling``: each of those goes down from
    # the root again (no parent links), and a step opens with a dozen comment lines.
    statements = script.root.named_children
    at = 0
    while at + 1 < len(statements) and statements[at].type == "comment":
        at += 1
    first = statements[at] if statements else None
    # Only comments come before ``first``, so a param block there is the script's first.
    if first is None or first.type != "param_block":
        yield script.at_char(
            0,
            "PSR601",
            "a step script must open with a param(...) block ending with [switch]$CheckOnly "
            "(docs/writing-runbooks.md): values arrive as parameters and plans pass -CheckOnly",
        )
    elif not _declares_check_only(script, first):
        yield script.at_node(
            first,
            "PSR601",
            "the param(...) block does not declare [switch]$CheckOnly: every step must honour "
            "a plan's -CheckOnly and change nothing then (docs/writing-runbooks.md)",
        )
    for node in script.definitions:
        keyword = script.node_text(node).split(None, 1)[0].lower()
        yield script.at_node(
            node,
            "PSR602",
            f"'{keyword}' defines code out of line: a step is one flat script whose every "
            "command the linter and the reviewer see where it runs; write it inline or "
            "move shared code into a _lib/ include",
        )
    if first is not None and first.type == "param_block":
        yield from _parameter_case_findings(script, first)


_PARAMETER_NAME: Final = re.compile(r"\$(\w+)\b(?!:)")
"""A variable in a ``param()`` block, not a drive- or scope-qualified one in a default value
(``$env:COMPUTERNAME``): those are no parameters."""
_CONSTANT_VARIABLES: Final = frozenset({"true", "false", "null"})


def _parameter_case_findings(script: _Script, block: tree_sitter.Node) -> Iterator[Finding]:
    """PSR603 at each variable spelt like a parameter of ``block`` in another case.

    PowerShell's variable names ignore case, so ``$fileExisted = Test-Path ...`` in a
    script with ``[bool]$FileExisted`` overwrites the parameter, and every later read of
    either spelling gets the new value (a step once kept a file it should have removed
    that way). The other spellings of the parameters' names are searched for in one pass;
    each hit is looked up in the tree, so a comment or a single-quoted string naming it
    is no finding.
    """
    block_text = script.node_text(block)
    declared = {
        name.casefold(): name
        for name in _PARAMETER_NAME.findall(block_text)
        if name.casefold() not in _CONSTANT_VARIABLES
    }
    if not declared:
        return
    after = script.text.find(block_text) + len(block_text)
    for match in _other_spellings_of(tuple(sorted(declared.values()))).finditer(
        script.text, after
    ):
        name = match.group(1)
        wanted = declared[name.casefold()]
        at = script.byte_offset(match.start())
        node = script.root.descendant_for_byte_range(at, at + 1)
        if node is None or node.type != "variable":
            continue
        yield script.at_char(
            match.start(),
            "PSR603",
            f"${name} is the parameter ${wanted} spelt in another case: PowerShell's variable "
            "names ignore case, so it is the same variable, and assigning it overwrites the "
            f"parameter; spell it ${wanted} to read the parameter, or give a local variable "
            "a name of its own",
        )


@cache
def _other_spellings_of(names: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for every spelling of these variable names but their own (case
    ignored, the declared spelling excluded by a look-ahead), made once per parameter
    list (a runbook's steps share a handful): a script that spells each parameter as
    declared, every shipped one, gives no match to look at."""
    alternatives = "|".join(
        rf"(?!{re.escape(name)}\b)(?i:{re.escape(name)})" for name in names
    )
    return re.compile(rf"\$({alternatives})\b")


def _declares_check_only(script: _Script, block: tree_sitter.Node) -> bool:
    text = "".join(script.node_text(block).split()).lower()  # str.split's blanks are \s
    return "[switch]$checkonly" in text


# --- rule 4: Unicode quotes and dashes --------------------------------------------------------


_CODE, _STRING, _COMMENT = 0, 1, 2


def _unicode_findings(script: _Script) -> Iterator[Finding]:
    if script.ascii or _SMART_CHAR.search(script.text) is None:
        return
    kinds = _classify(script)
    for index, char in enumerate(script.text):
        if kinds[index] != _CODE:
            continue
        if char in SMART_QUOTES:
            yield script.at_char(
                index,
                "PSR301",
                f"{_describe(char)} outside string content: PowerShell treats it as a "
                "quote; write an ASCII quote instead",
            )
        elif char in SMART_DASHES:
            yield script.at_char(
                index,
                "PSR301",
                f"{_describe(char)} outside string content: PowerShell reads it as '-'; "
                "write an ASCII hyphen-minus instead",
            )
        elif char in UNICODE_BLANKS:
            yield script.at_char(
                index,
                "PSR014",
                f"U+{ord(char):04X} outside string content: PowerShell reads it as a blank "
                "between words, the simulator and this linter as part of a word; write a "
                "space instead",
            )
    for node in _walk(script.tree.root_node):
        if node.type in _STRING_NODE_TYPES:
            yield from _string_split_findings(script, node)


def _describe(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, '')}"


def _classify(script: _Script) -> list[int]:
    """Per character: code, string content or comment. Inner nodes override outer ones."""
    kinds = [_CODE] * len(script.text)
    for node in _walk(script.tree.root_node):
        if node.type == "string_literal":
            kind = _STRING
        elif node.type == "comment":
            kind = _COMMENT
        elif node.type == "sub_expression":
            kind = _CODE
        else:
            continue
        start, end = script.start(node), script.end(node)
        kinds[start:end] = [kind] * (end - start)
    return kinds


def _string_split_findings(script: _Script, node: tree_sitter.Node) -> Iterator[Finding]:
    """Report a string token that PowerShell's own scanner would end elsewhere."""
    start = script.start(node)
    token = script.node_text(node)
    here = node.type in {"verbatim_here_string_characters", "expandable_here_string_literal"}
    if here:
        quotes = SINGLE_QUOTES if node.type.startswith("verbatim") else DOUBLE_QUOTES
        end = _here_string_footer(token, quotes)
        quote_at = None if end is None else end - 2
    else:
        skip = [
            (script.start(child) - start, script.end(child) - start)
            for child in node.named_children
            if child.type == "sub_expression"
        ]
        end = _string_end(token, verbatim=node.type.startswith("verbatim"), skip=skip)
        quote_at = None if end is None else end - 1
    if end == len(token) or (here and end is None):
        return
    if quote_at is None:
        yield script.at_char(
            start + len(token) - 1,
            "PSR302",
            "PowerShell does not end this string here: a Unicode quote next to this quote "
            "makes a pair that stands for one quote character, so the string runs on",
        )
        return
    yield script.at_char(
        start + quote_at,
        "PSR302",
        f"PowerShell ends this string at {_describe(token[quote_at])}: it closes a string "
        "like an ASCII quote; double it or write it differently",
    )


def _string_end(token: str, *, verbatim: bool, skip: list[tuple[int, int]]) -> int | None:
    """Length of the string token as PowerShell's tokenizer reads it (None: unterminated).

    Mirrors ``ScanStringLiteral`` / ``ScanStringExpandable``: any quote of the kind ends the
    string unless the next character is also one, in which case the pair is one character.
    Expandable strings also honour backtick escapes and skip ``$( ... )``.
    """
    quotes = SINGLE_QUOTES if verbatim else DOUBLE_QUOTES
    if not token or token[0] not in quotes:
        return None
    jumps = dict(skip)
    index = 1
    while index < len(token):
        if index in jumps:
            index = jumps[index]
            continue
        char = token[index]
        if not verbatim and char == "`":
            index += 2
            continue
        if char in quotes:
            if index + 1 < len(token) and token[index + 1] in quotes:
                index += 2
                continue
            return index + 1
        index += 1
    return None


def _here_string_footer(token: str, quotes: frozenset[str]) -> int | None:
    """Length of a here-string token as PowerShell reads it: it ends at the first line that
    starts with any quote of the kind followed by ``@`` (``ScanPossibleHereStringFooter``)."""
    kinds = "".join(sorted(quotes))
    footer = re.compile(f"(?:\\r\\n|\\r|\\n)[{re.escape(kinds)}]@")
    match = footer.search(token)
    return None if match is None else match.end()


# --- template positions -----------------------------------------------------------------------

_JINJA_BLOCK: Final = re.compile(r"\{%.*?%\}|\{#.*?#\}", re.DOTALL)
_INCLUDE: Final = re.compile(r"""\{%-?\s*include\s+['"]([^'"]+)['"]""")


def in_templates(
    findings: list[Finding], text: str, template_id: str, source: Callable[[str], str]
) -> list[Finding]:
    """The findings with their position in the template source (``template:LINE:COL``).

    A rendered script holds no interpolated value (PSR501), so every line of it is a line
    of its template or of a template it includes, copied verbatim but for the indentation
    an ``indent`` filter adds: each rendered line is matched to the next source line with
    the same text, in source order, includes expanded where they stand. ``source`` reads
    a template's text by id (``TemplateLibrary.source``).
    """
    if not findings:
        return findings
    origins = _line_origins(text, _expanded(template_id, source, ()))
    located = []
    for finding in findings:
        origin = origins.get(finding.line)
        if origin is None:
            located.append(finding)
            continue
        where, line, shift = origin
        column = max(1, finding.column - shift)
        located.append(replace(finding, template=f"{where}:{line}:{column}"))
    return located


_SourceLine = tuple[str, int, str]
"""(template id, 1-based line, text) of a source line that can reach the rendered script."""


def _expanded(
    template_id: str, source: Callable[[str], str], seen: tuple[str, ...]
) -> list[_SourceLine]:
    """Every line of the template that can be rendered, includes expanded in place."""
    if template_id in seen:
        return []
    text = source(template_id)
    originals = text.split("\n")
    out: list[_SourceLine] = []
    for number, raw in enumerate(_blank_jinja(text).split("\n"), start=1):
        for name in _INCLUDE.findall(originals[number - 1]):
            out.extend(_expanded(name, source, (*seen, template_id)))
        if raw.strip():
            out.append((template_id, number, raw))
    return out


def _blank_jinja(text: str) -> str:
    """Jinja tags and comments replaced by nothing but their newlines, so lines keep
    their numbers and a line holding only tags becomes blank."""
    return _JINJA_BLOCK.sub(lambda m: "\n" * m.group().count("\n"), text)


def _line_origins(text: str, lines: list[_SourceLine]) -> dict[int, tuple[str, int, int]]:
    """Rendered line -> (template id, source line, columns of indentation added)."""
    origins: dict[int, tuple[str, int, int]] = {}
    cursor = 0
    for number, rendered in enumerate(text.split("\n"), start=1):
        wanted = rendered.strip()
        if not wanted:
            continue
        order = [*range(cursor, len(lines)), *range(cursor)]
        for index in order:
            where, line, raw = lines[index]
            if raw.strip() == wanted:
                shift = (len(rendered) - len(rendered.lstrip())) - (len(raw) - len(raw.lstrip()))
                origins[number] = (where, line, shift)
                cursor = index + 1
                break
    return origins
