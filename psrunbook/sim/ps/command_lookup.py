"""The commands a node has, as PowerShell's CommandInfo objects (what Get-Command lists).

Windows PowerShell 5.1 finds a command by name in a fixed order (about_Command_
Precedence): alias, function, cmdlet, then an external program on the PATH. The lab's
commands are the language's built-ins (:mod:`.builtins`), the node's own cmdlets and
programs from the cluster model (``EvaluatorApi.node_commands``), the native programs
every node has (:mod:`.natives`), the built-in aliases, and the functions the session
defines. Each becomes the object Windows returns for it, with its type names (so it
serialises as a ``CmdletInfo``, ``FunctionInfo``, ``AliasInfo`` or ``ApplicationInfo``):

- the module a cmdlet comes from (:data:`MODULE_OF_COMMAND`, as ``Get-Command`` on Windows
  PowerShell 5.1 shows it; the cluster cmdlets come from FailoverClusters, the CIM ones
  from CimCmdlets), with ``Source``/``ModuleName``/``Namespace`` its name and ``Module``
  its PSModuleInfo (None for Microsoft.PowerShell.Core, a snap-in);
- ``Parameters``: name -> ParameterMetadata (Name, ParameterType, Aliases, IsDynamic,
  SwitchParameter, the properties pypsrp 0.9.1's recorded
  ``test_psrp_get_command_metadata.yml`` shows Windows sending), from the lab's own
  parameter specs, with the eleven common parameters after a cmdlet's or an advanced
  function's own, in Windows' order (same recording, ``New-Guid``);
- ``Namespace`` is the module name, ``ResolvedCommandName`` an alias's target, as in the
  same recording (types.ps1xml's members of CommandInfo/AliasInfo).

UNVERIFIED (not in any recording): ``HelpUri`` (the lab knows no help links: empty),
``OutputType`` (empty), ``Definition`` of a cmdlet (its syntax line built from the lab's
parameters, one parameter set), ``WhatIf``/``Confirm`` (never listed: the lab does not
know which cmdlets support ShouldProcess), the versions of the modules, the file names
of the programs (``C:\\Windows\\system32\\<name>.exe``).
"""

from __future__ import annotations

from typing import Any

import msgspec

from psrunbook.sim.objects import PSEnum, PSHashtable, PSObject, PSVersionValue
from psrunbook.sim.ps.cmdlet_api import CmdletSpec, ParamSpec

_AUTOMATION = "System.Management.Automation."
_OBJ = "System.Object"
MODULES_ROOT = "C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\Modules"
SYSTEM32 = "C:\\Windows\\system32"
CORE = "Microsoft.PowerShell.Core"

COMMAND_TYPES = {
    "Alias": 1,
    "Function": 2,
    "Filter": 4,
    "Cmdlet": 8,
    "ExternalScript": 16,
    "Application": 32,
    "Script": 64,
    "Workflow": 128,
    "Configuration": 256,
    "All": 511,
}
"""``System.Management.Automation.CommandTypes`` of Windows PowerShell 5.1."""


class ModuleInfo(msgspec.Struct, frozen=True):
    """A module the lab's commands come from: name, version and manifest type."""

    name: str
    version: PSVersionValue
    module_type: str = "Manifest"


MODULES = {
    m.name.casefold(): m
    for m in (
        ModuleInfo(CORE, PSVersionValue(3, 0, 0, 0), "Binary"),
        ModuleInfo("Microsoft.PowerShell.Utility", PSVersionValue(3, 1, 0, 0)),
        ModuleInfo("Microsoft.PowerShell.Management", PSVersionValue(3, 1, 0, 0)),
        ModuleInfo("Microsoft.PowerShell.Security", PSVersionValue(3, 0, 0, 0)),
        ModuleInfo("CimCmdlets", PSVersionValue(1, 0, 0, 0)),
        # The version lab.cmdlets.modules lists with Get-Module -ListAvailable.
        ModuleInfo("FailoverClusters", PSVersionValue(2, 0, 0, 0)),
    )
}

