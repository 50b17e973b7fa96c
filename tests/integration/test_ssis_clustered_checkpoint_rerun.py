"""A re-run that moves the configuration while the SSIS resource is not Online (KB 174070).

The cluster keeps its own copy of a checkpointed registry key: taken when the checkpoint is
added and when the resource goes offline, and written back to the node where the resource
comes online. A value written while the resource is Offline or Failed is therefore
overwritten by that copy at the next online, unless the run refreshes the copy. The lab
models the copy (``SimCluster.checkpoint_data``), so these tests read what the service
running after the run really loaded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from typer.testing import Result

from psrunbook.sim.lab.cluster_faults import clear_resource_fault
from psrunbook.sim.lab.cluster_model import fold
from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from tests.integration.test_execution import SSIS_RESOURCE, _by_name, _registry_value, _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

SSIS = "MsDtsServer150"
NEW_FOLDER = "S:\\SSIS2"
NEW_FILE = "S:\\SSIS2\\MsDtsSrvr.ini.xml"


def _owner(state: dict[str, Any]) -> dict[str, Any]:
    group = _by_name(state["groups"])[state["lab"]["group"]]
    node: dict[str, Any] = _by_name(state["nodes"])[group["owner"]]
    return node


def _failed_first_run(psrunbook: Psrunbook) -> Result:
    """A first run that fails at bring-online, then the fault cleared (the cause fixed)."""
    cluster = sample_lab()
    cluster.faults.fail_online[fold(SSIS_RESOURCE)] = -1
    _seed_lab(psrunbook, cluster)
    failed = psrunbook("run", "ssis-clustered", "--sim", "--yes", expect=1)
    assert "step 10-bring-online failed" in failed.stderr
    assert "Online" != _by_name(psrunbook.lab()["resources"])[SSIS_RESOURCE]["state"]
    cluster = restore(psrunbook.lab_file)
    clear_resource_fault(cluster, SSIS_RESOURCE)
    save(cluster, psrunbook.lab_file)
    return failed


def test_a_run_failing_at_bring_online_leaves_what_its_advisory_says(
    psrunbook: Psrunbook,
) -> None:
    """SSIS-OFFLINE-UNTIL-ONLINE was printed, and it is true: SSIS is stopped and Manual on
    every node, and the error names the resume command."""
    failed = _failed_first_run(psrunbook)

    assert "[warning] SSIS-OFFLINE-UNTIL-ONLINE:" in failed.stdout
    assert "then `psrunbook resume " in failed.stderr
    state = psrunbook.lab()
    assert {"NODE1": ("Stopped", "Manual"), "NODE2": ("Stopped", "Manual")} == {
        node["name"]: (
            _by_name(node["services"])[SSIS]["status"],
            _by_name(node["services"])[SSIS]["start_type"],
        )
        for node in state["nodes"]
    }


@pytest.mark.parametrize("restart_when_stale", ["true", "false"])
def test_a_new_shared_folder_after_a_failed_run_is_what_the_service_loads(
    psrunbook: Psrunbook, restart_when_stale: str
) -> None:
    """A re-run moving shared_folder while SSIS is not Online: the service loads the new file."""
    _failed_first_run(psrunbook)

    psrunbook(
        "run",
        "ssis-clustered",
        "--sim",
        "--yes",
        "-p",
        f"shared_folder={NEW_FOLDER}",
        "-p",
        f"restart_when_stale={restart_when_stale}",
    )

    state = psrunbook.lab()
    assert "Online" == _by_name(state["resources"])[SSIS_RESOURCE]["state"]
    owner = _owner(state)
    service = _by_name(owner["services"])[SSIS]
    assert ("Running", NEW_FILE) == (service["status"], service["loaded"]["config_file"])
    assert NEW_FILE == _registry_value(owner, state["lab"]["ssis_config_key"])


def test_the_refreshed_copy_survives_the_next_offline_and_online(psrunbook: Psrunbook) -> None:
    """After the fix-up run, taking SSIS offline and online again keeps the new path."""
    _failed_first_run(psrunbook)
    psrunbook("run", "ssis-clustered", "--sim", "--yes", "-p", f"shared_folder={NEW_FOLDER}")
    cluster = restore(psrunbook.lab_file)
    resource = cluster.resource(SSIS_RESOURCE)
    cluster.take_offline(resource)
    cluster.begin_online(resource, wait=True)
    save(cluster, psrunbook.lab_file)

    state = psrunbook.lab()
    service = _by_name(_owner(state)["services"])[SSIS]
    assert NEW_FILE == service["loaded"]["config_file"]
    for node in state["nodes"]:
        assert NEW_FILE == _registry_value(node, state["lab"]["ssis_config_key"])


def test_the_checkpoint_step_reports_the_refresh_then_a_rerun_changes_nothing(
    psrunbook: Psrunbook,
) -> None:
    """Step 06 on the node owning the resource re-adds every registry checkpoint of a
    resource not Online once it changed the value there, and says which (the other node
    and step 07 refresh nothing); once the resource is Online a further run changes
    nothing."""
    _failed_first_run(psrunbook)
    key = psrunbook.lab()["lab"]["ssis_config_key"]
    owner = _owner(psrunbook.lab())["name"]

    psrunbook("run", "ssis-clustered", "--sim", "--yes", "-p", f"shared_folder={NEW_FOLDER}")
    fixing = psrunbook.attempts(psrunbook.last_run().run_id)
    registry = {a.node: a for a in fixing if a.step_name == "config-registry"}
    assert all(a.changed and a.result is not None for a in registry.values())
    refreshed = {node: a.result["Refreshed"] for node, a in registry.items() if a.result}
    assert {node: ([key] if node == owner else []) for node in registry} == refreshed
    (checkpoint,) = [a for a in fixing if a.step_name == "registry-checkpoint"]
    assert not checkpoint.changed
    assert [key] == _by_name(psrunbook.lab()["resources"])[SSIS_RESOURCE]["checkpoints"]

    before = psrunbook.lab_state()
    psrunbook("run", "ssis-clustered", "--sim", "--yes", "-p", f"shared_folder={NEW_FOLDER}")
    again = psrunbook.attempts(psrunbook.last_run().run_id)
    assert [] == [a.step_name for a in again if a.changed]
    assert before["change_log"] == psrunbook.lab_state()["change_log"]


def test_a_plan_after_the_failed_run_shows_the_refresh_and_changes_nothing(
    psrunbook: Psrunbook,
) -> None:
    """plan: config-registry on the owner would refresh the checkpoint; the lab is left
    as it was."""
    _failed_first_run(psrunbook)
    key = psrunbook.lab()["lab"]["ssis_config_key"]
    owner = _owner(psrunbook.lab())["name"]
    before = psrunbook.lab_state()

    psrunbook("plan", "ssis-clustered", "--sim", "-p", f"shared_folder={NEW_FOLDER}")

    (registry,) = [
        a
        for a in psrunbook.attempts(psrunbook.last_run().run_id)
        if a.step_name == "config-registry" and a.node == owner
    ]
    assert (True, True) == (registry.check_only, registry.changed)
    assert registry.result is not None
    assert [key] == registry.result["Refreshed"]
    assert before == psrunbook.lab_state()
