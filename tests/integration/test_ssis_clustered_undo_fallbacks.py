"""What ``ssis-clustered-undo`` gives a node the journal recorded nothing for, and what a
second undo gives back.

A node with no record gets the installed ``MsDtsSrvr.ini.xml`` of *its own* SSIS, the
file beside the service's program (Win32_Service PathName): SQL Server setup installs the
shared features, SSIS among them, wherever INSTALLSHAREDDIR says, not always under
``C:\\Program Files``. The preflight refuses a node whose file to restore does not exist,
and the plan warns that nothing was recorded. A Disabled service stays Disabled, with no
record or one from before it was disabled. A second undo with no ``ssis-clustered`` run
since the last successful one gives back the same recorded values again, not the
fallbacks.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from psrunbook.sim.lab.cluster_model import FsEntry, SimCluster, Volume, fold
from psrunbook.sim.lab.lab_files import load, restore, sample_lab, save
from tests.integration.test_execution import _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

SSIS = "MsDtsServer150"
UNDO = ("ssis-clustered-undo", "--sim")
KEY = "SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile"
DTS = "program files\\microsoft sql server\\150\\dts"
INSTALLED = "C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MsDtsSrvr.ini.xml"
ELSEWHERE = "D:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MsDtsSrvr.ini.xml"
SHARED = "S:\\SSIS\\MsDtsSrvr.ini.xml"
CUSTOM = "D:\\SSIS Config\\MsDtsSrvr.ini.xml"
OWN_DOCUMENT = '\ufeff<?xml version="1.0"?>\r\n<DtsServiceConfiguration />'
"""Someone's own config file on the shared disk (with the BOM and CRLF the undo writes)."""


def _shared_features_on_d(lab: SimCluster, node: str) -> None:
    """``node``'s SSIS installed with INSTALLSHAREDDIR=D:\\Program Files\\Microsoft SQL
    Server: its program, MsDtsSrvr.ini.xml and Packages folder on D:, nothing of it on C:,
    and setup's ServiceConfigFile pointing at the D: file."""
    host = lab.node(node)
    c_drive = host.volumes["C"]
    d_drive = Volume("D", root_acl=list(c_drive.root_acl))
    for folder in ("Program Files", "Program Files\\Microsoft SQL Server"):
        d_drive.entries[fold(folder)] = FsEntry(folder.rsplit("\\", 1)[-1], True)
    for rel in [r for r in c_drive.entries if r == DTS or r.startswith(DTS + "\\")]:
        d_drive.entries[rel] = c_drive.entries.pop(rel)
    host.volumes["D"] = d_drive
    service = host.services[fold(SSIS)]
    service.image_path = ELSEWHERE.replace("MsDtsSrvr.ini.xml", "MsDtsSrvr.exe")
    _set_config(lab, node, ELSEWHERE)


def _set_config(lab: SimCluster, node: str, value: str) -> None:
    key = lab.node(node).registry.key(KEY)
    assert key is not None
    key.set("", value)


def _config_value(state: dict[str, Any], node: str) -> object:
    key = load(state).node(node).registry.key(KEY)
    assert key is not None
    value = key.get("")
    return None if value is None else value.data


def _ssis(state: dict[str, Any], node: str) -> tuple[str, str]:
    """(start type, status) of the SSIS service on ``node``."""
    found = {n["name"]: n for n in state["nodes"]}[node]
    service = {s["name"]: s for s in found["services"]}[SSIS]
    return service["start_type"], service["status"]


def _comparable(state: dict[str, Any]) -> dict[str, Any]:
    for key in ("change_log", "changes", "faults"):
        state.pop(key)
    return state


def _left_clustered_by_another_host(lab: SimCluster) -> SimCluster:
    """Every node's ServiceConfigFile at the shared file, as ssis-clustered leaves it, but
    from an automation host whose journal this one cannot read: nothing is recorded."""
    for node in lab.nodes.values():
        _set_config(lab, node.name, SHARED)
    return lab


# --- 1. the fallback ServiceConfigFile is each node's own installed file -------------------


def test_without_a_record_each_node_gets_the_file_beside_its_own_service(
    psrunbook: Psrunbook,
) -> None:
    """NODE2's shared features are on D: (INSTALLSHAREDDIR): with nothing recorded it gets
    D:'s MsDtsSrvr.ini.xml, the folder of its service's program, and NODE1 gets C:'s."""
    lab = sample_lab(nodes=2)
    _shared_features_on_d(lab, "NODE2")
    _seed_lab(psrunbook, _left_clustered_by_another_host(lab))

    plan = psrunbook("plan", *UNDO).stdout
    assert ELSEWHERE in plan
    assert "From: 'installed'" in plan

    psrunbook("run", *UNDO, "--yes")

    state = psrunbook.lab()
    assert ELSEWHERE == _config_value(state, "NODE2")
    assert INSTALLED == _config_value(state, "NODE1")


