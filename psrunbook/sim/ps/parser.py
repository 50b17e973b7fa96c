"""Parsing with tree-sitter-powershell, cached by script text.

The same script text arrives many times (a runbook sends one template per step and node),
so parsed scripts are kept in a bounded LRU cache. A :class:`ParsedScript` keeps the
original text next to the tree, because values are decoded from what the user wrote
(see :mod:`psrunbook.sim.ps.lexer` for why tree-sitter sees a normalised copy).
"""

from __future__ import annotations

import bisect
import re
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import accumulate, pairwise
from typing import Any, Final

import tree_sitter
import tree_sitter_powershell

from psrunbook.sim.ps.exceptions import ScriptParseError, UnsupportedConstruct
from psrunbook.sim.ps.lexer import normalise
from psrunbook.sim.ps.semantic_checks import (
    SEMANTIC_TYPES,
    colon_after_variable,
    semantic_problem,
    tokenizer_refusals,
)

_LANGUAGE = tree_sitter.Language(tree_sitter_powershell.language())

UNSUPPORTED_NODES = {
    "class_statement": "class definition",
    "enum_statement": "enum definition",
    "trap_statement": "trap statement",
    "data_statement": "data section",
    "parallel_statement": "parallel block",
    "sequence_statement": "sequence block",
    "inlinescript_statement": "inlinescript block",
    "pipeline_chain_tail": "pipeline chain operator (&& / ||)",
    "stop_parsing": "stop-parsing token (--%)",
    "verbatim_command_argument": "stop-parsing token (--%)",
    "label": "loop label",
    "label_expression": "loop label",
    "invokation_foreach_expression": "foreach method call",
    "switch_filename": "switch -File",
}


UNSUPPORTED_COMMANDS = {
    name.casefold(): name
    for name in (
        "Format-Custom", "fc", "Out-Host", "oh", "Out-Default",
        "Read-Host", "Get-Credential", "Clear-Host", "clear", "cls", "using",
    )
}  # fmt: skip
"""Commands of every Windows node that the lab does not model: their output is a custom
format view or goes to the host, they prompt, or they clear the host's screen. Refused
before the script runs, so no statement before them has run either (a node's own table
cannot provide them)."""

_THROUGH_HOST = (
    "in a remote session it writes through the host, PIPELINE_HOST_CALL WriteLine "
    "messages whose text for formatted output no recording of Windows shows; "
    "end the pipeline without it, or with Out-String"
)
WHY_UNSUPPORTED = {
    "using": "a using statement (namespace, module, assembly): tree-sitter reads it as a"
    " command; Windows takes it only before every other statement and refuses the whole"
    " script after one, and the lab models neither (write full type names)",
    "out-host": _THROUGH_HOST,
    "oh": _THROUGH_HOST,
    "out-default": _THROUGH_HOST,
    "read-host": "it prompts through the host, and this pipeline's client has no host UI"
    " (Windows throws a HostException whose text is not recorded)",
    "get-credential": "it prompts through the host; the lab does not model its host calls",
    **dict.fromkeys(
        ("clear-host", "clear", "cls"),
        "Clear-Host clears the host's screen buffer through $Host.UI.RawUI (CursorPosition,"
        " SetBufferContents), which the lab does not model; what Windows does without a"
        " console (a remote session, a WinRS process) is not recorded; leave it out",
    ),
}
"""Why a command of :data:`UNSUPPORTED_COMMANDS` is refused, where more than its name helps."""

HOST_PROMPT_COMMANDS = frozenset({"read-host"})
"""Commands of :data:`UNSUPPORTED_COMMANDS` that run when the pipeline's client has a host
UI (they prompt through it, :mod:`.host_cmdlets`): a script with one is refused unless
parsed with ``allow_host_prompts`` (:func:`parse`), which the executor does only then."""

_MERGE = re.compile(r"^[2-6*]>&1$")
"""The merges Windows PowerShell 5.1 has: a stream (or all) into the success stream."""


