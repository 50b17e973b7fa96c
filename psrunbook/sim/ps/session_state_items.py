"""The item commands on PowerShell's session-state drives: ``Env:`` and ``Variable:``
(:mod:`psrunbook.sim.ps.session_state_tables`), the roots of ``Function:`` and
``Alias:``, the rest refused by name.

Windows answers these commands from SessionStateProviderBase (PowerShell's source; its
EnvironmentProvider and VariableProvider give the tables; about_Environment_Provider,
about_Variable_Provider): a flat drive, names compared without regard to case. What the
lab models, each from that source:

- ``Test-Path``: the root always exists (a container); an item exists when it is set (a
  leaf); a wildcard is true when it matches a name.
- ``Get-Item``: an item as the provider writes it (a DictionaryEntry, a PSVariable) with
  the provider's PSPath/PSDrive/PSProvider/PSIsContainer; a wildcard gives the matching
  items; the root gives the drive's container item (:func:`provider_roots.root_item`).
- ``Get-ChildItem``: the whole drive sorted by name without regard to case
  (GetChildItems: "bug Windows7 #300974 says that we should sort"), or the named item;
  ``-Name`` the names.
- ``Get-Content``: the value (the provider's content reader returns a list value as its
  elements, any other as one block: an environment variable is one string, not lines).
  ``Set-Content``/``Set-Item``/``New-Item``: set it (one content block as itself,
  several as their list). ``New-Item`` refuses an existing name without ``-Force`` and
  a missing ``-Value``. ``Clear-Item`` sets it to null (an environment variable is then
  gone), ``Remove-Item`` removes it.
- A missing item (a wildcard that matches nothing is no error): ItemNotFoundException
  "Cannot find path 'Env:\\X' because it does not exist." (``Get-ChildItem`` names the
  provider path, ``X``: both as reported for PowerShell 7 on Windows; UNVERIFIED on
  5.1).

Wildcard matches come in name order (UNVERIFIED: Windows globs in its table's order, a
hash order). The ``Function:`` and ``Alias:`` drives hold what the lab's sessions do not
have (Windows' built-in functions and aliases), so an item there, or a listing of one,
is refused by name; their roots exist (``Test-Path``, ``Get-Item``, as pypsrp 1.0's
``invoke_ps(cwd="Variable:/")`` uses them for ``Variable:``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from psrunbook.sim.objects import (
    ErrorRecordData,
    PSHashtable,
    PSObject,
    path_not_found,
)
from psrunbook.sim.ps.binding import Argument
from psrunbook.sim.ps.builtins import Builtin, BuiltinEvaluator, Emit
from psrunbook.sim.ps.cmdlet_api import CmdletSpec, ParamSpec
from psrunbook.sim.ps.provider_roots import ProviderRoot, root_item
from psrunbook.sim.ps.session_state_paths import (
    SessionStatePath,
    names_session_state,
    path_type_of,
    session_state_path,
)
from psrunbook.sim.ps.session_state_tables import ItemTable, table_for
from psrunbook.sim.ps.values import as_list, is_collection, to_string, wildcard_regex


def _command_type(command: str) -> str:
    return f"Microsoft.PowerShell.Commands.{command.replace('-', '')}Command"


def _refuse(ev: BuiltinEvaluator, construct: str) -> Exception:
    """The script's refusal of a form the lab does not model, to raise."""
    return ev.unsupported(ev.statement, construct)


def _argument_error(command: str, message: str, error_id: str = "Argument") -> ErrorRecordData:
    """A PSArgumentException's record (its id ``Argument``, no target), as the provider
    writes it for an existing name or a missing value."""
    return ErrorRecordData(
        message=message,
        error_id=error_id,
        category="InvalidArgument",
        exception_type="System.Management.Automation.PSArgumentException",
        activity=command,
        command_type=_command_type(command),
    )


def _raw_paths(args: PSHashtable) -> tuple[list[str], bool]:
    """The ``-LiteralPath`` values, or the ``-Path`` ones, as text; and which it was."""
    literal = args.get("LiteralPath") is not None
    raw = as_list(args.get("LiteralPath") if literal else args.get("Path"))
    return [to_string(text) for text in raw], literal


