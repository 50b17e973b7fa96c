"""PowerShell's parse-time checks (its ``SemanticChecks``) that tree-sitter does not make.

PowerShell's parser (its semantic checks, run before any statement) refuses a script:

* whose parameter list names a parameter twice, in any case (``param($a, [int]$A)``,
  ``function f($a, $a)``): ``DuplicateFormalParameter``, at the second name (PowerShell's
  own tests: ``ShouldBeParseError 'function f { param($a,[int]$a) }'
  DuplicateFormalParameter 27``);
* whose attribute gives a named argument twice (``[Parameter(Mandatory = $true,
  Mandatory = $false)]``): ``DuplicateNamedArgument``, at the second one;
* whose hash literal has two constant keys alike, ignoring case (``@{a = 1; 'A' = 2}``,
  ``@{1 = 'x'; '1' = 'y'}``: keys compared as their values' text): "Duplicate keys 'A'
  are not allowed in hash literals." (``DuplicateKeyInHashLiteral``), at the second key.
  A key that is not a constant (``$k``, ``(1)``, ``"a$x"``) is checked when the literal
  is evaluated instead, as a runtime error (the evaluator's own check);
* whose function has both a parameter list after its name and a ``param()`` block
  (``OnlyOneParameterListAllowed``, at the block);
* whose ``try`` has a catch-all ``catch`` before another ``catch``
  (``EmptyCatchNotLast``), or catches a type a ``catch`` before it already catches, the
  same type or one derived from it (``ExceptionTypeAlreadyCaught``, at the later type;
  the lab's exception hierarchy, ``records.EXCEPTION_BASES``, where a type it does not
  know derives from System.Exception);
* whose ``finally`` block holds a ``return``, or a ``break``/``continue`` that is not in
  a loop inside that block (``ControlLeavingFinally``; a script block or function inside
  the ``finally`` is its own scope);
* that splats a variable (``@h``) anywhere but as a command's own argument
  (``SplattingNotPermitted``, or ``SplattingNotPermittedInArgumentList`` in a
  comma-separated argument);
* that applies ``++`` or ``--`` to what is not a variable, property or element
  (``OperatorRequiresVariableOrProperty``);
* that casts anything but a hash literal to ``[ordered]``
  (``OrderedAttributeOnlyOnHashLiteralNode``);
* that assigns to what is not a variable, property or element (``'a' = 5``,
  ``$a + 1 = 2``, ``$a.M() = 1``; a list of them only with ``=``: ``$a, $b = 1, 2``):
  ``InvalidLeftHandSide``.

The lab used to refuse the last four only when it evaluated them, so a script with one
in a branch not taken ran in the lab and fails to parse on Windows.

That each is a parse error refusing the whole script is in PowerShell's source
(``SemanticChecks``) and tests. UNVERIFIED: the message texts below are PowerShell's
resource strings as recalled, not read from a Windows host, except the hash literal's,
quoted from a Windows session's error. A real key's text follows Python's formatting to
15 significant digits (.NET Framework's ``Double.ToString()`` for the common values).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Final

from tree_sitter import Node

from psrunbook.sim.ps.constant_attributes import (
    BINARY_EXPRESSIONS,
    NOT_CONSTANT_ARGUMENT,
    non_constant_argument,
)
from psrunbook.sim.ps.number_literals import NUMBER_PATTERN, BadNumericConstant, number_literal
from psrunbook.sim.ps.records import EXCEPTION_BASES, TYPE_ALIASES, exception_chain
from psrunbook.sim.ps.strings import Literal, decode_verbatim, expandable_parts

DUPLICATE_PARAMETER: Final = "Duplicate parameter ${} in parameter list."
DUPLICATE_NAMED_ARGUMENT: Final = "Duplicate named argument '{}'."
DUPLICATE_HASH_KEY: Final = "Duplicate keys '{}' are not allowed in hash literals."
ONLY_ONE_PARAMETER_LIST: Final = "Only one parameter list is allowed."
EMPTY_CATCH_NOT_LAST: Final = "Catch block must be the last catch block."
EXCEPTION_TYPE_ALREADY_CAUGHT: Final = "The exception type {} is already caught."
CONTROL_LEAVING_FINALLY: Final = "Control cannot leave a finally block."
SPLATTING_NOT_PERMITTED: Final = (
    "The splatting operator '@' cannot be used to reference variables in an expression. "
    "'@{0}' can be used only as an argument to a command. To reference variables in an "
    "expression use '${0}'."
)
SPLATTING_IN_ARGUMENT_LIST: Final = (
    "Splatted variables like '@{0}' cannot be part of a comma-separated list of arguments."
)
INCREMENT_NEEDS_VARIABLE: Final = "The '{}' operator works only on variables or on properties."
INVALID_ASSIGNMENT_TARGET: Final = (
    "The assignment expression is not valid. The input to an assignment operator must be "
    "an object that is able to accept assignments, such as a variable or a property."
)
ORDERED_ONLY_ON_HASH_LITERAL: Final = (
    "The ordered attribute can be specified only on a hash literal node."
)

INVALID_DRIVE_VARIABLE: Final = (
    "Variable reference is not valid. ':' was not followed by a valid variable name "
    "character. Consider using ${} to delimit the name."
)
INVALID_SCOPED_VARIABLE: Final = (
    "Variable reference is not valid. '$' was not followed by a valid variable name "
    "character. Consider using ${} to delimit the name."
)
SCOPE_QUALIFIERS: Final = frozenset({"global", "local", "private", "script", "using", "workflow"})
"""The prefixes a variable path reads as a scope (``$script:x``); any other before a
``:`` is a drive (``$env:x``, ``$owner:x``)."""


def colon_after_variable(name: str, after: str) -> str | None:
    """PowerShell's parse error for a variable ``$name`` written with ``after`` (the text
    that follows it) starting ``:`` (``"on $owner: x"``), or None when there is none.

    PowerShell's tokenizer (tokenizer.cs ``ScanVariable``) reads a ``:`` after a variable
    name as part of the name, a drive or scope qualifier (``$env:PATH``,
    ``$script:count``), unless a second ``:`` follows (``$a::b``, a static member); a
    name left empty after the qualifier is an error that refuses the whole script, in an
    expandable string as in code: ``InvalidVariableReferenceWithDrive`` after a drive,
    ``InvalidVariableReference`` after a scope. Well known since PowerShell 3.0 (2.0
    expanded it to nothing): ``"$server: $status"`` fails to parse, ``"${server}: ..."``
    is the fix.
    """
    if not after.startswith(":") or after.startswith("::"):
        return None
    following = after[1:2]
    if following and (following.isalnum() or following in "_?"):
        return None  # a qualified name (``$env:PATH``), which tree-sitter reads whole
    # Anything else ends the name at the colon, ``{`` too: a braced qualified name is
    # written ``${env:x}``, and ``$o:{x}`` leaves ``o:`` empty as ``$o: x`` does.
    if name.casefold() in SCOPE_QUALIFIERS:
        return INVALID_SCOPED_VARIABLE
    return INVALID_DRIVE_VARIABLE


Problem = tuple[Node, str]
"""Where PowerShell's parser reports the error, and its message."""


