"""``Get-Location`` (``pwd``, ``gl``): the runspace's current FileSystem location
(registered in :data:`psrunbook.sim.ps.builtins.BUILTINS` on import).

The lab keeps one location per runspace and no location stack: ``powershell.exe`` run
by a WinRS cmd shell starts in the process's working directory (the shell's
``WorkingDirectory`` or, without one, the user's profile folder: pypsrp 0.9.1's
recorded ``test_winrs_extra_opts.yml`` answers ``(pwd).Path`` with ``C:\\Windows`` for
a shell created with that directory); a PSRP runspace starts in the user's Documents
folder (UNVERIFIED: as Windows PowerShell remoting sessions show it). ``Set-Location``
is not simulated, so the location never changes within a runspace; ``-PSProvider``,
``-PSDrive``, ``-Stack`` and ``-StackName`` are refused as unknown parameters. ``$PWD``
(the evaluator's ``read_variable``) and the relative paths of the lab's provider
cmdlets (``CmdletContext.location``) read the same location.
"""

from __future__ import annotations

from typing import Any

from psrunbook.sim.executor_protocol import RUNSPACE_LOCATION
from psrunbook.sim.objects import PSHashtable, PSObject
from psrunbook.sim.ps.builtins import BuiltinEvaluator, Emit, builtin

FILESYSTEM = "Microsoft.PowerShell.Core\\FileSystem"


def current_location(ev: BuiltinEvaluator) -> str:
    """The runspace's location: set by whoever started it, else the user's Documents."""
    found = ev.runspace.get(RUNSPACE_LOCATION)
    if isinstance(found, str):
        return found
    return f"{ev.get_environment('USERPROFILE') or ''}\\Documents"


def path_info(path: str) -> PSObject:
    """A ``System.Management.Automation.PathInfo`` for a FileSystem ``path``: ToString and
    ``Path`` the path, ``Drive`` a PSDriveInfo (ToString its name), ``Provider`` the
    FileSystem ProviderInfo (ToString ``Microsoft.PowerShell.Core\\FileSystem``). Only
    the members named here are modelled (their values as Windows names them; the other
    members of these .NET types are not)."""
    drive = path.split(":", 1)[0] if ":" in path else ""
    provider = PSObject(
        type_names=("System.Management.Automation.ProviderInfo", "System.Object"),
        properties=PSHashtable(
            [("Name", "FileSystem"), ("ModuleName", "Microsoft.PowerShell.Core")]
        ),
        to_string=FILESYSTEM,
    )
    drive_info = PSObject(
        type_names=("System.Management.Automation.PSDriveInfo", "System.Object"),
        properties=PSHashtable([("Name", drive), ("Root", f"{drive}:\\"), ("Provider", provider)]),
        to_string=drive,
    )
    return PSObject(
        type_names=("System.Management.Automation.PathInfo", "System.Object"),
        properties=PSHashtable(
            [("Drive", drive_info), ("Provider", provider), ("ProviderPath", path), ("Path", path)]
        ),
        to_string=path,
    )


@builtin("Get-Location")
def get_location(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """The current location as a PathInfo."""
    emit(path_info(current_location(ev)))
