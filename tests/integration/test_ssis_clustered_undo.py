"""``ssis-clustered-undo`` returns the lab to its state before ``ssis-clustered`` (issue 12).

Compared on the lab itself, not on the run's output: services, registry, resources,
checkpoints and the shared disk. Only history differs (process ids, write moments, the
change log), which ``lab_state`` and the comparison leave out.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psrunbook.sim.lab.cluster_model import FsEntry, Volume
from psrunbook.sim.lab.lab_files import load, restore, sample_lab, save
from tests.integration.test_execution import _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook


def _comparable(state: dict[str, Any]) -> dict[str, Any]:
    for key in ("change_log", "changes", "faults"):
        state.pop(key)
    return state


def test_undo_returns_the_lab_to_its_state_before_the_run(psrunbook: Psrunbook) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=3))
    before = _comparable(psrunbook.lab_state())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    assert before != _comparable(psrunbook.lab_state())

    psrunbook("run", "ssis-clustered-undo", "--sim", "--yes", "-p", "shared_folder=S:\\SSIS")
    assert before == _comparable(psrunbook.lab_state())

    again = psrunbook(
        "run", "ssis-clustered-undo", "--sim", "--yes", "-p", "shared_folder=S:\\SSIS"
    )
    assert "nothing to do" in again.stdout + again.stderr


def test_undo_keeps_a_shared_folder_holding_packages(psrunbook: Psrunbook) -> None:
    """A deployed package is someone's work: the folder stays and the step says why."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    cluster = restore(psrunbook.lab_file)
    volume = cluster.shared_volumes["S"]
    volume.entries["ssis\\packages\\load.dtsx"] = FsEntry("Load.dtsx", False, data=b"<x/>")
    save(cluster, psrunbook.lab_file)
    result = psrunbook(
        "run", "ssis-clustered-undo", "--sim", "--yes", "-p", "shared_folder=S:\\SSIS", expect=1
    )
    assert "S:\\SSIS\\Packages\\Load.dtsx" in result.stdout + result.stderr
    assert "ssis\\packages\\load.dtsx" in restore(psrunbook.lab_file).shared_volumes["S"].entries


def test_undo_refuses_a_resource_that_is_not_the_ssis_generic_service(
    psrunbook: Psrunbook,
) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=2))
    before = psrunbook.lab_state()
    result = psrunbook(
        "run", "ssis-clustered-undo", "--sim", "--yes", "-p", "resource_name=SQL Server", expect=1
    )
    assert "it is not removed" in result.stdout + result.stderr
    assert before == psrunbook.lab_state()


KEY = "SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile"
CUSTOM = "D:\\SSIS Config\\MsDtsSrvr.ini.xml"


def _config_value(state: dict[str, Any], node: str) -> object:
    cluster = load(state)
    key = cluster.node(node).registry.key(KEY)
    assert key is not None
    value = key.get("")
    return None if value is None else value.data


def _seed_with_own_value_on_node2(psrunbook: Psrunbook) -> None:
    """A two-node lab whose NODE2 points SSIS at its own file before ssis-clustered."""
    lab = sample_lab(nodes=2)
    key = lab.node("NODE2").registry.key(KEY)
    assert key is not None
    key.set("", CUSTOM)
    _seed_lab(psrunbook, lab)


def _unloaded(state: dict[str, Any]) -> dict[str, Any]:
    """The state without what each service loaded: the seeded value was set behind the
    running service's back, so only a restart (the undo's) makes it load that value."""
    for node in state["nodes"]:
        for service in node["services"]:
            service.pop("loaded", None)
    return state


def test_undo_restores_each_nodes_recorded_value_not_the_installed_file(
    psrunbook: Psrunbook,
) -> None:
    """NODE2 pointed SSIS at its own file before ssis-clustered: the undo reads that value
    from the journal (step config-registry's Before) and puts it back; NODE1 gets its
    recorded installed file. The plan says where each value comes from (review: undo)."""
    _seed_with_own_value_on_node2(psrunbook)
    before = _comparable(psrunbook.lab_state())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    clustered = psrunbook.last_run().run_id

    plan = psrunbook("plan", "ssis-clustered-undo", "--sim", "-p", "shared_folder=S:\\SSIS")
    shown = plan.stdout + plan.stderr
    assert "From: 'journal'" in shown
    assert f"ServiceConfigFile is restored from the journal (run(s) {clustered})" in shown
    assert CUSTOM in shown

    psrunbook("run", "ssis-clustered-undo", "--sim", "--yes", "-p", "shared_folder=S:\\SSIS")
    assert CUSTOM == _config_value(psrunbook.lab(), "NODE2")
    assert _unloaded(before) == _unloaded(_comparable(psrunbook.lab_state()))
    undo = psrunbook.last_run()
    assert undo.parameters["recorded_runs"] == [clustered]
    assert undo.parameters["recorded_config_files"]["NODE2"] == CUSTOM


