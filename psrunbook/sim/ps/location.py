"""``Get-Location`` (``pwd``, ``gl``): the runspace's current FileSystem location
(registered in :data:`psrunbook.sim.ps.builtins.BUILTINS` on import).

The lab keeps one location per runspace and no location stack: ``powershell.exe`` run
by a WinRS cmd shell starts in the process's working directory (the shell's
``WorkingDirectory`` or, without one, the user's profile folder: pypsrp 0.9.1's
recorded ``test_winrs_extra_opts.yml`` answers ``(pwd).Path`` with ``C:\\Windows`` for
a shell created with that directory); a PSRP runspace starts in the user's Documents
folder (UNVERIFIED: as Windows PowerShell remoting sessions show it). ``Set-Location``
(``cd``, ``chdir``, ``sl``) moves it to another FileSystem folder of the node, kept
for the runspace's later pipelines, or to the root of a session-state provider
(``Variable:\\``, ``Microsoft.PowerShell.Core\\Variable::``: :mod:`psrunbook.sim.ps.
provider_roots`), where ``$PWD`` shows that root and a bare name is that provider's
item (:mod:`psrunbook.sim.ps.session_state_items` answers ``Env:``'s and ``Variable:``'s,
the lab refuses the others' by name); any
other provider's location (``HKLM:``, ``Env:\\Path``) and a location stack
(``-StackName``, ``Push-Location``) are refused by name.
``Get-Location``'s ``-PSProvider``, ``-PSDrive``, ``-Stack`` and ``-StackName`` are
refused as unknown parameters. ``$PWD``
(the evaluator's ``read_variable``) and the relative paths of the lab's provider
cmdlets (``CmdletContext.location``) read the same location.
"""

from __future__ import annotations

import re
from typing import Any

from psrunbook.sim.executor_protocol import (
    RUNSPACE_DRIVE_LOCATIONS,
    RUNSPACE_LOCATION,
    RUNSPACE_PROVIDER_LOCATION,
)
from psrunbook.sim.objects import PSHashtable, PSObject, path_not_found, provider_info
from psrunbook.sim.ps.builtins import BuiltinEvaluator, Emit, builtin
from psrunbook.sim.ps.cmdlet_api import ParamSpec
from psrunbook.sim.ps.dotnet_io import full_path
from psrunbook.sim.ps.provider_roots import ProviderRoot, drive_info
from psrunbook.sim.ps.session_state_paths import provider_root
from psrunbook.sim.ps.values import to_string

_PROVIDER_DRIVE = re.compile(
    r"^(?:[A-Za-z]{2,}:|(?!(?:Microsoft\.PowerShell\.Core\\)?FileSystem::)[\w.\\]+::)",
    re.IGNORECASE,
)
"""A path on another provider: a drive of more than one letter (``HKLM:``, ``Env:``) or a
provider-qualified path other than FileSystem's."""
_WILDCARD = re.compile(r"[*?\[]")
_BARE_DRIVE = re.compile(r"^([A-Za-z]):$")
_ABSOLUTE = re.compile(
    r"^(?:[A-Za-z]:|\\\\|(?:Microsoft\.PowerShell\.Core\\)?FileSystem::)", re.IGNORECASE
)
"""A FileSystem path that does not depend on the location: a drive (``C:``, ``C:\\x``), a
UNC path or a ``FileSystem::`` path (``~`` is the current provider's home, which the
session-state providers have none of)."""

FILESYSTEM = "Microsoft.PowerShell.Core\\FileSystem"


def current_location(ev: BuiltinEvaluator) -> str:
    """The runspace's location: set by whoever started it, else the user's Documents."""
    found = ev.runspace.get(RUNSPACE_LOCATION)
    if isinstance(found, str):
        return found
    return f"{ev.get_environment('USERPROFILE') or ''}\\Documents"


def other_provider_location(runspace: dict[str, Any]) -> ProviderRoot | None:
    """The session-state provider root the runspace's location is at, or None (on the
    FileSystem)."""
    found = runspace.get(RUNSPACE_PROVIDER_LOCATION)
    return provider_root(found) if isinstance(found, str) else None


def location_info(ev: BuiltinEvaluator) -> PSObject:
    """Get-Location's and ``$PWD``'s PathInfo, on whichever provider the location is."""
    root = other_provider_location(ev.runspace)
    if root is None:
        return path_info(current_location(ev))
    return PSObject(
        type_names=("System.Management.Automation.PathInfo", "System.Object"),
        properties=PSHashtable(
            [
                ("Drive", drive_info(root)),
                ("Provider", provider_info(root.provider)),
                ("ProviderPath", ""),
                ("Path", root.path),
            ]
        ),
        to_string=root.path,
    )