@dataclass(frozen=True)
class ParsedScript:
    """A parsed script: original text, tree, and position helpers."""

    text: str
    tree: tree_sitter.Tree
    byte_to_char: tuple[int, ...]
    line_starts: tuple[int, ...]
    wrapped: bool = False
    """The text was parsed inside ``{`` ... ``}`` (see :func:`parse_uncached`)."""
    bodies: dict[Any, Any] = field(default_factory=dict, compare=False, repr=False)
    """The evaluator's caches of what it derived from this script's nodes, by node id
    (valid only with this tree, so they live with it)."""
    kids: dict[int, Any] = field(default_factory=dict, compare=False, repr=False)
    texts: dict[int, str] = field(default_factory=dict, compare=False, repr=False)
    allow_host_prompts: bool = False
    """Whether :data:`HOST_PROMPT_COMMANDS` are accepted (the client has a host UI)."""

    @property
    def root(self) -> tree_sitter.Node:
        return self.tree.root_node

    @property
    def body_node(self) -> tree_sitter.Node:
        """The node holding the script's param block and statements or named blocks."""
        if not self.wrapped:
            return self.root
        node = self.root
        while node.type != "script_block_expression":
            node = next(c for c in node.named_children if c.type != "comment")
        return node

    def char_span(self, node: tree_sitter.Node) -> tuple[int, int]:
        return self.byte_to_char[node.start_byte], self.byte_to_char[node.end_byte]

    def source(self, node: tree_sitter.Node) -> str:
        """The node's text as the user wrote it (smart quotes and dashes kept)."""
        start, end = self.char_span(node)
        return self.text[start:end]

    def line(self, node: tree_sitter.Node) -> int:
        """The 1-based line in the text as sent (not tree-sitter's row: see
        :func:`_split_lines`, which may add line breaks)."""
        return max(1, bisect.bisect_right(self.line_starts, self.byte_to_char[node.start_byte]))

    def column(self, node: tree_sitter.Node) -> int:
        start = self.byte_to_char[node.start_byte]
        return start - self.line_starts[self.line(node) - 1] + 1

    def line_text(self, line: int) -> str:
        start = self.line_starts[line - 1]
        end = self.text.find("\n", start)
        return self.text[start : end if end >= 0 else len(self.text)].rstrip("\r")


_LEAD_BYTES: Final = bytes(0 if 0x80 <= b <= 0xBF else 1 for b in range(256))
"""1 for a byte that starts a UTF-8 character, 0 for a continuation byte."""


def _byte_map(text: str) -> tuple[int, ...]:
    """The index of the character each UTF-8 byte of ``text`` belongs to, then the length.

    Counting the bytes that start a character (in C: ``bytes.translate`` and
    ``itertools.accumulate``), not encoding each character on its own.
    """
    starts = text.encode("utf-8").translate(_LEAD_BYTES)
    return (*accumulate(starts, initial=-1), len(text))[1:]


def _line_starts(text: str) -> tuple[int, ...]:
    """Where each line of ``text`` starts (``str.find`` jumps line to line in C)."""
    starts = [0]
    find = text.find
    end = find("\n")
    while end >= 0:
        starts.append(end + 1)
        end = find("\n", end + 1)
    return tuple(starts)


def _comma_continuation(separator: tree_sitter.Node) -> bool:
    """Whether ``separator`` stands between an argument and a ``,next`` token.

    tree-sitter inserts an empty, missing separator in ``-Property Name,State`` and reads
    ``Name ,State`` (also what :func:`psrunbook.sim.ps.lexer.normalise` makes of
    ``Name, State``) as two arguments; PowerShell reads one array argument, and so do
    the evaluator and the linter. After the command name or a parameter a leading comma
    is the unary array operator (``Write-Output ,a``), not a continuation.
    """
    if separator.type != "command_argument_sep":
        return False
    following = separator.next_sibling
    if following is None or following.text is None or not following.text.startswith(b","):
        return False
    if any(c.is_missing for c in separator.children):
        return True
    previous = separator.prev_sibling
    return previous is not None and previous.type not in (
        "command_argument_sep",
        "command_parameter",
        "redirection",
    )


def is_comma_continuation(node: tree_sitter.Node) -> bool:
    """Whether ``node`` is the separator tree-sitter invents before ``,next``."""
    return _comma_continuation(node)


_NAMED_BLOCKS = {"begin", "process", "end", "dynamicparam"}

_BLOCK_KEYWORD = re.compile(rb"(?i)(?:begin|process|end|dynamicparam)(?=[\s{}();,|&]|\Z)")
"""A named-block keyword as a whole token (``clean`` is PowerShell 7.3+, not 5.1)."""


def _skip_blanks(source: bytes, at: int, semicolons: list[int] | None = None) -> int:
    """The offset of the first byte from ``at`` that is not a blank, line break, comment,
    line continuation or (when ``semicolons`` is given, which collects their offsets)
    ``;``: what PowerShell's ``SkipNewlinesAndSemicolons`` passes over."""
    size = len(source)
    while at < size:
        byte = source[at : at + 1]
        if byte == b";" and semicolons is not None:
            semicolons.append(at)
            at += 1
        elif byte in (b" ", b"\t", b"\r", b"\n", b"\f", b"\v"):
            at += 1
        elif source.startswith((b"`\n", b"`\r\n"), at):
            at += 2 if source[at + 1 : at + 2] == b"\n" else 3
        elif source.startswith(b"<#", at):
            end = source.find(b"#>", at + 2)
            at = size if end < 0 else end + 2
        elif byte == b"#":
            end = source.find(b"\n", at)
            at = size if end < 0 else end
        else:
            break
    return at