def test_the_preflight_refuses_a_node_whose_installed_file_is_missing(
    psrunbook: Psrunbook,
) -> None:
    """NODE2's MsDtsSrvr.ini.xml is gone: SSIS would start with its defaults, so the undo
    stops before any change and names the node, the file and the way out."""
    lab = sample_lab(nodes=2)
    _shared_features_on_d(lab, "NODE2")
    del lab.node("NODE2").volumes["D"].entries[fold(DTS + "\\binn\\msdtssrvr.ini.xml")]
    _seed_lab(psrunbook, _left_clustered_by_another_host(lab))
    before = psrunbook.lab_state()

    failed = psrunbook("run", *UNDO, "--yes", expect=1)

    shown = " ".join((failed.stdout + failed.stderr).split())
    assert "NODE2" in shown
    assert f"{ELSEWHERE} does not exist" in shown
    assert "config_file" in shown
    assert before == psrunbook.lab_state()


def test_the_preflight_refuses_a_config_file_that_does_not_exist(psrunbook: Psrunbook) -> None:
    """config_file names a file no node has: the undo stops before removing anything."""
    _seed_lab(psrunbook, _left_clustered_by_another_host(sample_lab(nodes=2)))
    before = psrunbook.lab_state()

    failed = psrunbook("run", *UNDO, "--yes", "-p", f"config_file={CUSTOM}", expect=1)

    assert f"{CUSTOM} does not exist" in " ".join((failed.stdout + failed.stderr).split())
    assert before == psrunbook.lab_state()


def test_nothing_recorded_is_a_warning(psrunbook: Psrunbook) -> None:
    """An undo that found no record falls back on every node: the plan warns of it."""
    _seed_lab(psrunbook, sample_lab(nodes=2))

    shown = psrunbook("plan", *UNDO).stdout

    assert "[warning] SSIS-UNDO-REGISTRY: No ssis-clustered run" in shown
    assert "[warning] SSIS-UNDO-SERVICE: No ssis-clustered run" in shown


# --- 2. a second undo gives back the same recorded values ---------------------------------


def _passive_node2(lab: SimCluster) -> SimCluster:
    """NODE2 Manual and stopped (a passive node not licensed for SSIS), its own file."""
    service = lab.node("NODE2").services[fold(SSIS)]
    service.start_type = "Manual"
    lab.stop_service(service)
    _set_config(lab, "NODE2", CUSTOM)
    return lab


def test_a_second_undo_gives_back_what_the_first_one_restored(psrunbook: Psrunbook) -> None:
    """ssis-clustered, undo, undo again: NODE2 is still Manual and stopped and its
    ServiceConfigFile still its own; the second undo changes nothing."""
    _seed_lab(psrunbook, _passive_node2(sample_lab(nodes=2)))
    before = _comparable(psrunbook.lab_state())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    clustered = psrunbook.last_run().run_id
    psrunbook("run", *UNDO, "--yes")
    after_undo = _comparable(psrunbook.lab_state())

    again = psrunbook("run", *UNDO, "--yes")

    state = psrunbook.lab()
    assert ("Manual", "Stopped") == _ssis(state, "NODE2")
    assert CUSTOM == _config_value(state, "NODE2")
    assert "nothing to do" in again.stdout + again.stderr
    assert after_undo == _comparable(psrunbook.lab_state())
    assert before == after_undo
    second = psrunbook.last_run()
    assert [clustered] == second.parameters["recorded_runs"]
    assert {"start_type": "Manual", "status": "Stopped"} == second.parameters[
        "recorded_service_states"
    ]["NODE2"]


def test_a_second_undo_keeps_the_config_file_the_first_put_back_on_the_shared_disk(
    psrunbook: Psrunbook,
) -> None:
    """S:\\SSIS held someone's own MsDtsSrvr.ini.xml before ssis-clustered; the first undo
    wrote it back. The second must not take that folder for one ssis-clustered made."""
    lab = sample_lab(nodes=2)
    volume = lab.shared_volumes["S"]
    volume.entries["ssis"] = FsEntry("SSIS", True)
    volume.entries["ssis\\msdtssrvr.ini.xml"] = FsEntry(
        "MsDtsSrvr.ini.xml", False, data=OWN_DOCUMENT.encode("utf-8")
    )
    _seed_lab(psrunbook, lab)
    before = _comparable(psrunbook.lab_state())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    psrunbook("run", *UNDO, "--yes")
    assert before == _comparable(psrunbook.lab_state())

    psrunbook("run", *UNDO, "--yes")

    assert "ssis\\msdtssrvr.ini.xml" in restore(psrunbook.lab_file).shared_volumes["S"].entries
    assert before == _comparable(psrunbook.lab_state())