_CORE = (
    "ForEach-Object Where-Object Get-Command Get-History Set-StrictMode Import-Module "
    "Get-Module Out-Null Out-Host Out-Default"
)
_SECURITY = "ConvertTo-SecureString Get-Acl Set-Acl"
_MANAGEMENT = (
    "Add-Content Join-Path Split-Path Get-Location Set-Location Copy-Item Get-ChildItem "
    "Resolve-Path Convert-Path "
    "Get-Content Get-Item Get-ItemProperty Get-ItemPropertyValue Get-Process Get-Service "
    "Get-WmiObject New-Item New-ItemProperty Remove-Item Remove-ItemProperty "
    "Restart-Service Set-Content Set-ItemProperty Set-Service Start-Service Stop-Service "
    "Test-Connection Test-Path"
)
_UTILITY = (
    "Add-Member ConvertFrom-Json ConvertTo-Json Format-List Format-Table Format-Wide Get-Date "
    "Get-Event Get-EventSubscriber Get-FileHash Get-Member Get-Random Get-Variable Group-Object "
    "Invoke-Expression "
    "Measure-Command Measure-Object New-Event New-Guid New-Object New-TimeSpan Out-String "
    "Register-EngineEvent Remove-Event "
    "Remove-Variable Select-Object Set-Variable Sort-Object Start-Sleep Unregister-Event "
    "Write-Debug Write-Error Write-Host Write-Information Write-Output Write-Progress "
    "Write-Verbose Write-Warning Read-Host Get-Host"
)
MODULE_OF_COMMAND = {
    name.casefold(): module
    for module, names in (
        (CORE, _CORE),
        ("Microsoft.PowerShell.Security", _SECURITY),
        ("Microsoft.PowerShell.Management", _MANAGEMENT),
        ("Microsoft.PowerShell.Utility", _UTILITY),
    )
    for name in names.split()
}
"""The module of each Microsoft.PowerShell.Commands cmdlet the lab has, as Windows
PowerShell 5.1's ``(Get-Command X).Source`` names it."""

_NAMESPACE_MODULES = (
    ("Microsoft.FailoverClusters.PowerShell.", "FailoverClusters"),
    ("Microsoft.Management.Infrastructure.CimCmdlets.", "CimCmdlets"),
)

COMMON_PARAMETERS = (
    ("Verbose", "System.Management.Automation.SwitchParameter", "vb"),
    ("Debug", "System.Management.Automation.SwitchParameter", "db"),
    ("ErrorAction", "System.Management.Automation.ActionPreference", "ea"),
    ("WarningAction", "System.Management.Automation.ActionPreference", "wa"),
    ("InformationAction", "System.Management.Automation.ActionPreference", "infa"),
    ("ErrorVariable", "System.String", "ev"),
    ("WarningVariable", "System.String", "wv"),
    ("InformationVariable", "System.String", "iv"),
    ("OutVariable", "System.String", "ov"),
    ("OutBuffer", "System.Int32", "ob"),
    ("PipelineVariable", "System.String", "pv"),
)
"""The common parameters in the order Windows lists them (recording, ``New-Guid``)."""

_PARAMETER_TYPES = {
    "string": "System.String",
    "string[]": "System.String[]",
    "int": "System.Int32",
    "int[]": "System.Int32[]",
    "uint32": "System.UInt32",
    "long": "System.Int64",
    "double": "System.Double",
    "bool": "System.Boolean",
    "switch": "System.Management.Automation.SwitchParameter",
    "psobject": "System.Management.Automation.PSObject",
    "psobject[]": "System.Management.Automation.PSObject[]",
    "object": "System.Object",
    "object[]": "System.Object[]",
    "hashtable": "System.Collections.Hashtable",
    "scriptblock": "System.Management.Automation.ScriptBlock",
    "guid": "System.Guid",
    "securestring": "System.Security.SecureString",
    "pscredential": "System.Management.Automation.PSCredential",
}


def parameter_type(spec: ParamSpec) -> str:
    """The .NET type name of a lab parameter type (a full name stays as it is)."""
    return _PARAMETER_TYPES.get(spec.type.casefold(), spec.type)


def module_of(spec: CmdletSpec) -> str:
    """The module a cmdlet comes from; "" when the lab cannot say (UNVERIFIED)."""
    for namespace, module in _NAMESPACE_MODULES:
        if spec.implementing_type.startswith(namespace):
            return module
    return MODULE_OF_COMMAND.get(spec.name.casefold(), "")


