"""Windows' own registry keys, which the lab does not model, so a read of one is refused
by name instead of answered "not found".

A lab node's HKLM holds what the lab models: SQL Server's keys (the instances, each
version's SSIS ServiceConfigFile, the legacy MSDTS key) and whatever a script creates.
Windows holds far more, and a script reads it (``Get-ItemProperty 'HKLM:\\SOFTWARE\\
Microsoft\\Windows NT\\CurrentVersion'`` for the build or InstallationType,
``...\\CurrentControlSet\\Services\\W32Time``): "Cannot find path" there would tell the
script the key does not exist on Windows. A missing key below the roots Windows itself
fills (the system's hives and Microsoft's own branch of SOFTWARE) is therefore refused;
below SQL Server's branches, which the lab models, and below any other vendor's key, a
missing key is "not found" as before.
"""

from __future__ import annotations

_WINDOWS_ROOTS = (
    "system",
    "hardware",
    "sam",
    "security",
    "bcd00000000",
    "software\\microsoft",
    "software\\classes",
    "software\\policies",
    "software\\wow6432node\\microsoft",
    "software\\wow6432node\\classes",
)
"""HKLM-relative roots whose keys Windows itself creates and the lab does not model."""

_MODELLED = ("software\\microsoft\\microsoft sql server", "software\\microsoft\\msdts")
"""SQL Server's branches, which the lab models: a key missing there is missing."""


UNMODELLED_KEY = "a key of Windows' own registry; the simulator does not model it"


def _below(rel: str, roots: tuple[str, ...]) -> bool:
    return any(rel == root or rel.startswith(root + "\\") for root in roots)


def windows_owned(rel: str) -> bool:
    """Whether the HKLM-relative key ``rel`` (missing from the lab) is one of Windows' own,
    which the lab does not model."""
    folded = rel.strip("\\").casefold()
    return _below(folded, _WINDOWS_ROOTS) and not _below(folded, _MODELLED)
