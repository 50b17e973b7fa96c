"""What the ``Env:`` and ``Variable:`` drives hold, as their providers read and write it.

Both providers derive from SessionStateProviderBase (PowerShell's source): the item
commands ask a table for one item by name, for all of them, to store a value, to clear
one and to remove one, and the table makes the item object. The Environment provider's
table is the runspace's environment (the one ``$env:`` reads); the Variable provider's
the runspace's variables as seen from the running scope (the one ``$x`` reads).

The lab's sessions have only some of the variables Windows PowerShell creates in every
session (preference, automatic and engine variables: :data:`WINDOWS_VARIABLES`), so a
variable of that set the lab lacks, a listing of the drive, and a write to one of
those variables (most are constant or read-only on Windows) are refused by name: the
answer "there is no such variable" could be wrong there. A name outside that set is
one only a script can make, and is answered from the lab's scopes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from psrunbook.sim.objects import PSHashtable, PSObject, provider_info
from psrunbook.sim.ps.builtins import BuiltinEvaluator, psvariable
from psrunbook.sim.ps.provider_roots import ProviderRoot, drive_info
from psrunbook.sim.ps.scope import Scope
from psrunbook.sim.ps.session_state_paths import SessionStatePath
from psrunbook.sim.ps.values import is_collection, to_string

Refuse = Callable[[str], Exception]
"""Makes the script's refusal of a form the lab does not model, to raise."""

WINDOWS_VARIABLES = frozenset(name.casefold() for name in (
    "$", "?", "^", "_", "args", "ConfirmPreference", "ConsoleFileName",
    "CurrentlyExecutingCommand", "DebugPreference", "EnabledExperimentalFeatures", "Error",
    "ErrorActionPreference", "ErrorView", "Event", "EventArgs", "EventSubscriber",
    "ExecutionContext", "false", "foreach", "FormatEnumerationLimit", "HOME", "Host",
    "InformationPreference", "input", "IsCoreCLR", "IsLinux", "IsMacOS", "IsWindows",
    "LASTEXITCODE", "LogCommandHealthEvent", "LogCommandLifecycleEvent",
    "LogEngineHealthEvent", "LogEngineLifecycleEvent", "LogProviderHealthEvent",
    "LogProviderLifecycleEvent", "LogSettingsEvent", "Matches", "MaximumAliasCount",
    "MaximumDriveCount", "MaximumErrorCount", "MaximumFunctionCount", "MaximumHistoryCount",
    "MaximumVariableCount", "MyInvocation", "NestedPromptLevel", "null", "OFS",
    "OutputEncoding", "PID", "PROFILE", "ProgressPreference", "PSApplicationPrivateData",
    "PSBoundParameters", "PSCmdlet", "PSCommandPath", "PSCulture", "PSDebugContext",
    "PSDefaultParameterValues", "PSEdition", "PSEmailServer", "PSHOME", "PSItem",
    "PSLogUserData", "PSModuleAutoLoadingPreference", "PSNativeCommandArgumentPassing",
    "PSNativeCommandUseErrorActionPreference", "PSScriptRoot", "PSSenderInfo",
    "PSSessionApplicationName", "PSSessionConfigurationName", "PSSessionOption", "PSStyle",
    "PSUICulture", "PSVersionTable", "PWD", "Sender", "ShellId", "SourceArgs",
    "SourceEventArgs", "StackTrace", "switch", "this", "true", "VerboseHelpErrors",
    "VerbosePreference", "WarningPreference", "WhatIfPreference",
))  # fmt: skip
"""Every variable Windows PowerShell (or PowerShell 7, a superset kept for safety) makes
itself in a session or while running a command: SpecialVariables and the session's
built-in variables in PowerShell's source, the remoting ones (``PSSenderInfo``,
``PSApplicationPrivateData``), the event ones, ``$PROFILE`` and the platform flags."""


class ItemTable(Protocol):
    """One session-state provider's items, as the item commands use them."""

    provider: str

    def find(self, name: str) -> tuple[str, Any] | None:
        """``(the item's name, its value)``, or None when there is none."""

    def listing(self) -> list[tuple[str, Any]]:
        """Every item, sorted by name without regard to case (GetChildItems sorts)."""

    def store(self, name: str, value: Any) -> Any:
        """Set ``name`` to what the provider makes of ``value``; returns what it stored
        (None when the item is gone)."""

    def clear(self, name: str) -> None:
        """``Clear-Item``: what SessionStateProviderBase.ClearItem does (set to null)."""

    def remove(self, name: str) -> None: ...

    def item(self, path: SessionStatePath, name: str, value: Any, ps_name: str) -> PSObject:
        """The item object the provider writes for ``name``, with its note properties
        (PSPath from ``ps_name``: the provider path the command resolved, the name as
        given unless a wildcard matched it)."""

    def content(self, value: Any) -> list[Any]:
        """What ``Get-Content`` writes for an item's value: the content reader returns a
        list value as its elements, any other value as one block."""


def _notes(path: SessionStatePath, name: str) -> list[tuple[str, Any]]:
    """The note properties a container provider's WriteItemObject adds (no PSParentPath
    or PSChildName); PSDrive is ``$null`` for a provider-qualified path."""
    return [
        ("PSPath", path.item_path(name)),
        ("PSDrive", drive_info(ProviderRoot(path.provider, path.drive))),
        ("PSProvider", provider_info(path.provider)),
        ("PSIsContainer", False),
    ]