def module_object(name: str) -> PSObject | None:
    """``CommandInfo.Module``: the PSModuleInfo, None for the Core snap-in or no module."""
    info = MODULES.get(name.casefold())
    if info is None or info.name == CORE:
        return None
    base = f"{MODULES_ROOT}\\{info.name}"
    return PSObject(
        (f"{_AUTOMATION}PSModuleInfo", _OBJ),
        PSHashtable(
            [
                ("Name", info.name),
                ("Version", info.version),
                ("ModuleType", info.module_type),
                ("ModuleBase", base),
                ("Path", f"{base}\\{info.name}.psd1"),
            ]
        ),
        to_string=info.name,
    )


def _enum(type_name: str, name: str, value: int) -> PSEnum:
    return PSEnum(f"{_AUTOMATION}{type_name}", name, value)


def _parameter_metadata(name: str, type_name: str, aliases: tuple[str, ...]) -> PSObject:
    return PSObject(
        (f"{_AUTOMATION}ParameterMetadata", _OBJ),
        PSHashtable(
            [
                ("Name", name),
                ("ParameterType", type_name),
                ("Aliases", list(aliases)),
                ("IsDynamic", False),
                ("SwitchParameter", type_name.endswith("SwitchParameter")),
            ]
        ),
        to_string=f"{_AUTOMATION}ParameterMetadata",
    )


def parameters_table(parameters: tuple[ParamSpec, ...], *, common: bool) -> PSHashtable:
    """``CommandInfo.Parameters``: the command's own parameters, then the common ones."""
    table = PSHashtable(
        (p.name, _parameter_metadata(p.name, parameter_type(p), p.aliases)) for p in parameters
    )
    if common:
        for name, type_name, alias in COMMON_PARAMETERS:
            table[name] = _parameter_metadata(name, type_name, (alias,))
    return table


def _short_type(spec: ParamSpec) -> str:
    """The type as a syntax line names it: the lab's accelerator name (``string[]``,
    ``int``, ``psobject``) where it has one, else the class name (``StringCollection``)."""
    if spec.type.casefold() in _PARAMETER_TYPES:
        return spec.type.lower()
    return parameter_type(spec).rsplit(".", 1)[-1]


def syntax(name: str, parameters: tuple[ParamSpec, ...], *, common: bool) -> str:
    """A command's syntax line as Get-Command's Definition shows it (one parameter set,
    UNVERIFIED for a cmdlet with several)."""
    parts = [name]
    for p in sorted(parameters, key=lambda p: (p.position is None, p.position or 0)):
        if p.type.casefold() == "switch":
            parts.append(f"[-{p.name}]")
            continue
        name_part = f"-{p.name}" if p.position is None else f"[-{p.name}]"
        text = f"{name_part} <{_short_type(p)}>"
        parts.append(text if p.mandatory else f"[{text}]")
    if common:
        parts.append("[<CommonParameters>]")
    return "\r\n" + " ".join(parts) + "\r\n"


def cmdlet_info(spec: CmdletSpec) -> PSObject:
    """A CmdletInfo for a built-in or a node's cmdlet."""
    module = module_of(spec)
    info = MODULES.get(module.casefold())
    verb, _, noun = spec.name.partition("-")
    return PSObject(
        (f"{_AUTOMATION}CmdletInfo", f"{_AUTOMATION}CommandInfo", _OBJ),
        PSHashtable(
            [
                ("HelpUri", ""),
                ("Verb", verb),
                ("Noun", noun),
                ("Version", info.version if info is not None else None),
                ("ImplementingType", spec.implementing_type),
                ("Definition", syntax(spec.name, spec.parameters, common=True)),
                ("DefaultParameterSet", None),
                ("OutputType", []),
                ("Options", "ReadOnly"),
                ("Name", spec.name),
                ("CommandType", _enum("CommandTypes", "Cmdlet", 8)),
                ("Source", module),
                ("Visibility", _enum("SessionStateEntryVisibility", "Public", 0)),
                ("ModuleName", module),
                ("Module", module_object(module)),
                ("RemotingCapability", _enum("RemotingCapability", "PowerShell", 1)),
                ("Parameters", parameters_table(spec.parameters, common=True)),
                ("Namespace", module),
            ]
        ),
        to_string=spec.name,
    )