class _Context:
    """One call of a session-state item command: the evaluator, its bound arguments, the
    paths they name and the table of each path's provider."""

    def __init__(self, ev: BuiltinEvaluator, command: str, args: PSHashtable) -> None:
        self.ev = ev
        self.command = command
        self.args = args
        self.location = session_state_location(ev.runspace)
        raws, self.literal = _raw_paths(args)
        found = [session_state_path(raw, self.location) for raw in raws]
        self.paths = [path for path in found if path is not None]

    def flag(self, name: str) -> bool:
        return bool(self.args.get(name))

    def table(self, path: SessionStatePath) -> ItemTable:
        return table_for(path.provider, self.ev, lambda construct: _refuse(self.ev, construct))

    def refuse_root(self, path: SessionStatePath) -> Exception:
        return _refuse(self.ev, f"{self.command} of the drive {path.typed}")

    def missing(self, path: SessionStatePath, shown: str | None = None) -> None:
        shown = path.shown if shown is None else shown
        self.ev.write_error(path_not_found(self.command, _command_type(self.command), shown))

    def expands(self, path: SessionStatePath) -> bool:
        return path.has_wildcard and not self.literal

    def matches(self, path: SessionStatePath) -> list[tuple[str, Any]]:
        """The items a non-root path names: a wildcard's matches, or the one item."""
        table = self.table(path)
        if self.expands(path):
            regex = wildcard_regex(path.name)
            return [(name, value) for name, value in table.listing() if regex.match(name)]
        found = table.find(path.name)
        return [] if found is None else [found]

    def existing(self, path: SessionStatePath) -> list[tuple[str, Any]]:
        """:meth:`matches`; for a name that is not there a not-found error (a wildcard
        that matches nothing is no error, as for every provider's globbing)."""
        found = self.matches(path)
        if not found and not self.expands(path):
            self.missing(path)
        return found

    def item(self, path: SessionStatePath, name: str, value: Any) -> PSObject:
        """The item object for ``name``, its PSPath the name given unless a wildcard
        matched it."""
        ps_name = name if self.expands(path) else path.name
        return self.table(path).item(path, name, value, ps_name)

    def targets(self, path: SessionStatePath) -> list[str]:
        """The names a write goes to: a wildcard's existing matches, or the name given
        (which need not exist)."""
        return [name for name, _ in self.existing(path)] if self.expands(path) else [path.name]


def session_state_location(runspace: dict[str, Any]) -> ProviderRoot | None:
    """The session-state root the runspace's location is at, or None."""
    from psrunbook.sim.ps.location import other_provider_location  # noqa: PLC0415 (a cycle)

    return other_provider_location(runspace)


def _test_path(ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None,
               emit: Emit) -> None:  # fmt: skip
    ctx = _Context(ev, "Test-Path", args)
    kind = path_type_of(to_string(args.get("PathType") or "Any"))
    if kind is None:
        raise _refuse(ev, f"Test-Path -PathType {to_string(args.get('PathType'))}")
    for path in ctx.paths:
        if ctx.flag("IsValid"):
            emit(True)
        elif path.is_root:
            emit(kind != "leaf")
        else:
            emit(kind != "container" and bool(ctx.matches(path)))


def _get_item(ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None,
              emit: Emit) -> None:  # fmt: skip
    ctx = _Context(ev, "Get-Item", args)
    for path in ctx.paths:
        if path.is_root:
            emit(root_item(path.root))
            continue
        for name, value in ctx.existing(path):
            emit(ctx.item(path, name, value))


def _get_child_item(ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None,
                    emit: Emit) -> None:  # fmt: skip
    ctx = _Context(ev, "Get-ChildItem", args)
    paths = ctx.paths
    here = session_state_path(".", ctx.location)
    if args.get("Path") is None and args.get("LiteralPath") is None and here is not None:
        paths = [here]  # no path: the location, the drive's root
    for path in paths:
        table = ctx.table(path)
        if path.is_root:
            found = table.listing()
        else:
            found = ctx.matches(path)
            if not found and not ctx.expands(path):  # the provider path, no drive
                ctx.missing(path, path.name)
        for name, value in found:
            emit(name if ctx.flag("Name") else table.item(path, name, value, name))


def _get_content(ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None,
                 emit: Emit) -> None:  # fmt: skip
    ctx = _Context(ev, "Get-Content", args)
    for path in ctx.paths:
        if path.is_root:
            raise ctx.refuse_root(path)
        for _, value in ctx.existing(path):
            for block in ctx.table(path).content(value):
                emit(block)


