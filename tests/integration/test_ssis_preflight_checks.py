"""Preflight checks of issue 12, each refused before any change: a session without
administrator rights (both SSIS runbooks, naming the account and the fix), and a shared
folder on the system drive (ssis-clustered).

The lab's PSRP user is a plain user when ``remote_user_is_administrator`` is false; the
preflight asks ``WindowsPrincipal.IsInRole(WindowsBuiltInRole.Administrator)`` as Windows
answers it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from psrunbook.sim.lab.cluster_model import Group, Resource, SimCluster, Volume, fold
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.serve import SIM_USER
from tests.integration.test_execution import _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook


@pytest.mark.parametrize(
    "runbook", ["ssis-clustered", "ssis-standalone", "ssis-failover-drill", "ssis-clustered-undo"]
)
def test_a_session_without_administrator_rights_is_refused_before_any_change(
    psrunbook: Psrunbook, runbook: str
) -> None:
    lab = sample_lab(nodes=2)
    lab.remote_user_is_administrator = False
    _seed_lab(psrunbook, lab)
    before = psrunbook.lab_state()
    result = psrunbook("run", runbook, "--sim", "--yes", expect=1)
    output = result.stdout + result.stderr
    assert f"the session account {SIM_USER} is not an administrator" in output
    assert "local Administrators group" in output
    assert before == psrunbook.lab_state()


def test_a_shared_folder_on_the_system_drive_is_refused_before_any_change(
    psrunbook: Psrunbook,
) -> None:
    """C: is every node's own system disk, never the cluster disk that fails over with
    SQL Server: a configuration there would differ per node (issue 12)."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    before = psrunbook.lab_state()
    result = psrunbook(
        "run", "ssis-clustered", "--sim", "--yes", "-p", "shared_folder=C:\\SSIS", expect=1
    )
    assert "is on the system drive C:" in result.stdout + result.stderr
    assert before == psrunbook.lab_state()


def test_a_shared_folder_on_a_cluster_shared_volume_is_refused_by_what_it_is(
    psrunbook: Psrunbook,
) -> None:
    """C:\\ClusterStorage\\... is a Cluster Shared Volume, in no group, not the system disk:
    refused before any change, saying so (it was refused as "the system drive")."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    before = psrunbook.lab_state()
    result = psrunbook(
        "run",
        "ssis-clustered",
        "--sim",
        "--yes",
        "-p",
        "shared_folder=C:\\ClusterStorage\\Volume1\\SSIS",
        expect=1,
    )
    output = " ".join((result.stdout + result.stderr).split())
    assert "is on a Cluster Shared Volume, which belongs to no cluster group" in output
    assert "ssis-standalone" in output
    assert "system drive" not in output
    assert before == psrunbook.lab_state()


def test_cluster_report_by_a_plain_user_fails_with_the_clusters_access_denied(
    psrunbook: Psrunbook,
) -> None:
    """The report has no administrator preflight (read access can be granted to others
    with Grant-ClusterAccess -ReadOnly); the cluster's own Access Denied reaches the
    operator with its reason (issue 12)."""
    lab = sample_lab(nodes=2)
    lab.remote_user_is_administrator = False
    _seed_lab(psrunbook, lab)
    result = psrunbook("run", "cluster-report", "--sim", "--yes", expect=1)
    output = result.stdout + result.stderr
    assert "You do not have administrative privileges on the cluster" in output
    assert "Access is denied" in output


def _with_available_storage(nodes: int) -> SimCluster:
    """The sample lab plus a second shared disk, T:, in Available Storage on NODE1."""
    lab = sample_lab(nodes=nodes)
    lab.groups[fold("Available Storage")] = Group("Available Storage", "NODE1")
    lab.resources[fold("Cluster Disk 2")] = Resource(
        "Cluster Disk 2",
        "Physical Disk",
        "Available Storage",
        "Online",
        possible_owners=[n.name for n in lab.nodes.values()],
        drive="T",
    )
    lab.shared_volumes["T"] = Volume("T")
    return lab


def test_a_shared_folder_on_another_cluster_disk_is_refused_before_any_change(
    psrunbook: Psrunbook,
) -> None:
    """T: is a cluster disk mounted on the owner too, but in another group: it would not
    fail over with SQL Server. The preflight maps disk_resource to its volumes through the
    cluster's WMI classes and refuses (issue 12)."""
    _seed_lab(psrunbook, _with_available_storage(2))
    before = psrunbook.lab_state()
    result = psrunbook(
        "run", "ssis-clustered", "--sim", "--yes", "-p", "shared_folder=T:\\SSIS", expect=1
    )
    output = result.stdout + result.stderr
    expected = "T:\\SSIS is not on a volume of cluster disk 'Cluster Disk 1' (its volumes: S:)"
    assert expected in output
    assert before == psrunbook.lab_state()


def test_a_shared_folder_on_the_named_disk_passes_the_volume_check(psrunbook: Psrunbook) -> None:
    _seed_lab(psrunbook, _with_available_storage(2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes", "-p", "shared_folder=S:\\Apps\\SSIS")