def function_info(
    name: str,
    definition: str,
    parameters: tuple[ParamSpec, ...],
    *,
    advanced: bool,
    is_filter: bool = False,
) -> PSObject:
    """A FunctionInfo (a FilterInfo for a ``filter``) for a function the session defined."""
    verb, _, noun = name.partition("-") if "-" in name else ("", "", "")
    kind = ("FilterInfo", "Filter", 4) if is_filter else ("FunctionInfo", "Function", 2)
    type_names: tuple[str, ...] = (f"{_AUTOMATION}{kind[0]}",)
    if is_filter:
        type_names += (f"{_AUTOMATION}FunctionInfo",)
    return PSObject(
        (*type_names, f"{_AUTOMATION}CommandInfo", _OBJ),
        PSHashtable(
            [
                ("HelpUri", ""),
                ("Verb", verb),
                ("Noun", noun),
                ("Version", None),
                ("CmdletBinding", advanced),
                ("Definition", definition),
                ("Options", "None"),
                ("Description", ""),
                ("OutputType", []),
                ("Name", name),
                ("CommandType", _enum("CommandTypes", kind[1], kind[2])),
                ("Source", ""),
                ("Visibility", _enum("SessionStateEntryVisibility", "Public", 0)),
                ("ModuleName", ""),
                ("Module", None),
                ("RemotingCapability", _enum("RemotingCapability", "PowerShell", 1)),
                ("Parameters", parameters_table(parameters, common=advanced)),
                ("Namespace", ""),
            ]
        ),
        to_string=name,
    )


def alias_info(name: str, target: PSObject | None, target_name: str) -> PSObject:
    """An AliasInfo for one of the session's built-in aliases (no module)."""
    return PSObject(
        (f"{_AUTOMATION}AliasInfo", f"{_AUTOMATION}CommandInfo", _OBJ),
        PSHashtable(
            [
                ("HelpUri", ""),
                ("ResolvedCommandName", target_name),
                ("DisplayName", f"{name} -> {target_name}"),
                ("ReferencedCommand", target),
                ("ResolvedCommand", target),
                ("Definition", target_name),
                ("Options", "ReadOnly, AllScope"),
                ("Description", ""),
                ("OutputType", []),
                ("Name", name),
                ("CommandType", _enum("CommandTypes", "Alias", 1)),
                ("Source", ""),
                ("Version", None),
                ("Visibility", _enum("SessionStateEntryVisibility", "Public", 0)),
                ("ModuleName", ""),
                ("Module", None),
                ("RemotingCapability", _enum("RemotingCapability", "PowerShell", 1)),
                ("Parameters", None if target is None else target.properties["Parameters"]),
                ("Namespace", ""),
            ]
        ),
        to_string=name,
    )


def application_name(program: str) -> str:
    """The program's file name: ``<name>.exe`` (UNVERIFIED: the case on disk)."""
    return program if program.casefold().endswith(".exe") else f"{program}.exe"


def application_info(program: str) -> PSObject:
    """An ApplicationInfo for a program in ``C:\\Windows\\system32``."""
    file_name = application_name(program)
    path = f"{SYSTEM32}\\{file_name}"
    return PSObject(
        (f"{_AUTOMATION}ApplicationInfo", f"{_AUTOMATION}CommandInfo", _OBJ),
        PSHashtable(
            [
                ("Path", path),
                ("Extension", ".exe"),
                ("Definition", path),
                ("Source", path),
                ("Version", None),
                ("Visibility", _enum("SessionStateEntryVisibility", "Public", 0)),
                ("OutputType", ["System.String"]),
                ("Name", file_name),
                ("CommandType", _enum("CommandTypes", "Application", 32)),
                ("ModuleName", ""),
                ("Module", None),
                ("RemotingCapability", _enum("RemotingCapability", "PowerShell", 1)),
                ("Parameters", None),
                ("Namespace", ""),
            ]
        ),
        to_string=file_name,
    )


def command_type_mask(value: Any) -> int:
    """``-CommandType``: an enum, a name (``"Cmdlet, Function"``), a number or an array
    of them, as the bit mask of CommandTypes; raises ValueError for an unknown name."""
    if value is None:
        return 0
    if isinstance(value, PSEnum):
        return int(value.value)
    if isinstance(value, bool):
        raise ValueError(str(value))
    if isinstance(value, int):
        return value
    if isinstance(value, list | tuple):
        mask = 0
        for item in value:
            mask |= command_type_mask(item)
        return mask
    mask = 0
    for part in str(value).split(","):
        key = part.strip()
        found = next(
            (bit for n, bit in COMMAND_TYPES.items() if n.casefold() == key.casefold()), None
        )
        if found is None:
            raise ValueError(key)
        mask |= found
    return mask
