"""Paths at or below the folder a cluster disk is mounted in reach that disk's own volume.

``[sql] mount_points = ["S:\\MP1"]`` mounts Cluster Disk 2 in S:\\MP1: what is written below
the folder is on that disk, so it is there only on the node owning the group while the disk
is Online, as on Windows (SetVolumeMountPoint); the folder itself stays an entry of S:.
"""

from __future__ import annotations

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import LabSpec, build_lab, dump, load
from tests.unit.sim.lab.scripts import run_on

WRITE = (
    "$null = New-Item -ItemType Directory -Path S:\\MP1\\SSIS; "
    "Set-Content -LiteralPath S:\\MP1\\SSIS\\MsDtsSrvr.ini.xml -Value '<x/>'"
)
SEE = (
    "Test-Path -LiteralPath S:\\MP1\\SSIS\\MsDtsSrvr.ini.xml; "
    "Test-Path -LiteralPath S:\\MP1 -PathType Container; "
    "@(Get-ChildItem -LiteralPath S:\\MP1 -Force -Recurse -Name)"
)


def _mounted() -> SimCluster:
    lab = build_lab(LabSpec.from_mapping({"sql": {"mount_points": ["S:\\MP1"]}}))
    written = run_on(lab, WRITE)
    assert written.failed is None and [] == written.errors
    return lab


def _seen(lab: SimCluster, node: str = "NODE1") -> list[object]:
    result = run_on(lab, SEE, node)
    assert result.failed is None and [] == result.errors, result.errors
    return result.output


def test_what_is_written_below_a_mount_point_is_on_the_mounted_disk() -> None:
    lab = _mounted()

    assert {"ssis", "ssis\\msdtssrvr.ini.xml"} == set(lab.mounted_volumes["s:\\mp1"].entries)
    assert not any(k.startswith("mp1\\") for k in lab.shared_volumes["S"].entries)
    assert [True, True, "SSIS", "SSIS\\MsDtsSrvr.ini.xml"] == _seen(lab)


def test_a_listing_of_the_drive_shows_the_mount_folder_not_what_is_below_it() -> None:
    result = run_on(_mounted(), "@(Get-ChildItem -LiteralPath S:\\ -Recurse -Force -Name)")

    # S:\MP1\SSIS is reached through the mount folder, as the mounted disk's root.
    assert ["MP1", "MSSQL", "MP1\\SSIS", "MP1\\SSIS\\MsDtsSrvr.ini.xml", "MSSQL\\DATA"] == (
        result.output
    )


def test_an_offline_mounted_disk_leaves_an_empty_folder_and_its_files_come_back() -> None:
    lab = _mounted()
    lab.take_offline(lab.resource("Cluster Disk 2"))

    assert [False, True] == _seen(lab)  # the folder, empty: nothing below it
    missing = run_on(lab, "Get-Content -LiteralPath S:\\MP1\\SSIS\\MsDtsSrvr.ini.xml")
    assert ["PathNotFound"] == [e.error_id for e in missing.errors]

    started = run_on(lab, "$null = Start-ClusterResource -Name 'Cluster Disk 2'")
    assert started.failed is None and [] == started.errors
    assert [True, True, "SSIS", "SSIS\\MsDtsSrvr.ini.xml"] == _seen(lab)


def test_a_write_below_an_unmounted_mount_point_is_refused() -> None:
    """Nothing lands on the drive's volume in the folder while the disk is away (what
    Windows answers is UNVERIFIED; the lab takes the stricter reading, not found)."""
    lab = _mounted()
    lab.take_offline(lab.resource("Cluster Disk 2"))

    result = run_on(lab, "Set-Content -LiteralPath S:\\MP1\\stray.txt -Value 1")

    assert 1 == len(result.errors)
    assert not any("stray" in key for key in lab.shared_volumes["S"].entries)
    assert not any("stray" in key for key in lab.mounted_volumes["s:\\mp1"].entries)


def test_another_node_sees_no_path_below_the_mount_point() -> None:
    lab = _mounted()

    result = run_on(lab, SEE, "NODE2")

    assert [False, False] == result.output  # the whole disk S: is NODE1's


def test_dump_and_load_keep_the_mounted_disks_files() -> None:
    lab = _mounted()
    state = dump(lab)

    restored = load(state)

    assert state == dump(restored)
    assert [True, True, "SSIS", "SSIS\\MsDtsSrvr.ini.xml"] == _seen(restored)


def test_an_older_dump_with_the_files_on_the_drive_moves_them_to_the_disk() -> None:
    """Dumps made while the lab kept them on S:'s volume still load, with the files where
    Windows has them."""
    state = dump(_mounted())
    mounted = state.pop("mounted_volumes")["s:\\mp1"]["entries"]
    drive = next(v for v in state["shared_volumes"] if v["letter"] == "S")
    drive["entries"].update({f"mp1\\{key}": entry for key, entry in mounted.items()})

    restored = load(state)

    assert [True, True, "SSIS", "SSIS\\MsDtsSrvr.ini.xml"] == _seen(restored)
    assert not any(k.startswith("mp1\\") for k in restored.shared_volumes["S"].entries)


def test_a_lab_without_mount_points_has_no_mounted_volumes_in_its_dump() -> None:
    assert "mounted_volumes" not in dump(build_lab(LabSpec()))


def test_a_lab_file_below_a_mount_point_is_on_the_mounted_disk() -> None:
    spec = LabSpec.from_mapping(
        {
            "sql": {"mount_points": ["S:\\MP1"]},
            "files": [{"path": "S:\\MP1\\SSIS\\MsDtsSrvr.ini.xml", "text": "<x/>"}],
        }
    )

    lab = build_lab(spec)

    assert {"ssis", "ssis\\msdtssrvr.ini.xml"} == set(lab.mounted_volumes["s:\\mp1"].entries)
    assert [True, True, "SSIS", "SSIS\\MsDtsSrvr.ini.xml"] == _seen(lab)
