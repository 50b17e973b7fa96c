"""``ssis-failover-drill`` refuses, before any move, a node that can own the group but is
not Up (review: the drill preflight ignored node state).

A Paused node takes no groups (``failoverclusters.json`` enums, ClusterNodeState; the lab
refuses such a move), so the drill's move there would fail only after SQL Server had
already moved to the nodes before it. The drill has no parameter to leave a node out, and
a node that can own the group but is missing from the inventory is refused too, so the
preflight names the node, its state and the way to bring it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from tests.integration.test_execution import _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook


@pytest.mark.parametrize(
    ("state", "fix"), [("Paused", "Resume-ClusterNode -Name NODE2"), ("Joining", "wait until")]
)
def test_a_possible_owner_that_is_not_up_is_refused_before_any_move(
    psrunbook: Psrunbook, state: str, fix: str
) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=3))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    cluster = restore(psrunbook.lab_file)
    cluster.set_node_state("NODE2", state)
    save(cluster, psrunbook.lab_file)
    before = psrunbook.lab_state()

    result = psrunbook("run", "ssis-failover-drill", "--sim", "--yes", expect=1)

    output = " ".join((result.stdout + result.stderr).split())
    assert f"node NODE2 can own group 'SQL Server (MSSQLSERVER)' but is {state}" in output
    assert fix in output
    assert before == psrunbook.lab_state()  # nothing moved: SQL Server stayed on NODE1
    steps = {a.step_name for a in psrunbook.attempts(psrunbook.last_run().run_id)}
    assert not any(step.startswith("move-") for step in steps)


def test_a_node_that_cannot_own_the_group_may_be_paused(psrunbook: Psrunbook) -> None:
    """Only the nodes the drill would move the group to must be Up."""
    lab = sample_lab(nodes=3)
    _seed_lab(psrunbook, lab)
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    cluster = restore(psrunbook.lab_file)
    for resource in cluster.group_resources("SQL Server (MSSQLSERVER)"):
        resource.possible_owners = ["NODE1", "NODE2"]
    cluster.set_node_state("NODE3", "Paused")
    save(cluster, psrunbook.lab_file)

    psrunbook("run", "ssis-failover-drill", "--sim", "--yes")

    run = psrunbook.last_run()
    assert "succeeded" == run.outcome
    [move] = [a for a in psrunbook.attempts(run.run_id) if a.step_name == "move-2"]
    assert move.result is not None
    assert str(move.result["Skipped"]).startswith("NODE3 is not a possible owner")
