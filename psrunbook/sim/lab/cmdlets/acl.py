"""ACLs: ``Get-Acl`` (read) and the native ``icacls.exe`` (grant, remove, display).

Rules are stored as FileSystemRights names; ``icacls`` permission codes are mapped to
them as icacls documents (simple rights F, M, RX, R, W, D carry Synchronize, like the
generic rights they stand for; a parenthesised list is taken literally). icacls
reports through its output and exit code, and its error lines on stderr, which a remote
session makes error records (:func:`~psrunbook.sim.lab.error_records.native_stderr`).
"""

from __future__ import annotations

import re
from typing import Any

from psrunbook.sim.lab import accounts, error_records, write_access
from psrunbook.sim.lab.cluster_model import AclEntry, FsEntry, fold
from psrunbook.sim.lab.cluster_objects import access_rule_object, access_to_string
from psrunbook.sim.lab.cmdlets.sim_cmdlet import (
    SimCmdlet,
    arg,
    home_expanded,
    param,
    strings,
    text,
)
from psrunbook.sim.lab.fs import FsView, rights_mask
from psrunbook.sim.lab.paths import BadDrive, FsPath, has_wildcard, parse
from psrunbook.sim.objects import PSHashtable, PSObject, provider_info
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletSpec
from psrunbook.sim.ps.principal import names_security_identifier, security_identifier

SIMPLE_RIGHTS: dict[str, tuple[str, ...]] = {
    "F": ("FullControl",),
    "M": ("Modify", "Synchronize"),
    "RX": ("ReadAndExecute", "Synchronize"),
    "R": ("Read", "Synchronize"),
    "W": ("Write", "Synchronize"),
    "D": ("Delete", "Synchronize"),
}
# Specific rights; the second name applies to folders.
SPECIFIC_RIGHTS: dict[str, tuple[str, str]] = {
    "DE": ("Delete", "Delete"),
    "RC": ("ReadPermissions", "ReadPermissions"),
    "WDAC": ("ChangePermissions", "ChangePermissions"),
    "WO": ("TakeOwnership", "TakeOwnership"),
    "S": ("Synchronize", "Synchronize"),
    "RD": ("ReadData", "ListDirectory"),
    "WD": ("WriteData", "CreateFiles"),
    "AD": ("AppendData", "CreateDirectories"),
    "REA": ("ReadExtendedAttributes", "ReadExtendedAttributes"),
    "WEA": ("WriteExtendedAttributes", "WriteExtendedAttributes"),
    "X": ("ExecuteFile", "Traverse"),
    "DC": ("DeleteSubdirectoriesAndFiles", "DeleteSubdirectoriesAndFiles"),
    "RA": ("ReadAttributes", "ReadAttributes"),
    "WA": ("WriteAttributes", "WriteAttributes"),
}
INHERIT_CODES = {"OI": "ObjectInherit", "CI": "ContainerInherit"}
PROPAGATE_CODES = {"NP": "NoPropagateInherit", "IO": "InheritOnly"}


def parse_permission(
    perm: str, is_dir: bool
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]] | None:
    """``(OI)(CI)(RD,W)`` -> (rights, inheritance, propagation); None when invalid.

    CHOICE: a parenthesised list may also hold simple rights (``(RD,W)``); they add
    their rights without Synchronize.
    """
    groups = re.findall(r"\(([^()]*)\)", perm)
    rest = re.sub(r"\([^()]*\)", "", perm).strip().upper()
    inheritance: list[str] = []
    propagation: list[str] = []
    rights: list[str] = []
    for group in groups:
        codes = [c.strip().upper() for c in group.split(",") if c.strip()]
        if len(codes) == 1 and codes[0] in INHERIT_CODES:
            inheritance.append(INHERIT_CODES[codes[0]])
            continue
        if len(codes) == 1 and codes[0] in PROPAGATE_CODES:
            propagation.append(PROPAGATE_CODES[codes[0]])
            continue
        if len(codes) == 1 and codes[0] in SIMPLE_RIGHTS and not rest:
            rights.extend(SIMPLE_RIGHTS[codes[0]])
            continue
        for code in codes:
            if code in SPECIFIC_RIGHTS:
                rights.append(SPECIFIC_RIGHTS[code][1 if is_dir else 0])
            elif code in SIMPLE_RIGHTS:
                rights.append(SIMPLE_RIGHTS[code][0])
            else:
                return None
    if rest:
        if rest not in SIMPLE_RIGHTS:
            return None
        rights.extend(SIMPLE_RIGHTS[rest])
    if not rights:
        return None
    return tuple(dict.fromkeys(rights)), tuple(inheritance), tuple(propagation)


