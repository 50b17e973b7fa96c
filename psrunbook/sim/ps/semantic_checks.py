"""Three of PowerShell's parse-time checks that tree-sitter does not make.

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
  is evaluated instead, as a runtime error (the evaluator's own check).

UNVERIFIED: the first two message texts are PowerShell's resource strings as recalled,
not read from a Windows host (the hash literal's is quoted from a Windows session's
error); that all three are parse errors refusing the whole script is in PowerShell's
source (``SemanticChecks``) and tests. A real key's text follows Python's formatting to
15 significant digits (.NET Framework's ``Double.ToString()`` for the common values).
"""

from __future__ import annotations

from typing import Final

from tree_sitter import Node

from psrunbook.sim.ps.number_literals import number_literal
from psrunbook.sim.ps.strings import Literal, decode_verbatim, expandable_parts

DUPLICATE_PARAMETER: Final = "Duplicate parameter ${} in parameter list."
DUPLICATE_NAMED_ARGUMENT: Final = "Duplicate named argument '{}'."
DUPLICATE_HASH_KEY: Final = "Duplicate keys '{}' are not allowed in hash literals."


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


def duplicate_hash_key(hash_literal: Node) -> tuple[Node, str] | None:
    """The second constant key of ``hash_literal`` (a ``hash_literal_expression``) whose
    text, ignoring case, an earlier constant key has; with that text."""
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
                return key, text
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
        value = number_literal(text)
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