def _named_blocks_at_top(tree: tree_sitter.Tree, source: bytes) -> re.Match[bytes] | None:
    """The first named-block keyword when the script's body is a named-block list, as
    PowerShell decides it, else None.

    PS-src ``engine/parser/Parser.cs`` (the same in a decompiled 5.1
    System.Management.Automation): ``ScriptBlockRule`` skips line breaks, reads a param
    block if there is one, then ``SkipNewlinesAndSemicolons``; ``ScriptBlockBodyRule``
    then reads a named-block list when the next token is ``begin``, ``process``, ``end``
    or ``dynamicparam`` (``TokenFlags.ScriptBlockBlockName``). tree-sitter reads a
    top-level ``begin {`` as a command named ``begin``, so the keyword is found here.
    """
    root = tree.root_node
    param = next((c for c in root.children if c.type == "param_block"), None)
    start = _skip_blanks(source, 0) if param is None else param.end_byte
    return _BLOCK_KEYWORD.match(source, _skip_blanks(source, start, []))


def _block_command(statement: tree_sitter.Node, source: bytes) -> bool:
    """Whether ``statement`` is what tree-sitter makes of a named block that a ``;``
    kept out of a named-block list: a command named ``begin`` (etc., the keyword as
    written) with a script block argument."""
    command: tree_sitter.Node | None = statement
    while command is not None and command.type in ("pipeline", "pipeline_chain"):
        command = command.named_children[0] if command.named_children else None
    if command is None or command.type != "command":
        return False
    name = command.child_by_field_name("command_name")
    elements = command.child_by_field_name("command_elements")
    if name is None or elements is None:
        return False
    if source[name.start_byte : name.end_byte].decode().casefold() not in _NAMED_BLOCKS:
        return False
    argument = next((c for c in elements.named_children if c.type != "command_argument_sep"), None)
    while argument is not None and argument.type != "script_block_expression":
        argument = argument.named_children[0] if argument.named_child_count == 1 else None
    return argument is not None


def _block_separators(tree: tree_sitter.Tree, source: bytes) -> list[int]:
    """The offsets of the ``;`` around named blocks that tree-sitter-powershell 0.26.4
    does not take (its ``named_block_list`` has no separators) and PowerShell skips.

    PS-src ``engine/parser/Parser.cs`` ``NamedBlockListRule`` calls
    ``SkipNewlinesAndSemicolons`` after each named block, and ``ScriptBlockRule`` before
    the first one (after the param block, if any), so ``begin {}; process {}``,
    ``; begin {}`` and ``end {};`` are named-block lists in Windows PowerShell 5.1. Found:
    the ``;`` after each ``named_block`` node, and the empty statements before a
    statement that is a named block read as a command (:func:`_block_command`) at the
    start of a script block's body.
    """
    found: list[int] = []
    for node in preorder(tree.root_node):
        if node.type == "named_block":
            _skip_blanks(source, node.end_byte, found)
        elif node.type == "statement_list" and node.parent is not None:
            if node.parent.type != "script_block_body":
                continue
            leading: list[int] = []
            for child in node.children:
                if child.type == "comment":
                    continue
                if child.type == "empty_statement":
                    leading.extend(
                        c.start_byte for c in child.children if c.type == ";" and not c.is_missing
                    )
                    continue
                if leading and _block_command(child, source):
                    found.extend(leading)
                break
    return sorted(set(found))


def _separator_kept(tree: tree_sitter.Tree, at: int) -> bool:
    """Whether the blanked ``;`` at ``at`` stands where PowerShell skips it in ``tree``
    (read with it blanked): in a script block whose body is a named-block list, after
    its param block, outside every named block."""
    node: tree_sitter.Node | None = tree.root_node.descendant_for_byte_range(at, at + 1)
    if node is None:
        return False
    if node.type == "named_block_list":
        node = node.parent
    if node is not None and node.type == "script_block_body":
        node = node.parent
    if node is not None and node.type in ("script_block_expression", "function_statement"):
        brace = next((c for c in node.children if c.type == "{"), None)
        if brace is None or at < brace.end_byte:
            return False
        node = next((c for c in node.children if c.type == "script_block"), None)
    if node is None or node.type != "script_block":
        return False
    param = next((c for c in node.children if c.type == "param_block"), None)
    if param is not None and at < param.end_byte:
        return False
    body = next((c for c in node.children if c.type == "script_block_body"), None)
    return body is not None and any(c.type == "named_block_list" for c in body.children)


_MAX_SEPARATOR_ROUNDS = 16
"""Rounds of :func:`_parse_blocks`: each blanking may let tree-sitter see the next
named block (four kinds, duplicates reported by PowerShell as errors)."""


def _parse_blocks(parser: tree_sitter.Parser, source: bytes) -> tree_sitter.Tree:
    """``source`` parsed by :func:`parse_mended`, then :func:`mend_block_separators`."""
    return mend_block_separators(parser, source, parse_mended(parser, source))