def semantic_problem(node: Node, continued: Callable[[Node], bool]) -> Problem | None:
    """The error PowerShell's semantic checks report at ``node``, if any (only the node
    types in :data:`SEMANTIC_TYPES` have one).

    ``continued(separator)``: whether a command's separator is the one tree-sitter reads
    before ``,next`` (the parser's own rule), for a splat in an argument list.
    """
    if node.type == "variable":
        return _misplaced_splat(node, continued)
    check = _CHECKS.get(node.type)
    return None if check is None else check(node)


def duplicate_parameter(parameter_list: Node) -> tuple[Node, str] | None:
    """The second parameter of ``parameter_list`` whose name an earlier one has, with the
    name as written there; None when every name is distinct."""
    seen: set[str] = set()
    for parameter in parameter_list.named_children:
        if parameter.type != "script_parameter":
            continue
        variable = next((c for c in parameter.named_children if c.type == "variable"), None)
        if variable is None:
            continue
        name = _variable_name(variable)
        if name.casefold() in seen:
            return variable, name
        seen.add(name.casefold())
    return None


def duplicate_named_argument(arguments: Node) -> tuple[Node, str] | None:
    """The second named argument of ``attribute_arguments`` that repeats an earlier
    name (any case), with the name as written there; None when there is none."""
    seen: set[str] = set()
    for argument in arguments.named_children:
        names = [c for c in argument.named_children if c.type == "simple_name"]
        if not names:
            continue  # a positional argument
        name = (names[0].text or b"").decode("utf-8", "replace")
        if name.casefold() in seen:
            return argument, name
        seen.add(name.casefold())
    return None


