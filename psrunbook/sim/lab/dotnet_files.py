"""A node's files as .NET's System.IO sees them (:class:`~psrunbook.sim.ps.dotnet_io.DotNetFiles`).

The language's ``[System.IO.File]``, ``FileStream`` and ``FileInfo`` reach the lab's
file model through this, under the cluster lock, one call at a time. Errors are the
.NET exceptions those members throw (System.IO's documentation for File.Move,
File.Delete, FileStream's constructor); the lab's ACLs are not checked here (the remote
user is an administrator unless the lab file says not, and .NET IO on a path an
administrator can reach succeeds).
"""

from __future__ import annotations

import itertools

from psrunbook.sim.lab.cluster_model import HIDDEN, READ_ONLY, SYSTEM, FsEntry, SimCluster
from psrunbook.sim.lab.fs import FsView
from psrunbook.sim.lab.paths import BadDrive, FsPath, parse
from psrunbook.sim.lab.profiles import ensure_profile, in_profile
from psrunbook.sim.ps.dotnet_io import DotNetIOError, location_of

_TEMP_NAMES = itertools.count(0x1A2B)

_NOT_REPLACED = HIDDEN | SYSTEM | READ_ONLY
"""What an existing file must not have for .NET to write it anew: every write the language
reaches (File.WriteAllText, WriteAllBytes, Create, Open with Create) opens with
FileMode.Create, CreateFile's CREATE_ALWAYS, which fails with ERROR_ACCESS_DENIED for a
Hidden or System file (CreateFileW's documentation), and a ReadOnly file cannot be opened
for writing at all: UnauthorizedAccessException, as the cmdlets' writes refuse it."""


def _has(entry: FsEntry, attributes: int) -> bool:
    return entry.attributes is not None and bool(entry.attributes & attributes)


class LabFiles:
    """One node's files for one user.

    ``profile_loaded`` False (a session created with ``WINRS_NOPROFILE``): Windows
    loaded no profile, and a user who never logged on has no profile folders, so they
    are neither present before the lab made them nor made by a write below them.
    ``wow64``: a 32-bit session's, which refuses what WOW64 would redirect (:class:`FsView`)."""

    def __init__(
        self,
        cluster: SimCluster,
        node: str,
        user: str,
        *,
        profile_loaded: bool = True,
        wow64: bool = False,
    ) -> None:
        self._cluster = cluster
        self._node = node
        self._user = user
        self._profile_user = user if profile_loaded else None
        self._wow64 = wow64

    def _path(self, text: str) -> FsPath:
        try:
            found = parse(text, location_of(self._user))
        except BadDrive:
            raise DotNetIOError(
                "DirectoryNotFoundException", f"Could not find a part of the path '{text}'."
            ) from None
        if not isinstance(found, FsPath):
            raise DotNetIOError(
                "NotSupportedException", "The given path's format is not supported."
            )
        return found

    def _view(self, writing: bool = False) -> FsView:
        """The node's files; before a write, with the user's profile in place."""
        if writing and self._profile_user is not None:
            ensure_profile(self._cluster, self._node, self._profile_user)
        return FsView(self._cluster, self._node, wow64=self._wow64)

    def _folder_must_exist(self, view: FsView, path: FsPath, text: str) -> None:
        parent = path.parent()
        folder = view.get(parent) if parent is not None else None
        if folder is None or not folder.is_dir:
            raise DotNetIOError(
                "DirectoryNotFoundException", f"Could not find a part of the path '{text}'."
            )

    def kind(self, path: str) -> str | None:
        """``"file"``, ``"dir"`` or None. The user's profile folders are folders even
        before the lab made them (it makes them at the first write below them,
        :mod:`.profiles`): on Windows they exist from the user's first logon, so a
        ``Set-Location ~`` of a fresh session finds them."""
        target = self._path(path)
        with self._cluster.lock:
            entry = self._view().get(target)
        if entry is None:
            user = self._profile_user
            return "dir" if user is not None and in_profile(target, user) else None
        return "dir" if entry.is_dir else "file"

    def read(self, path: str) -> bytes:
        with self._cluster.lock:
            entry = self._view().get(self._path(path))
        if entry is None:
            raise DotNetIOError("FileNotFoundException", f"Could not find file '{path}'.")
        if entry.is_dir:
            raise DotNetIOError(
                "UnauthorizedAccessException", f"Access to the path '{path}' is denied."
            )
        return entry.data

    def write(self, path: str, data: bytes) -> None:
        target = self._path(path)
        with self._cluster.lock:
            view = self._view(writing=True)
            self._folder_must_exist(view, target, path)
            entry = view.get(target)
            if entry is not None and (entry.is_dir or _has(entry, _NOT_REPLACED)):
                raise DotNetIOError(
                    "UnauthorizedAccessException", f"Access to the path '{path}' is denied."
                )
            view.write_file(target, data)

    def delete(self, path: str) -> None:
        target = self._path(path)
        with self._cluster.lock:
            view = self._view(writing=True)
            self._folder_must_exist(view, target, path)
            entry = view.get(target)
            if entry is None:
                return
            # File.Delete of a ReadOnly file: UnauthorizedAccessException (its documentation).
            if entry.is_dir or _has(entry, READ_ONLY):
                raise DotNetIOError(
                    "UnauthorizedAccessException", f"Access to the path '{path}' is denied."
                )
            view.remove(target)

    def move(self, source: str, destination: str) -> None:
        src, dst = self._path(source), self._path(destination)
        with self._cluster.lock:
            view = self._view(writing=True)
            entry = view.get(src)
            if entry is None or entry.is_dir:
                raise DotNetIOError("FileNotFoundException", f"Could not find file '{source}'.")
            self._folder_must_exist(view, dst, destination)
            if view.exists(dst):
                raise DotNetIOError(
                    "IOException", "Cannot create a file when that file already exists.\r\n"
                )
            view.write_file(dst, entry.data)
            view.remove(src)

    def temp_file(self, folder: str) -> str:
        while True:
            path = f"{folder.rstrip(chr(92))}\\tmp{next(_TEMP_NAMES) & 0xFFFF:X}.tmp"
            if self.kind(path) is None:
                self.write(path, b"")
                return path
