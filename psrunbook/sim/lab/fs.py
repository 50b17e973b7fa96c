"""Filesystem operations on one node's view of the disks, and effective ACLs.

A node sees its own local volumes and the shared disks its groups own
(:meth:`SimCluster.volume_for`); a shared disk owned by another node is simply absent,
so every operation below reports "not found" for it, as Windows does.

Entries store only their explicit access rules; the effective ACL adds the
inheritable rules of every ancestor (the volume root first), which is how inheritance
looks from ``Get-Acl`` and ``icacls`` without copying rules around.
"""

from __future__ import annotations

from psrunbook.sim.lab.cluster_model import AclEntry, FsEntry, SimCluster, Volume, fold
from psrunbook.sim.lab.cluster_objects import FILE_RIGHTS
from psrunbook.sim.lab.paths import BadDrive, FsPath, has_wildcard, wildcard_match


class FsView:
    """One node's filesystem, over the shared model."""

    def __init__(self, cluster: SimCluster, node: str) -> None:
        self.cluster = cluster
        self.node = node

    def volume(self, path: FsPath) -> Volume:
        volume = self.cluster.volume_for(self.node, path.drive)
        if volume is None:
            raise BadDrive(path.drive)
        return volume

    def volume_or_none(self, path: FsPath) -> Volume | None:
        return self.cluster.volume_for(self.node, path.drive)

    def get(self, path: FsPath) -> FsEntry | None:
        """The entry at ``path``; a volume root is a synthetic folder entry."""
        volume = self.volume_or_none(path)
        if volume is None:
            return None
        if not path.parts:
            return FsEntry(f"{path.drive}:\\", True, acl=volume.root_acl)
        return volume.entries.get(path.key)

    def exists(self, path: FsPath) -> bool:
        return self.get(path) is not None

    def children(self, path: FsPath) -> list[tuple[FsPath, FsEntry]]:
        volume = self.volume_or_none(path)
        if volume is None:
            return []
        prefix = path.key
        depth = len(path.parts) + 1
        found = []
        for key, entry in volume.entries.items():
            if prefix and not key.startswith(prefix + "\\"):
                continue
            if key.count("\\") + 1 == depth:
                found.append((path.child(entry.name), entry))
        return sorted(found, key=lambda item: (not item[1].is_dir, item[0].key))

    def expand(self, path: FsPath) -> list[tuple[FsPath, FsEntry]]:
        """Resolve wildcards in any part of ``path``; no match gives an empty list.

        A part a wildcard matched is spelled as on disk; a part without one as it was
        given, as PowerShell's FileSystem provider reports it (``gci c:\\windows\\sys*``
        gives ``C:\\windows\\System32``: PowerShell issue 13190)."""
        current: list[FsPath] = [FsPath(path.drive, ())]
        if self.volume_or_none(path) is None:
            return []
        for part in path.parts:
            following: list[FsPath] = []
            for base in current:
                if not has_wildcard(part):
                    if self.get(base.child(part)) is not None:
                        following.append(base.child(part))
                    continue
                for child, _ in self.children(base):
                    if wildcard_match(part, child.name):
                        following.append(child)
            current = following
        results = []
        for found in current:
            entry = self.get(found)
            if entry is not None:
                results.append((found, entry))
        return results

    def create_dir(self, path: FsPath) -> bool:
        """Create a folder and its missing parents; returns whether anything was created."""
        volume = self.volume(path)
        created = False
        for i in range(1, len(path.parts) + 1):
            sub = FsPath(path.drive, path.parts[:i])
            existing = volume.entries.get(sub.key)
            if existing is None:
                volume.entries[sub.key] = FsEntry(
                    path.parts[i - 1],
                    True,
                    modified=self.cluster.clock.now,
                    stamp=self.cluster.stamp(),
                )
                created = True
        return created

    def write_file(self, path: FsPath, data: bytes) -> bool:
        """Write a file whose folder exists; returns whether the bytes changed."""
        volume = self.volume(path)
        existing = volume.entries.get(path.key)
        if existing is not None:
            if existing.data == data:
                return False
            existing.data = data
            existing.modified = self.cluster.clock.now
            existing.stamp = self.cluster.stamp()
            return True
        volume.entries[path.key] = FsEntry(
            path.name, False, data=data, modified=self.cluster.clock.now, stamp=self.cluster.stamp()
        )
        return True

    def remove(self, path: FsPath) -> None:
        volume = self.volume(path)
        prefix = path.key
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
        parent = path.parent()
        while parent is not None:
            found = self.get(parent)
            if found is not None:
                chain.append(found)
            parent = parent.parent()
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
        """
        granted = 0
        for rule in self.effective_acl(path):
            if fold(rule.identity) not in identities:
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
