"""The drive roots of PowerShell's session-state providers: ``Variable:\\``, ``Env:\\``,
``Function:\\``, ``Alias:\\`` and their provider-qualified forms
(``Microsoft.PowerShell.Core\\Variable::``).

They are containers, so ``Set-Location`` may move there and ``Get-Item`` gives an item
for them; pypsrp 1.0's ``invoke_ps(cwd="Variable:/")`` does both (``Get-Item
-LiteralPath $cwd``, then ``Set-Location -LiteralPath $item.PSPath``), and its test,
taken from Windows, reads ``$pwd.Path`` as ``Microsoft.PowerShell.Core\\Variable::``. The
items below a root (one variable, one environment variable) are not locations: they are
:mod:`psrunbook.sim.ps.session_state_paths`' (which also reads a root from a path).
"""

from __future__ import annotations

import msgspec

from psrunbook.sim.objects import PSHashtable, PSObject, provider_info


class ProviderRoot(msgspec.Struct, frozen=True):
    """One session-state provider's root, as the path that named it shows it."""

    provider: str
    """The provider's name: ``Variable``, ``Environment``, ``Function``, ``Alias``."""
    drive: str | None
    """The drive's name when the path named it (``Env``); None for a provider-qualified
    path, which names no drive."""

    @property
    def path(self) -> str:
        """The location's ``Path``: ``Env:\\`` for the drive, ``Microsoft.PowerShell.Core\\
        Environment::`` for the provider-qualified root (as PowerShell shows a location
        set by a provider path: pypsrp 1.0's ``test_invoke_ps_with_cwd_other_provider``)."""
        if self.drive is None:
            return self.ps_path
        return f"{self.drive}:\\"

    @property
    def ps_path(self) -> str:
        return f"Microsoft.PowerShell.Core\\{self.provider}::"


def drive_info(root: ProviderRoot) -> PSObject | None:
    """The PSDriveInfo of the root's drive (Name, Root ``""``, Provider); None without one.
    UNVERIFIED beyond ``Name``: only the members named here are modelled."""
    if root.drive is None:
        return None
    return PSObject(
        type_names=("System.Management.Automation.PSDriveInfo", "System.Object"),
        properties=PSHashtable(
            [("Name", root.drive), ("Root", ""), ("Provider", provider_info(root.provider))]
        ),
        to_string=root.drive,
    )


def root_item(root: ProviderRoot) -> PSObject:
    """What ``Get-Item`` writes for the root: SessionStateProviderBase.GetItem writes the
    provider's table's values (every variable, say) as one container item, with the
    provider's note properties (PSPath, PSDrive, PSProvider, PSIsContainer; PSDrive is
    ``$null`` for a provider-qualified path, which names no drive).

    UNVERIFIED: the values themselves (a ``Dictionary`2+ValueCollection`` on Windows,
    serialised as the list of items) are not modelled: the lab's item carries the note
    properties only, so a script reading more of it gets ``$null``."""
    return PSObject(
        type_names=(
            "System.Collections.Generic.Dictionary`2+ValueCollection",
            "System.Object",
        ),
        properties=PSHashtable(
            [
                ("PSPath", root.ps_path),
                ("PSDrive", drive_info(root)),
                ("PSProvider", provider_info(root.provider)),
                ("PSIsContainer", True),
            ]
        ),
        to_string="System.Collections.Generic.Dictionary`2+ValueCollection",
    )
