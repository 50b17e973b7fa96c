"""The SSIS service reads its configuration file as its account, or runs on its defaults.

When MsDtsSrvr.ini.xml cannot be read by the service's account (its per-service SID
``NT SERVICE\\MsDtsServer150`` and the groups of a service's token), Windows' SSIS service
logs DTS_MSG_SERVER_BAD_CONFIG (273, "Loading server with default settings") and keeps
running, so its cluster resource is Online all the same. A cluster disk whose root ACL was
hardened (BUILTIN\\Users removed) is where that happens; the lab must not read it anyway.
"""

from __future__ import annotations

from psrunbook.sim.lab.cluster_model import BAD_CONFIG, AclEntry, FsEntry, SimCluster, fold
from psrunbook.sim.lab.fs import READ_FILE, FsView, service_token
from psrunbook.sim.lab.lab_files import dump, load
from psrunbook.sim.lab.paths import FsPath

from .conftest import Caller, reg_key, service

SSIS = "MsDtsServer150"
ACCOUNT = "NT SERVICE\\MsDtsServer150"
KEY = "SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile"
SHARED = "S:\\SSIS\\MsDtsSrvr.ini.xml"
FILE = FsPath("S", ("SSIS", "MsDtsSrvr.ini.xml"))


def _shared_file(lab: SimCluster, *, harden: bool) -> None:
    """MsDtsSrvr.ini.xml on the shared disk, named by NODE1's ServiceConfigFile; with
    ``harden``, the disk's root ACL without BUILTIN\\Users (as on many SQL volumes)."""
    volume = lab.shared_volumes["S"]
    if harden:
        volume.root_acl[:] = [e for e in volume.root_acl if e.identity != "BUILTIN\\Users"]
    volume.entries["ssis"] = FsEntry("SSIS", True)
    volume.entries[fold("SSIS\\MsDtsSrvr.ini.xml")] = FsEntry(
        "MsDtsSrvr.ini.xml", False, data=b"<DtsServiceConfiguration/>"
    )
    reg_key(lab, "NODE1", KEY).set("", SHARED)


def _restart(lab: SimCluster) -> None:
    ssis = service(lab, "NODE1", SSIS)
    lab.stop_service(ssis)
    assert lab.start_service(lab.node("NODE1"), ssis)


def test_a_file_the_users_group_may_read_is_loaded(lab: SimCluster) -> None:
    """The default root ACL (Users: ReadAndExecute, Synchronize) lets the service read."""
    _shared_file(lab, harden=False)
    _restart(lab)
    loaded = service(lab, "NODE1", SSIS).loaded
    assert loaded is not None
    assert (SHARED, None) == (loaded.config_file, loaded.defaults_reason)
    assert loaded.document_sha256 is not None


def test_a_hardened_disk_root_makes_the_service_run_on_its_defaults(lab: SimCluster) -> None:
    """No entry for the service's SIDs: it runs (Running) with defaults, BAD_CONFIG logged."""
    _shared_file(lab, harden=True)
    _restart(lab)
    ssis = service(lab, "NODE1", SSIS)
    assert "Running" == ssis.status
    assert ssis.loaded is not None
    assert (SHARED, None, BAD_CONFIG) == (
        ssis.loaded.config_file,
        ssis.loaded.document_sha256,
        ssis.loaded.defaults_reason,
    )


def test_icacls_removing_users_from_the_root_is_a_hardened_disk(
    lab: SimCluster, call: Caller
) -> None:
    """What an administrator does on the disk's root reaches the file below it."""
    _shared_file(lab, harden=False)
    assert 0 == call.native("icacls", "S:\\", "/remove", "BUILTIN\\Users").exit_code
    _restart(lab)
    loaded = service(lab, "NODE1", SSIS).loaded
    assert loaded is not None
    assert BAD_CONFIG == loaded.defaults_reason


def test_read_granted_to_the_service_sid_is_loaded(lab: SimCluster, call: Caller) -> None:
    _shared_file(lab, harden=True)
    assert 0 == call.native("icacls", SHARED, "/grant", f"{ACCOUNT}:(R)").exit_code
    _restart(lab)
    loaded = service(lab, "NODE1", SSIS).loaded
    assert loaded is not None
    assert loaded.document_sha256 is not None


