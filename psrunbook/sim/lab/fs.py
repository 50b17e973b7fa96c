"""Filesystem operations on one node's view of the disks, and effective ACLs.

A node sees its own local volumes and the shared disks its groups own
(:meth:`SimCluster.volume_for`); a shared disk owned by another node is simply absent,
so every operation below reports "not found" for it, as Windows does.

Entries store only their explicit access rules; the effective ACL adds the
inheritable rules of every ancestor (the volume root first), which is how inheritance
looks from ``Get-Acl`` and ``icacls`` without copying rules around.
"""

from __future__ import annotations

from psrunbook.sim.lab import accounts
from psrunbook.sim.lab.cluster_model import (
    ARCHIVE,
    NORMAL,
    AclEntry,
    FsEntry,
    SimCluster,
    Volume,
    fold,
)
from psrunbook.sim.lab.cluster_objects import FILE_RIGHTS
from psrunbook.sim.lab.paths import (
    BadDrive,
    FsPath,
    has_wildcard,
    wildcard_match,
    wow64_redirected,
)
from psrunbook.sim.ps.cmdlet_api import CommandRefused

READ_FILE = FILE_RIGHTS["Read"] | FILE_RIGHTS["Synchronize"]
"""What opening a file to read it asks for: GENERIC_READ, which maps to FILE_GENERIC_READ
(ReadData, ReadAttributes, ReadExtendedAttributes, ReadPermissions and Synchronize), as
.NET's ``FileStream`` with ``FileAccess.Read`` opens it. UNVERIFIED how MsDtsSrvr.exe
opens its configuration file; the stricter reading asks for every one of those bits."""

SERVICE_TOKEN_GROUPS = (
    "Everyone",
    "NT AUTHORITY\\Authenticated Users",
    "NT AUTHORITY\\SERVICE",
    "BUILTIN\\Users",
)
"""The groups every service process's token holds, whatever its account: Everyone,
Authenticated Users, SERVICE (the logon type) and, through Authenticated Users, BUILTIN\\Users.
UNVERIFIED which further groups a virtual account's token holds (NT SERVICE\\ALL SERVICES,
LOCAL, This Organization...): the lab leaves them out, so no entry for them grants a read
(stricter for an Allow; a Deny for them is not modelled either)."""

_SERVICE_ACCOUNTS = {
    "localsystem": ("NT AUTHORITY\\SYSTEM", "BUILTIN\\Administrators"),
    "nt authority\\localservice": ("NT AUTHORITY\\LOCAL SERVICE",),
    "nt authority\\networkservice": ("NT AUTHORITY\\NETWORK SERVICE",),
}
"""Win32_Service StartName spellings of the built-in accounts, as the accounts (and, for
LocalSystem, the Administrators group its token holds) that ACL entries name."""


def service_token(domain: str, account: str) -> set[str]:
    """The SIDs a service running as ``account`` (Win32_Service StartName) reads files with:
    its account's (for a virtual account ``NT SERVICE\\<service>``, the per-service SID)
    and :data:`SERVICE_TOKEN_GROUPS`."""
    names = _SERVICE_ACCOUNTS.get(fold(account), (account,))
    return {accounts.sid_of(domain, n) for n in (*names, *SERVICE_TOKEN_GROUPS)}


