"""The SSIS service must be able to read the shared MsDtsSrvr.ini.xml, or it runs on defaults.

On a cluster disk whose root ACL lost BUILTIN\\Users (common on SQL Server volumes), a
file written there gives the SSIS service's account nothing it may read. The service then
logs DTS_MSG_SERVER_BAD_CONFIG (273) and runs with its default settings (local msdb,
``..\\Packages``) while its Generic Service resource is Online. ssis-clustered grants the
account Read on the file, and its verify step (and the failover drill's checks) fail
when the account may not read it, naming the file and the account.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from psrunbook.sim.lab.cluster_model import AclEntry, SimCluster, fold
from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from tests.integration.test_execution import _by_name, _file, _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

SSIS = "MsDtsServer150"
ACCOUNT = "NT SERVICE\\MsDtsServer150"
SHARED = "S:\\SSIS\\MsDtsSrvr.ini.xml"
RESOURCE = "SQL Server Integration Services"
GROUP = "SQL Server (MSSQLSERVER)"


def _hardened_lab(nodes: int = 2) -> SimCluster:
    """The sample lab with its cluster disk's root ACL hardened: BUILTIN\\Users removed,
    Administrators and SYSTEM kept."""
    lab = sample_lab(nodes=nodes)
    root = lab.shared_volumes["S"].root_acl
    root[:] = [e for e in root if e.identity != "BUILTIN\\Users"]
    assert {"BUILTIN\\Administrators", "NT AUTHORITY\\SYSTEM"} == {e.identity for e in root}
    return lab


def _service_on(state: dict[str, Any], node: str) -> dict[str, Any]:
    service: dict[str, Any] = _by_name(_by_name(state["nodes"])[node]["services"])[SSIS]
    return service


def _shared_sha256(state: dict[str, Any]) -> str:
    volume = next(v for v in state["shared_volumes"] if v["letter"] == "S")
    return hashlib.sha256(_file(volume, SHARED)).hexdigest()


def _file_acl(state: dict[str, Any]) -> list[dict[str, Any]]:
    volume = next(v for v in state["shared_volumes"] if v["letter"] == "S")
    acl: list[dict[str, Any]] = volume["entries"][fold("SSIS\\MsDtsSrvr.ini.xml")]["acl"]
    return acl


def _output(result: Any) -> str:
    return " ".join((result.stdout + result.stderr).split())


def test_on_a_hardened_disk_the_service_loads_the_shared_file(psrunbook: Psrunbook) -> None:
    """The run leaves the running service with the shared file really loaded, not defaults."""
    _seed_lab(psrunbook, _hardened_lab())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    state = psrunbook.lab()
    service = _service_on(state, "NODE1")
    assert "Running" == service["status"]
    assert {"config_file": SHARED, "document_sha256": _shared_sha256(state)} == service["loaded"]


def test_the_shared_config_step_grants_the_service_read_on_the_file(
    psrunbook: Psrunbook,
) -> None:
    """An explicit Read (+ Synchronize) entry for the service's SID, reported Before/After."""
    _seed_lab(psrunbook, _hardened_lab())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    grants = [e for e in _file_acl(psrunbook.lab()) if e["identity"] == ACCOUNT]
    assert [(["Read", "Synchronize"], "Allow")] == [(e["rights"], e["access_type"]) for e in grants]
    run_id = psrunbook.last_run().run_id
    [attempt] = [a for a in psrunbook.attempts(run_id) if a.step_name == "shared-config"]
    assert attempt.result is not None
    data = attempt.result
    assert ACCOUNT == data["ServiceAccount"]
    assert [ACCOUNT] == data["Before"]["MissingReadGrants"]
    assert [] == data["After"]["MissingReadGrants"]


def test_a_second_run_on_a_hardened_disk_changes_nothing(psrunbook: Psrunbook) -> None:
    _seed_lab(psrunbook, _hardened_lab())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    before = psrunbook.lab()
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    attempts = psrunbook.attempts(psrunbook.last_run().run_id)
    assert [] == [(a.step_name, a.node) for a in attempts if a.changed]
    assert before["change_log"] == psrunbook.lab()["change_log"]