def test_a_new_clustered_run_after_an_undo_is_read_again(psrunbook: Psrunbook) -> None:
    """ssis-clustered, undo, ssis-clustered, undo: the second undo reads the new run (it
    found what the first undo left) and NODE2 is Manual and stopped again."""
    _seed_lab(psrunbook, _passive_node2(sample_lab(nodes=2)))
    before = _comparable(psrunbook.lab_state())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    psrunbook("run", *UNDO, "--yes")
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    second_clustered = psrunbook.last_run().run_id

    psrunbook("run", *UNDO, "--yes")

    assert before == _comparable(psrunbook.lab_state())
    assert second_clustered in psrunbook.last_run().parameters["recorded_runs"]


# --- 3. a Disabled service with nothing recorded stays Disabled ---------------------------


def test_without_a_record_a_disabled_service_stays_disabled(psrunbook: Psrunbook) -> None:
    """An administrator disabled SSIS on NODE2: start_type (Automatic) does not enable and
    start it; the plan and the step say it was left Disabled."""
    lab = sample_lab(nodes=2)
    service = lab.node("NODE2").services[fold(SSIS)]
    lab.stop_service(service)
    service.start_type = "Disabled"
    _seed_lab(psrunbook, _left_clustered_by_another_host(lab))

    plan = psrunbook("plan", *UNDO).stdout
    assert "04-service on NODE2" not in plan

    psrunbook("run", *UNDO, "--yes")

    state = psrunbook.lab()
    assert ("Disabled", "Stopped") == _ssis(state, "NODE2")
    assert ("Automatic", "Running") == _ssis(state, "NODE1")
    service_attempts = [
        a
        for a in psrunbook.attempts(psrunbook.last_run().run_id)
        if a.step_name == "service" and a.node == "NODE2"
    ]
    assert service_attempts
    assert {"StartType": "Disabled", "Status": "Stopped", "From": "disabled"} == (
        service_attempts[-1].result or {}
    )["After"]


def test_without_a_record_start_type_manual_does_not_enable_a_disabled_service(
    psrunbook: Psrunbook,
) -> None:
    """start_type=Manual would make a Disabled service startable: it stays Disabled."""
    lab = sample_lab(nodes=2)
    service = lab.node("NODE2").services[fold(SSIS)]
    lab.stop_service(service)
    service.start_type = "Disabled"
    _seed_lab(psrunbook, lab)

    psrunbook("run", *UNDO, "--yes", "-p", "start_type=Manual")

    assert ("Disabled", "Stopped") == _ssis(psrunbook.lab(), "NODE2")


def test_a_service_disabled_since_ssis_clustered_recorded_it_stays_disabled(
    psrunbook: Psrunbook,
) -> None:
    """ssis-clustered recorded NODE2's SSIS as Automatic and Running (it refuses a Disabled
    service), then an administrator disabled it there: the undo must not enable and start
    it from the older record."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    lab = restore(psrunbook.lab_file)
    service = lab.node("NODE2").services[fold(SSIS)]
    service.start_type = "Disabled"
    save(lab, psrunbook.lab_file)

    psrunbook("run", *UNDO, "--yes")

    assert ("Disabled", "Stopped") == _ssis(psrunbook.lab(), "NODE2")
    service_attempts = [
        a
        for a in psrunbook.attempts(psrunbook.last_run().run_id)
        if a.step_name == "service" and a.node == "NODE2" and not a.check_only
    ]
    assert service_attempts
    assert {"StartType": "Disabled", "Status": "Stopped", "From": "disabled"} == (
        service_attempts[-1].result or {}
    )["After"]


def test_seeded_labs_survive_a_round_trip(tmp_path: Path) -> None:
    """The D: install the tests seed is a lab a file can hold (guards the helpers)."""
    lab = sample_lab(nodes=2)
    _shared_features_on_d(lab, "NODE2")
    save(lab, tmp_path / "lab.json")
    again = restore(tmp_path / "lab.json")
    assert "D" in again.node("NODE2").volumes
    assert again.node("NODE2").services[fold(SSIS)].image_path.startswith("D:\\")
