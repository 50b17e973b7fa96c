"""ssis-clustered reads the Packages folder's ACL as Windows does (canonical order, Deny
entries included) before it decides the SSIS account already has List Folder + Write.

An explicit Deny for the account (or for Everyone) comes before every Allow, so no grant
can help: the step fails, naming the account and the fix. An inherited Deny loses to the
explicit Allow the step grants, so the run succeeds, and a second run changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from psrunbook.sim.lab.cluster_model import AclEntry, FsEntry, SimCluster
from psrunbook.sim.lab.cluster_objects import FILE_RIGHTS
from psrunbook.sim.lab.lab_files import restore, sample_lab
from tests.integration.test_execution import _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

SERVICE = "NT SERVICE\\MsDtsServer150"
INHERIT = ("ObjectInherit", "ContainerInherit")


def _with_folders(*, config_acl: list[AclEntry], packages_acl: list[AclEntry]) -> SimCluster:
    lab = sample_lab(nodes=2)
    volume = lab.shared_volumes["S"]
    volume.entries["ssis"] = FsEntry("SSIS", True, acl=config_acl)
    volume.entries["ssis\\packages"] = FsEntry("Packages", True, acl=packages_acl)
    return lab


@pytest.mark.parametrize("who", [SERVICE, "Everyone"])
def test_an_explicit_deny_fails_the_grant_check(psrunbook: Psrunbook, who: str) -> None:
    allow = AclEntry(SERVICE, ("ListDirectory", "Write"), "Allow", INHERIT)
    deny = AclEntry(who, ("CreateFiles",), "Deny", INHERIT)
    _seed_lab(psrunbook, _with_folders(config_acl=[], packages_acl=[allow, deny]))
    result = psrunbook("run", "ssis-clustered", "--sim", "--yes", expect=1)
    output = " ".join((result.stdout + result.stderr).split())
    assert "an explicit Deny entry on S:\\SSIS\\Packages" in output
    assert SERVICE in output
    assert "remove the Deny entry" in output
    assert "ssis\\msdtssrvr.ini.xml" not in restore(psrunbook.lab_file).shared_volumes["S"].entries


def test_an_inherited_deny_is_overcome_by_the_grant(psrunbook: Psrunbook) -> None:
    deny = AclEntry(SERVICE, ("Write",), "Deny", INHERIT)
    _seed_lab(psrunbook, _with_folders(config_acl=[deny], packages_acl=[]))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    again = psrunbook("run", "ssis-clustered", "--sim", "--yes")
    assert "nothing to do" in again.stdout + again.stderr


def test_an_allow_before_a_deny_in_storage_order_is_not_enough(psrunbook: Psrunbook) -> None:
    """Stored Allow-then-Deny still reads Deny first (canonical order): the step fails
    instead of reporting the account covered."""
    allow = AclEntry(SERVICE, ("ListDirectory", "Write"), "Allow", INHERIT)
    deny = AclEntry(SERVICE, ("ListDirectory",), "Deny", INHERIT)
    _seed_lab(psrunbook, _with_folders(config_acl=[], packages_acl=[allow, deny]))
    psrunbook("run", "ssis-clustered", "--sim", "--yes", expect=1)


def _bits(entry: AclEntry) -> int:
    mask = 0
    for name in entry.rights:
        mask |= FILE_RIGHTS[name]
    return mask


def test_list_folder_and_write_alone_get_the_rights_opening_needs(psrunbook: Psrunbook) -> None:
    """The doc's "List Folders and Write" as .NET names them (ListDirectory + Write) opens
    nothing without Synchronize (and the read attributes CreateFile asks for): on a disk
    whose root lost BUILTIN\\Users the service could neither list nor load its packages.
    The step no longer counts that as enough; it grants Read + Write + Synchronize
    (icacls RD,REA,RA,RC,S,WD,AD,WEA,WA), inherited, and a second run has nothing to do.
    Before, it reported the account covered, and its own grant was ReadData + Write."""
    allow = AclEntry(SERVICE, ("ListDirectory", "Write"), "Allow", INHERIT)
    _seed_lab(psrunbook, _with_folders(config_acl=[], packages_acl=[allow]))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    packages = restore(psrunbook.lab_file).shared_volumes["S"].entries["ssis\\packages"]
    granted = [
        e for e in packages.acl or [] if e.identity.casefold() == SERVICE.casefold() and e != allow
    ]
    assert [(1180063, "Allow", tuple(sorted(INHERIT)))] == [
        (_bits(e), e.access_type, tuple(sorted(e.inheritance))) for e in granted
    ]
    again = psrunbook("run", "ssis-clustered", "--sim", "--yes")
    assert "nothing to do" in again.stdout + again.stderr
