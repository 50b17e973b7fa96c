"""``Get-Module``: which PowerShell modules a simulated node has installed.

Every node of the lab has the FailoverClusters module (the RSAT-Clustering-PowerShell
feature a cluster node is managed with), version 2.0.0.0 as on Windows Server 2016 and
later (UNVERIFIED: not in ``shared/facts``; Get-Module's reference for 5.1 describes the
parameters and behaviour modelled here).

Windows' ``Get-Module`` without ``-ListAvailable`` lists the modules imported into the
session, and a module is imported when one of its commands first runs (autoloading) or
by ``Import-Module``: the lab lists those the runspace imported so (the evaluator
records them, ``Evaluator.module_imported``), by name. With ``-ListAvailable`` a name
that matches nothing gives no error, as on Windows, except the name (without
wildcards) of a module every Windows Server 2019 node has that the lab does not list
(:func:`.windows_commands.module_reason`: Storage, NetTCPIP, CimCmdlets, ...): that is
refused by name (:class:`~psrunbook.sim.ps.cmdlet_api.CommandRefused`, which no
``catch`` sees), since "nothing" would tell a script the node lacks it.
"""

from __future__ import annotations

from psrunbook.sim.lab import error_records
from psrunbook.sim.lab.cluster_model import fold
from psrunbook.sim.lab.cluster_objects import OBJ, props
from psrunbook.sim.lab.cmdlets.sim_cmdlet import SimCmdlet, flag, param, strings
from psrunbook.sim.lab.paths import has_wildcard, wildcard_match
from psrunbook.sim.lab.windows_commands import module_reason
from psrunbook.sim.objects import PSHashtable, PSObject
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletSpec, CommandRefused
from psrunbook.sim.ps.command_lookup import module_object as imported_module_object

MODULES_ROOT = "C:\\Windows\\system32\\WindowsPowerShell\\v1.0\\Modules"
INSTALLED_MODULES: tuple[tuple[str, str], ...] = (("FailoverClusters", "2.0.0.0"),)
"""(name, version) of every module a lab node lists with ``Get-Module -ListAvailable``."""


def module_object(name: str, version: str) -> PSObject:
    base = f"{MODULES_ROOT}\\{name}"
    return PSObject(
        ("System.Management.Automation.PSModuleInfo", OBJ),
        props(
            Name=name,
            Version=version,
            ModuleType="Manifest",
            ModuleBase=base,
            Path=f"{base}\\{name}.psd1",
        ),
        to_string=name,
    )


class GetModule(SimCmdlet):
    spec = CmdletSpec(
        "Get-Module",
        error_records.ps_type("GetModuleCommand"),
        (
            param("Name", "string[]", position=0, pipeline=True),
            param("ListAvailable", "switch", sets=("Available",)),
            param("All", "switch"),
            param("Refresh", "switch", sets=("Available",)),
        ),
    )

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        patterns = strings(args.get("Name")) or ["*"]
        if not flag(args, "ListAvailable"):
            # The session's modules, in name order (UNVERIFIED: the order of 5.1's list).
            for name in sorted(ctx.imported_modules, key=str.casefold):
                imported = imported_module_object(name)
                if imported is not None and any(wildcard_match(p, name) for p in patterns):
                    ctx.write_output(imported)
            return None
        for pattern in patterns:
            listed = any(fold(pattern) == fold(name) for name, _ in INSTALLED_MODULES)
            why = None if has_wildcard(pattern) or listed else module_reason(pattern)
            if why is not None:
                raise CommandRefused(f"Get-Module -ListAvailable of {pattern} ({why})")
        for name, version in INSTALLED_MODULES:
            if any(wildcard_match(pattern, name) for pattern in patterns):
                ctx.write_output(module_object(name, version))
        return None


MODULE_CMDLETS: tuple[type[SimCmdlet], ...] = (GetModule,)
