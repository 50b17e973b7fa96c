"""What ``ssis-clustered-undo`` removes, and what it refuses to remove.

- The shared folder: only the backups ssis-clustered makes (``MsDtsSrvr.ini.xml.bak``,
  ``.1.bak`` to ``.100.bak``) count as its own, never another ``*.bak`` (SQL Server's
  database backups use that extension); without a journal record, MsDtsSrvr.ini.xml is
  removed only when its text is one ssis-clustered writes there; a Hidden file is seen
  too (the listings use -Force).
- The resource: the half-made Generic Service an interrupted add-resource step leaves
  (empty ServiceName, in the role's group, not online) is removed, not refused.
- The service: a Generic Service resource whose ServiceName cannot be read may still run
  SSIS, so the service step refuses to start SSIS outside the cluster.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import psrunbook as package
from psrunbook.sim.lab.cluster_model import ARCHIVE, HIDDEN, FsEntry, SimCluster, fold
from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from tests.integration.test_execution import _seed_lab
from tests.unit.sim.lab.scripts import run_on

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

TEMPLATES = Path(package.__file__).parent / "ps_templates"
SSIS = "MsDtsServer150"
UNDO = ("ssis-clustered-undo", "--sim")
GROUP = "SQL Server (MSSQLSERVER)"
RESOURCE = "SQL Server Integration Services"
DATABASE_BACKUP = "S:\\SSIS\\SalesDb.bak"
OWN_DOCUMENT = b'<?xml version="1.0"?>\r\n<DtsServiceConfiguration />'


def _comparable(state: dict[str, Any]) -> dict[str, Any]:
    for key in ("change_log", "changes", "faults"):
        state.pop(key)
    return state


def _ssis(state: dict[str, Any], node: str) -> tuple[str, str]:
    found = {n["name"]: n for n in state["nodes"]}[node]
    service = {s["name"]: s for s in found["services"]}[SSIS]
    return service["start_type"], service["status"]


def _shared_entries(psrunbook: Psrunbook) -> set[str]:
    return set(restore(psrunbook.lab_file).shared_volumes["S"].entries)


def _add_shared_file(
    psrunbook: Psrunbook, rel: str, data: bytes, attributes: int | None = None
) -> None:
    """Put a file on the shared disk S: of the saved lab (as someone on the owner would),
    with the FileAttributes ``attributes`` (None: a new file's, Archive)."""
    lab = restore(psrunbook.lab_file)
    lab.shared_volumes["S"].entries[fold(rel)] = FsEntry(
        rel.rsplit("\\", 1)[-1], False, data=data, attributes=attributes
    )
    save(lab, psrunbook.lab_file)


def _shown(result: Any) -> str:
    return " ".join((result.stdout + result.stderr).split())


# --- the shared folder ---------------------------------------------------------------------


def test_a_database_backup_in_the_shared_folder_is_not_taken_for_ssis_clustereds(
    psrunbook: Psrunbook,
) -> None:
    """SalesDb.bak (a SQL Server backup) lies in S:\\SSIS: the folder holds more than
    ssis-clustered wrote, so the step refuses, names it, and removes nothing."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    _add_shared_file(psrunbook, "SSIS\\SalesDb.bak", b"TAPE")

    failed = psrunbook("run", *UNDO, "--yes", expect=1)

    assert f"holds more than ssis-clustered wrote ({DATABASE_BACKUP})" in _shown(failed)
    entries = _shared_entries(psrunbook)
    assert fold("SSIS\\SalesDb.bak") in entries
    assert fold("SSIS\\MsDtsSrvr.ini.xml") in entries


def test_the_backups_ssis_clustered_makes_go_with_the_folder(psrunbook: Psrunbook) -> None:
    """MsDtsSrvr.ini.xml.bak and .1.bak are the names ssis-clustered gives its backups:
    they do not stop the folder's removal."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    for name in ("MsDtsSrvr.ini.xml.bak", "MsDtsSrvr.ini.xml.1.bak"):
        _add_shared_file(psrunbook, f"SSIS\\{name}", b"<old/>")

    psrunbook("run", *UNDO, "--yes")

    assert not any(e == "ssis" or e.startswith("ssis\\") for e in _shared_entries(psrunbook))


HIDDEN_FILES = ["SSIS\\desktop.ini", "SSIS\\Packages\\Nightly.dtsx"]
"""A Hidden file in the shared folder, and a Hidden package in its Packages folder."""


def _listing_without_force(tmp_path: Path) -> Path:
    """A template folder overriding remove_shared_config with the listings the step had
    before they took -Force (``Get-ChildItem -LiteralPath X |``), the rest as shipped."""
    shipped = (TEMPLATES / "ssis" / "remove_shared_config.ps1.j2").read_text("utf-8")
    old = shipped.replace("$ConfigFolder -Force |", "$ConfigFolder |").replace(
        "$PackagesFolder -Force |", "$PackagesFolder |"
    )
    assert old.count("Get-ChildItem -LiteralPath") == 2 and "-Force |" not in old
    (tmp_path / "ssis").mkdir()
    (tmp_path / "ssis" / "remove_shared_config.ps1.j2").write_text(old, "utf-8")
    return tmp_path


@pytest.mark.parametrize("rel", HIDDEN_FILES)
def test_a_hidden_file_in_the_shared_folder_is_seen_and_the_folder_kept(
    psrunbook: Psrunbook, rel: str
) -> None:
    """Get-ChildItem leaves Hidden items out unless -Force, and Remove-Item -Recurse -Force
    deletes them: the step lists with -Force, so it names the hidden file and keeps it."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    _add_shared_file(psrunbook, rel, b"someone's", attributes=HIDDEN | ARCHIVE)

    failed = psrunbook("run", *UNDO, "--yes", expect=1)

    assert f"holds more than ssis-clustered wrote (S:\\{rel})" in _shown(failed)
    assert fold(rel) in _shared_entries(psrunbook)


@pytest.mark.parametrize("rel", HIDDEN_FILES)
def test_listings_without_force_would_delete_the_hidden_file_unseen(
    psrunbook: Psrunbook, tmp_path: Path, rel: str
) -> None:
    """The same run with the listings the step had before (no -Force) succeeds and takes
    the hidden file with the folder: what the lab now shows Windows would do."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    _add_shared_file(psrunbook, rel, b"someone's", attributes=HIDDEN | ARCHIVE)

    psrunbook("--templates", str(_listing_without_force(tmp_path)), "run", *UNDO, "--yes")

    assert not any(e == "ssis" or e.startswith("ssis\\") for e in _shared_entries(psrunbook))


def _left_by_another_host(lab: SimCluster, document: bytes) -> SimCluster:
    """S:\\SSIS holding a MsDtsSrvr.ini.xml and an empty Packages folder, with nothing in
    this host's journal about them."""
    volume = lab.shared_volumes["S"]
    volume.entries["ssis"] = FsEntry("SSIS", True)
    volume.entries["ssis\\packages"] = FsEntry("Packages", True)
    volume.entries["ssis\\msdtssrvr.ini.xml"] = FsEntry("MsDtsSrvr.ini.xml", False, data=document)
    return lab


def test_without_a_record_a_config_file_ssis_clustered_never_wrote_is_refused(
    psrunbook: Psrunbook,
) -> None:
    """No journal record, and the file's text is no document ssis-clustered writes there:
    it may be someone's own configuration. The step refuses naming it; the plan warns."""
    _seed_lab(psrunbook, _left_by_another_host(sample_lab(nodes=2), OWN_DOCUMENT))

    plan = psrunbook("plan", *UNDO, expect=1)
    assert "[warning] SSIS-UNDO-SHARED: Nothing in the journal records what S:\\SSIS held" in (
        _shown(plan)
    )
    failed = psrunbook("run", *UNDO, "--yes", expect=1)

    assert "S:\\SSIS\\MsDtsSrvr.ini.xml is not a file ssis-clustered wrote" in _shown(failed)
    assert fold("SSIS\\MsDtsSrvr.ini.xml") in _shared_entries(psrunbook)


def test_without_a_record_the_file_ssis_clustered_wrote_goes(psrunbook: Psrunbook) -> None:
    """The undo reads only the second ssis-clustered run, which found the file as the
    first wrote it and changed nothing (so nothing is recorded of the folder): its text is
    the document that run writes, so the folder goes."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    second = psrunbook.last_run().run_id

    psrunbook("run", *UNDO, "--yes", "-p", f"recorded_runs={second}")

    undo = psrunbook.last_run()
    assert undo.parameters["recorded_shared_config"] is None
    assert 1 == len(undo.parameters["shared_documents"])
    assert not any(e == "ssis" or e.startswith("ssis\\") for e in _shared_entries(psrunbook))


# --- the half-made resource ----------------------------------------------------------------


def _half_made_resource(lab: SimCluster, group: str = GROUP) -> SimCluster:
    """What ssis-clustered's add-resource step leaves when it is stopped between
    Add-ClusterResource and Set-ClusterParameter: a Generic Service with an empty
    ServiceName, offline."""
    created = run_on(
        lab,
        f"$null = Add-ClusterResource -Name '{RESOURCE}' -Group '{group}' "
        "-ResourceType 'Generic Service'",
    )
    assert created.failed is None and [] == created.errors
    return lab


def test_the_half_made_resource_of_an_interrupted_add_resource_is_removed(
    psrunbook: Psrunbook,
) -> None:
    """The undo removes it and goes on: the lab is as it was before ssis-clustered."""
    lab = sample_lab(nodes=2)
    _seed_lab(psrunbook, lab)
    before = _comparable(psrunbook.lab_state())
    save(_half_made_resource(restore(psrunbook.lab_file)), psrunbook.lab_file)

    psrunbook("run", *UNDO, "--yes")

    assert before == _comparable(psrunbook.lab_state())


def test_an_empty_generic_service_in_another_group_is_refused(psrunbook: Psrunbook) -> None:
    """Of that name but in another group: not what ssis-clustered made for this role."""
    _seed_lab(psrunbook, _half_made_resource(sample_lab(nodes=2), "Cluster Group"))
    before = psrunbook.lab_state()

    failed = psrunbook("run", *UNDO, "--yes", expect=1)

    assert f"resource '{RESOURCE}' is a Generic Service in group 'Cluster Group'" in _shown(failed)
    assert "it is not removed" in _shown(failed)
    assert before == psrunbook.lab_state()


# --- a ServiceName that cannot be read -----------------------------------------------------


def test_a_resource_whose_service_name_cannot_be_read_stops_the_service_step(
    psrunbook: Psrunbook,
) -> None:
    """Another Generic Service resource ('SSIS copy') whose ServiceName read fails (the lab
    makes it fail by leaving the private property out: error 1168, element not found) may
    run SSIS: the undo does not start SSIS outside the cluster on any node, and names it."""
    lab = sample_lab(nodes=2)
    for node in ("NODE1", "NODE2"):
        service = lab.node(node).services[fold(SSIS)]
        service.start_type = "Manual"
        lab.stop_service(service)
    created = run_on(
        lab,
        f"$null = Add-ClusterResource -Name 'SSIS copy' -Group '{GROUP}' "
        "-ResourceType 'Generic Service'",
    )
    assert created.failed is None
    lab.resource("SSIS copy").parameters.clear()
    _seed_lab(psrunbook, lab)

    failed = psrunbook("run", *UNDO, "--yes", expect=1)

    shown = _shown(failed)
    assert "cannot tell whether MsDtsServer150 is still run by a cluster resource" in shown
    assert "SSIS copy" in shown
    state = psrunbook.lab()
    for node in ("NODE1", "NODE2"):
        assert ("Manual", "Stopped") == _ssis(state, node), node