def _sorted(items: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return sorted(items, key=lambda item: item[0].casefold())


def _text(value: Any) -> str | None:
    """What the Environment provider stores for ``value``: a DictionaryEntry's value, a
    string as it is, anything else by its ToString (a list's items joined by spaces, as
    PSObject's ToString joins them: UNVERIFIED); ``$null`` and an empty string remove the
    variable (``Environment.SetEnvironmentVariable``)."""
    if isinstance(value, PSObject) and "System.Collections.DictionaryEntry" in value.type_names:
        value = value.properties.get("Value")
    if value is None:
        return None
    text = " ".join(to_string(v) for v in value) if is_collection(value) else to_string(value)
    return text or None


class EnvironmentTable:
    """The Environment provider's table: the runspace's environment variables."""

    provider = "Environment"

    def __init__(self, ev: BuiltinEvaluator) -> None:
        self._ev = ev

    def find(self, name: str) -> tuple[str, Any] | None:
        """The name as given: GetSessionStateItem builds the entry from it."""
        value = self._ev.get_environment(name)
        return None if value is None else (name, value)

    def listing(self) -> list[tuple[str, Any]]:
        return _sorted(list(self._ev.environment_variables()))

    def store(self, name: str, value: Any) -> Any:
        text = _text(value)
        self._ev.set_environment(name, text)
        return text

    def clear(self, name: str) -> None:
        self._ev.set_environment(name, None)

    def remove(self, name: str) -> None:
        self._ev.set_environment(name, None)

    def item(self, path: SessionStatePath, name: str, value: Any, ps_name: str) -> PSObject:
        """A DictionaryEntry: ``Name`` (PowerShell's alias of ``Key``), ``Key``, ``Value``."""
        return PSObject(
            type_names=("System.Collections.DictionaryEntry", "System.ValueType",
                        "System.Object"),
            properties=PSHashtable(
                [*_notes(path, ps_name), ("Name", name), ("Key", name), ("Value", value)]
            ),
            to_string="System.Collections.DictionaryEntry",
        )  # fmt: skip

    def content(self, value: Any) -> list[Any]:
        return [value]


class VariableTable:
    """The Variable provider's table: the variables the running scope sees.

    A name may carry a scope (``Variable:global:x``, ``script:``, ``local:``,
    ``private:``), as PowerShell's VariablePath reads it; any other qualifier is refused.
    """

    provider = "Variable"

    def __init__(self, ev: BuiltinEvaluator, refuse: Refuse) -> None:
        self._ev = ev
        self._refuse = refuse

    def _scoped(self, name: str) -> tuple[Scope, bool, str]:
        """The scope to look in, whether its parents count, and the bare name."""
        qualifier, _, bare = name.rpartition(":")
        if not qualifier:
            return self._ev.scope, True, name
        where = qualifier.casefold()
        if where == "global":
            return self._ev.global_scope, False, bare
        if where == "script":
            return self._ev.script_scope, False, bare
        if where in ("local", "private"):
            return self._ev.scope, False, bare
        raise self._refuse(f"the variable path {name} (a qualifier other than a scope)")

    def _windows_own(self, bare: str, what: str) -> None:
        if bare.casefold() in WINDOWS_VARIABLES:
            raise self._refuse(
                f"{what} of the variable {bare} (one Windows PowerShell makes itself; the "
                "lab's sessions do not have all of them)"
            )

    def _owner(self, name: str) -> tuple[Scope | None, str]:
        scope, inherited, bare = self._scoped(name)
        if not inherited:
            return (scope if bare.casefold() in scope.variables else None), bare
        return scope.find(bare), bare

    def find(self, name: str) -> tuple[str, Any] | None:
        """The variable's own name and value; a Windows variable the lab lacks refused."""
        owner, bare = self._owner(name)
        if owner is None:
            self._windows_own(bare, "the item")
            return None
        return owner.variables[bare.casefold()]

    def listing(self) -> list[tuple[str, Any]]:
        raise self._refuse(
            "a listing of the Variable: drive (the lab's sessions do not have all of "
            "Windows PowerShell's own variables)"
        )

    def store(self, name: str, value: Any) -> Any:
        """In the running scope, or the one the name's qualifier says, as PowerShell's
        SetVariable does for a variable path (``Set-Variable`` without ``-Scope`` too)."""
        scope, _, bare = self._scoped(name)
        self._windows_own(bare, "a write")
        scope.set_local(bare, value)
        return value

    def clear(self, name: str) -> None:
        self.store(name, None)

    def remove(self, name: str) -> None:
        owner, bare = self._owner(name)
        self._windows_own(bare, "a removal")
        if owner is not None:
            owner.variables.pop(bare.casefold(), None)

    def item(self, path: SessionStatePath, name: str, value: Any, ps_name: str) -> PSObject:
        """A PSVariable (:func:`builtins.psvariable`) with the provider's notes first."""
        variable = psvariable(name, value)
        return PSObject(
            type_names=variable.type_names,
            properties=PSHashtable([*_notes(path, ps_name), *variable.properties.items()]),
            to_string=variable.to_string,
        )

    def content(self, value: Any) -> list[Any]:
        return list(value) if is_collection(value) else [value]


def table_for(provider: str, ev: BuiltinEvaluator, refuse: Refuse) -> ItemTable:
    """The table of ``provider`` (Environment or Variable)."""
    if provider == EnvironmentTable.provider:
        return EnvironmentTable(ev)
    return VariableTable(ev, refuse)