def _set_content(ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None,
                 emit: Emit) -> None:  # fmt: skip
    ctx = _Context(ev, "Set-Content", args)
    values = inputs if inputs is not None else as_list(args.get("Value"))
    # The content writer stores one block as itself, several as their list.
    value = values[0] if len(values) == 1 else list(values)
    for path in ctx.paths:
        if path.is_root:
            raise ctx.refuse_root(path)
        for name in ctx.targets(path):
            if not ctx.flag("WhatIf"):
                ctx.table(path).store(name, value)
        if ctx.flag("PassThru"):
            for written in values:
                emit(written)


def _set_item(ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None,
              emit: Emit) -> None:  # fmt: skip
    ctx = _Context(ev, "Set-Item", args)
    value = inputs[-1] if inputs else args.get("Value")
    for path in ctx.paths:
        if path.is_root:
            raise ctx.refuse_root(path)
        table = ctx.table(path)
        for name in ctx.targets(path):
            if ctx.flag("WhatIf"):
                continue
            stored = table.store(name, value)
            found = table.find(name)
            if ctx.flag("PassThru") and found is not None:
                emit(ctx.item(path, found[0], stored))


def _clear_item(ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None,
                emit: Emit) -> None:  # fmt: skip
    _each_existing(_Context(ev, "Clear-Item", args), lambda t, name: t.clear(name))


def _remove_item(ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None,
                 emit: Emit) -> None:  # fmt: skip
    _each_existing(_Context(ev, "Remove-Item", args), lambda t, name: t.remove(name))


def _each_existing(ctx: _Context, action: Callable[[ItemTable, str], None]) -> None:
    """``action`` on every item the paths name (not on a drive itself; not with -WhatIf)."""
    for path in ctx.paths:
        if path.is_root:
            raise ctx.refuse_root(path)
        for name, _ in ctx.existing(path):
            if not ctx.flag("WhatIf"):
                action(ctx.table(path), name)


def _new_item(ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None,
              emit: Emit) -> None:  # fmt: skip
    """``New-Item -Path Env:X -Value Y`` or ``New-Item -Path Env: -Name X -Value Y``."""
    ctx = _Context(ev, "New-Item", args)
    child = args.get("Name")
    value = inputs[-1] if inputs else args.get("Value")
    for path in ctx.paths:
        name = path.name if child is None else f"{path.name}\\{to_string(child)}".lstrip("\\")
        if name == "":
            raise ctx.refuse_root(path)
        if value is None:
            ev.write_error(
                _argument_error(
                    "New-Item",
                    "Value cannot be null.\r\nParameter name: value",
                    "NewItemValueNotSpecified",
                )
            )
            continue
        table = ctx.table(path)
        if table.find(name) is not None and not ctx.flag("Force"):
            ev.write_error(
                _argument_error("New-Item", f"The item at path '{name}' already exists.")
            )
            continue
        if ctx.flag("WhatIf"):
            continue
        stored = table.store(name, value)
        found = table.find(name)
        if found is not None:
            emit(ctx.item(path, found[0], stored))


def _paths_params(*extra: ParamSpec, path_mandatory: bool = False) -> tuple[ParamSpec, ...]:
    return (
        ParamSpec("Path", "string[]", mandatory=path_mandatory, position=0,
                  parameter_sets=("Path",), from_pipeline_by_property_name=True),
        ParamSpec("LiteralPath", "string[]", mandatory=True, aliases=("PSPath", "LP"),
                  parameter_sets=("LiteralPath",), from_pipeline_by_property_name=True),
        *extra,
    )  # fmt: skip


def _command(name: str, run: Any, *parameters: ParamSpec) -> Builtin:
    return Builtin(CmdletSpec(name, _command_type(name), parameters), run)


_WHAT_IF = (ParamSpec("WhatIf", "switch", aliases=("wi",)), ParamSpec("Confirm", "switch"))