def path_info(path: str) -> PSObject:
    """A ``System.Management.Automation.PathInfo`` for a FileSystem ``path``: ToString and
    ``Path`` the path, ``Drive`` a PSDriveInfo (ToString its name), ``Provider`` the
    FileSystem ProviderInfo (ToString ``Microsoft.PowerShell.Core\\FileSystem``). Only
    the members named here are modelled (their values as Windows names them; the other
    members of these .NET types are not)."""
    drive = path.split(":", 1)[0] if ":" in path else ""
    provider = provider_info("FileSystem")
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
    emit(location_info(ev))


@builtin(
    "Set-Location",
    ParamSpec("Path", "string", position=0, parameter_sets=("Path",), from_pipeline=True,
              from_pipeline_by_property_name=True),
    ParamSpec("LiteralPath", "string", mandatory=True, aliases=("PSPath",),
              parameter_sets=("LiteralPath",), from_pipeline_by_property_name=True),
    ParamSpec("PassThru", "switch"),
)  # fmt: skip
def set_location(
    ev: BuiltinEvaluator, args: PSHashtable, inputs: list[Any] | None, emit: Emit
) -> None:
    """Move the runspace's location to an existing FileSystem folder: absolute, relative
    to the location (``..``, ``.``), a drive alone (``C:``: that drive's current
    location), ``~`` (the user's profile folder) or a ``FileSystem::`` path
    (``$item.PSPath``, as pypsrp 1.0's ``invoke_ps(cwd=...)`` passes it); no path goes
    home. A missing path, or a file, is
    ItemNotFoundException (the error for a file is UNVERIFIED) and the location stays.
    The case is kept as typed but the drive letter's (Windows shows ``C:\\WINDOWS``
    after ``cd c:\\WINDOWS``). ``-PassThru`` answers the PathInfo."""
    literal = args.get("LiteralPath")
    raw = to_string(literal if literal is not None else args.get("Path") or "")
    home = ev.get_environment("USERPROFILE") or "C:\\"
    if literal is None and _WILDCARD.search(raw):
        raise ev.unsupported(ev.statement, f"Set-Location to a wildcard path ({raw})")
    root = provider_root(raw)
    if root is not None:
        ev.runspace[RUNSPACE_PROVIDER_LOCATION] = root.path
        if args.get("PassThru"):
            emit(location_info(ev))
        return
    if _PROVIDER_DRIVE.match(raw):
        raise ev.unsupported(
            ev.statement, f"Set-Location to another provider's location ({raw})"
        )
    here = other_provider_location(ev.runspace)
    if here is not None and not _ABSOLUTE.match(raw.strip()):
        raise ev.unsupported(
            ev.statement, f"Set-Location to a relative path ({raw}) from {here.path}"
        )
    text = raw.strip() or "~"
    if text == "~" or text.startswith(("~\\", "~/")):
        text = home + text[1:]
    drive = _BARE_DRIVE.match(text)
    if drive is not None:
        # A drive alone is that drive's current location, which PowerShell keeps for
        # each drive (about_Locations; Set-Location example 3: from HKLM:\,
        # `Set-Location C:` returns to C:\Windows); a drive never visited, its root.
        text = _drive_locations(ev).get(drive.group(1).upper(), text + "\\")
    target = full_path(text, current_location(ev))
    target = target[:1].upper() + target[1:]
    files = ev.dotnet().files("Set-Location")
    if files.kind(target) != "dir":
        raise ev.fail(
            path_not_found(
                "Set-Location", "Microsoft.PowerShell.Commands.SetLocationCommand", target
            )
        )
    _drive_locations(ev)[target[:1]] = target
    ev.runspace[RUNSPACE_LOCATION] = target
    ev.runspace.pop(RUNSPACE_PROVIDER_LOCATION, None)
    if args.get("PassThru"):
        emit(path_info(target))


def _drive_locations(ev: BuiltinEvaluator) -> dict[str, str]:
    """Each FileSystem drive's current location in this runspace (its letter, upper
    case), the current one included."""
    found = ev.runspace.get(RUNSPACE_DRIVE_LOCATIONS)
    if not isinstance(found, dict):
        found = {}
        ev.runspace[RUNSPACE_DRIVE_LOCATIONS] = found
    here = current_location(ev)
    found.setdefault(here[:1].upper(), here)
    return found
