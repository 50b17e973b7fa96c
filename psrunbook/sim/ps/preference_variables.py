"""The preference and engine variables a Windows PowerShell 5.1 session starts with.

A script that reads ``$ConfirmPreference`` got ``$null`` in the lab where Windows gives
``High``, and one that set ``$WhatIfPreference = $true`` or filled
``$PSDefaultParameterValues`` changed what Windows would have left alone. The values here
are about_Preference_Variables' defaults for 5.1 (MicrosoftDocs/PowerShell-Docs
``reference/5.1/Microsoft.PowerShell.Core/About/about_Preference_Variables.md``: its
table of variables and default values) and about_Automatic_Variables' (``$PSHOME``,
``$ShellId``, ``$NestedPromptLevel``). The lab keeps enumeration values as their names,
as it keeps ``$ErrorActionPreference``.

Some variables Windows gives a value in every session depend on what the lab does not
model (the client's locale for ``$PSCulture``, the console's encoding object for
``$OutputEncoding``, a ``PSSessionOption`` object): reading one before the script set it
is refused by name (:data:`UNMODELLED_VALUES`), never answered ``$null``.
"""

from __future__ import annotations

from typing import Any

from psrunbook.sim.objects import PSHashtable
from psrunbook.sim.ps.scope import Scope

SESSION_PREFERENCES: tuple[tuple[str, Any], ...] = (
    ("ConfirmPreference", "High"),
    ("WhatIfPreference", False),
    ("ErrorView", "NormalView"),
    ("FormatEnumerationLimit", 4),
    ("MaximumAliasCount", 4096),
    ("MaximumDriveCount", 4096),
    ("MaximumFunctionCount", 4096),
    ("MaximumHistoryCount", 4096),
    ("MaximumVariableCount", 4096),
    ("NestedPromptLevel", 0),
    ("PSEmailServer", None),
    ("PSSessionApplicationName", "wsman"),
    ("PSSessionConfigurationName", "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"),
    ("ShellId", "Microsoft.PowerShell"),
    ("PSHOME", "C:\\Windows\\System32\\WindowsPowerShell\\v1.0"),
)
"""Name and value of each preference and engine variable the lab sets as 5.1 does."""

UNMODELLED_VALUES = frozenset(
    name.casefold() for name in ("PSCulture", "PSUICulture", "OutputEncoding", "PSSessionOption")
)
"""Variables Windows sets in every session whose values the lab does not model."""

DEFAULT_ENUMERATION_LIMIT = 4
"""``$FormatEnumerationLimit``'s default, also what the formatter uses when the global
variable is not a whole number."""


def set_session_preferences(scope: Scope) -> None:
    """Give ``scope`` (a new runspace's global scope) the preference variables, and an
    empty ``$PSDefaultParameterValues`` of its own (scripts add keys to it)."""
    for name, value in SESSION_PREFERENCES:
        scope.set_local(name, value)
    scope.set_local("PSDefaultParameterValues", PSHashtable())


def enumeration_limit(global_scope: Scope) -> int:
    """How many elements of a collection a table cell or list value shows: the *global*
    ``$FormatEnumerationLimit`` when it is an int, else 4. Windows' formatter reads the
    global variable only (a script's or function's own ``$FormatEnumerationLimit`` has
    no effect: PowerShell/PowerShell#888, nightroman/PowerShellTraps "Local
    FormatEnumerationLimit is ignored") and falls back to the default for any other
    type; a negative limit shows every element."""
    found, value = global_scope.get("FormatEnumerationLimit")
    if found and isinstance(value, int) and not isinstance(value, bool):
        return value
    return DEFAULT_ENUMERATION_LIMIT