def short_rights(entry: AclEntry) -> str:
    """The icacls display code of a rule's rights."""
    names = set(entry.rights) - {"Synchronize"}
    for code, simple in SIMPLE_RIGHTS.items():
        if names == set(simple) - {"Synchronize"}:
            return code
    codes = []
    for code, (file_name, dir_name) in SPECIFIC_RIGHTS.items():
        if file_name in entry.rights or dir_name in entry.rights:
            codes.append(code)
    for name in entry.rights:
        if name in ("Write", "Read", "Modify", "ReadAndExecute", "FullControl"):
            codes.append(
                {"Write": "W", "Read": "R", "Modify": "M", "ReadAndExecute": "RX"}.get(name, "F")
            )
    return "(" + ",".join(dict.fromkeys(codes)) + ")"


def icacls_line(entry: AclEntry) -> str:
    flags = "(I)" if entry.inherited else ""
    flags += "".join(f"({c})" for c, n in INHERIT_CODES.items() if n in entry.inheritance)
    flags += "".join(f"({c})" for c, n in PROPAGATE_CODES.items() if n in entry.propagation)
    deny = "(DENY)" if entry.access_type == "Deny" else ""
    rights = short_rights(entry)
    rights = rights if rights.startswith("(") else f"({rights})"
    return f"{entry.identity}:{deny}{flags}{rights}"


def _fs_path(raw: str, where: str) -> FsPath | None:
    """``raw`` as a FileSystem path, relative to ``where`` (the runspace's location, which
    is also a native program's working folder: NativeCommandProcessor starts it there)."""
    try:
        path = parse(raw, where)
    except BadDrive:
        return None
    return path if isinstance(path, FsPath) else None


class GetAcl(SimCmdlet):
    spec = CmdletSpec(
        "Get-Acl",
        error_records.ps_type("GetAclCommand"),
        (
            param("Path", "string[]", position=0, sets=("ByPath",), pipeline=True, by_name=True),
            param(
                "LiteralPath",
                "string[]",
                aliases=("PSPath",),
                sets=("ByLiteralPath",),
                by_name=True,
            ),
            param("Audit", "switch"),
        ),
    )

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        view = FsView(self.cluster, self.node, wow64=self.wow64)
        literal = strings(arg(args, "LiteralPath"))
        for raw in literal or [home_expanded(p, ctx) for p in strings(arg(args, "Path"))]:
            path = _fs_path(raw, ctx.location)
            found: list[tuple[FsPath, FsEntry]] = []
            if path is not None and not literal and has_wildcard(raw):
                # -Path expands * ? [..]; -LiteralPath does not (see paths.has_wildcard).
                found = view.expand(path)
            elif path is not None:
                entry = view.get(path)
                found = [(path, entry)] if entry is not None else []
            if not found and (literal or not has_wildcard(raw)):
                record = error_records.path_not_found(
                    self.spec.name, self.spec.implementing_type, raw
                )
                ctx.write_error(record)
                continue
            for item, entry in found:
                ctx.write_output(self._acl_object(view, item, entry))
        return None

    def _acl_object(self, view: FsView, path: FsPath, entry: FsEntry) -> PSObject:
        rules = view.effective_acl(path)
        kind = "DirectorySecurity" if entry.is_dir else "FileSecurity"
        domain = self.cluster.domain

        def get_access_rules(explicit: object, inherited: object, target: object) -> list[Any]:
            """``GetAccessRules(includeExplicit, includeInherited, [type])``: the rules with
            each identity as an NTAccount or, for [SecurityIdentifier], as its SID."""
            chosen = [
                r for r in rules if (r.inherited and inherited) or (not r.inherited and explicit)
            ]
            out: list[Any] = []
            for rule in chosen:
                shown = access_rule_object(rule)
                if names_security_identifier(str(target)):
                    sid = security_identifier(accounts.sid_of(domain, rule.identity))
                    shown.properties["IdentityReference"] = sid
                out.append(shown)
            return out

        return PSObject(
            (
                f"System.Security.AccessControl.{kind}",
                "System.Security.AccessControl.FileSystemSecurity",
                "System.Security.AccessControl.NativeObjectSecurity",
                "System.Security.AccessControl.ObjectSecurity",
                "System.Object",
            ),
            PSHashtable(
                [
                    ("Path", "Microsoft.PowerShell.Core\\FileSystem::" + path.display),
                    ("Owner", "BUILTIN\\Administrators"),
                    ("Group", "NT AUTHORITY\\SYSTEM"),
                    ("Access", [access_rule_object(r) for r in rules]),
                    ("AccessToString", access_to_string(rules)),
                    ("PSPath", "Microsoft.PowerShell.Core\\FileSystem::" + path.display),
                    ("PSChildName", path.name),
                    ("PSDrive", path.drive),
                    ("PSProvider", provider_info("FileSystem")),
                ]
            ),
            to_string=f"System.Security.AccessControl.{kind}",
            methods={"GetAccessRules": get_access_rules},
        )


