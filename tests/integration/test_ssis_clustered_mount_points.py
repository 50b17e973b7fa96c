"""``ssis-clustered``'s preflight decides which cluster disk holds ``shared_folder`` when a
disk's volume is mounted in a folder of another disk's drive, as SQL Server clusters often
do (``Cluster Disk 2`` mounted at ``S:\\MP1`` on the drive of ``Cluster Disk 1``).

It took the partitions' ``Path`` (the drive) of ``disk_resource`` only: a folder under
the mount point was accepted for the drive's disk, so SSIS would depend on the wrong disk
and could come online before its volume is there, and refused for the disk that holds it.
Now the longest access path of the group's disks (a drive, or a folder of
``MSCluster_DiskPartition.MountPoints``) containing the folder, on folder boundaries,
names the disk that holds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from psrunbook.sim.lab.lab_files import LabError, LabSpec, build_lab, dump, load, restore
from tests.integration.test_execution import SSIS_RESOURCE, _seed_lab
from tests.unit.sim.lab.test_cluster_executor import Runner

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

MOUNTED = LabSpec.from_mapping({"sql": {"mount_points": ["S:\\MP1"]}})
"""The sample lab plus ``Cluster Disk 2``, its volume mounted at ``S:\\MP1``."""

PARTITIONS = (
    "param($Disk)\n"
    "$ErrorActionPreference = 'Stop'\n"
    "Set-StrictMode -Version 3\n"
    "$found = @(Get-CimInstance -Namespace 'root/MSCluster' -ClassName 'MSCluster_Resource' |"
    " Where-Object { $_.Name -eq $Disk } |"
    " Get-CimAssociatedInstance -ResultClassName 'MSCluster_Disk' |"
    " Get-CimAssociatedInstance -ResultClassName 'MSCluster_DiskPartition')\n"
    "foreach ($partition in $found) {\n"
    "    [string]$partition.Path\n"
    "    $partition.MountPoints.GetType().FullName\n"
    "    $partition.MountPoints.Count\n"
    "    $partition.MountPoints -join '|'\n"
    "}"
)


def _run(psrunbook: Psrunbook, folder: str, disk: str | None, *, expect: int) -> str:
    args = ["run", "ssis-clustered", "--sim", "--yes", "-p", f"shared_folder={folder}"]
    if disk is not None:
        args += ["-p", f"disk_resource={disk}"]
    result = psrunbook(*args, expect=expect)
    return result.stdout + result.stderr


# ------------------------------------------------------------------------- the lab


def test_a_drive_letter_partition_has_no_mount_point() -> None:
    """A CIM string array, empty: the drive is in Path."""
    assert ["S:", "System.String[]", 0, ""] == Runner(build_lab(MOUNTED))(
        PARTITIONS, Disk="Cluster Disk 1"
    ).outputs


def test_a_disk_mounted_in_a_folder_lists_it_in_mount_points() -> None:
    path, kind, count, points = Runner(build_lab(MOUNTED))(
        PARTITIONS, Disk="Cluster Disk 2"
    ).outputs
    assert not str(path).startswith("S:")
    assert ("System.String[]", 1, "S:\\MP1\\") == (kind, count, points)


def test_a_mounted_disk_shows_no_partition_off_its_owner_or_offline() -> None:
    lab = build_lab(MOUNTED)
    assert [] == Runner(lab)(PARTITIONS, "NODE2", Disk="Cluster Disk 2").outputs
    lab.take_offline(lab.resource("Cluster Disk 2"))
    assert [] == Runner(lab)(PARTITIONS, Disk="Cluster Disk 2").outputs


def test_the_mounted_disk_is_in_the_sql_group_and_depends_on_the_root_disk() -> None:
    state = dump(build_lab(MOUNTED))
    resources = {r["name"]: r for r in state["resources"]}
    disk = resources["Cluster Disk 2"]
    assert ("Physical Disk", "SQL Server (MSSQLSERVER)") == (disk["type"], disk["group"])
    assert ("S:\\MP1", [["Cluster Disk 1"]]) == (disk["mount_point"], disk["dependencies"])
    assert ["Cluster Disk 2"] in resources["SQL Server"]["dependencies"]
    assert "mp1" in {v["letter"]: v for v in state["shared_volumes"]}["S"]["entries"]
    assert state == dump(load(state))


@pytest.mark.parametrize(
    "value", ["T:\\MP1", "S:\\", "S:\\a*b", "S:\\..\\x", "MP1", "S:\\MP1\\Inner"]
)
def test_a_mount_point_outside_the_drive_or_inside_another_is_refused(value: str) -> None:
    points = ["S:\\MP1", value] if value == "S:\\MP1\\Inner" else [value]
    with pytest.raises(LabError, match=r"sql\.mount_points"):
        LabSpec.from_mapping({"sql": {"mount_points": points}})


# -------------------------------------------------------------------- the preflight


def test_a_folder_under_a_mount_point_is_refused_for_the_drives_disk(
    psrunbook: Psrunbook,
) -> None:
    """(a) S:\\MP1\\SSIS with disk_resource = the S: disk was accepted: SSIS would depend on
    Cluster Disk 1, not on the disk holding its configuration."""
    _seed_lab(psrunbook, MOUNTED)
    before = psrunbook.lab_state()

    output = _run(psrunbook, "S:\\MP1\\SSIS", "Cluster Disk 1", expect=1)

    assert (
        "shared_folder S:\\MP1\\SSIS is on cluster disk 'Cluster Disk 2' (mounted at "
        "S:\\MP1), not on 'Cluster Disk 1': name that disk as disk_resource"
    ) in output
    assert before == psrunbook.lab_state()


def test_a_folder_under_a_mount_point_is_accepted_for_the_mounted_disk(
    psrunbook: Psrunbook,
) -> None:
    """(b) disk_resource = the mounted disk was refused (its Path is no drive): now the run
    succeeds, SSIS depends on that disk and its configuration is in the mounted folder."""
    _seed_lab(psrunbook, MOUNTED)

    _run(psrunbook, "S:\\MP1\\SSIS", "Cluster Disk 2", expect=0)

    resources = {r["name"]: r for r in psrunbook.lab()["resources"]}
    providers = {name for clause in resources[SSIS_RESOURCE]["dependencies"] for name in clause}
    assert {"SQL Server", "Cluster Disk 2"} == providers
    assert "Online" == resources[SSIS_RESOURCE]["state"]
    lab = restore(psrunbook.lab_file)
    # On the mounted disk's own volume, below its root, not on the drive's.
    assert "ssis\\msdtssrvr.ini.xml" in lab.mounted_volumes["s:\\mp1"].entries
    assert not any(key.startswith("mp1\\") for key in lab.shared_volumes["S"].entries)


def test_a_mount_point_matches_on_folder_boundaries_only(psrunbook: Psrunbook) -> None:
    """S:\\MP10 is a folder of the drive, not of the disk mounted at S:\\MP1."""
    _seed_lab(psrunbook, MOUNTED)
    before = psrunbook.lab_state()

    output = _run(psrunbook, "S:\\MP10\\SSIS", "Cluster Disk 2", expect=1)

    assert (
        "shared_folder S:\\MP10\\SSIS is on cluster disk 'Cluster Disk 1' (drive S:), not on "
        "'Cluster Disk 2': name that disk as disk_resource"
    ) in output
    assert before == psrunbook.lab_state()


def test_a_folder_of_the_drive_is_refused_for_the_mounted_disk(psrunbook: Psrunbook) -> None:
    """The plain drive-letter case: S:\\SSIS lies on the S: disk, whatever is mounted in
    other folders of that drive; naming the mounted disk is refused naming the right one."""
    _seed_lab(psrunbook, MOUNTED)

    output = _run(psrunbook, "s:\\ssis", "Cluster Disk 2", expect=1)

    assert (
        "shared_folder s:\\ssis is on cluster disk 'Cluster Disk 1' (drive S:), not on "
        "'Cluster Disk 2'"
    ) in output


@pytest.mark.parametrize("spec", [LabSpec(), MOUNTED], ids=["sample-lab", "with-mount-point"])
def test_a_folder_of_the_drive_still_passes_for_the_drives_disk(
    psrunbook: Psrunbook, spec: LabSpec
) -> None:
    """The plain drive-letter case keeps working, with or without a disk mounted in
    another folder of the drive (a guard: it passed before the fix too)."""
    _seed_lab(psrunbook, spec)

    _run(psrunbook, "S:\\MP1x\\SSIS", None, expect=0)

    resources = {r["name"]: r for r in psrunbook.lab()["resources"]}
    providers = {name for clause in resources[SSIS_RESOURCE]["dependencies"] for name in clause}
    assert {"SQL Server", "Cluster Disk 1"} == providers


def test_an_offline_disk_of_the_group_is_refused_as_unreadable(psrunbook: Psrunbook) -> None:
    """An offline disk shows no partition, so a folder under its mount point would seem to
    be on the drive's disk: the preflight refuses, naming the disk to bring online."""
    lab = build_lab(MOUNTED)
    lab.take_offline(lab.resource("Cluster Disk 2"))
    _seed_lab(psrunbook, lab)
    before = psrunbook.lab_state()

    output = _run(psrunbook, "S:\\MP1\\SSIS", "Cluster Disk 1", expect=1)

    assert (
        "cluster disk 'Cluster Disk 2' of group 'SQL Server (MSSQLSERVER)' is Offline: its "
        "volumes cannot be read"
    ) in output
    assert before == psrunbook.lab_state()


def test_an_offline_disk_resource_is_not_taken_for_the_drives_disk(psrunbook: Psrunbook) -> None:
    """disk_resource itself Offline: refused for that, never with the advice to name the
    drive's disk, which only seems to hold the folder while the mounted one shows nothing."""
    lab = build_lab(MOUNTED)
    lab.take_offline(lab.resource("Cluster Disk 2"))
    _seed_lab(psrunbook, lab)

    output = _run(psrunbook, "S:\\MP1\\SSIS", "Cluster Disk 2", expect=1)

    assert "cluster resource 'Cluster Disk 2' is Offline, not Online" in output
    assert "is on cluster disk 'Cluster Disk 1'" not in output