def _variable_name(variable: Node) -> str:
    """``$a`` and ``${a}`` are both ``a``."""
    text = (variable.text or b"").decode("utf-8", "replace")
    if text.startswith("${") and text.endswith("}"):
        return text[2:-1]
    return text.removeprefix("$")


def _duplicate_hash_key(hash_literal: Node) -> Problem | None:
    """The second constant key of ``hash_literal`` (a ``hash_literal_expression``) whose
    text, ignoring case, an earlier constant key has."""
    seen: set[str] = set()
    for body in hash_literal.named_children:
        if body.type != "hash_literal_body":
            continue
        for entry in body.named_children:
            if entry.type != "hash_entry" or not entry.named_children:
                continue
            key = entry.named_children[0]
            text = _constant_key(key)
            if text is None:
                continue
            if text.upper() in seen:
                return key, DUPLICATE_HASH_KEY.format(text)
            seen.add(text.upper())
    return None


def _constant_key(key: Node) -> str | None:
    """A key's value as text when PowerShell's parser sees a constant there, else None."""
    parts = key.named_children
    if len(parts) == 1 and parts[0].type == "simple_name":
        return (parts[0].text or b"").decode("utf-8", "replace")
    if len(parts) != 1 or parts[0].type != "unary_expression":
        return None
    inner = parts[0].named_children
    if len(inner) != 1:
        return None
    literal = inner[0]
    text = (literal.text or b"").decode("utf-8", "replace")
    if literal.type in {"integer_literal", "real_literal"}:
        try:
            value = number_literal(text)
        except BadNumericConstant:
            return None  # refused at the literal itself (``_numeric_constant``)
        return str(value) if isinstance(value, int) else format(value, ".15g")
    if literal.type != "string_literal" or not literal.named_children:
        return None
    content = literal.named_children[0]
    if content.type in ("verbatim_string_characters", "verbatim_here_string_characters"):
        return decode_verbatim(text)
    if content.type in ("expandable_string_literal", "expandable_here_string_literal"):
        if content.named_children:
            return None  # ``$var`` or ``$(...)`` inside: not a constant
        pieces = expandable_parts(text, lambda offset: offset)
        if all(isinstance(piece, Literal) for piece in pieces):
            return "".join(piece.text for piece in pieces if isinstance(piece, Literal))
    return None


def _second_parameter_list(function: Node) -> Problem | None:
    """The ``param()`` block of a ``function_statement`` that also has a parameter list
    after its name."""
    kinds = [child.type for child in function.named_children]
    if "function_parameter_declaration" not in kinds:
        return None
    for body in function.named_children:
        if body.type == "script_block":
            block = next((c for c in body.named_children if c.type == "param_block"), None)
            return None if block is None else (block, ONLY_ONE_PARAMETER_LIST)
    return None


