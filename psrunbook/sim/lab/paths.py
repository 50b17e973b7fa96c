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


_SYSTEM32_EXEMPT = (
    ("catroot",),
    ("catroot2",),
    ("driverstore",),
    ("drivers", "etc"),
    ("logfiles",),
    ("spool",),
)
"""Folders below ``%windir%\\System32`` the File System Redirector leaves alone
("Certain subdirectories are exempt from redirection", File System Redirector)."""


def wow64_redirected(path: FsPath | RegPath) -> str | None:
    """What Windows would redirect for a 32-bit process (WOW64) at ``path`` (a path, or a
    wildcard pattern that may match one), or None when ``path`` is reached as a 64-bit
    process reaches it.

    - Registry Redirector: ``HKLM\\SOFTWARE`` is a redirected key; a 32-bit process's
      access below it goes to ``HKLM\\SOFTWARE\\WOW6432Node`` (Microsoft: "Registry
      Redirector", "Registry Keys Affected by WOW64"). The few shared keys below it are
      not told apart here: all of ``SOFTWARE`` counts as redirected.
    - File System Redirector: ``%windir%\\System32`` goes to ``%windir%\\SysWOW64``, and
      ``%windir%\\lastgood\\system32`` and ``%windir%\\regedit.exe`` likewise, except the
      exempt folders (:data:`_SYSTEM32_EXEMPT`); ``%windir%\\Sysnative`` exists only for a
      32-bit process, as the way to the real System32 (Microsoft: "File System
      Redirector"). ``%windir%`` is the lab's ``C:\\Windows``.

    The lab does not model the 32-bit views, so its commands refuse these by name.
    """
    if isinstance(path, RegPath):
        if path.parts and _may_match(path.parts[0], "SOFTWARE"):
            return "the Registry Redirector sends HKLM\\SOFTWARE to HKLM\\SOFTWARE\\WOW6432Node"
        return None
    parts = path.parts
    if path.drive != "C" or len(parts) < 2 or not _may_match(parts[0], "Windows"):
        return None
    sends = "the File System Redirector sends C:\\Windows\\"
    if _may_match(parts[1], "System32"):
        if any(_exempt(parts[2:], folder) for folder in _SYSTEM32_EXEMPT):
            return None
        return sends + "System32 to C:\\Windows\\SysWOW64"
    if len(parts) >= 3 and _may_match(parts[1], "lastgood") and _may_match(parts[2], "system32"):
        return sends + "lastgood\\system32 to C:\\Windows\\lastgood\\SysWOW64"
    if _may_match(parts[1], "regedit.exe"):
        return sends + "regedit.exe to C:\\Windows\\SysWOW64\\regedit.exe"
    if _may_match(parts[1], "Sysnative"):
        return "C:\\Windows\\Sysnative is WOW64's alias of the 64-bit System32"
    return None


def _exempt(below: tuple[str, ...], folder: tuple[str, ...]) -> bool:
    """Whether ``below`` (the parts under System32) is in the exempt ``folder``: its first
    parts name it, without a wildcard that could reach a redirected sibling."""
    head = below[: len(folder)]
    return len(head) == len(folder) and all(
        not has_wildcard(part) and fold(part) == name
        for part, name in zip(head, folder, strict=True)
    )


def _may_match(part: str, name: str) -> bool:
    """Whether the path part ``part`` names ``name``, or is a wildcard that matches it."""
    return fold(part) == fold(name) or (has_wildcard(part) and wildcard_match(part, name))
