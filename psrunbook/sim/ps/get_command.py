"""``Get-Command`` (alias ``gcm``) over the commands a lab node really has; registered in
:data:`psrunbook.sim.ps.builtins.BUILTINS` on import.

Windows PowerShell 5.1's cmdlet reference for Get-Command and about_Command_Precedence:

- ``-Name`` (position 0, wildcards): a name without wildcards gives the one command that
  runs when that name is typed (alias, then function, then cmdlet, then program; ``.exe``
  optional for a program); with wildcards every match. A name without wildcards that
  finds nothing is CommandNotFoundException (``CommandNotFoundException,Microsoft.
  PowerShell.Commands.GetCommandCommand``, ObjectNotFound), non-terminating, so
  ``-ErrorAction SilentlyContinue`` leaves nothing and ``if (Get-Command X -ea 0)`` is
  false; wildcards that match nothing give no error.
- ``-CommandType`` (names, numbers, arrays; ``All``); without it, with ``-Name`` every
  type, without ``-Name`` aliases, functions, filters, cmdlets, workflows and
  configurations (no programs).
- ``-Module`` (wildcards; ``""`` is no filter, as GET_COMMAND_METADATA sends it when the
  client names no namespace), ``-Verb``, ``-Noun`` (wildcards, on ``Verb-Noun`` names).
- ``-ListImported``: the commands already in the session. The lab does not model module
  autoloading (its Get-Module lists nothing imported), so that is the Core snap-in's
  cmdlets, the session's functions and the aliases (UNVERIFIED; stricter, never more).
- ``-ArgumentList`` is accepted and changes nothing: on Windows it resolves dynamic
  parameters, and no lab command has any.
- Results are sorted by name, as Windows lists them (pypsrp 0.9.1's recorded
  ``test_psrp_get_command_metadata.yml``).

A name without wildcards that the node has on Windows but the lab does not model
(``Get-Command Get-HotFix``, ``netstat``, ``gdr``; the evaluator's ``refuse_unmodelled``)
is refused by name, whatever ``-ErrorAction`` says: Windows returns its CommandInfo, which
the lab cannot describe, and "not found" would tell the script the command does not exist.
Filters (``-CommandType``, ``-Module``) do not change that (stricter: Windows would say
"not found" for a type or module that does not match). With wildcards only the commands
the lab has are listed (UNVERIFIED how much more Windows lists: the whole catalog).

Refused by name: ``-All``, ``-TotalCount``, ``-Syntax``, ``-ParameterName``,
``-ParameterType``, ``-ShowCommandInfo``, ``-FullyQualifiedModule``, ``-Name`` with
``-Verb``/``-Noun`` (two parameter sets on Windows), and a module-qualified or path name.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any, NamedTuple

import msgspec

from psrunbook.sim.objects import PSHashtable, PSObject
from psrunbook.sim.ps import records
from psrunbook.sim.ps.builtins import BUILTINS, COMMAND_ALIASES, BuiltinEvaluator, Emit, builtin
from psrunbook.sim.ps.cmdlet_api import CmdletSpec, ParamSpec
from psrunbook.sim.ps.command_lookup import (
    COMMAND_TYPES,
    CORE,
    alias_info,
    application_info,
    application_name,
    cmdlet_info,
    command_type_mask,
    function_info,
    module_of,
)
from psrunbook.sim.ps.natives import NATIVES
from psrunbook.sim.ps.scope import Scope
from psrunbook.sim.ps.values import as_list, contains_wildcards, to_string, wildcard_regex

COMMAND_ALIASES["gcm"] = "Get-Command"

_ALIAS, _FUNCTION, _FILTER, _CMDLET, _APPLICATION = 1, 2, 4, 8, 32
_DEFAULT_TYPES = 1 | 2 | 4 | 8 | 128 | 256
"""Get-Command without -Name and -CommandType: no programs, no scripts."""
_REFUSED = ("All", "TotalCount", "Syntax", "ParameterName", "ParameterType", "ShowCommandInfo",
            "FullyQualifiedModule")  # fmt: skip


class _Entry(NamedTuple):
    """One command the session can run, before its CommandInfo is built."""

    name: str
    kind: int
    module: str
    build: Callable[[], PSObject]

    def matches_name(self, name: str) -> bool:
        folded = name.casefold()
        if self.kind == _APPLICATION:
            return folded in (self.name.casefold(), self.name.casefold()[:-4])
        return folded == self.name.casefold()


def _function_entry(ev: BuiltinEvaluator, function: Any) -> _Entry:
    def build() -> PSObject:
        parameters, advanced = ev.function_parameters(function)
        text = str(function.text)
        body = text[text.find("{") + 1 : text.rfind("}")] if "{" in text else text
        return function_info(function.name, body, parameters, advanced=advanced,
                             is_filter=bool(function.is_filter))  # fmt: skip

    return _Entry(function.name, _FILTER if function.is_filter else _FUNCTION, "", build)


def _alias(name: str, target: str, spec: CmdletSpec | None) -> PSObject:
    return alias_info(name, None if spec is None else cmdlet_info(spec), target)


def _commands(ev: BuiltinEvaluator) -> tuple[dict[str, CmdletSpec], dict[str, str]]:
    """The session's cmdlets (built-ins first) and programs, by folded name."""
    specs: dict[str, CmdletSpec] = {}
    programs: dict[str, str] = {}
    for builtin_command in BUILTINS.values():
        specs.setdefault(builtin_command.spec.name.casefold(), builtin_command.spec)
    for name, command in ev.node_commands().items():
        spec = command.spec
        if spec.native:
            programs.setdefault(application_name(name).casefold(), application_name(name))
        else:
            specs.setdefault(spec.name.casefold(), spec)
    for name in NATIVES:
        programs.setdefault(application_name(name).casefold(), application_name(name))
    return specs, programs


