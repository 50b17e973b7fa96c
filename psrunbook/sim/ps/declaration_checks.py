"""Two of PowerShell's parse-time checks that tree-sitter does not make.

PowerShell's parser (its semantic checks, run before any statement) refuses a script:

* whose parameter list names a parameter twice, in any case (``param($a, [int]$A)``,
  ``function f($a, $a)``): ``DuplicateFormalParameter``, at the second name (PowerShell's
  own tests: ``ShouldBeParseError 'function f { param($a,[int]$a) }'
  DuplicateFormalParameter 27``);
* whose attribute gives a named argument twice (``[Parameter(Mandatory = $true,
  Mandatory = $false)]``): ``DuplicateNamedArgument``, at the second one.

UNVERIFIED: the message texts below are PowerShell's resource strings as recalled, not
read from a Windows host; that both are parse errors refusing the whole script is in
PowerShell's source and tests.
"""

from __future__ import annotations

from typing import Final

from tree_sitter import Node

DUPLICATE_PARAMETER: Final = "Duplicate parameter ${} in parameter list."
DUPLICATE_NAMED_ARGUMENT: Final = "Duplicate named argument '{}'."


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