def _catch_order(try_statement: Node) -> Problem | None:
    """Where a ``try``'s catches are out of PowerShell's order, with the message."""
    clauses = [
        clause
        for group in try_statement.named_children
        if group.type == "catch_clauses"
        for clause in group.named_children
        if clause.type == "catch_clause"
    ]
    types = [_catch_types(clause) for clause in clauses]
    for i, earlier in enumerate(types):
        for j in range(i + 1, len(clauses)):
            if not earlier:
                return clauses[j], EMPTY_CATCH_NOT_LAST
            for literal, name in types[j]:
                chain = exception_chain(name)
                if any(caught in chain for _, caught in earlier):
                    shown = (literal.text or b"").decode("utf-8", "replace").strip("[] ")
                    return literal, EXCEPTION_TYPE_ALREADY_CAUGHT.format(shown)
    return None


def _catch_types(clause: Node) -> list[tuple[Node, str]]:
    """Each type literal a ``catch`` names, with its lower-case full name (the lab's
    hierarchy's spelling: ``[Exception]`` and ``[IO.IOException]`` get their
    ``System.`` prefix when the hierarchy knows the type by it)."""
    found = []
    for type_list in clause.named_children:
        if type_list.type != "catch_type_list":
            continue
        for literal in type_list.named_children:
            written = "".join((literal.text or b"").decode("utf-8", "replace").split())
            name = written.strip("[]")
            name = TYPE_ALIASES.get(name.lower(), name).lower()
            if name not in EXCEPTION_BASES and "system." + name in EXCEPTION_BASES:
                name = "system." + name
            found.append((literal, name))
    return found


_LOOPS: Final = frozenset(
    {"foreach_statement", "for_statement", "while_statement", "do_statement", "switch_statement"}
)
_SCOPES: Final = frozenset({"script_block", "function_statement", "script_block_expression"})


def _flow_leaving_finally(finally_clause: Node) -> Problem | None:
    """The first ``return``, or ``break``/``continue`` outside a loop of its own, that
    would leave ``finally_clause``."""
    pending = [(child, False) for child in reversed(finally_clause.named_children)]
    while pending:
        node, in_loop = pending.pop()
        if node.type in _SCOPES:
            continue
        if node.type == "flow_control_statement":
            keyword = (node.text or b"").decode("utf-8", "replace").split()[:1]
            word = keyword[0].casefold() if keyword else ""
            if word == "return" or (word in ("break", "continue") and not in_loop):
                return node, CONTROL_LEAVING_FINALLY
        inside = in_loop or node.type in _LOOPS
        pending.extend((child, inside) for child in reversed(node.named_children))
    return None


def _misplaced_splat(variable: Node, continued: Callable[[Node], bool]) -> Problem | None:
    """A splatted ``variable`` (``@h``) that is not a command's own argument (``@h, 1`` is
    a list, as PowerShell reads it); None for any other variable, or a splat where one
    belongs."""
    text = (variable.text or b"").decode("utf-8", "replace")
    if not text.startswith("@"):
        return None
    name = text[1:]
    operand = variable.parent
    elements = None if operand is None else operand.parent
    if (
        operand is not None
        and operand.type == "unary_expression"
        and elements is not None
        and elements.type == "array_literal_expression"
        and elements.parent is not None
        and elements.parent.type == "command_elements"
    ):
        after = elements.next_sibling
        if len(elements.named_children) == 1 and (after is None or not continued(after)):
            return None
        return variable, SPLATTING_IN_ARGUMENT_LIST.format(name)
    return variable, SPLATTING_NOT_PERMITTED.format(name)


_INCREMENTS: Final = {
    "post_increment_expression": "++",
    "pre_increment_expression": "++",
    "post_decrement_expression": "--",
    "pre_decrement_expression": "--",
}
_ASSIGNABLE: Final = frozenset({"variable", "member_access", "element_access"})


