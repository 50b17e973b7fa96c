"""Windows' ACL evaluation in the lab: canonical order and the access check.

An ACL is read explicit entries first, then inherited ones (parent before grandparent),
and in each, Deny before Allow; the first entry that decides a right wins. So an
explicit Deny beats every Allow, and an explicit Allow beats an inherited Deny. icacls
writes its /deny entries in that order, whatever order they were added in.
"""

from __future__ import annotations

from psrunbook.sim.lab.cluster_model import SimCluster, fold
from psrunbook.sim.lab.fs import FsView, rights_mask
from psrunbook.sim.lab.paths import FsPath, parse

from .conftest import Caller

ACCOUNT = "SIMLAB\\svc-ssis"
LIST_WRITE = rights_mask(("ListDirectory", "Write"))


def _path(raw: str) -> FsPath:
    path = parse(raw, "C:\\")
    assert isinstance(path, FsPath)
    return path


def _folders(call: Caller) -> None:
    assert not call("New-Item", Path="S:\\SSIS\\Packages", ItemType="Directory").errors


def test_get_acl_lists_explicit_deny_before_explicit_allow(call: Caller) -> None:
    _folders(call)
    call.native("icacls", "S:\\SSIS\\Packages", "/grant", f"{ACCOUNT}:(OI)(CI)(RD,W)")
    call.native("icacls", "S:\\SSIS\\Packages", "/deny", f"{ACCOUNT}:(OI)(CI)(W)")
    acl = call("Get-Acl", LiteralPath=["S:\\SSIS\\Packages"]).output[0]
    kinds = [
        (str(r.properties["AccessControlType"]), r.properties["IsInherited"])
        for r in acl.properties["Access"]
    ]
    assert kinds[:2] == [("Deny", False), ("Allow", False)]
    assert all(inherited for _, inherited in kinds[2:])


def test_an_explicit_deny_beats_an_explicit_allow(lab: SimCluster, call: Caller) -> None:
    _folders(call)
    call.native("icacls", "S:\\SSIS\\Packages", "/grant", f"{ACCOUNT}:(OI)(CI)(RD,W)")
    view = FsView(lab, "NODE1")
    assert view.allows(_path("S:\\SSIS\\Packages"), {fold(ACCOUNT)}, LIST_WRITE)
    call.native("icacls", "S:\\SSIS\\Packages", "/deny", f"{ACCOUNT}:(WD)")
    assert not view.allows(_path("S:\\SSIS\\Packages"), {fold(ACCOUNT)}, LIST_WRITE)


def test_an_explicit_allow_beats_an_inherited_deny(lab: SimCluster, call: Caller) -> None:
    _folders(call)
    call.native("icacls", "S:\\SSIS", "/deny", f"{ACCOUNT}:(OI)(CI)(W)")
    view = FsView(lab, "NODE1")
    assert not view.allows(_path("S:\\SSIS\\Packages"), {fold(ACCOUNT)}, LIST_WRITE)
    call.native("icacls", "S:\\SSIS\\Packages", "/grant", f"{ACCOUNT}:(OI)(CI)(RD,W)")
    assert view.allows(_path("S:\\SSIS\\Packages"), {fold(ACCOUNT)}, LIST_WRITE)


def test_a_deny_for_a_group_of_the_account_applies(lab: SimCluster, call: Caller) -> None:
    _folders(call)
    call.native("icacls", "S:\\SSIS\\Packages", "/grant", f"{ACCOUNT}:(OI)(CI)(RD,W)")
    call.native("icacls", "S:\\SSIS\\Packages", "/deny", "Everyone:(RD)")
    view = FsView(lab, "NODE1")
    assert not view.allows(_path("S:\\SSIS\\Packages"), {fold(ACCOUNT), "everyone"}, LIST_WRITE)
    assert view.allows(_path("S:\\SSIS\\Packages"), {fold(ACCOUNT)}, LIST_WRITE)


def test_rights_no_entry_grants_are_refused(lab: SimCluster, call: Caller) -> None:
    _folders(call)
    call.native("icacls", "S:\\SSIS\\Packages", "/grant", f"{ACCOUNT}:(RD)")
    view = FsView(lab, "NODE1")
    assert not view.allows(_path("S:\\SSIS\\Packages"), {fold(ACCOUNT)}, LIST_WRITE)
