"""``ssis-standalone`` leaves SSIS as setup installs it on every node: Automatic and
running (service doc, "Startup type"; ``shared/facts/ssis.json`` service_facts.startup).

A node taken from the clustered layout has its service Manual (the Generic Service
resource's doing, and ``ssis-clustered``'s service-manual step); left so, the node would
have no SSIS after its next reboot. A Disabled service is an administrator's decision:
refused before any change, never enabled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psrunbook.sim.lab.cluster_model import SimCluster, fold
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.test_execution import _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

SSIS = "MsDtsServer150"


def _lab(node: str, start_type: str, *, stopped: bool) -> SimCluster:
    lab = sample_lab(nodes=2)
    service = lab.node(node).services[fold(SSIS)]
    service.start_type = start_type
    if stopped:
        lab.stop_service(service)
    return lab


def _ssis(state: dict[str, Any], node: str) -> dict[str, Any]:
    found = {n["name"]: n for n in state["nodes"]}[node]
    service: dict[str, Any] = {s["name"]: s for s in found["services"]}[SSIS]
    return service


def test_a_manual_stopped_service_is_set_automatic_and_started_then_left_alone(
    psrunbook: Psrunbook,
) -> None:
    """NODE1's service Manual and stopped, as the clustered layout leaves a passive node:
    the plan shows the start type it would set; the run sets it and starts the service;
    a second run changes nothing."""
    _seed_lab(psrunbook, _lab("NODE1", "Manual", stopped=True))

    plan = psrunbook("plan", "ssis-standalone", "--sim").stdout
    details = plan.split("03-service-running on NODE1: would change", 1)[1]
    assert "~ StartType: 'Manual' → 'Automatic'" in details, plan
    assert "actions: set Automatic, start" in details
    assert "03-service-running on NODE2: would change" not in plan

    psrunbook("run", "ssis-standalone", "--sim", "--yes")

    state = psrunbook.lab()
    for node in ("NODE1", "NODE2"):
        assert ("Automatic", "Running") == (
            _ssis(state, node)["start_type"],
            _ssis(state, node)["status"],
        ), node
    set_service = [c for c in state["change_log"] if c[0] == "Set-Service"]
    assert [["Set-Service", "NODE1", SSIS]] == set_service
    before = psrunbook.lab_state()

    psrunbook("run", "ssis-standalone", "--sim", "--yes")

    assert before == psrunbook.lab_state()
    again = psrunbook.attempts(psrunbook.last_run().run_id)
    assert {False} == {a.changed for a in again}


def test_a_manual_running_service_is_set_automatic(psrunbook: Psrunbook) -> None:
    """Running but Manual (no reboot since it was handed back): only the start type moves;
    the step records what it did."""
    _seed_lab(psrunbook, _lab("NODE2", "Manual", stopped=False))

    psrunbook("run", "ssis-standalone", "--sim", "--yes")

    assert "Automatic" == _ssis(psrunbook.lab(), "NODE2")["start_type"]
    run = psrunbook.last_run()
    step3 = {
        a.node: a for a in psrunbook.attempts(run.run_id) if a.step_name == "service-running"
    }
    assert (True, False) == (step3["NODE2"].changed, step3["NODE1"].changed)
    assert ["set Automatic"] == (step3["NODE2"].result or {})["Actions"]


def test_a_disabled_service_is_refused_before_any_change(psrunbook: Psrunbook) -> None:
    """NODE2's service Disabled: the preflight fails naming the node's fix; no file is
    written and no service restarted anywhere (before, NODE1's file was rewritten and
    NODE2's restart failed after its own file was)."""
    _seed_lab(psrunbook, _lab("NODE2", "Disabled", stopped=True))
    before = psrunbook.lab_state()

    result = psrunbook("run", "ssis-standalone", "--sim", "--yes", expect=1)

    message = " ".join((result.stdout + result.stderr).split())
    assert f"the SSIS service {SSIS} is Disabled on this node" in message, message
    assert f"Set-Service -Name {SSIS} -StartupType Automatic" in message
    assert before == psrunbook.lab_state()