def _increment(node: Node) -> Problem | None:
    """For ``++``/``--`` (``node`` one of :data:`_INCREMENTS`' kinds): the operand that
    is not a variable, property or element, with the message; None when it is one."""
    operator = _INCREMENTS.get(node.type)
    operands = [c for c in node.named_children if c.type != "comment"]
    if operator is None or len(operands) != 1:
        return None
    target = _assignment_target(operands[0])
    if target.type in _ASSIGNABLE:
        return None
    return operands[0], INCREMENT_NEEDS_VARIABLE.format(operator)


def _assignment_target(node: Node) -> Node:
    """What ``node`` assigns to, through the wrappers PowerShell looks through: a single
    operand, ``( )`` around one expression, and a cast (``[int]$i``)."""
    while True:
        if node.child_count == 1 and node.type in _SINGLE_OPERAND:
            # One child and no other: read without building the list of children.
            only = node.child(0)
            if only is not None and only.is_named and only.type != "comment":
                node = only
                continue
        operands = [c for c in node.named_children if c.type != "comment"]
        if node.type in _SINGLE_OPERAND and len(operands) == 1:
            node = operands[0]
        elif node.type == "expression_with_unary_operator" and node.children[0].type == (
            "cast_expression"
        ):
            node = node.children[0]  # a cast, not an operator (``-$x`` is no target)
        elif node.type == "cast_expression" and len(operands) == 2:
            node = operands[1]
        else:
            return node


_SINGLE_OPERAND: Final = frozenset(
    {
        *BINARY_EXPRESSIONS,
        "unary_expression",
        "pipeline",
        "pipeline_chain",
        "parenthesized_expression",
        "array_literal_expression",
        "left_assignment_expression",
    }
)


def _ordered(cast: Node) -> Problem | None:
    """``cast`` (a ``cast_expression``) when it casts to ``[ordered]`` what is not a hash
    literal."""
    operands = [c for c in cast.named_children if c.type != "comment"]
    if len(operands) != 2 or operands[0].type != "type_literal":
        return None
    written = "".join((operands[0].text or b"").decode("utf-8", "replace").split())
    if written.strip("[]").casefold() != "ordered":
        return None
    value = operands[1]
    while value.type == "unary_expression" and len(value.named_children) == 1:
        value = value.named_children[0]
    if value.type == "hash_literal_expression":
        return None
    return cast, ORDERED_ONLY_ON_HASH_LITERAL


def _assignment(assignment: Node) -> Problem | None:
    """What an ``assignment_expression`` assigns to when PowerShell could not assign to
    it: the left side, or the element of a list that is not a target."""
    parts = {c.type: c for c in assignment.named_children}
    left = parts.get("left_assignment_expression")
    operator = parts.get("assignement_operator")  # sic: tree-sitter-powershell's spelling
    if left is None:
        return None
    simple = operator is not None and (operator.text or b"").strip() == b"="
    target = _assignment_target(left)
    if target.type == "array_literal_expression" and simple:  # $a, $b = ...: each a target
        elements = (c for c in target.named_children if c.type != "comment")
        wrong = next((e for e in elements if _assignment_target(e).type not in _ASSIGNABLE), None)
        return None if wrong is None else (wrong, INVALID_ASSIGNMENT_TARGET)
    return None if target.type in _ASSIGNABLE else (target, INVALID_ASSIGNMENT_TARGET)


def _attribute(arguments: Node) -> Problem | None:
    """An ``attribute_arguments`` with a named argument given twice, or an argument that
    is not a constant (a repeated name first: PowerShell checks a repeated one no more)."""
    repeated = duplicate_named_argument(arguments)
    if repeated is not None:
        return repeated[0], DUPLICATE_NAMED_ARGUMENT.format(repeated[1])
    argument = non_constant_argument(arguments)
    return None if argument is None else (argument, NOT_CONSTANT_ARGUMENT)


