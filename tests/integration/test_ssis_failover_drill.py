"""``ssis-failover-drill`` on a 3-node lab after ``ssis-clustered`` (issue 12).

The group visits every node and comes home; SSIS follows and loads the shared
configuration on each. A node where SSIS cannot start is reported with the reason, the
drill goes on, and the group still ends at home with SSIS online.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from tests.integration.test_execution import _by_name, _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

GROUP = "SQL Server (MSSQLSERVER)"
SSIS = "MsDtsServer150"
RESOURCE = "SQL Server Integration Services"


def _owner(state: dict[str, Any]) -> str:
    owner: str = _by_name(state["groups"])[GROUP]["owner"]
    return owner


def test_the_drill_visits_every_node_and_ends_at_home(psrunbook: Psrunbook) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=3))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    before = psrunbook.lab()
    result = psrunbook("run", "ssis-failover-drill", "--sim", "--yes")
    after = psrunbook.lab()
    assert "NODE1" == _owner(after)
    log = after["change_log"][len(before["change_log"]) :]
    owners_seen = [target for cmdlet, _, target in log if cmdlet == "Move-ClusterGroup"]
    assert [GROUP] * 3 == owners_seen
    starts = [e for e in log if e[0] == "Start-Service"]
    assert [] == starts  # the cluster started SSIS, nobody behind its back
    assert "Online" == _by_name(after["resources"])[RESOURCE]["state"]
    assert "succeeded" == psrunbook.last_run().outcome
    assert "check-3" in result.stdout


@pytest.mark.parametrize("terminate", [True, False], ids=["terminating", "non-terminating"])
def test_a_node_where_ssis_cannot_start_is_reported_and_the_group_still_comes_home(
    psrunbook: Psrunbook, terminate: bool
) -> None:
    lab = sample_lab(nodes=3)
    lab.cluster_errors_terminate = terminate
    _seed_lab(psrunbook, lab)
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    cluster = restore(psrunbook.lab_file)
    ssis = cluster.node("NODE3").service(SSIS)
    assert ssis is not None
    ssis.start_type = "Disabled"  # an administrator disabled it there after clustering
    save(cluster, psrunbook.lab_file)

    result = psrunbook("run", "ssis-failover-drill", "--sim", "--yes", expect=1)
    output = result.stdout + result.stderr
    assert "NODE3" in output
    assert f"resource '{RESOURCE}' is Failed on NODE3 after the move" in output
    after = psrunbook.lab()
    assert "NODE1" == _owner(after)
    assert "Online" == _by_name(after["resources"])[RESOURCE]["state"]
    node1 = _by_name(_by_name(after["nodes"])["NODE1"]["services"])[SSIS]
    assert "Running" == node1["status"]
    assert "failed" == psrunbook.last_run().outcome


def test_the_drill_refuses_to_start_when_the_group_is_not_at_home(psrunbook: Psrunbook) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    before = psrunbook.lab_state()
    result = psrunbook(
        "run", "ssis-failover-drill", "--sim", "--yes", "-p", "home_node=NODE2", expect=1
    )
    assert "is owned by NODE1, not home_node NODE2" in result.stdout + result.stderr
    assert before == psrunbook.lab_state()
