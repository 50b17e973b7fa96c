"""Who may write where on a lab node: Administrators everywhere, a plain user almost nowhere.

Windows refuses a user who is not in the node's Administrators group (the lab's
``policy.remote_user_is_administrator = false``; ``sim/ps/principal.py`` answers
``IsInRole`` from the same flag) every write under ``HKLM`` (HKLM\\SOFTWARE grants Users
Read only): the registry provider's SecurityException, "Requested registry access is not
allowed.". Files likewise: Program Files, the Windows folder and the cluster's disks are
Administrators' (and SYSTEM's) to change, and the user gets "Access to the path '...' is
denied." (UnauthorizedAccessException). So a runbook run with the wrong account fails at
its first write, with Windows' words, never silently succeeds in the lab.

CHOICE (stricter than Windows, which the lab may be): a plain user may write only under
the system drive's ``Users`` folder (its profile, where a PSRP session starts); Windows
would also let it create folders in some volume roots (Users: AppendData on ``C:\\``) and
wherever an ACL grants it. The lab's file ACLs (``Get-Acl``/``icacls``) are not consulted
for the session's own writes: the rule above is the only one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psrunbook.sim.lab import error_records
from psrunbook.sim.lab.cluster_model import fold
from psrunbook.sim.ps.cmdlet_api import CmdletError

if TYPE_CHECKING:
    from psrunbook.sim.lab.cluster_model import SimCluster
    from psrunbook.sim.lab.paths import FsPath
    from psrunbook.sim.ps.cmdlet_api import CmdletSpec

USER_WRITABLE = ("C", "users")
"""The one place a plain user may write: ``C:\\Users`` and below (drive, folded folder)."""


def may_write_file(cluster: SimCluster, path: FsPath) -> bool:
    """Whether the session's user may create, change or remove ``path``."""
    if cluster.remote_user_is_administrator:
        return True
    drive, folder = USER_WRITABLE
    return path.drive.upper() == drive and len(path.parts) > 1 and fold(path.parts[0]) == folder


def check_file_write(
    cluster: SimCluster, spec: CmdletSpec, path: FsPath, operation: str | None = None
) -> None:
    """Raise Windows' non-terminating Access Denied when the user may not write ``path``."""
    if not may_write_file(cluster, path):
        record = error_records.file_access_denied(
            spec.name, spec.implementing_type, path.display, operation
        )
        raise CmdletError(record, terminating=False)


def check_registry_write(cluster: SimCluster, spec: CmdletSpec, display: str) -> None:
    """Raise the registry's SecurityException when a plain user writes under HKLM (the only
    hive the lab has)."""
    if not cluster.remote_user_is_administrator:
        record = error_records.registry_access_denied(spec.name, spec.implementing_type, display)
        raise CmdletError(record, terminating=False)
