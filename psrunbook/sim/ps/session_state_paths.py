"""Paths on PowerShell's session-state providers: ``Env:PATH``, ``Env:\\PATH``,
``Environment::PATH``, ``Variable:\\x``, and a bare name while the location is one of
their roots (``Set-Location Env:`` then ``Test-Path PATH``).

These providers (Environment, Variable, Function, Alias: SessionStateProviderBase in
PowerShell's source) are flat: a path names the drive's root (an empty provider path)
or one item by name. The item commands read a path with :func:`session_state_path`
before the lab's FileSystem and Registry provider sees it, so ``Test-Path Env:PATH`` is
answered by the Environment provider and never read as a missing drive.
"""

from __future__ import annotations

import re

import msgspec

from psrunbook.sim.ps.provider_roots import ProviderRoot

_PROVIDERS = {"environment": "Environment", "variable": "Variable",
              "function": "Function", "alias": "Alias"}  # fmt: skip
_DRIVES = {"env": ("Env", "Environment"), "variable": ("Variable", "Variable"),
           "function": ("Function", "Function"), "alias": ("Alias", "Alias")}  # fmt: skip

_QUALIFIED = re.compile(
    r"^(?:Microsoft\.PowerShell\.Core\\)?(environment|variable|function|alias)::(.*)$",
    re.IGNORECASE | re.DOTALL,
)
_DRIVE = re.compile(r"^(env|variable|function|alias):(.*)$", re.IGNORECASE | re.DOTALL)
_WILDCARD = re.compile(r"[*?\[]")
_SEPARATORS = "\\/"


class SessionStatePath(msgspec.Struct, frozen=True):
    """One path on a session-state provider, as a command was given it."""

    provider: str
    """``Environment``, ``Variable``, ``Function`` or ``Alias``."""
    drive: str | None
    """The drive's name (``Env``) when the path named a drive or was relative to one;
    None for a provider-qualified path, which names no drive."""
    name: str
    """The item's name (its provider path); ``""`` for the root."""
    typed: str
    """The path as given."""

    @property
    def is_root(self) -> bool:
        return self.name == ""

    @property
    def has_wildcard(self) -> bool:
        return _WILDCARD.search(self.name) is not None

    @property
    def root(self) -> ProviderRoot:
        return ProviderRoot(self.provider, self.drive)

    def item_path(self, name: str) -> str:
        """An item's ``PSPath``: ``Microsoft.PowerShell.Core\\Environment::PATH``."""
        return f"Microsoft.PowerShell.Core\\{self.provider}::{name}"

    @property
    def shown(self) -> str:
        """The path as the item commands name it in "Cannot find path": the drive, a
        backslash and the name (``Env:\\NoSuch`` for ``Env:NoSuch``, as reported for
        PowerShell 7 on Windows; UNVERIFIED on 5.1); a provider-qualified path as given
        (UNVERIFIED)."""
        if self.drive is None:
            return self.typed
        return f"{self.drive}:\\{self.name}"


def session_state_path(text: str, location: ProviderRoot | None = None) -> SessionStatePath | None:
    """The session-state provider path ``text`` names, or None for any other provider's.

    ``location``: the session-state root the runspace's location is at, if any; a
    relative name is then an item of that provider (``.`` its root). A relative path
    that is more than a name there (``.\\PATH``, ``..``) is None: the lab's commands
    refuse it with the location.
    """
    qualified = _QUALIFIED.match(text)
    if qualified is not None:
        provider = _PROVIDERS[qualified.group(1).lower()]
        return SessionStatePath(provider, None, qualified.group(2).lstrip(_SEPARATORS), text)
    drive = _DRIVE.match(text)
    if drive is not None:
        name, provider = _DRIVES[drive.group(1).lower()]
        return SessionStatePath(provider, name, drive.group(2).lstrip(_SEPARATORS), text)
    if location is None or ":" in text or text.startswith(("\\", "/", "~")):
        return None
    if text == ".":
        return SessionStatePath(location.provider, location.drive, "", text)
    if text in ("", "..") or any(separator in text for separator in _SEPARATORS):
        return None
    return SessionStatePath(location.provider, location.drive, text, text)


PATH_TYPES = ("any", "container", "leaf")
"""Test-Path's ``-PathType`` values (Microsoft.PowerShell.Commands.TestPathType), folded."""


def path_type_of(value: str) -> str | None:
    """``-PathType`` folded, or None for a value that is not a TestPathType (Windows'
    binding error for it is not modelled: the caller refuses the call by name)."""
    folded = value.strip().casefold()
    return folded if folded in PATH_TYPES else None


def provider_root(text: str) -> ProviderRoot | None:
    """The session-state provider root ``text`` names (``Variable:\\``, ``Env:``,
    ``Microsoft.PowerShell.Core\\Variable::``), or None for an item or another path."""
    path = session_state_path(text.strip())
    return path.root if path is not None and path.is_root else None


def names_session_state(text: str) -> bool:
    """Whether ``text`` is a drive- or provider-qualified session-state path (the lab's
    FileSystem commands refuse such a path that reached them)."""
    return session_state_path(text) is not None
