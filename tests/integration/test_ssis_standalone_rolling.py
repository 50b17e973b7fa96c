"""``ssis-standalone`` restarts nodes one at a time and keeps out of a clustered SSIS
(issue 12; review M5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from psrunbook.sim.lab.cluster_model import fold
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
    """Nodes restart one at a time: when NODE1's restart fails (its service is Disabled, so
    it stops and cannot start), NODE2's service is never touched and keeps running."""
    lab = sample_lab(nodes=2)
    lab.node("NODE1").services[fold(SSIS)].start_type = "Disabled"
    _seed_lab(psrunbook, lab)
    psrunbook("run", "ssis-standalone", "--sim", "--yes", expect=1)
    state = psrunbook.lab()
    restarted = sorted({c[1] for c in state["change_log"] if c[0] == "Restart-Service"})
    assert "NODE2" not in restarted
    node2 = {n["name"]: n for n in state["nodes"]}["NODE2"]
    assert "Running" == {s["name"]: s for s in node2["services"]}[SSIS]["status"]