class Icacls(SimCmdlet):
    """``icacls.exe``: /grant[:r], /remove[:g], /T, /C, /Q and the display form."""

    spec = CmdletSpec("icacls.exe", "icacls.exe", (), native=True)

    def changed(self, target: str) -> None:
        """Both invocation names count as the one program."""
        self.cluster.record_change("icacls.exe", self.node, target)

    def _stderr(self, ctx: CmdletContext, line: str) -> None:
        """An error line, on stderr (:func:`~psrunbook.sim.lab.error_records.native_stderr`;
        each run writes one at most)."""
        ctx.write_error(error_records.native_stderr(line, "icacls.exe", first=True))

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        argv = [text(a) for a in (arg(args, "__args__") or [])]
        if not argv:
            self._stderr(ctx, error_records.ICACLS_INVALID.format(arg=""))
            return error_records.ICACLS_INVALID_EXIT
        target, options = argv[0], argv[1:]
        operations: list[tuple[str, str]] = []
        recurse = quiet = False
        index = 0
        while index < len(options):
            option = options[index].lower()
            if option in ("/t", "/c", "/q", "/l"):
                recurse |= option == "/t"
                quiet |= option == "/q"
                index += 1
                continue
            if option in ("/grant", "/grant:r", "/remove", "/remove:g", "/deny"):
                index += 1
                if index >= len(options):
                    self._stderr(ctx, error_records.ICACLS_INVALID.format(arg=options[index - 1]))
                    return error_records.ICACLS_INVALID_EXIT
                while index < len(options) and not options[index].startswith("/"):
                    operations.append((option, options[index]))
                    index += 1
                continue
            self._stderr(ctx, error_records.ICACLS_INVALID.format(arg=options[index]))
            return error_records.ICACLS_INVALID_EXIT
        view = FsView(self.cluster, self.node, wow64=self.wow64)
        path = _fs_path(target, ctx.location)
        entry = view.get(path) if path is not None else None
        if path is None or entry is None:
            self._stderr(ctx, error_records.ICACLS_NOT_FOUND.format(path=target))
            ctx.write_output("")
            ctx.write_output(error_records.ICACLS_OK_SUMMARY.format(ok=0, failed=1))
            return error_records.ICACLS_NOT_FOUND_EXIT
        if not operations:
            self._display(ctx, view, path)
            ctx.write_output("")
            ctx.write_output(error_records.ICACLS_OK_SUMMARY.format(ok=1, failed=0))
            return 0
        targets = [(path, entry)]
        if recurse and entry.is_dir:
            targets += self._descendants(view, path)
        refused = self._refused(ctx, path, target, operations)
        if refused is not None:
            return refused
        node = self.cluster.node(self.node)
        for found, found_entry in targets:
            for option, spec_text in operations:
                result = self._apply(node.principals, found_entry, option, spec_text)
                if result is None:
                    self._stderr(ctx, error_records.ICACLS_INVALID.format(arg=spec_text))
                    return error_records.ICACLS_INVALID_EXIT
                if result:
                    self.changed(f"{found.display}|{spec_text}")
            if not quiet:
                ctx.write_output(f"processed file: {found.display}")
        ctx.write_output(error_records.ICACLS_OK_SUMMARY.format(ok=len(targets), failed=0))
        return 0

    def _refused(
        self, ctx: CmdletContext, path: FsPath, target: str, operations: list[tuple[str, str]]
    ) -> int | None:
        """The exit code of a change icacls refuses before making any: Access Denied for a
        user without WRITE_DAC there (a plain user where it may not write), or an account
        that does not map to a SID. None when every operation may go ahead."""
        if not write_access.may_write_file(self.cluster, path):
            self._stderr(ctx, error_records.ICACLS_ACCESS_DENIED.format(path=target))
            ctx.write_output(error_records.ICACLS_OK_SUMMARY.format(ok=0, failed=1))
            return error_records.ICACLS_ACCESS_DENIED_EXIT
        node = self.cluster.node(self.node)
        for _, spec_text in operations:
            principal = spec_text.rpartition(":")[0] if ":" in spec_text else spec_text
            if accounts.resolve(node.principals, self.cluster.domain, principal) is None:
                self._stderr(ctx, error_records.ICACLS_NO_MAPPING.format(principal=principal))
                ctx.write_output(error_records.ICACLS_OK_SUMMARY.format(ok=0, failed=1))
                return error_records.ICACLS_NO_MAPPING_EXIT
        return None

    def _descendants(self, view: FsView, path: FsPath) -> list[tuple[FsPath, FsEntry]]:
        out: list[tuple[FsPath, FsEntry]] = []
        for child, entry in view.children(path):
            out.append((child, entry))
            if entry.is_dir:
                out += self._descendants(view, child)
        return out

    def _apply(self, known: list[str], entry: FsEntry, option: str, spec_text: str) -> bool | None:
        """Apply one operation; returns whether the ACL changed, None when invalid."""
        if option.startswith("/remove"):
            identity = accounts.resolve(known, self.cluster.domain, spec_text)
            before = len(entry.acl)
            entry.acl[:] = [r for r in entry.acl if fold(r.identity) != fold(identity or "")]
            return len(entry.acl) != before
        principal, _, perm = spec_text.rpartition(":")
        identity = accounts.resolve(known, self.cluster.domain, principal)
        parsed = parse_permission(perm, entry.is_dir)
        if identity is None or parsed is None:
            return None
        rights, inheritance, propagation = parsed
        access = "Deny" if option == "/deny" else "Allow"
        if option == "/grant:r":
            kept = [
                r
                for r in entry.acl
                if not (fold(r.identity) == fold(identity) and r.access_type == access)
            ]
            new_rule = AclEntry(identity, rights, access, inheritance, propagation)
            changed = [*kept, new_rule] != entry.acl
            entry.acl[:] = [*kept, new_rule]  # in place: a volume root's list is shared
            return changed
        for rule in entry.acl:
            if (
                fold(rule.identity) == fold(identity)
                and rule.access_type == access
                and set(rule.inheritance) == set(inheritance)
                and set(rule.propagation) == set(propagation)
            ):
                merged = tuple(dict.fromkeys([*rule.rights, *rights]))
                if rights_mask(merged) == rights_mask(rule.rights):
                    return False
                rule.rights = merged
                return True
        entry.acl.append(AclEntry(identity, rights, access, inheritance, propagation))
        return True

    def _display(self, ctx: CmdletContext, view: FsView, path: FsPath) -> None:
        rules = view.effective_acl(path)
        pad = " " * (len(path.display) + 1)
        for index, rule in enumerate(rules):
            prefix = path.display + " " if index == 0 else pad
            ctx.write_output(prefix + icacls_line(rule))


class IcaclsShort(Icacls):
    """The same program invoked as ``icacls`` (PowerShell resolves both names)."""

    spec = CmdletSpec("icacls", "icacls.exe", (), native=True)


ACL_CMDLETS: tuple[type[SimCmdlet], ...] = (GetAcl, Icacls, IcaclsShort)