def _parameters(parameter_list: Node) -> Problem | None:
    twice = duplicate_parameter(parameter_list)
    return None if twice is None else (twice[0], DUPLICATE_PARAMETER.format(twice[1]))


_NUMBER_HEAD: Final = re.compile(NUMBER_PATTERN + r"(?![\w.])", re.IGNORECASE)
"""A command name that starts with a whole numeric literal: tree-sitter reads ``5L``,
``1.5kb`` or ``2GB..4`` at the head of an expression as a command; PowerShell's tokenizer
reads a number (the evaluator reads it so too)."""


def _numeric_constant(literal: Node) -> Problem | None:
    """A numeric literal its type cannot hold (``0x1FFFFFFFFFFFFFFFF``, 16 hex digits at
    most; ``9223372036854775808L``): PowerShell's tokenizer refuses the whole script,
    BadNumericConstant (about_Numeric_Literals: "that literal is malformed"). ``literal``
    is an ``integer_literal``, or a ``command_name`` tree-sitter read a number as."""
    text = (literal.text or b"").decode("utf-8", "replace")
    if literal.type == "command_name":
        head = _NUMBER_HEAD.match(text)
        if head is None:
            return None
        text = head.group(0)
    try:
        number_literal(text)
    except BadNumericConstant as refused:
        return literal, str(refused)
    return None


_CHECKS: Final[dict[str, Callable[[Node], Problem | None]]] = {
    "integer_literal": _numeric_constant,
    "command_name": _numeric_constant,
    "attribute_arguments": _attribute,
    "parameter_list": _parameters,
    "hash_literal_expression": _duplicate_hash_key,
    "function_statement": _second_parameter_list,
    "try_statement": _catch_order,
    "finally_clause": _flow_leaving_finally,
    **dict.fromkeys(_INCREMENTS, _increment),
    "cast_expression": _ordered,
    "assignment_expression": _assignment,
}

SEMANTIC_TYPES: Final = frozenset({*_CHECKS, "variable"})
"""The node types :func:`semantic_problem` looks at."""


REDIRECTION_NOT_SUPPORTED: Final = "The '<' operator is reserved for future use."
EMPTY_PIPE_ELEMENT: Final = "An empty pipe element is not allowed."
UNEXPECTED_TOKEN: Final = "Unexpected token '{}' in expression or statement."  # noqa: S105

_LINE_LEAD: Final = re.compile(r"\n[ \t]*(\|(?!\|)|\.\.|[-+*/%,])")
"""A line that starts with ``|`` or with a character that may begin a binary operator.
Searched from the line break before it: a pattern that opens with a literal is scanned
for that character first (a ``^`` under MULTILINE tries every position: ten times as
long on a step script, and lint and the lab search every script)."""
_FIRST_LINE_LEAD: Final = re.compile(r"[ \t]*(\|(?!\|)|\.\.|[-+*/%,])")


def _tokenizer_candidates(text: str) -> list[tuple[int, int, str]]:
    """``(at, line_start, lead)`` where PowerShell's tokenizer may read ``text``
    otherwise than tree-sitter: each ``<`` not opening a ``<#`` comment (``lead`` "<",
    ``line_start`` unused), and each line that starts with ``|`` or with a character that
    may begin a binary operator (``lead`` that text), in document order. The tree says
    which of them is one (not in a string or a comment, not unary)."""
    found: list[tuple[int, int, str]] = []
    at = text.find("<")
    while at >= 0:
        if text[at + 1 : at + 2] != "#":
            found.append((at, at, "<"))
        at = text.find("<", at + 1)
    first = _FIRST_LINE_LEAD.match(text)
    if first is not None:
        found.append((first.start(1), 0, first.group(1)))
    found.extend((m.start(1), m.start() + 1, m.group(1)) for m in _LINE_LEAD.finditer(text))
    found.sort()
    return found


