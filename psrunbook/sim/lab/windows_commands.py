"""The commands every Windows Server 2019 cluster node has, so the lab can refuse by name
the ones it does not model.

Windows answers a name it does not know with CommandNotFoundException ("The term 'X' is
not recognized ..."), and a script may branch on that (``if (Get-Command X -ErrorAction
SilentlyContinue)``, ``catch [System.Management.Automation.CommandNotFoundException]``).
A node has far more commands than the lab models, so answering "not found" for one of
them would send such a script down a branch it never takes on Windows. The lab refuses
those names instead (:class:`UnmodelledCommands`, asked by the evaluator only after its
own lookup found nothing), and answers "not found" only for names Windows does not know
either.

The catalog is ``psrunbook/data/windows_commands.json``:

* ``modules``: the cmdlets (and CDXML or script functions) of the inbox modules, each
  list taken from Microsoft's module reference page:

  - Windows PowerShell 5.1 (``view=powershell-5.1``; source MicrosoftDocs/PowerShell-Docs
    ``reference/5.1/<Module>/<Module>.md``): Microsoft.PowerShell.Core, .Management,
    .Utility, .Security, .Diagnostics, .Host, .Archive, .LocalAccounts,
    Microsoft.WSMan.Management, CimCmdlets
    (https://learn.microsoft.com/powershell/module/microsoft.powershell.management/?view=powershell-5.1
    and the same address for each);
  - Windows Server 2019 (``view=windowsserver2019-ps``; source
    MicrosoftDocs/windows-powershell-docs ``docset/winserver2019-ps/<module>/<Module>.md``):
    FailoverClusters, Storage, NetTCPIP, NetAdapter, NetSecurity, NetLbfo, DnsClient,
    SmbShare, iSCSI, ScheduledTasks, PKI, Defender
    (https://learn.microsoft.com/powershell/module/storage/?view=windowsserver2019-ps and
    the same address for each);
  - ServerManager from the Windows Server 2022 page
    (https://learn.microsoft.com/powershell/module/servermanager/?view=windowsserver2022-ps;
    UNVERIFIED for 2019: its 2019 page was not found, its five cmdlets have 2019 pages).

* ``aliases`` and ``functions``: Windows PowerShell 5.1's built-in aliases and functions
  (``InitialSessionState.BuiltInAliases`` / ``BuiltInFunctions`` of its
  System.Management.Automation, read from a decompiled copy; UNVERIFIED against a live
  ``Get-Alias``). In 5.1 ``del``/``erase``/``rd``/``rmdir`` are aliases of Remove-Item,
  ``copy`` of Copy-Item, ``move`` of Move-Item, ``ren`` of Rename-Item, ``sc`` of
  Set-Content, ``where`` of Where-Object and ``md`` of the ``mkdir`` function (which calls
  New-Item): PowerShell finds them before any program, so they never reach ``sc.exe`` or
  ``where.exe``.
* ``module_aliases``: CimCmdlets' aliases (``gcim`` ...), from PowerShell/PowerShell's
  ``src/Modules/Windows/CimCmdlets/CimCmdlets.psd1`` (PowerShell 7's manifest of the same
  module; UNVERIFIED for 5.1), and ServerManager's Add-/Remove-WindowsFeature (UNVERIFIED).
* ``programs``: the console programs on the PATH that scripts call, from the Windows
  Commands reference
  (https://learn.microsoft.com/windows-server/administration/windows-commands/windows-commands;
  net, net1, w32tm, winrm and dism have pages of their own). The file names (``.exe``,
  ``tree.com``, ``winrm.cmd``) are UNVERIFIED against a node's System32. PowerShell finds
  a program with or without its extension, after aliases, functions and cmdlets.
* ``cmd_internal``: cmd.exe's internal commands (``mklink``, ``ver``, ``copy`` ...), which
  exist only inside cmd.exe: PowerShell does not know them (``mklink`` there is
  CommandNotFoundException on Windows too), so they are not PowerShell commands here;
  :func:`cmd_commands` gives them with the programs, for the lab's cmd.exe.

A module or list is included only where its page was found; a command of a module not
listed here is still "not found" in the lab (UNVERIFIED: a node may have more modules).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

import msgspec

CommandKind = Literal["cmdlet", "function", "alias", "program"]

_SYSTEM32 = "c:\\windows\\system32"
_PROGRAM_EXTENSIONS = (".exe", ".com", ".cmd")
_UNMODELLED = "the simulator does not model it"


class WindowsCommand(msgspec.Struct, frozen=True):
    """One command of a Windows Server 2019 node as PowerShell resolves it."""

    name: str
    """As Windows spells it; a program's file name (``netstat.exe``)."""
    kind: CommandKind
    module: str = ""
    """The module of a cmdlet or module function."""
    target: str = ""
    """What an alias resolves to, or the command a built-in function calls."""


