"""``ssis-clustered`` never shrinks where SQL Server can run, and refuses what it cannot
check, before any change (issue 12: possible owners and the preflight).

A resource's possible owners restrict where its whole group can be owned, so SSIS's
possible owners default to the SQL Server resource's, read from the cluster; owners that
leave out a node that can host SQL Server, and such a node missing from the inventory or
unable to run SSIS there, are refused with the list of nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster, fold
from psrunbook.sim.lab.lab_files import dump, lab_facts, sample_lab, without_history
from psrunbook.sim.lab.serve import PASSWORD_ENV
from tests.integration.conftest import served_inventory
from tests.integration.test_execution import _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

PASSWORD = "owners-test-password"
SSIS = "MsDtsServer150"
RESOURCE = "SQL Server Integration Services"


def _state(lab: SimCluster) -> dict[str, Any]:
    state = without_history(dump(lab))
    state["faults"].pop("pipelines_finished")
    return state


def _params(lab: SimCluster) -> list[str]:
    facts = lab_facts(lab)
    values = {
        "sql_version": facts.sql_version,
        "group": facts.group,
        "sql_resource": facts.sql_resource,
        "disk_resource": facts.disk_resource,
        "virtual_server": facts.virtual_server,
        "shared_folder": "S:\\SSIS",
        "package_principals": facts.principals[0],
    }
    return [part for key, value in values.items() for part in ("-p", f"{key}={value}")]


@pytest.fixture
def three_nodes_two_in_inventory(tmp_path: Path) -> Iterator[tuple[SimCluster, Path]]:
    """A 3-node lab served whole, with an inventory that names only NODE1 and NODE2."""
    lab = sample_lab(nodes=3)
    with served_inventory(lab, tmp_path / "inventory.toml", PASSWORD) as path:
        yield lab, path


def test_an_inventory_without_a_node_that_can_host_sql_server_is_refused_before_any_change(
    psrunbook: Psrunbook, three_nodes_two_in_inventory: tuple[SimCluster, Path]
) -> None:
    """Issue 12's done state: NODE3 can host SQL Server but is not in the inventory."""
    lab, inventory = three_nodes_two_in_inventory
    before = _state(lab)
    result = psrunbook(
        *("run", "ssis-clustered", "-i", str(inventory), "--yes"),
        *_params(lab),
        env={PASSWORD_ENV: PASSWORD},
        expect=1,
    )
    output = result.stdout + result.stderr
    assert "NODE3" in output
    assert "inventory" in output
    assert before == _state(lab)


def test_owners_default_to_the_sql_server_resources_possible_owners(
    psrunbook: Psrunbook,
) -> None:
    """SQL Server may run on NODE1 and NODE2 of three: SSIS gets exactly those."""
    lab = sample_lab(nodes=3)
    lab.resource("SQL Server").possible_owners = ["NODE1", "NODE2"]
    _seed_lab(psrunbook, lab)
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    resource = {r["name"]: r for r in psrunbook.lab()["resources"]}[RESOURCE]
    assert ["NODE1", "NODE2"] == sorted(resource["possible_owners"])


def test_owners_that_leave_out_a_node_that_can_host_sql_server_are_refused(
    psrunbook: Psrunbook,
) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=3))
    before = psrunbook.lab_state()
    result = psrunbook(
        *("run", "ssis-clustered", "--sim", "--yes"),
        *("-p", "possible_owners=NODE1", "-p", "possible_owners=NODE2"),
        expect=1,
    )
    output = result.stdout + result.stderr
    assert "leaves out NODE3" in output
    assert before == psrunbook.lab_state()


def _paused(lab: SimCluster) -> list[str]:
    lab.set_node_state("NODE2", "Paused")
    return []


def _disabled(lab: SimCluster) -> list[str]:
    lab.node("NODE2").services[fold(SSIS)].start_type = "Disabled"
    return []


def _sql_type(lab: SimCluster) -> list[str]:
    return ["-p", f"sql_resource={lab_facts(lab).network_name_resource}"]


def _disk_type(lab: SimCluster) -> list[str]:
    return ["-p", f"disk_resource={lab_facts(lab).ip_resource}"]


@pytest.mark.parametrize(
    ("arrange", "expected"),
    [
        (_paused, "NODE2 is Paused"),
        (_disabled, "is Disabled"),
        (_sql_type, "not 'SQL Server'"),
        (_disk_type, "not 'Physical Disk'"),
    ],
    ids=["owner-paused", "service-disabled", "sql-resource-type", "disk-resource-type"],
)
def test_preflight_refuses_before_any_change(
    psrunbook: Psrunbook, arrange: Any, expected: str
) -> None:
    """An owner node that is not Up, a Disabled SSIS service (the Generic Service cannot
    start it), and resources of the wrong type are found before anything changes."""
    lab = sample_lab(nodes=3)
    extra = arrange(lab)
    _seed_lab(psrunbook, lab)
    before = psrunbook.lab_state()
    result = psrunbook("run", "ssis-clustered", "--sim", "--yes", *extra, expect=1)
    assert expected in result.stdout + result.stderr
    assert before == psrunbook.lab_state()