def tokenizer_refusals(text: str, root: Node, byte_at: Callable[[int], int]) -> Iterator[Problem]:
    """The parse errors PowerShell's tokenizer and parser report in ``text`` that
    tree-sitter, whose tree is ``root``, reads past (``byte_at``: a character offset of
    ``text`` as a byte offset of the tree), in document order:

    * a ``<`` that is a token of its own (``if ($a < 5)``, ``clip < file``, ``icacls
      <file>``): the tokenizer reads every ``<`` not opening a ``<#`` comment as the
      stdin redirection, and the parser refuses it: "The '<' operator is reserved for
      future use." (``RedirectionNotSupported``; quoted from Windows PowerShell 5.1
      sessions and Microsoft's about_Comparison_Operators). tree-sitter reads it as a
      redirection the lab then ignored, or as a bare word;
    * a line that starts with ``|``: a line break ends a pipeline unless a backtick
      escapes it, so the ``|`` starts an empty element: "An empty pipe element is not
      allowed." (``EmptyPipeElement``; "is not permitted" in an article's recollection of
      an older version). The leading pipe is PowerShell 7's, not 5.1's; tree-sitter
      joins the lines;
    * a line that starts with a binary operator continuing an expression (``if ($a -eq
      1`` / ``-and $b -eq 2)``): PowerShell's ``BinaryExpressionRule`` skips line breaks
      after an operator, not before one, so the expression ends at the line break and
      inside parentheses the ``)`` is missing; tree-sitter skips the line break and joins
      them. UNVERIFIED: which of PowerShell's errors there comes first ("Missing closing
      ')' in expression.", "Missing ')' after ..."); the lab reports the operator as
      unexpected, which PowerShell does too. The same for the ``,`` of an array
      (``(1`` / ``, 2)``). In ``@( )``, ``$( )`` and a script block, both read two
      statements there (``$(1`` / ``+ 2)`` is 1 and 2), and nothing is refused.

    A line ended by a backtick continues on the next, in PowerShell as here.
    """
    for at, line_start, lead in _tokenizer_candidates(text):
        if lead == "<":
            begin = byte_at(at)
            node = root.descendant_for_byte_range(begin, begin + 1)
            if node is not None and (
                node.type == "<" or (node.type == "generic_token" and node.start_byte == begin)
            ):
                yield node, REDIRECTION_NOT_SUPPORTED
            continue
        if text[max(0, line_start - 3) : line_start].rstrip("\r\n").endswith("`"):
            continue  # a line continuation: the tokenizer skips the line break
        begin = byte_at(at)
        if lead == ",":
            # The parsers read ``a , b`` as ``a  ,b`` (``lexer.spaced_commas``): the comma
            # is in the tree after the blanks that follow it in the text.
            rest = text[at + 1 : at + 81]
            begin += len(rest) - len(rest.lstrip(" \t"))
        node = root.descendant_for_byte_range(begin, begin + 1)
        if node is None or node.start_byte != begin:
            continue
        if lead == "|":
            if node.type == "|":
                yield node, EMPTY_PIPE_ELEMENT
            continue
        operator = _binary_operator_at(node)
        if operator is not None:
            written = (operator.text or b"").decode("utf-8", "replace").split()
            yield operator, UNEXPECTED_TOKEN.format(written[0] if written else "")


_BINARY_OR_ARRAY: Final = BINARY_EXPRESSIONS | {"array_literal_expression"}


def _binary_operator_at(token: Node) -> Node | None:
    """The binary operator ``token`` begins (``-eq`` in ``$a -eq 1``, the ``,`` of
    ``1, 2``), or None when it begins an operand instead (``-1``, ``-not $a``)."""
    node = token
    begin = token.start_byte
    while node.parent is not None and node.parent.type not in _BINARY_OR_ARRAY:
        node = node.parent
        if node.start_byte != begin:
            return None
    parent = node.parent
    if parent is None or parent.start_byte == begin:
        return None  # the first child: an operand, not an operator
    return node