def mend_block_separators(
    parser: tree_sitter.Parser, source: bytes, tree: tree_sitter.Tree
) -> tree_sitter.Tree:
    """``tree`` (``source`` parsed by :func:`parse_mended`) again, with the ``;``
    PowerShell skips around named blocks (:func:`_block_separators`) read as blanks, one
    byte each so every offset stays the same. Kept only when each blanked ``;`` stands
    where PowerShell skips it (:func:`_separator_kept`); otherwise ``tree``. An error
    left in the kept tree is then reported where PowerShell reports it (``3`` in
    ``begin {}; 3``, not ``begin``). The linter calls it for a tree with an error, so
    ``& { begin {}; process {} }`` is no syntax error there either."""
    if b";" not in source:
        return tree
    data = bytearray(source)
    blanked: set[int] = set()
    mended = tree
    for _ in range(_MAX_SEPARATOR_ROUNDS):
        more = [at for at in _block_separators(mended, bytes(data)) if at not in blanked]
        if not more:
            break
        for at in more:
            data[at] = ord(" ")
        blanked.update(more)
        mended = parse_mended(parser, bytes(data))
    if not blanked or not all(_separator_kept(mended, at) for at in blanked):
        return tree
    return mended


_BITWISE = re.compile(rb"(?i)(?<![\w-])-(band|bor|bxor)(?![\w-])")
_ARGUMENT_LOGIC = ("logical_argument_expression", "bitwise_argument_expression")
_LOGICAL_STANDIN = {b"band": b"-and ", b"bor": b"-or ", b"bxor": b"-xor "}


def _bitwise_in_argument(script: ParsedScript) -> tree_sitter.Node | None:
    """The ``-band``/``-bor``/``-bxor`` of a method argument behind a parse error, if any.

    tree-sitter-powershell 0.26.4 gives ``bitwise_argument_expression`` the operators
    ``-and -or -xor`` instead of ``-band -bor -bxor``, so ``[math]::Max(1 -band 3, 0)``
    (valid PowerShell) does not parse. Found by parsing again with a logical operator
    of the same length in its place: when that parses, the operator is named in a
    refusal instead of a parse error that blames the wrong token.
    """
    source = script.root.text or b""
    standin = _BITWISE.sub(lambda m: _LOGICAL_STANDIN[m.group(1).lower()], source)
    if standin == source:
        return None
    tree = tree_sitter.Parser(_LANGUAGE).parse(standin)
    if tree.root_node.has_error:
        return None
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type in _ARGUMENT_LOGIC and len(node.children) == 3:
            operator = node.children[1]
            if _BITWISE.match(source, operator.start_byte):
                return operator
        stack.extend(node.children)
    return None


_ARGUMENT_SCOPE_ENDS = frozenset(
    {"parenthesized_expression", "sub_expression", "array_expression", "script_block_expression",
     "hash_literal_expression", "argument_list"}
)  # fmt: skip


def _type_then_comma_in_argument(cast: tree_sitter.Node) -> bool:
    """``[int], 1`` among a method's arguments, which tree-sitter reads as ``[int](,1)``;
    in PowerShell the comma there separates arguments, so the lab would run another
    program than the one sent."""
    operand = cast.named_children[-1] if cast.named_children else None
    while operand is not None and operand.type == "unary_expression":
        operand = operand.named_children[0] if operand.named_children else None
    if operand is None or operand.type != "expression_with_unary_operator":
        return False
    if not operand.children or operand.children[0].type != ",":
        return False
    parent = cast.parent
    while parent is not None and parent.type not in _ARGUMENT_SCOPE_ENDS:
        if parent.type == "argument_expression_list":
            return True
        parent = parent.parent
    return False


def abbreviated_switch_flags(node: tree_sitter.Node) -> list[tree_sitter.Node] | None:
    """The names of ``switch -w -c (...)``'s flags when ``node`` is the ERROR tree-sitter
    makes of them, else None.

    PowerShell's parser takes any prefix of a switch option (PS-src
    ``engine/parser/Parser.cs`` ``SwitchStatementRule``: ``IsSpecificParameter`` tests
    ``"wildcard".StartsWith(name, OrdinalIgnoreCase)``, the same in a decompiled 5.1
    System.Management.Automation); tree-sitter-powershell 0.26.4 knows only the full
    words. Each ``-`` must touch its name, as in a parameter token.
    """
    if not node.is_error or node.parent is None or node.parent.type != "switch_statement":
        return None
    parts = node.children
    if not parts or len(parts) % 2:
        return None
    names: list[tree_sitter.Node] = []
    for dash, name in zip(parts[::2], parts[1::2], strict=True):
        touching = dash.end_byte == name.start_byte and not (name.text or b" ")[:1].isspace()
        if dash.type != "-" or name.type != "simple_name" or not touching:
            return None
        names.append(name)
    return names