COMMANDS: dict[str, Builtin] = {
    "test-path": _command(
        "Test-Path", _test_path,
        *_paths_params(ParamSpec("PathType", "string", aliases=("Type",)),
                       ParamSpec("IsValid", "switch"), path_mandatory=True),
    ),
    "get-item": _command(
        "Get-Item", _get_item, *_paths_params(ParamSpec("Force", "switch"), path_mandatory=True)
    ),
    "get-childitem": _command(
        "Get-ChildItem", _get_child_item,
        *_paths_params(ParamSpec("Name", "switch"), ParamSpec("Force", "switch"),
                       ParamSpec("Recurse", "switch", aliases=("s",))),
    ),
    "get-content": _command(
        # -Raw, -Encoding, -Wait are the FileSystem provider's dynamic parameters.
        "Get-Content", _get_content, *_paths_params(path_mandatory=True),
    ),
    "set-content": _command(
        "Set-Content", _set_content,
        *_paths_params(ParamSpec("Value", "object[]", mandatory=True, position=1,
                                 from_pipeline=True, allow_null=True,
                                 allow_empty_collection=True),
                       ParamSpec("PassThru", "switch"), ParamSpec("Force", "switch"),
                       *_WHAT_IF, path_mandatory=True),
    ),
    "set-item": _command(
        "Set-Item", _set_item,
        *_paths_params(ParamSpec("Value", "object", position=1, from_pipeline=True,
                                 from_pipeline_by_property_name=True),
                       ParamSpec("PassThru", "switch"), ParamSpec("Force", "switch"),
                       *_WHAT_IF, path_mandatory=True),
    ),
    "clear-item": _command(
        "Clear-Item", _clear_item,
        *_paths_params(ParamSpec("Force", "switch"), *_WHAT_IF, path_mandatory=True),
    ),
    "remove-item": _command(
        "Remove-Item", _remove_item,
        *_paths_params(ParamSpec("Recurse", "switch"), ParamSpec("Force", "switch"),
                       *_WHAT_IF, path_mandatory=True),
    ),
    "new-item": _command(
        "New-Item", _new_item,
        ParamSpec("Path", "string[]", mandatory=True, position=0,
                  from_pipeline_by_property_name=True),
        ParamSpec("Name", "string", from_pipeline_by_property_name=True),
        ParamSpec("ItemType", "string", aliases=("Type",), from_pipeline_by_property_name=True),
        ParamSpec("Value", "object", from_pipeline=True, from_pipeline_by_property_name=True),
        ParamSpec("Force", "switch"),
        *_WHAT_IF,
    ),
}  # fmt: skip
"""The item commands the ``Env:`` and ``Variable:`` drives answer themselves, by their
names (an alias such as ``gci`` or ``ri`` has been resolved before)."""

_TABLES = frozenset({"Environment", "Variable"})
"""The providers whose items the lab models (:mod:`session_state_tables`)."""

_ROOT_ONLY = frozenset({"test-path", "get-item"})
"""The commands the other session-state drives answer, at their roots."""


def may_name_session_state(arguments: Sequence[Argument], runspace: dict[str, Any]) -> bool:
    """Whether an item command's arguments may name a session-state path: one of its
    values is a drive- or provider-qualified one, or the location is such a drive's root
    (where a bare name is one). False lets the evaluator skip :func:`route`'s binding."""
    if session_state_location(runspace) is not None:
        return True
    for argument in arguments:
        values = argument.value if is_collection(argument.value) else (argument.value,)
        for value in values:
            if isinstance(value, str | PSObject) and names_session_state(to_string(value)):
                return True
    return False


def route(
    command: str, bound: PSHashtable, runspace: dict[str, Any]
) -> tuple[Builtin | None, str | None]:
    """Which implementation runs ``command`` with ``bound`` (bound with its
    :data:`COMMANDS` spec): ``(builtin, None)`` when every path it names is on a
    session-state drive this module answers, ``(None, refusal)`` when a path is on such
    a drive but the lab does not model the form (another drive's items, a listing of
    one, paths on two providers at once), ``(None, None)`` for the lab's own command (a
    FileSystem or Registry path)."""
    builtin = COMMANDS[command]
    location = session_state_location(runspace)
    raws, _ = _raw_paths(bound)
    if not raws and command == "get-childitem" and location is not None:
        raws = ["."]
    found = [session_state_path(raw, location) for raw in raws]
    on_drives = [path for path in found if path is not None]
    if not on_drives:
        return None, None
    name = builtin.spec.name
    if len(on_drives) != len(found):
        return None, f"{name} of paths on two providers at once ({', '.join(raws)})"
    for path in on_drives:
        if path.provider in _TABLES:
            continue
        if path.is_root and command in _ROOT_ONLY:
            continue
        typed = path.typed if ":" in path.typed else f"{path.typed} at {path.root.path}"
        return None, (
            f"{name} of {typed} (the {path.provider} provider's items: the lab's "
            "sessions do not have Windows' built-in functions and aliases)"
        )
    return builtin, None
