"""The folders Windows has for a user who has logged on, created on a node at logon.

A remote session's location is the user's Documents folder and its temp files go to
``%LOCALAPPDATA%\\Temp``; Windows creates the profile at the user's first logon, and
every node has ``C:\\Windows\\Temp``. The lab creates them when a shell first runs
commands as that user on that node, so ``Client.copy("x", "test_file")`` lands in
``C:\\Users\\<user>\\Documents`` as on Windows.
"""

from __future__ import annotations

from psrunbook.sim.lab.cluster_model import SimCluster, fold
from psrunbook.sim.lab.fs import FsView
from psrunbook.sim.lab.paths import FsPath


def profile_folders(user: str) -> tuple[FsPath, ...]:
    name = user.rsplit("\\", maxsplit=1)[-1].split("@", maxsplit=1)[0]
    return (
        FsPath("C", ("Windows", "Temp")),
        FsPath("C", ("Users", name, "Documents")),
        FsPath("C", ("Users", name, "AppData", "Local", "Temp")),
        FsPath("C", ("Users", name, "AppData", "Roaming")),
    )


def ensure_profile(cluster: SimCluster, node: str, user: str) -> None:
    """Create the user's profile folders on ``node`` where missing (holds the lock)."""
    with cluster.lock:
        if fold(node) not in cluster.nodes:
            return
        view = FsView(cluster, node)
        for folder in profile_folders(user):
            if view.volume_or_none(folder) is not None and not view.exists(folder):
                view.create_dir(folder)