def test_read_data_without_synchronize_is_not_a_read(lab: SimCluster, call: Caller) -> None:
    """Opening a file to read asks for FILE_GENERIC_READ, Synchronize included (stricter)."""
    _shared_file(lab, harden=True)
    call.native("icacls", SHARED, "/grant", f"{ACCOUNT}:(RD,RA,REA,RC)")
    _restart(lab)
    loaded = service(lab, "NODE1", SSIS).loaded
    assert loaded is not None
    assert BAD_CONFIG == loaded.defaults_reason


def test_a_deny_for_a_group_of_the_service_beats_its_allow(lab: SimCluster, call: Caller) -> None:
    _shared_file(lab, harden=True)
    call.native("icacls", SHARED, "/grant", f"{ACCOUNT}:(R)")
    call.native("icacls", SHARED, "/deny", "Everyone:(RD)")
    _restart(lab)
    loaded = service(lab, "NODE1", SSIS).loaded
    assert loaded is not None
    assert BAD_CONFIG == loaded.defaults_reason


def test_an_allow_for_an_account_the_service_is_not_does_not_help(
    lab: SimCluster, call: Caller
) -> None:
    _shared_file(lab, harden=True)
    call.native("icacls", SHARED, "/grant", "SIMLAB\\svc-ssis:(R)")
    _restart(lab)
    loaded = service(lab, "NODE1", SSIS).loaded
    assert loaded is not None
    assert BAD_CONFIG == loaded.defaults_reason


def test_read_taken_away_while_running_changes_nothing_until_a_restart(
    lab: SimCluster, call: Caller
) -> None:
    """The service read the file at its start and keeps it; the next start cannot."""
    _shared_file(lab, harden=False)
    _restart(lab)
    before = service(lab, "NODE1", SSIS).loaded
    call.native("icacls", "S:\\", "/remove", "BUILTIN\\Users")
    assert before == service(lab, "NODE1", SSIS).loaded
    _restart(lab)
    after = service(lab, "NODE1", SSIS).loaded
    assert after is not None
    assert BAD_CONFIG == after.defaults_reason


def test_an_inherit_only_allow_on_the_file_itself_grants_nothing(lab: SimCluster) -> None:
    _shared_file(lab, harden=True)
    entry = lab.shared_volumes["S"].entries[fold("SSIS\\MsDtsSrvr.ini.xml")]
    entry.acl.append(AclEntry(ACCOUNT, ("Read", "Synchronize"), propagation=("InheritOnly",)))
    view = FsView(lab, "NODE1")
    assert not view.allows(FILE, service_token(lab.domain, ACCOUNT), READ_FILE)


def test_local_system_reads_through_system_and_administrators(lab: SimCluster) -> None:
    """LocalSystem's token holds SYSTEM and Administrators: a hardened root keeps both."""
    _shared_file(lab, harden=True)
    view = FsView(lab, "NODE1")
    assert view.allows(FILE, service_token(lab.domain, "LocalSystem"), READ_FILE)
    assert not view.allows(FILE, service_token(lab.domain, ACCOUNT), READ_FILE)


def test_the_service_group_is_its_well_known_sid(lab: SimCluster) -> None:
    assert "S-1-5-6" in service_token(lab.domain, ACCOUNT)


def test_defaults_survive_dump_and_load(lab: SimCluster) -> None:
    _shared_file(lab, harden=True)
    _restart(lab)
    again = load(dump(lab))
    assert service(lab, "NODE1", SSIS).loaded == service(again, "NODE1", SSIS).loaded


def test_a_read_file_dumps_as_before(lab: SimCluster) -> None:
    """Only an unreadable file adds defaults_reason to the dump: other states keep their shape."""
    _shared_file(lab, harden=False)
    _restart(lab)
    ssis = next(
        s
        for n in dump(lab)["nodes"]
        if n["name"] == "NODE1"
        for s in n["services"]
        if s["name"] == SSIS
    )
    assert {"config_file", "document_sha256"} == set(ssis["loaded"])