def _check(script: ParsedScript) -> None:
    """Refuse parse errors and unsupported node types before anything runs."""
    if script.root.has_error:
        bitwise = _bitwise_in_argument(script)
        if bitwise is not None:
            line = script.line(bitwise)
            start = script.byte_to_char[bitwise.start_byte]
            raise UnsupportedConstruct(
                line,
                "-band/-bor/-bxor directly in a method argument (tree-sitter-powershell "
                "cannot parse it; put the operation in parentheses)",
                script.text[start : start + 5].strip(),
                script.line_text(line),
                script.column(bitwise),
            )
        _check_with_errors(script)
        _check_tokens(script)
        return
    # A tree without an error or missing node (tree-sitter's has_error covers both) has
    # none to look for; then only the node types below are read, the rest walked past.
    for node in preorder(script.root):
        if node.type in _CHECKED_TYPES:
            _check_node(script, node)
    _check_tokens(script)


def _check_tokens(script: ParsedScript) -> None:
    """Refuse what PowerShell's tokenizer reads otherwise than tree-sitter and refuses
    (:func:`~psrunbook.sim.ps.semantic_checks.tokenizer_refusals`: ``$a < 5``, a line
    starting with ``|`` or with a binary operator), found from the text, not a walk."""
    chars = script.byte_to_char
    for node, message in tokenizer_refusals(
        script.text, script.root, lambda at: bisect.bisect_left(chars, at)
    ):
        raise _parse_error(script, node, message)


def _check_with_errors(script: ParsedScript) -> None:
    """:func:`_check` for a tree with an error or missing node: the first one that is
    not a shape the evaluator reads is refused, in document order with the checks."""
    stack = [script.root]
    while stack:
        node = stack.pop()
        if node.is_missing and node.parent is not None and _comma_continuation(node.parent):
            continue
        if abbreviated_switch_flags(node) is not None:
            continue  # the evaluator reads them (``switch -w``)
        if node.is_error or node.is_missing:
            line = script.line(node)
            what = "missing " + node.type if node.is_missing else "unexpected text"
            raise ScriptParseError(
                line,
                script.column(node),
                f"{what} '{script.source(node)[:40]}'",
                script.line_text(line),
            )
        if node.type in _CHECKED_TYPES:
            _check_node(script, node)
        if node.has_error or node.child_count:
            stack.extend(reversed(node.children))