def _entries(ev: BuiltinEvaluator) -> list[_Entry]:
    """Every command of the session, in the order of command precedence."""
    specs, programs = _commands(ev)
    entries: list[_Entry] = []
    for alias, target in COMMAND_ALIASES.items():
        target_spec = specs.get(target.casefold())
        entries.append(_Entry(alias, _ALIAS, "", partial(_alias, alias, target, target_spec)))
    seen: set[str] = set()
    scope: Scope | None = ev.scope
    while scope is not None:
        for folded, function in scope.functions.items():
            if folded not in seen:
                seen.add(folded)
                entries.append(_function_entry(ev, function))
        scope = scope.parent
    for spec in specs.values():
        entries.append(_Entry(spec.name, _CMDLET, module_of(spec), partial(cmdlet_info, spec)))
    for file_name in programs.values():
        entries.append(_Entry(file_name, _APPLICATION, "", partial(application_info, file_name)))
    return entries


def _any_match(patterns: list[str] | None, text: str) -> bool:
    return patterns is None or any(wildcard_regex(p).match(text) for p in patterns)


def _not_found(name: str) -> Any:
    return msgspec.structs.replace(
        records.command_not_found(name),
        command_type="Microsoft.PowerShell.Commands.GetCommandCommand",
    )


@builtin(
    "Get-Command",
    ParamSpec("Name", "string[]", position=0, from_pipeline_by_property_name=True),
    ParamSpec("ArgumentList", "object[]", position=1, aliases=("Args",)),
    ParamSpec("Verb", "string[]"),
    ParamSpec("Noun", "string[]"),
    ParamSpec("Module", "string[]", aliases=("PSSnapin",)),
    ParamSpec("CommandType", "object", aliases=("Type",)),
    ParamSpec("ListImported", "switch"),
    ParamSpec("All", "switch"),
    ParamSpec("TotalCount", "int"),
    ParamSpec("Syntax", "switch"),
    ParamSpec("ParameterName", "string[]"),
    ParamSpec("ParameterType", "object[]"),
    ParamSpec("ShowCommandInfo", "switch"),
    ParamSpec("FullyQualifiedModule", "object[]"),
)
def get_command(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """The session's commands as CommandInfo objects (see the module docstring)."""
    for name in _REFUSED:
        if name in args:
            raise ev.unsupported(ev.statement, f"Get-Command -{name}")
    names = [to_string(n) for n in as_list(args["Name"])] if args.get("Name") is not None else None
    verbs = [to_string(v) for v in as_list(args["Verb"])] if "Verb" in args else None
    nouns = [to_string(n) for n in as_list(args["Noun"])] if "Noun" in args else None
    if names is not None and (verbs is not None or nouns is not None):
        raise ev.unsupported(ev.statement, "Get-Command -Name with -Verb or -Noun")
    if names is not None and any("\\" in n or "/" in n for n in names):
        raise ev.unsupported(ev.statement, "Get-Command of a module-qualified name or a path")
    modules = [to_string(m) for m in as_list(args.get("Module"))] if "Module" in args else []
    module_patterns = [m for m in modules if m] or None
    try:
        mask = command_type_mask(args.get("CommandType"))
    except ValueError as bad:
        raise ev.fail(
            records.binding_error(
                f"Cannot bind parameter 'CommandType'. Cannot convert value \"{bad}\" to type "
                '"System.Management.Automation.CommandTypes". Error: "Unable to match the '
                f"identifier name {bad} to a valid enumerator name. Specify one of the "
                f'following enumerator names and try again:\n{", ".join(COMMAND_TYPES)}"',
                "CannotConvertArgumentNoMessage",
                "Microsoft.PowerShell.Commands.GetCommandCommand",
            )
        ) from None
    if not mask:
        mask = 511 if names is not None else _DEFAULT_TYPES
    imported_only = bool(args.get("ListImported"))

    def eligible(entry: _Entry) -> bool:
        if not entry.kind & mask:
            return False
        if module_patterns is not None and not _any_match(module_patterns, entry.module):
            return False
        if imported_only and entry.kind == _CMDLET and entry.module != CORE:
            return False
        if verbs is not None or nouns is not None:
            if entry.kind == _APPLICATION or "-" not in entry.name:
                return False
            verb, _, noun = entry.name.partition("-")
            return _any_match(verbs, verb) and _any_match(nouns, noun)
        return True

    every = _entries(ev)
    entries = [e for e in every if eligible(e)]
    found: list[_Entry] = []
    for name in names if names is not None else ["*"]:
        if contains_wildcards(name):
            pattern = wildcard_regex(name)
            found.extend(e for e in entries if pattern.match(e.name) and e not in found)
            continue
        first = next((e for e in entries if e.matches_name(name)), None)
        if first is None and (target := ev.alias_target(name)) is not None:
            # One of 5.1's aliases of a command the node has (gwmi): an AliasInfo.
            spec = _commands(ev)[0].get(target.casefold())
            alias = _Entry(name.lower(), _ALIAS, "", partial(_alias, name.lower(), target, spec))
            first = alias if eligible(alias) else None  # else not found, as for -Type Cmdlet
        if first is None:
            if not any(e.matches_name(name) for e in every):
                ev.refuse_unmodelled(name, "Get-Command of")
            ev.write_error(_not_found(name))
        elif first not in found:
            found.append(first)
    for entry in sorted(found, key=lambda e: e.name.casefold()):
        emit(entry.build())
