"""``ssis-standalone`` restarts nodes one at a time and keeps out of a clustered SSIS
(issue 12; review M5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from psrunbook.sim.lab.cluster_faults import fail_service_start
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.test_execution import _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

SSIS = "MsDtsServer150"


def test_refused_when_ssis_is_also_a_cluster_resource(psrunbook: Psrunbook) -> None:
    """A restart outside the cluster would fail the Generic Service resource (and, with
    RestartAction 2, SQL Server's group): the preflight refuses before any change."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    before = psrunbook.lab_state()
    result = psrunbook("run", "ssis-standalone", "--sim", "--yes", expect=1)
    assert "cluster resource 'SQL Server Integration Services'" in result.stdout + result.stderr
    assert before == psrunbook.lab_state()


def test_a_failed_restart_stops_the_roll_before_the_next_node(psrunbook: Psrunbook) -> None:
    """Nodes restart one at a time: when NODE1's restart fails (its service stops, then
    cannot start: a logon failure, the service account's password changed), NODE2's
    service is never touched and keeps running. Once the account is mended (the fault
    used up), a resume starts NODE1's service and rolls on to NODE2."""
    lab = sample_lab(nodes=2)
    fail_service_start(lab, "NODE1", SSIS, times=1)
    _seed_lab(psrunbook, lab)
    failed = psrunbook("run", "ssis-standalone", "--sim", "--yes", expect=1)
    assert "cannot be started" in failed.stdout + failed.stderr
    state = psrunbook.lab()
    # The restart is the service's own stop and start, each bounded (no Restart-Service,
    # which waits without a limit): the stop happened, the start did not.
    stopped = [c[1] for c in state["change_log"] if c[0] == "ServiceController.Stop"]
    assert ["NODE1"] == stopped
    assert [] == [c for c in state["change_log"] if c[0] == "ServiceController.Start"]
    services = {n["name"]: {s["name"]: s for s in n["services"]} for n in state["nodes"]}
    assert "Stopped" == services["NODE1"][SSIS]["status"]
    assert "Running" == services["NODE2"][SSIS]["status"]

    psrunbook("resume", psrunbook.last_run().run_id, "--sim", "--yes")

    state = psrunbook.lab()
    stops = [c[1] for c in state["change_log"] if c[0] == "ServiceController.Stop"]
    assert ["NODE1", "NODE2"] == stops, "NODE1's file already matched: started, not restarted"
    starts = [c[1] for c in state["change_log"] if c[0] == "ServiceController.Start"]
    assert ["NODE2", "NODE1"] == starts, "NODE2 restarted by write-config, NODE1 started after"
    for node in state["nodes"]:
        assert "Running" == {s["name"]: s for s in node["services"]}[SSIS]["status"]