def preorder(root: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    """``root`` and every node under it, each before its children, in document order.

    A tree cursor moves in C and builds one node object per node; ``node.children``
    built a list of them for every node: :func:`_check` of the twelve step scripts of
    ``run ssis-clustered --sim`` took 12.6 to 14.3 ms that way, 8.8 to 10.5 ms now.
    """
    cursor = root.walk()
    while True:
        node = cursor.node
        if node is None:  # typed optional; a cursor made from a node is always on one
            return
        yield node
        if cursor.goto_first_child():
            continue
        while not cursor.goto_next_sibling():
            if not cursor.goto_parent():
                return


_CHECKED_TYPES: Final = frozenset(
    {
        *UNSUPPORTED_NODES,
        "cast_expression",
        "merging_redirection_operator",
        "command_name",
        "block_name",
        "command_invokation_operator",
        "named_block_list",
        *SEMANTIC_TYPES,
    }
)
"""The node types :func:`_check_node` reads; every other node is only walked through."""


def _check_node(script: ParsedScript, node: tree_sitter.Node) -> None:
    """Refuse ``node`` if its type or text is one the simulator does not run."""
    kind = node.type
    if kind in UNSUPPORTED_NODES:
        raise _refused(script, node, UNSUPPORTED_NODES[kind])
    if kind == "cast_expression" and _type_then_comma_in_argument(node):
        raise _refused(
            script,
            node,
            "type literal followed by a comma in a method argument (tree-sitter-powershell "
            "reads it as a cast of the next argument; put the type last or in parentheses)",
        )
    if kind == "merging_redirection_operator" and not _MERGE.match(script.source(node).strip()):
        # Windows PowerShell 5.1 merges a stream only into the success stream (n>&1).
        raise _refused(script, node, "redirection other than n>&1")
    if kind == "command_name":
        command = script.source(node).casefold().rpartition("\\")[2]
        if command in UNSUPPORTED_COMMANDS:
            why = f" ({WHY_UNSUPPORTED[command]})" if command in WHY_UNSUPPORTED else ""
            if command not in HOST_PROMPT_COMMANDS or not script.allow_host_prompts:
                raise _refused(script, node, f"command {UNSUPPORTED_COMMANDS[command]}{why}")
    if kind == "block_name" and script.source(node).casefold() == "dynamicparam":
        raise _refused(script, node, "dynamicparam block")
    if kind == "named_block_list":
        seen: set[str] = set()
        for block in node.named_children:
            name = next((c for c in block.children if c.type == "block_name"), None)
            if block.type != "named_block" or name is None:
                continue
            what = script.source(name).casefold()
            if what in seen:
                # PS-src NamedBlockListRule: DuplicateScriptCommandClause, at the block.
                raise _parse_error(
                    script, block, f"Script command clause '{what}' has already been defined."
                )
            seen.add(what)
    if kind == "command_invokation_operator" and script.source(node) == ".":
        raise _refused(script, node, "dot-sourcing", shown=node.parent or node)
    if kind == "variable":
        # ``"$owner: x"``: tree-sitter reads ``$owner`` then ``:``; PowerShell's tokenizer
        # reads a drive-qualified name left empty, and refuses the script.
        end = script.byte_to_char[node.end_byte]
        if script.text[end : end + 1] == ":":
            written = script.source(node)
            if written.startswith("$") and not written.startswith("${"):
                refusal = colon_after_variable(written[1:], script.text[end : end + 3])
                if refusal is not None:
                    raise _parse_error(script, node, refusal)
    if kind in SEMANTIC_TYPES:
        # PowerShell's parser refuses the whole script for each, as the lab does.
        problem = semantic_problem(node, _comma_continuation)
        if problem is not None:
            raise _parse_error(script, *problem)


def _parse_error(script: ParsedScript, node: tree_sitter.Node, message: str) -> ScriptParseError:
    """A parse error PowerShell reports at ``node`` (tree-sitter read the text fine)."""
    line = script.line(node)
    return ScriptParseError(line, script.column(node), message, script.line_text(line))


def _refused(
    script: ParsedScript,
    node: tree_sitter.Node,
    construct: str,
    *,
    shown: tree_sitter.Node | None = None,
) -> UnsupportedConstruct:
    """The error refusing ``node``: its line and column, and ``shown``'s text (its own)."""
    line = script.line(node)
    return UnsupportedConstruct(
        line,
        construct,
        script.source(node if shown is None else shown),
        script.line_text(line),
        script.column(node),
    )


_MAX_SPLITS = 8
"""Rounds of :func:`_split_lines`: each may reveal the next error only once the one
before it is mended (a script rarely has more than a few)."""


def _break_after(node: tree_sitter.Node) -> int | None:
    """The byte offset of the blank to turn into a line break in ERROR ``node``, or None.

    Two shapes of valid PowerShell that tree-sitter-powershell 0.26.4 reads as an error
    unless a line break follows a part of them (PowerShell accepts both on one line):

    * ``function f { param($x) $x }``: a param block followed by more on its line;
    * ``switch ($x) { 1 { 'a' } default { 'b' } }``: a clause followed by ``default``
      on its line (the grammar takes ``default`` there for a new clause's condition
      only after a line break or ``;``).
    """
    parent = node.parent
    if parent is None:
        return None
    if parent.type == "function_statement":
        param = next((c for c in node.named_children if c.type == "param_block"), None)
        return None if param is None else param.end_byte
    if parent.type == "switch_clause":
        parts = node.named_children
        for block, following in pairwise(parts):
            if block.type == "statement_block" and following.type == "simple_name":
                return block.end_byte
    return None


def _split_lines(tree: tree_sitter.Tree, source: bytes) -> bytes | None:
    """``source`` with a line break where :func:`_break_after` finds one missing, or
    None when there is none. The break replaces one space or tab, so every offset
    stays the same."""
    data = bytearray(source)
    changed = False
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == "ERROR":
            end = _break_after(node)
            if end is not None and end < len(data) and data[end] in b" \t":
                data[end] = ord("\n")
                changed = True
        stack.extend(node.children)
    return bytes(data) if changed else None


_FOREACH_METHOD = re.compile(rb"(?i)\.foreach(?=\()")
"""The intrinsic ``.ForEach(`` method (PowerShell 4+): tree-sitter-powershell 0.26.4 reads
``foreach`` after a dot as the keyword and fails on ``$a.ForEach({ $_ })``. What comes
before the dot is tested by :func:`_foreach_standin`: a lookbehind here made the search
test it at every byte of the script, a tenth of the linter's time."""

_NO_OBJECT_BEFORE: Final = frozenset(b" \t\n\r\f\v.;|&")
"""Bytes after which ``.foreach(`` is not a method call (nothing to call it on)."""


def _foreach_standin(match: re.Match[bytes]) -> bytes:
    """``.ForEach`` with its ``o`` a ``0``: a method name tree-sitter reads as one, of the
    same length (the evaluator reads names from the text as sent, so it sees ForEach);
    unchanged at the start of the script or after a blank, dot, ``;``, ``|`` or ``&``."""
    text = match.group(0)
    start = match.start()
    if start == 0 or match.string[start - 1] in _NO_OBJECT_BEFORE:
        return text
    return text[:2] + b"0" + text[3:]


_CAPITAL_NUMBER_LETTERS = re.compile(
    rb"\d+(?:\.\d+)?(?:E[+-]?\d|[lLdD]?[KMGTP][bB]|[lLdD]?[kmgtp]B|[LD])"
)
"""A number with letters in capitals: an exponent (``1E3``), a multiplier (``1GB``,
``5Mb``, ``2LKB``) or a type suffix (``1L``, ``1D``). PowerShell reads them in any case
(about_Numeric_Literals; Microsoft's own examples write ``Length -gt 1MB``);
tree-sitter-powershell 0.26.4 only in lower case, so ``$size / 1GB`` failed to parse.
A script that does not parse is read again with such numbers in lower case
(:func:`_lower_number_letters`; same length, and the evaluator reads a literal's value
from the text as sent: :func:`.number_literals.number_literal` takes any case)."""


def _lower_number_letters(match: re.Match[bytes]) -> bytes:
    """The number in lower case where it starts a token; unchanged inside a word, a
    variable name or a member (``Disk1GB``, ``$v1D``, ``U+000D``), where it is no
    number and lower case would change the text a tree shows without changing the
    parse (the tree of a text that parses as sent is never re-read: see
    :func:`parse_mended`)."""
    text, start = match.string, match.start()
    before = text[start - 1 : start]
    if before.isalnum() or before in (b"_", b"$", b".", b"`", b"{"):
        return match.group(0)
    if before in (b"+", b"-") and text[start - 2 : start - 1].isalnum():
        return match.group(0)
    return match.group(0).lower()


def parse_mended(parser: tree_sitter.Parser, source: bytes) -> tree_sitter.Tree:
    """``source`` parsed, again with the line breaks of :func:`_split_lines` while they
    mend errors tree-sitter reports in valid PowerShell (offsets unchanged; the
    evaluator and the linter read the same tree). ``.ForEach(`` is always read as the
    method it is (:data:`_FOREACH_METHOD`); an ``else`` or ``elseif`` on a line of its
    own after an ``if`` that is a value is joined to it (:func:`_join_else`). A text that
    does not parse is read again with its numbers' capital suffixes and exponents in
    lower case (:data:`_CAPITAL_NUMBER_LETTERS`)."""
    source = _FOREACH_METHOD.sub(_foreach_standin, source)
    tree = parser.parse(source)
    if tree.root_node.has_error:
        lowered = _CAPITAL_NUMBER_LETTERS.sub(_lower_number_letters, source)
        if lowered != source:
            source = lowered
            tree = parser.parse(source)
    for _ in range(_MAX_SPLITS):
        split = _split_lines(tree, source) if tree.root_node.has_error else None
        if split is None:
            break
        source = split
        tree = parser.parse(source)
    for _ in range(_MAX_SPLITS):
        joined = _join_else(tree, source) if _ELSE_ON_ITS_LINE.search(source) else None
        if joined is None:
            break
        source = joined
        tree = parser.parse(source)
    return tree


_ELSE_ON_ITS_LINE = re.compile(rb"\n[ \t]*else", re.IGNORECASE)


def _join_else(tree: tree_sitter.Tree, source: bytes) -> bytes | None:
    """``source`` with the line breaks before the first ``else``/``elseif`` that
    tree-sitter read as a command made spaces (same length), or None if there is none.

    PowerShell's ``IfStatementRule`` skips line breaks before ``elseif`` and ``else``
    wherever the ``if`` is, also as an assignment's value (``$x = if ($c) {`` ... ``}``,
    then ``else {`` on the next line: pypsrp 1.0's ``test_copy_file_expand_environment``
    runs that on Windows); tree-sitter-powershell ends the value at the line break and
    reads ``else`` as a command. Only a gap of blanks and line breaks after a ``}`` that
    ends an ``if`` is joined, so ``}; else`` and a comment between stay as tree-sitter
    reads them (an error when they run, UNVERIFIED whether Windows takes a comment).
    """
    for command in _else_commands(tree.root_node, source):
        statement = command
        while statement.parent is not None and statement.parent.type != "statement_list":
            statement = statement.parent
        before = statement.prev_named_sibling
        if before is None or statement.start_byte != command.start_byte:
            continue
        gap = source[before.end_byte : statement.start_byte]
        if not gap.strip() and _ends_an_if(tree, before.end_byte):
            blanks = gap.replace(b"\r", b" ").replace(b"\n", b" ")
            return source[: before.end_byte] + blanks + source[statement.start_byte :]
    return None


def _else_commands(root: tree_sitter.Node, source: bytes) -> Iterator[tree_sitter.Node]:
    """The ``command`` nodes named ``else`` or ``elseif`` (any case), in source order."""
    for node in preorder(root):
        if node.type == "command":
            name = node.child_by_field_name("command_name")
            if name is not None and source[name.start_byte : name.end_byte].lower() in (
                b"else",
                b"elseif",
            ):
                yield node


def _ends_an_if(tree: tree_sitter.Tree, end: int) -> bool:
    """Whether an ``if_statement`` ends at byte ``end`` (its closing ``}``)."""
    node = tree.root_node.descendant_for_byte_range(max(end - 1, 0), end)
    while node is not None and node.end_byte == end:
        if node.type == "if_statement":
            return True
        node = node.parent
    return False


def _check_block_start(script: ParsedScript, keyword: re.Match[bytes]) -> None:
    """Refuse a script whose first named-block keyword has no ``{`` after it (line breaks
    and comments between are fine, a ``;`` is not): PS-src ``StatementBlockRule`` skips
    only line breaks before the ``{``, and ``NamedBlockListRule`` reports
    ``MissingNamedStatementBlock`` without it (``begin``, ``begin 1``, ``begin ; {}``),
    where tree-sitter may read a command named ``begin``."""
    source = keyword.string
    if source[_skip_blanks(source, keyword.end()) :].startswith(b"{"):
        return
    start, end = script.byte_to_char[keyword.start()], script.byte_to_char[keyword.end()]
    line = max(1, bisect.bisect_right(script.line_starts, start))
    raise ScriptParseError(
        line,
        start - script.line_starts[line - 1] + 1,
        f"missing statement block after '{script.text[start:end]}'",
        script.line_text(line),
    )


def parse_uncached(text: str, *, allow_host_prompts: bool = False) -> ParsedScript:
    """Parse and check ``text``; raises :class:`ScriptParseError` or unsupported.

    A script whose body is named blocks (``begin {`` ... ``process {`` ...) is parsed
    again inside ``{`` ... ``}``: tree-sitter reads top-level named blocks as a command
    named ``begin``, but reads them correctly in a script block literal. The brace
    added in front is on line 1 and ``line_starts`` skips it, so lines, columns and
    source texts stay those of the script as sent.
    """
    normalised = normalise(text)
    parser = tree_sitter.Parser(_LANGUAGE)
    source = normalised.encode("utf-8")
    tree = _parse_blocks(parser, source)
    script = ParsedScript(
        text, tree, _byte_map(normalised), _line_starts(text), allow_host_prompts=allow_host_prompts
    )
    keyword = _named_blocks_at_top(tree, source)
    if keyword is not None:
        _check_block_start(script, keyword)
        wrapped = "{" + text + "\n}"
        wrapped_normalised = "{" + normalised + "\n}"
        tree = _parse_blocks(parser, wrapped_normalised.encode("utf-8"))
        starts = _line_starts(wrapped)
        script = ParsedScript(
            wrapped,
            tree,
            _byte_map(wrapped_normalised),
            (1, *starts[1:]),
            wrapped=True,
            allow_host_prompts=allow_host_prompts,
        )
    _check(script)
    return script


class ParseCache:
    """A bounded, thread-safe LRU of parsed scripts keyed by their text.

    A text is parsed once even when several threads ask for it together: the nodes of a
    step send the same script at the same moment, and each parsing it alone (tree-sitter,
    the construct check, the closures compiled later) was that work once per node (a first
    ``ssis-standalone`` run on 32 nodes: 4 to 9 parses of its 3 scripts, issue 16). The
    threads that ask while it is being parsed wait for that parse; when it fails, each
    parses the text itself, so every caller gets its own error, as before (errors are not
    cached).
    """

    def __init__(self, size: int = 256, *, allow_host_prompts: bool = False) -> None:
        self._size = size
        self._allow_host_prompts = allow_host_prompts
        self._items: OrderedDict[str, ParsedScript] = OrderedDict()
        self._lock = threading.Lock()
        self._parsing: set[str] = set()
        """Texts a thread is parsing now (outside the lock)."""
        self._parsed = threading.Condition(self._lock)
        """Notified when a parse of a text in :attr:`_parsing` ends, stored or failed."""

    def get(self, text: str) -> ParsedScript:
        with self._lock:
            while (hit := self._items.get(text)) is None and text in self._parsing:
                self._parsed.wait()
            if hit is not None:
                self._items.move_to_end(text)
                return hit
            self._parsing.add(text)
        try:
            script = (
                parse_uncached(text, allow_host_prompts=True)
                if self._allow_host_prompts
                else parse_uncached(text)
            )
        except BaseException:
            with self._lock:
                self._parsing.discard(text)
                self._parsed.notify_all()
            raise
        with self._lock:
            self._parsing.discard(text)
            self._items[text] = script
            self._items.move_to_end(text)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
            self._parsed.notify_all()
        return script

    def __len__(self) -> int:
        return len(self._items)


DEFAULT_CACHE = ParseCache()
_PROMPTING_CACHE = ParseCache(64, allow_host_prompts=True)


def parse(text: str, *, allow_host_prompts: bool = False) -> ParsedScript:
    """Parse ``text`` through the shared cache; ``allow_host_prompts`` for a pipeline
    whose client has a host UI (:data:`HOST_PROMPT_COMMANDS`)."""
    return (_PROMPTING_CACHE if allow_host_prompts else DEFAULT_CACHE).get(text)