@cache
def _document() -> Mapping[str, Any]:
    raw = resources.files("psrunbook").joinpath("data", "windows_commands.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(raw)
    return document


def _bare(program: str) -> str:
    for extension in _PROGRAM_EXTENSIONS:
        if program.casefold().endswith(extension):
            return program[: -len(extension)]
    return program


@cache
def powershell_commands() -> Mapping[str, WindowsCommand]:
    """Every command name PowerShell resolves on a node, folded, to what it finds first
    (about_Command_Precedence: alias, function, cmdlet, then a program on the PATH; a
    program also by its file name)."""
    doc = _document()
    found: dict[str, WindowsCommand] = {}
    for alias, target in {**doc["aliases"], **doc["module_aliases"]}.items():
        found.setdefault(alias.casefold(), WindowsCommand(alias, "alias", target=target))
    for function, calls in doc["functions"].items():
        found.setdefault(function.casefold(), WindowsCommand(function, "function", target=calls))
    for module, page in doc["modules"].items():
        for name in page["commands"]:
            found.setdefault(name.casefold(), WindowsCommand(name, "cmdlet", module=module))
    for program in doc["programs"]:
        command = WindowsCommand(program, "program")
        found.setdefault(program.casefold(), command)
        found.setdefault(_bare(program).casefold(), command)
    return found


_CORE_SNAP_IN = "microsoft.powershell.core"
"""A snap-in, no module file: ``Import-Module`` of it is Windows' own Modules_ModuleNotFound."""


@cache
def module_reason(name: str) -> str | None:
    """Why Import-Module / Get-Module of ``name`` is refused: a module of the catalog every
    Windows Server 2019 node has, which the caller found it does not model (Import-Module
    loads the lab's modules and Get-Module lists them before asking); None for any other
    name (one Windows does not have either is its own "not found")."""
    key = name.casefold()
    if key == _CORE_SNAP_IN:
        return None
    module = next((m for m in _document()["modules"] if m.casefold() == key), None)
    if module is None:
        return None
    return f"the module {module} every Windows Server 2019 node has; {_UNMODELLED}"


@cache
def cmd_commands() -> frozenset[str]:
    """The folded names cmd.exe runs on a node: its internal commands and the programs
    (bare and with their extension), for refusing the ones the lab's cmd does not model."""
    doc = _document()
    names = {name.casefold() for name in doc["cmd_internal"]}
    for program in doc["programs"]:
        names.update((program.casefold(), _bare(program).casefold()))
    return frozenset(names)


class UnmodelledCommands:
    """The PowerShell commands of the catalog that a lab node does not model, and why.

    Built from the names the node does model (its command table, the language's
    built-ins and aliases, the programs every node has), which are left out: a command
    the lab runs is never refused. The evaluator asks :meth:`reason` only after its own
    lookup found nothing, so a node's table may still provide any of these names.
    """

    def __init__(self, modelled: Iterable[str]) -> None:
        folded = {name.casefold() for name in modelled}
        self._modelled = frozenset(folded | {_bare(name) for name in folded})
        self._refused = {
            key: command
            for key, command in powershell_commands().items()
            if not self._is_modelled(key, command)
        }

    def _is_modelled(self, key: str, command: WindowsCommand) -> bool:
        if key in self._modelled:
            return True
        return command.kind == "program" and _bare(command.name).casefold() in self._modelled

    def names(self) -> frozenset[str]:
        """The folded names refused."""
        return frozenset(self._refused)

    def alias_target(self, name: str) -> str | None:
        """The command ``name`` stands for when it is one of Windows PowerShell 5.1's
        aliases (``gwmi``, ``gps``, ``gcim``) of a command this node models; None
        otherwise. PowerShell resolves an alias before a cmdlet (about_Command_Precedence),
        so such a call runs the command; an alias of a command the lab does not model
        stays refused by :meth:`reason`."""
        command = self._refused.get(name.casefold())
        if command is None or command.kind != "alias":
            return None
        return command.target if command.target.casefold() in self._modelled else None

    def reason(self, name: str) -> str | None:
        """Why ``name`` is refused (a Windows command the lab does not model), or None
        when Windows does not know it either or the lab models it. A program may be
        named by its path in ``C:\\Windows\\System32``."""
        key = name.casefold()
        directory, _, file_name = key.rpartition("\\")
        if directory:
            if directory != _SYSTEM32:
                return None
            command = self._refused.get(file_name)
            return None if command is None or command.kind != "program" else self._why(command)
        command = self._refused.get(key)
        if command is None or self.alias_target(key) is not None:
            return None  # an alias of a command the node has is resolved, not refused
        return self._why(command)

    def _why(self, command: WindowsCommand) -> str:
        if command.kind == "program":
            return f"the program {command.name} every Windows Server 2019 node has; {_UNMODELLED}"
        if command.kind == "cmdlet":
            return f"a {command.module} command every Windows Server 2019 node has; {_UNMODELLED}"
        if command.kind == "function":
            calls = f" (it calls {command.target})" if command.target else ""
            return f"a built-in function of Windows PowerShell 5.1{calls}; {_UNMODELLED}"
        return f"Windows PowerShell 5.1's alias of {command.target}; {_UNMODELLED}"