def test_a_default_disk_needs_no_read_grant(psrunbook: Psrunbook) -> None:
    """BUILTIN\\Users' inherited ReadAndExecute already lets the service read: no entry added."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    assert [] == _file_acl(psrunbook.lab())
    run_id = psrunbook.last_run().run_id
    [attempt] = [a for a in psrunbook.attempts(run_id) if a.step_name == "shared-config"]
    assert attempt.result is not None
    assert [] == attempt.result["Before"]["MissingReadGrants"]


def test_a_plan_on_a_hardened_disk_says_the_read_grant_would_change(
    psrunbook: Psrunbook,
) -> None:
    """Before the file exists, the plan reads what it would inherit from its folder."""
    _seed_lab(psrunbook, _hardened_lab())
    psrunbook("plan", "ssis-clustered", "--sim")
    run_id = psrunbook.last_run().run_id
    [attempt] = [a for a in psrunbook.attempts(run_id) if a.step_name == "shared-config"]
    assert attempt.result is not None
    assert [ACCOUNT] == attempt.result["Before"]["MissingReadGrants"]
    assert "ssis\\msdtssrvr.ini.xml" not in restore(psrunbook.lab_file).shared_volumes["S"].entries


def test_an_explicit_deny_on_the_file_fails_the_step_naming_file_and_account(
    psrunbook: Psrunbook,
) -> None:
    """A Deny for a group of every service comes before any Allow: a grant cannot help."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    cluster = restore(psrunbook.lab_file)
    entry = cluster.shared_volumes["S"].entries[fold("SSIS\\MsDtsSrvr.ini.xml")]
    entry.acl.append(AclEntry("Everyone", ("ReadData",), "Deny"))
    save(cluster, psrunbook.lab_file)
    result = psrunbook("run", "ssis-clustered", "--sim", "--yes", expect=1)
    output = _output(result)
    assert f"an explicit Deny entry on {SHARED} takes Read away from {ACCOUNT}" in output
    assert "Remove the Deny entry" in output


def _revoke_read(psrunbook: Psrunbook) -> None:
    """After the run, an administrator takes the service's Read away again (the explicit
    entry goes, the hardened root gives none)."""
    cluster = restore(psrunbook.lab_file)
    entry = cluster.shared_volumes["S"].entries[fold("SSIS\\MsDtsSrvr.ini.xml")]
    entry.acl[:] = [e for e in entry.acl if e.identity != ACCOUNT]
    save(cluster, psrunbook.lab_file)


def test_read_taken_away_after_the_run_fails_the_drill_naming_file_and_account(
    psrunbook: Psrunbook,
) -> None:
    """The service that moves to NODE2 runs on its defaults there; the check says why."""
    _seed_lab(psrunbook, _hardened_lab())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    _revoke_read(psrunbook)
    result = psrunbook("run", "ssis-failover-drill", "--sim", "--yes", expect=1)
    output = _output(result)
    assert f"{ACCOUNT} ({SSIS}'s account) may not read {SHARED}" in output
    assert "DTS_MSG_SERVER_BAD_CONFIG" in output
    state = psrunbook.lab()
    assert "DTS_MSG_SERVER_BAD_CONFIG" == _service_on(state, "NODE1")["loaded"]["defaults_reason"]
    assert "Online" == _by_name(state["resources"])[RESOURCE]["state"]


def test_read_taken_away_after_the_run_fails_a_plans_verify(psrunbook: Psrunbook) -> None:
    """Verify reports it even while the running service still has the file it read."""
    _seed_lab(psrunbook, _hardened_lab())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    _revoke_read(psrunbook)
    psrunbook("plan", "ssis-clustered", "--sim")
    run_id = psrunbook.last_run().run_id
    verify = {a.node: a.result for a in psrunbook.attempts(run_id) if a.step_name == "verify"}
    owner = verify["NODE1"]
    assert owner is not None
    assert "unreadable" == owner["After"]["Loaded"]
    [problem] = owner["ReadProblems"]
    assert f"{ACCOUNT} ({SSIS}'s account) may not read {SHARED}" in problem


def test_a_rerun_restarts_a_service_that_started_on_its_defaults(psrunbook: Psrunbook) -> None:
    """The state an earlier version left on a hardened disk: SSIS running on defaults.
    Windows cannot say when an ACL changed; the step that grants Read writes the file
    again, so restart-stale sees a service older than its file and restarts it."""
    _seed_lab(psrunbook, _hardened_lab())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    _revoke_read(psrunbook)
    cluster = restore(psrunbook.lab_file)
    ssis = cluster.node("NODE1").service(SSIS)
    assert ssis is not None
    ssis.status = "Stopped"  # the resource's service restarted, as a failover would do
    cluster.start_service(cluster.node("NODE1"), ssis)
    assert ssis.loaded is not None
    assert "DTS_MSG_SERVER_BAD_CONFIG" == ssis.loaded.defaults_reason
    save(cluster, psrunbook.lab_file)
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    state = psrunbook.lab()
    expected = {"config_file": SHARED, "document_sha256": _shared_sha256(state)}
    assert expected == _service_on(state, "NODE1")["loaded"]
