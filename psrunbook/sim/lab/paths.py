"""Provider paths as PowerShell accepts them, reduced to filesystem or registry paths.

Accepted: ``C:\\x``, ``c:/x``, ``FileSystem::C:\\x``,
``Microsoft.PowerShell.Core\\FileSystem::C:\\x``; ``HKLM:\\SOFTWARE\\x``,
``Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\x`` (and the long provider form). Separators
are normalised to ``\\``, ``.`` and ``..`` resolved, case kept for display and folded
for comparison. Relative paths resolve against the location the caller gives: the
runspace's (``CmdletContext.location``), or a process's current folder.
"""

from __future__ import annotations

import fnmatch
import re

import msgspec

from psrunbook.sim.lab.cluster_model import fold

_FS_PREFIX = re.compile(r"^(?:microsoft\.powershell\.core\\)?filesystem::", re.IGNORECASE)
_REG_PREFIX = re.compile(
    r"^(?:(?:microsoft\.powershell\.core\\)?registry::(?:hkey_local_machine|hklm)|hklm:)(?=\\|$)",
    re.IGNORECASE,
)
_OTHER_REG = re.compile(r"^(?:hkcu:|hkcr:|hku:|(?:microsoft\.powershell\.core\\)?registry::)", re.I)
_DRIVE = re.compile(r"^([A-Za-z]):(?:\\|$)")


class BadDrive(Exception):
    """The path names a drive that does not exist in this session."""

    def __init__(self, drive: str) -> None:
        super().__init__(drive)
        self.drive = drive


class FsPath(msgspec.Struct, frozen=True):
    """An absolute filesystem path: drive letter and the parts below the root."""

    drive: str
    parts: tuple[str, ...]

    @property
    def display(self) -> str:
        return f"{self.drive}:\\" + "\\".join(self.parts)

    @property
    def key(self) -> str:
        return fold("\\".join(self.parts))

    @property
    def name(self) -> str:
        return self.parts[-1] if self.parts else f"{self.drive}:\\"

    def parent(self) -> FsPath | None:
        return FsPath(self.drive, self.parts[:-1]) if self.parts else None

    def child(self, name: str) -> FsPath:
        return FsPath(self.drive, (*self.parts, name))


class RegPath(msgspec.Struct, frozen=True):
    """A registry key below HKEY_LOCAL_MACHINE."""

    parts: tuple[str, ...]

    @property
    def rel(self) -> str:
        return "\\".join(self.parts)

    @property
    def display(self) -> str:
        return "HKLM:\\" + self.rel

    @property
    def full_name(self) -> str:
        return "HKEY_LOCAL_MACHINE\\" + self.rel if self.parts else "HKEY_LOCAL_MACHINE"

    @property
    def ps_path(self) -> str:
        return "Microsoft.PowerShell.Core\\Registry::" + self.full_name

    @property
    def name(self) -> str:
        return self.parts[-1] if self.parts else "HKEY_LOCAL_MACHINE"

    def parent(self) -> RegPath | None:
        return RegPath(self.parts[:-1]) if self.parts else None


def _resolve(parts: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for part in parts:
        if part in ("", "."):
            continue
        if part == "..":
            if out:
                out.pop()
            continue
        out.append(part)
    return tuple(out)


def parse(path: str, location: str) -> FsPath | RegPath:
    """Classify and normalise ``path``; raises :class:`BadDrive` for unknown drives.

    A relative path is below ``location``, an absolute FileSystem path (the runspace's
    current location: Get-Location's, or a process's current folder), as PowerShell
    resolves it (SessionState.Path ``GetUnresolvedProviderPathFromPSPath``)."""
    text = path.replace("/", "\\").strip()
    reg = _REG_PREFIX.match(text)
    if reg is not None:
        return RegPath(_resolve(text[reg.end() :].split("\\")))
    if _OTHER_REG.match(text):
        raise BadDrive(text.split(":", 1)[0])
    text = _FS_PREFIX.sub("", text)
    drive = _DRIVE.match(text)
    if drive is None:
        if re.match(r"^[A-Za-z][A-Za-z0-9]+:", text):
            raise BadDrive(text.split(":", 1)[0])
        if text.startswith("\\"):
            raise BadDrive("\\")
        base = parse(location, "C:\\")
        if not isinstance(base, FsPath):
            raise BadDrive(location.split(":", 1)[0])
        return FsPath(base.drive, _resolve([*base.parts, *text.split("\\")]))
    letter = drive.group(1).upper()
    if text == f"{drive.group(1)}:":
        # A drive alone is that drive's current location (about_Locations): the
        # runspace's own when it is on that drive; another drive's root (the lab keeps
        # no other drive's location for the provider commands).
        here = parse(location, "C:\\") if location and location != text else None
        if isinstance(here, FsPath) and here.drive == letter:
            return here
    return FsPath(letter, _resolve(text[2:].split("\\")))


def has_wildcard(text: str) -> bool:
    """Whether ``-Path`` would expand ``text``: ``*``, ``?`` and ``[`` are wildcards.

    Windows: a provider cmdlet's ``-Path`` goes through wildcard expansion
    (``WildcardPattern``: ``*`` ``?`` ``[set]``), ``-LiteralPath`` never does; that is the
    reason ``-LiteralPath`` exists (about_Wildcards; each cmdlet's help lists "Accept
    wildcard characters: True" for -Path and False for -LiteralPath). Not in
    shared/facts/powershell.md: UNVERIFIED there, modelled strictly.
    """
    return any(c in text for c in "*?[")


def reg_matches(pattern: RegPath, keys: list[str]) -> list[str]:
    """HKLM-relative key paths (original spelling) matching a wildcard ``pattern``."""
    out = []
    for key in keys:
        parts = [p for p in key.split("\\") if p]
        if len(parts) == len(pattern.parts) and all(
            wildcard_match(pat, part) for pat, part in zip(pattern.parts, parts, strict=True)
        ):
            out.append(key)
    return sorted(out, key=fold)


def wildcard_match(pattern: str, name: str) -> bool:
    """PowerShell wildcard matching (``*``, ``?``, ``[a-z]``), case-insensitive."""
    return fnmatch.fnmatchcase(fold(name), fold(pattern))
