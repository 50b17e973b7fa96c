"""Issue 12's done state of ``ssis-clustered`` on a 3-node lab, read from the lab itself.

SSIS is Manual on every node and runs only on the owner, having loaded the shared
configuration; the resource's RestartAction is 1; a second run changes nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.test_execution import _by_name, _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

SSIS = "MsDtsServer150"
SHARED = "S:\\SSIS\\MsDtsSrvr.ini.xml"


def _ssis(state: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["name"]: _by_name(node["services"])[SSIS] for node in state["nodes"]}


def test_three_nodes_manual_everywhere_running_only_on_the_owner_with_the_shared_config(
    psrunbook: Psrunbook,
) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=3))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    state = psrunbook.lab()
    services = _ssis(state)
    assert dict.fromkeys(("NODE1", "NODE2", "NODE3"), "Manual") == {
        n: s["start_type"] for n, s in services.items()
    }
    assert {"NODE1": "Running", "NODE2": "Stopped", "NODE3": "Stopped"} == {
        n: s["status"] for n, s in services.items()
    }
    assert SHARED == services["NODE1"]["loaded"]["config_file"]
    assert services["NODE1"]["loaded"]["document_sha256"] is not None
    resource = _by_name(state["resources"])["SQL Server Integration Services"]
    assert ("Online", 1) == (resource["state"], resource["restart_action"])

    before = psrunbook.lab_state()
    second = psrunbook("run", "ssis-clustered", "--sim", "--yes")
    assert "nothing to do" in second.stdout + second.stderr
    assert before == psrunbook.lab_state()
