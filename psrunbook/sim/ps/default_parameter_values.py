"""``$PSDefaultParameterValues``: default arguments a session gives cmdlets and advanced
functions.

An admin's script often starts with ``$PSDefaultParameterValues['*:ErrorAction'] =
'Stop'``: on Windows every later cmdlet then stops at its first error; the lab ignored
the variable (and refused the index assignment), so such a script ran on past an error
Windows stops at. Now the keys apply as about_Parameters_Default_Values describes for
5.1 (MicrosoftDocs/PowerShell-Docs ``reference/5.1/Microsoft.PowerShell.Core/About/
about_Parameters_Default_Values.md``): a key is ``CommandName:ParameterName``, either
part may have wildcards, the value is used for a parameter the call does not bind
itself, for cmdlets and advanced functions only (not simple functions), and a
``Disabled`` key that is true turns them all off. The variable is read through the
scopes, as any variable.

Refused by name rather than guessed (the lab's stricter choice where the reference is
silent or the behaviour is not modelled): a script-block value (Windows calls it with
the binding's context), a key that is not ``CommandName:ParameterName``, several keys
that give one parameter different values, a parameter name that only abbreviates one
(Windows' matching of a prefix here is UNVERIFIED), a default for a parameter that takes
pipeline input (Windows lets a pipeline object bind it instead: not modelled), and one
for a parameter that belongs to named parameter sets only (binding it would choose the
set; Windows' choice there is not modelled).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from psrunbook.sim.objects import PSHashtable
from psrunbook.sim.ps.cmdlet_api import ParamSpec
from psrunbook.sim.ps.values import (
    ScriptBlockValue,
    contains_wildcards,
    to_bool,
    to_string,
    wildcard_regex,
)

Refuse = Callable[[str], Exception]
"""Makes the refusal of a form the lab does not model, to raise."""

_KEY = re.compile(r"^\s*([^:]+?)\s*:\s*([^:]+?)\s*$")
"""``CommandName:ParameterName``, blanks around either part allowed."""

_ALL_SETS = "(All)"


def defaults_for(
    table: Any, command: str, parameters: Sequence[ParamSpec], refuse: Refuse
) -> list[tuple[ParamSpec, Any]]:
    """The parameters of ``command`` (with the common ones, for a cmdlet or an advanced
    function) that ``table`` (the value of ``$PSDefaultParameterValues``) gives a value,
    each once, in the table's order. Nothing for an empty or disabled table or a value
    that is not a hashtable."""
    if not isinstance(table, PSHashtable) or not table:
        return []
    if to_bool(table.get("Disabled")):
        return []
    chosen: dict[str, tuple[ParamSpec, Any]] = {}
    for raw_key, value in table.items():
        key = to_string(raw_key)
        if key.strip().casefold() == "disabled":
            continue
        parts = _KEY.match(key)
        if parts is None:
            raise refuse(
                f"the $PSDefaultParameterValues key '{key}' (not CommandName:ParameterName)"
            )
        command_part, parameter_part = parts.groups()
        if not wildcard_regex(command_part).match(command):
            continue
        for spec in _matching(parameter_part, parameters, key, refuse):
            _check_default(spec, value, key, refuse)
            earlier = chosen.get(spec.name.casefold())
            if earlier is not None and earlier[1] != value:
                raise refuse(
                    f"$PSDefaultParameterValues keys that give -{spec.name} of {command} "
                    "different values"
                )
            chosen[spec.name.casefold()] = (spec, value)
    return list(chosen.values())


def _matching(
    pattern: str, parameters: Sequence[ParamSpec], key: str, refuse: Refuse
) -> list[ParamSpec]:
    """The parameters whose name or an alias ``pattern`` matches (a wildcard may match
    several); a name that only abbreviates a parameter is refused."""
    matcher = wildcard_regex(pattern)
    found = [p for p in parameters if any(matcher.match(n) for n in (p.name, *p.aliases))]
    if found or contains_wildcards(pattern):
        return found
    folded = pattern.casefold()
    if any(n.casefold().startswith(folded) for p in parameters for n in (p.name, *p.aliases)):
        raise refuse(f"the $PSDefaultParameterValues key '{key}' (an abbreviated parameter)")
    return []


def _check_default(spec: ParamSpec, value: Any, key: str, refuse: Refuse) -> None:
    if isinstance(value, ScriptBlockValue):
        raise refuse(f"the $PSDefaultParameterValues key '{key}' with a script block")
    if spec.from_pipeline or spec.from_pipeline_by_property_name:
        raise refuse(
            f"the $PSDefaultParameterValues key '{key}' for -{spec.name}, which takes "
            "pipeline input"
        )
    if _ALL_SETS not in spec.parameter_sets:
        raise refuse(
            f"the $PSDefaultParameterValues key '{key}' for -{spec.name}, which belongs to "
            "named parameter sets"
        )


def apply_defaults(
    bound: PSHashtable,
    defaults: list[tuple[ParamSpec, Any]],
    convert: Callable[[ParamSpec, Any], Any],
) -> None:
    """Bind each default whose parameter the call left unbound, converted as an argument
    is (a conversion error is the binding error Windows reports for it)."""
    for spec, value in defaults:
        if spec.name not in bound:
            bound[spec.name] = convert(spec, value)