def test_a_second_clustered_run_does_not_hide_the_first_ones_record(
    psrunbook: Psrunbook,
) -> None:
    """The second ssis-clustered run finds the first one's shared path; the value to
    restore is what the first change found."""
    _seed_with_own_value_on_node2(psrunbook)
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    psrunbook("run", "ssis-clustered", "--sim", "--yes", "-p", "shared_folder=S:\\SSIS2")
    psrunbook("run", "ssis-clustered-undo", "--sim", "--yes")
    assert CUSTOM == _config_value(psrunbook.lab(), "NODE2")


def test_without_a_record_the_undo_uses_config_file_and_says_so(psrunbook: Psrunbook) -> None:
    lab = sample_lab(nodes=2)
    for node in lab.nodes.values():  # the preflight refuses a config_file a node lacks
        node.volumes["D"] = Volume("D", root_acl=list(node.volumes["C"].root_acl))
        node.volumes["D"].entries["ssis config"] = FsEntry("SSIS Config", True)
        node.volumes["D"].entries["ssis config\\msdtssrvr.ini.xml"] = FsEntry(
            "MsDtsSrvr.ini.xml", False, data=OWN_DOCUMENT.encode("utf-8")
        )
    _seed_lab(psrunbook, lab)
    plan = psrunbook("plan", "ssis-clustered-undo", "--sim", "-p", f"config_file={CUSTOM}")
    shown = plan.stdout + plan.stderr
    assert "No ssis-clustered run in the journal recorded" in shown
    assert "From: 'config_file'" in shown
    psrunbook("run", "ssis-clustered-undo", "--sim", "--yes", "-p", f"config_file={CUSTOM}")
    assert CUSTOM == _config_value(psrunbook.lab(), "NODE1")


OWN_DOCUMENT = '\ufeff<?xml version="1.0"?>\r\n<DtsServiceConfiguration />'


def test_undo_puts_back_a_config_file_that_was_on_the_shared_disk(psrunbook: Psrunbook) -> None:
    """S:\\SSIS held someone's MsDtsSrvr.ini.xml before ssis-clustered backed it up and
    wrote its own: the undo writes the recorded text back, removes the backup and the
    Packages folder the run made, and keeps the folder, which was there before."""
    lab = sample_lab(nodes=2)
    volume = lab.shared_volumes["S"]
    volume.entries["ssis"] = FsEntry("SSIS", True)
    volume.entries["ssis\\msdtssrvr.ini.xml"] = FsEntry(
        "MsDtsSrvr.ini.xml", False, data=OWN_DOCUMENT.encode("utf-8")
    )
    _seed_lab(psrunbook, lab)
    before = _comparable(psrunbook.lab_state())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    entries = restore(psrunbook.lab_file).shared_volumes["S"].entries
    assert "ssis\\msdtssrvr.ini.xml.bak" in entries

    plan = psrunbook("plan", "ssis-clustered-undo", "--sim")
    assert "restore S:\\SSIS\\MsDtsSrvr.ini.xml as ssis-clustered found it" in plan.stdout
    psrunbook("run", "ssis-clustered-undo", "--sim", "--yes")
    assert before == _comparable(psrunbook.lab_state())


def test_an_exported_undo_bundle_carries_the_recorded_values(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """export reads the journal as plan and run do, so the approved bundle restores what
    ssis-clustered recorded, and running it needs no journal lookup of its own."""
    _seed_with_own_value_on_node2(psrunbook)
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    bundle = tmp_path / "undo"
    psrunbook(
        "export", "ssis-clustered-undo", "-i", str(psrunbook.lab_file.parent / "inventory.toml"),
        "-p", "sql_version=2019", "-p", "group=SQL Server (MSSQLSERVER)", "-o", str(bundle),
    )  # fmt: skip
    manifest = json.loads((bundle / "manifest.json").read_text("utf-8"))
    assert manifest["parameters"]["recorded_config_files"]["NODE2"] == CUSTOM
    psrunbook("run", "--bundle", str(bundle), "--sim", "--yes")
    assert CUSTOM == _config_value(psrunbook.lab(), "NODE2")
