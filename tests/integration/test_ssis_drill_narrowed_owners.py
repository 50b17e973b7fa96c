"""``ssis-failover-drill`` refuses when SSIS narrows where the SQL Server group can run
(review: a node added after ``ssis-clustered``).

``ssis-clustered`` gives SSIS an explicit list of possible owners (SQL Server's at the
time). Whether Windows adds a node joined later to such a list is not settled by our facts
(``failoverclusters.json`` says only that ``Set-ClusterOwnerNode -Resource`` sets the list;
UNVERIFIED), so the stricter reading is taken: it does not. SQL Server setup's Add Node
then widens SQL Server's possible owners alone, and since possible owners restrict the
whole group, SQL Server can never move to the new node. The lab here has three nodes from
the start and SQL Server's owners widened after the run, which is that state. The drill's
move there was skipped as "not a possible owner" and the drill succeeded; the preflight
now names the node and the fix.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from tests.integration.test_execution import _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

RESOURCE = "SQL Server Integration Services"


def narrowed_lab(psrunbook: Psrunbook) -> SimCluster:
    """``ssis-clustered`` while SQL Server could run on NODE1 and NODE2 only, then NODE3
    added to SQL Server's possible owners (as SQL Server setup's Add Node does)."""
    lab = sample_lab(nodes=3)
    lab.resource("SQL Server").possible_owners = ["NODE1", "NODE2"]
    _seed_lab(psrunbook, lab)
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    cluster = restore(psrunbook.lab_file)
    assert ["NODE1", "NODE2"] == sorted(cluster.resource(RESOURCE).possible_owners)
    cluster.resource("SQL Server").possible_owners = ["NODE1", "NODE2", "NODE3"]
    save(cluster, psrunbook.lab_file)
    return cluster


def test_ssis_narrowing_sql_servers_owners_is_refused_before_any_move(
    psrunbook: Psrunbook,
) -> None:
    narrowed_lab(psrunbook)
    before = psrunbook.lab_state()

    result = psrunbook("run", "ssis-failover-drill", "--sim", "--yes", expect=1)

    output = " ".join((result.stdout + result.stderr).split())
    assert f"resource '{RESOURCE}' narrows SQL Server's failover targets to NODE1, NODE2" in output
    assert "re-run ssis-clustered with NODE3 in the inventory" in output
    assert before == psrunbook.lab_state()

    psrunbook("run", "ssis-clustered", "--sim", "--yes")  # the fix the message names
    psrunbook("run", "ssis-failover-drill", "--sim", "--yes")
    assert "succeeded" == psrunbook.last_run().outcome


def test_owners_equal_to_sql_servers_pass(psrunbook: Psrunbook) -> None:
    """The ordinary case: SSIS's owners are SQL Server's, read when ssis-clustered ran."""
    cluster = narrowed_lab(psrunbook)
    cluster.resource("SQL Server").possible_owners = ["NODE1", "NODE2"]
    save(cluster, psrunbook.lab_file)

    psrunbook("run", "ssis-failover-drill", "--sim", "--yes")

    assert "succeeded" == psrunbook.last_run().outcome