class FsView:
    """One node's filesystem, over the shared model.

    With ``wow64`` it is the view of a 32-bit process (a ``Microsoft.PowerShell32``
    session): every path the File System Redirector would send elsewhere is refused by
    name (:func:`~psrunbook.sim.lab.paths.wow64_redirected`), also one a wildcard or a
    recursion reaches, since the lab models only the 64-bit view."""

    def __init__(self, cluster: SimCluster, node: str, *, wow64: bool = False) -> None:
        self.cluster = cluster
        self.node = node
        self.wow64 = wow64

    def _check(self, path: FsPath) -> None:
        reason = wow64_redirected(path) if self.wow64 else None
        if reason is not None:
            raise CommandRefused(
                f"access to {path.display} in a 32-bit session ({reason}; the lab does not "
                "model WOW64's 32-bit views)"
            )

    def volume(self, path: FsPath) -> Volume:
        """The volume holding the entry at ``path`` (:meth:`volume_or_none`); BadDrive
        where this node has none there."""
        volume = self.volume_or_none(path)
        if volume is None:
            raise BadDrive(path.drive)
        return volume

    def volume_or_none(self, path: FsPath) -> Volume | None:
        """The volume holding the entry at ``path``: the drive's, or below a folder a
        cluster disk is mounted in, that disk's (None where it is not mounted here)."""
        return self._where(path)[0]

    def _where(self, path: FsPath) -> tuple[Volume | None, str]:
        """The volume holding the entry at ``path`` and the entry's key there. A mount
        folder itself (``S:\\MP1``) is an entry of the drive's volume; what is below it is
        on the mounted disk's volume (:meth:`SimCluster.mount_of`)."""
        volume = self.cluster.volume_for(self.node, path.drive)
        if volume is None:
            return None, ""
        mount = self.cluster.mount_of(self.node, path.drive, path.parts)
        if mount is None or mount[0] == len(path.parts):
            return volume, path.key
        depth, mounted = mount
        return mounted, fold("\\".join(path.parts[depth:]))

    def _below(self, path: FsPath) -> tuple[Volume | None, str, int]:
        """The volume holding what is directly below the folder ``path``, the folder's key
        there ('' for the volume's root) and its depth (parts below that root): for a mount
        folder, the mounted disk's root (None where it is not mounted here: no children)."""
        volume = self.cluster.volume_for(self.node, path.drive)
        if volume is None:
            return None, "", 0
        mount = self.cluster.mount_of(self.node, path.drive, path.parts)
        if mount is None:
            return volume, path.key, len(path.parts)
        depth, mounted = mount
        rel = path.parts[depth:]
        return mounted, fold("\\".join(rel)), len(rel)

    def get(self, path: FsPath) -> FsEntry | None:
        """The entry at ``path``; a volume root is a synthetic folder entry."""
        self._check(path)
        return self._entry(path)

    def _entry(self, path: FsPath) -> FsEntry | None:
        if not path.parts:
            volume = self.cluster.volume_for(self.node, path.drive)
            if volume is None:
                return None
            return FsEntry(f"{path.drive}:\\", True, acl=volume.root_acl)
        volume, key = self._where(path)
        if volume is None:
            return None
        return volume.entries.get(key)

    def exists(self, path: FsPath) -> bool:
        return self.get(path) is not None

    def children(self, path: FsPath) -> list[tuple[FsPath, FsEntry]]:
        self._check(path)
        return self._children(path)

    def _children(self, path: FsPath) -> list[tuple[FsPath, FsEntry]]:
        volume, prefix, depth = self._below(path)
        if volume is None:
            return []
        depth += 1
        found = []
        for key, entry in volume.entries.items():
            if prefix and not key.startswith(prefix + "\\"):
                continue
            if key.count("\\") + 1 == depth:
                found.append((path.child(entry.name), entry))
        return sorted(found, key=lambda item: (not item[1].is_dir, item[0].key))

    def expand(self, path: FsPath, *, force: bool = False) -> list[tuple[FsPath, FsEntry]]:
        """Resolve wildcards in any part of ``path``; no match gives an empty list.

        A part a wildcard matched is spelled as on disk; a part without one as it was
        given, as PowerShell's FileSystem provider reports it (``gci c:\\windows\\sys*``
        gives ``C:\\windows\\System32``: PowerShell issue 13190). A wildcard matches a
        Hidden item only with ``force`` (the command's ``-Force``): PowerShell's globber
        lists each folder through the provider's GetChildNames, whose ``Dir`` leaves out
        Hidden items unless Force (Windows PowerShell 5.1's FileSystemProvider.Dir), so
        ``Test-Path``, which has no ``-Force``, never matches one."""
        self._check(path)
        current: list[FsPath] = [FsPath(path.drive, ())]
        if self.cluster.volume_for(self.node, path.drive) is None:
            return []
        for part in path.parts:
            following: list[FsPath] = []
            for base in current:
                if not has_wildcard(part):
                    if self._entry(base.child(part)) is not None:
                        following.append(base.child(part))
                    continue
                for child, found_entry in self._children(base):
                    if wildcard_match(part, child.name) and (force or not found_entry.hidden):
                        following.append(child)
            current = following
        results = []
        for found in current:  # what the pattern reached, each as a path accessed
            entry = self.get(found)
            if entry is not None:
                results.append((found, entry))
        return results

    def create_dir(self, path: FsPath) -> bool:
        """Create a folder and its missing parents; returns whether anything was created."""
        self._check(path)
        created = False
        for i in range(1, len(path.parts) + 1):
            sub = FsPath(path.drive, path.parts[:i])
            volume, key = self._where(sub)
            if volume is None:
                raise BadDrive(path.drive)
            existing = volume.entries.get(key)
            if existing is None:
                volume.entries[key] = FsEntry(
                    path.parts[i - 1],
                    True,
                    modified=self.cluster.clock.now,
                    stamp=self.cluster.stamp(),
                )
                created = True
        return created

    def write_file(self, path: FsPath, data: bytes) -> bool:
        """Write a file whose folder exists; returns whether the bytes changed. A write of
        the same bytes still dates the file now: Windows opens it for writing
        (``Set-Content``, ``Out-File``: FileMode.Create) and sets its LastWriteTime, and
        marks it Archive (a file whose attributes were set gets that bit back)."""
        self._check(path)
        volume, key = self._where(path)
        if volume is None:
            raise BadDrive(path.drive)
        existing = volume.entries.get(key)
        if existing is not None:
            same = existing.data == data
            existing.data = data
            existing.modified = self.cluster.clock.now
            existing.stamp = self.cluster.stamp()
            if existing.attributes is not None:
                existing.attributes = (existing.attributes & ~NORMAL) | ARCHIVE
            return not same
        volume.entries[key] = FsEntry(
            path.name, False, data=data, modified=self.cluster.clock.now, stamp=self.cluster.stamp()
        )
        return True

    def remove(self, path: FsPath) -> None:
        """Remove the item at ``path`` and everything below it. A folder holding the
        folder a cluster disk is mounted in (or that folder) is refused by name: removing
        it would take the mount point away, which the lab does not model."""
        self._check(path)
        volume, prefix = self._where(path)
        if volume is None:
            raise BadDrive(path.drive)
        folded = [fold(p) for p in path.parts]
        for folder, mounted in self.cluster.mounted_volumes.items():
            below = folder[3:].split("\\")
            if mounted.letter == path.drive and below[: len(folded)] == folded:
                raise CommandRefused(
                    f"removing {path.display}, which holds the folder a cluster disk is "
                    f"mounted in ({folder.upper()}; the lab does not model removing a mount point)"
                )
        for key in [k for k in volume.entries if k == prefix or k.startswith(prefix + "\\")]:
            del volume.entries[key]

    def effective_acl(self, path: FsPath) -> list[AclEntry]:
        """The entry's rules in Windows' canonical order: explicit ones first, then those
        inherited from the parent, the grandparent and so on; in each, Deny before Allow
        (the order Windows writes an ACL in, so ``Get-Acl`` and ``icacls`` list it so)."""
        entry = self.get(path)
        if entry is None:
            return []
        rules = _deny_first(entry.acl)
        chain: list[FsEntry] = []
        # Inheritance stops at the volume's root: below a mount folder, the mounted disk's
        # root ACL (Volume.root_acl) is the last ancestor, not the folder and its drive.
        mount = self.cluster.mount_of(self.node, path.drive, path.parts)
        top = mount[0] if mount is not None and mount[0] < len(path.parts) else 0
        parent = path.parent()
        while parent is not None and len(parent.parts) > top:  # the real ancestors
            found = self._entry(parent)
            if found is not None:
                chain.append(found)
            parent = parent.parent()
        if top and mount is not None and mount[1] is not None:
            chain.append(FsEntry(path.parts[top - 1], True, acl=mount[1].root_acl))
        elif parent is not None:
            found = self._entry(parent)
            if found is not None:
                chain.append(found)
        for depth, ancestor in enumerate(chain):
            for rule in _deny_first(ancestor.acl):
                applies = "ContainerInherit" if entry.is_dir else "ObjectInherit"
                if applies not in rule.inheritance:
                    continue
                if depth > 0 and "NoPropagateInherit" in rule.propagation:
                    continue
                rules.append(
                    AclEntry(
                        rule.identity,
                        rule.rights,
                        rule.access_type,
                        rule.inheritance if entry.is_dir else (),
                        (),
                        inherited=True,
                    )
                )
        return rules

    def allows(self, path: FsPath, identities: set[str], rights: int) -> bool:
        """Whether an account holding ``identities`` (folded names: itself and its groups)
        gets every bit of ``rights`` on ``path``, decided as Windows' access check does.

        The ACL is read in canonical order (:meth:`effective_acl`); an entry for one of the
        identities decides the bits still undecided: a Deny of any of them refuses at once,
        an Allow grants what it covers; bits no entry grants are refused. So an explicit
        Deny beats every Allow, and an explicit Allow beats an inherited Deny.

        ``identities`` may hold SIDs (:func:`service_token`) as well as folded names; an
        entry is compared by both, so ``NT SERVICE\\x`` matches however it is spelt. An
        explicit entry that is InheritOnly applies to the children, not to ``path``.
        """
        granted = 0
        domain = self.cluster.domain
        for rule in self.effective_acl(path):
            if not rule.inherited and "InheritOnly" in rule.propagation:
                continue
            sid = accounts.sid_of(domain, accounts.normalize(domain, rule.identity))
            if fold(rule.identity) not in identities and sid not in identities:
                continue
            mask = rights_mask(rule.rights) & rights & ~granted
            if not mask:
                continue
            if rule.access_type == "Deny":
                return False
            granted |= mask
            if granted == rights:
                return True
        return False


def rights_mask(names: tuple[str, ...]) -> int:
    """The FileSystemRights bits of rights given by name."""
    value = 0
    for name in names:
        value |= FILE_RIGHTS[name]
    return value


def _deny_first(rules: list[AclEntry]) -> list[AclEntry]:
    return [r for r in rules if r.access_type == "Deny"] + [
        r for r in rules if r.access_type != "Deny"
    ]
