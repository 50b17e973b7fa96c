"""The folders every Windows node has, and those of a user who has logged on.

Every node has ``C:\\Windows``, ``C:\\Windows\\Temp`` and ``C:\\Users``: a lab's C:
volume gets them when it is built. A remote session's location is the user's Documents
folder; Windows creates the profile at the user's first logon. The lab creates it when
that user first writes a file through .NET (``Client.copy``), opens a cmd shell on the
node, or writes straight into one of its folders with an item cmdlet (``Set-Content x``
in a fresh session: ``filesystem.ItemCmdlet.folder_missing``), so
``Client.copy("x", "test_file")`` lands in ``C:\\Users\\<user>\\Documents`` as on
Windows, while a read-only run (``plan``) leaves the lab exactly as it was.
"""

from __future__ import annotations

from psrunbook.sim.lab.cluster_model import FsEntry, SimCluster, Volume, fold
from psrunbook.sim.lab.fs import FsView
from psrunbook.sim.lab.paths import FsPath

SYSTEM_FOLDERS = ("Windows", "Windows\\Temp", "Users")


def add_system_folders(volume: Volume) -> None:
    """Give a newly built C: volume the folders Windows setup leaves on every node."""
    for folder in SYSTEM_FOLDERS:
        key = fold(folder)
        if key not in volume.entries:
            volume.entries[key] = FsEntry(folder.rsplit("\\", 1)[-1], True)


def profile_folders(user: str) -> tuple[FsPath, ...]:
    name = user.rsplit("\\", maxsplit=1)[-1].split("@", maxsplit=1)[0]
    return (
        FsPath("C", ("Windows", "Temp")),
        FsPath("C", ("Users", name, "Documents")),
        FsPath("C", ("Users", name, "AppData", "Local", "Temp")),
        FsPath("C", ("Users", name, "AppData", "Roaming")),
    )


def in_profile(target: FsPath, user: str) -> bool:
    """Whether ``target`` is one of ``user``'s profile folders or a folder above one within
    ``C:\\Users\\<user>`` (``~`` itself, AppData): folders Windows has from the user's
    first logon."""
    wanted = fold(target.display)
    for folder in profile_folders(user):
        path: FsPath | None = folder
        while path is not None and len(path.parts) >= 2:
            if fold(path.display) == wanted:
                return True
            path = path.parent()
    return False


def ensure_profile(cluster: SimCluster, node: str, user: str) -> None:
    """Create the user's profile folders on ``node`` where missing (holds the lock)."""
    with cluster.lock:
        if fold(node) not in cluster.nodes:
            return
        view = FsView(cluster, node)
        for folder in profile_folders(user):
            if view.volume_or_none(folder) is not None and not view.exists(folder):
                view.create_dir(folder)
