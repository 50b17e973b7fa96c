"""``ssis-clustered-undo`` gives each node's SSIS service back the start type and the
running/stopped state ``ssis-clustered`` found there (its service-manual step's
``Before``, read from the journal), not one ``start_type`` for every node.

A passive node whose SSIS an administrator kept Manual and stopped (SSIS-LICENSING: SSIS
running on a passive node needs its own licence) must be Manual and stopped again after
the undo. ``start_type`` only stands in for a node the journal recorded nothing for, and
the plan says so.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psrunbook.sim.lab.cluster_model import SimCluster, fold
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.test_execution import _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

SSIS = "MsDtsServer150"
UNDO = ("ssis-clustered-undo", "--sim")


def _passive_node2_manual_and_stopped() -> SimCluster:
    """A two-node lab whose NODE2 (not the SQL Server group's owner) has SSIS Manual and
    stopped, as an administrator leaves a passive node that is not licensed for it."""
    lab = sample_lab(nodes=2)
    service = lab.node("NODE2").services[fold(SSIS)]
    service.start_type = "Manual"
    lab.stop_service(service)
    return lab


def _ssis(state: dict[str, Any], node: str) -> tuple[str, str]:
    """(start type, status) of the SSIS service on ``node``."""
    found = {n["name"]: n for n in state["nodes"]}[node]
    service = {s["name"]: s for s in found["services"]}[SSIS]
    return service["start_type"], service["status"]


def _comparable(state: dict[str, Any]) -> dict[str, Any]:
    for key in ("change_log", "changes", "faults"):
        state.pop(key)
    return state


def test_undo_gives_each_node_the_start_type_and_state_it_had(psrunbook: Psrunbook) -> None:
    """NODE2 was Manual and stopped before ssis-clustered, NODE1 Automatic and running:
    after the undo each is so again, and the lab is as it was."""
    _seed_lab(psrunbook, _passive_node2_manual_and_stopped())
    before = _comparable(psrunbook.lab_state())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    clustered = psrunbook.last_run().run_id

    psrunbook("run", *UNDO, "--yes")

    state = psrunbook.lab()
    assert ("Manual", "Stopped") == _ssis(state, "NODE2")
    assert ("Automatic", "Running") == _ssis(state, "NODE1")
    assert before == _comparable(psrunbook.lab_state())
    undo = psrunbook.last_run()
    assert {
        "NODE1": {"start_type": "Automatic", "status": "Running"},
        "NODE2": {"start_type": "Manual", "status": "Stopped"},
    } == undo.parameters["recorded_service_states"]
    assert [clustered] == undo.parameters["recorded_runs"]


def test_the_plan_says_each_nodes_service_state_comes_from_the_journal(
    psrunbook: Psrunbook,
) -> None:
    """The plan shows, before anything changes, which run the states come from, that
    NODE1's comes from the journal and that NODE2's service is left Manual and stopped."""
    _seed_lab(psrunbook, _passive_node2_manual_and_stopped())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    clustered = psrunbook.last_run().run_id

    shown = psrunbook("plan", *UNDO).stdout
    assert (
        f"The SSIS service's start type and state are restored from the journal (run(s) "
        f"{clustered}): NODE1: Automatic, Running; NODE2: Manual, Stopped; any other node "
        "gets start_type Automatic (and is started)."
    ) in " ".join(shown.split())
    assert "04-service on NODE2" not in shown  # Manual and stopped: nothing to change
    node1 = shown.split("04-service on NODE1: would change", 1)[1].split("05-", 1)[0]
    assert "From: 'journal'" in node1
    assert "actions: set Automatic" in node1


def test_a_rerun_of_the_same_undo_changes_nothing(psrunbook: Psrunbook) -> None:
    """With the same recorded runs, a second undo finds every service as the first left it."""
    _seed_lab(psrunbook, _passive_node2_manual_and_stopped())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    clustered = psrunbook.last_run().run_id
    psrunbook("run", *UNDO, "--yes")
    after_undo = _comparable(psrunbook.lab_state())

    again = psrunbook("run", *UNDO, "--yes", "-p", f"recorded_runs={clustered}")

    assert "nothing to do" in again.stdout + again.stderr
    assert after_undo == _comparable(psrunbook.lab_state())


def test_a_second_clustered_run_does_not_hide_the_first_ones_service_state(
    psrunbook: Psrunbook,
) -> None:
    """The second ssis-clustered run finds NODE1's service Manual (the cluster runs it):
    the state to restore is what the first run found, Automatic and running."""
    _seed_lab(psrunbook, _passive_node2_manual_and_stopped())
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    psrunbook("run", "ssis-clustered", "--sim", "--yes")

    psrunbook("run", *UNDO, "--yes")

    state = psrunbook.lab()
    assert ("Automatic", "Running") == _ssis(state, "NODE1")
    assert ("Manual", "Stopped") == _ssis(state, "NODE2")


def test_without_a_record_the_undo_uses_start_type_and_says_so(psrunbook: Psrunbook) -> None:
    """No ssis-clustered run in the journal: every node gets start_type, the plan's
    advisory and each node's ``From`` say it, and Manual leaves a running service running."""
    _seed_lab(psrunbook, sample_lab(nodes=2))

    shown = psrunbook("plan", *UNDO, "-p", "start_type=Manual").stdout
    assert (
        "No ssis-clustered run in the journal recorded the SSIS service's start type and "
        "state on this cluster: every node gets start_type Manual."
    ) in " ".join(shown.split())
    assert 2 == shown.count("From: 'start_type'")

    psrunbook("run", *UNDO, "--yes", "-p", "start_type=Manual")

    state = psrunbook.lab()
    for node in ("NODE1", "NODE2"):
        assert ("Manual", "Running") == _ssis(state, node), node
    assert {} == psrunbook.last_run().parameters["recorded_service_states"]
