"""SQL Server versions as the SSIS runbooks know them, read from ``ssis.json`` beside this module.

The JSON file is the project's copy of the collected facts (with their sources). It ships
with the SSIS runbooks because it is their knowledge, not the engine's. This module turns
the entries the runbooks support into typed records. It is read once, on first use, so
importing a runbook module stays free of I/O.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any, Final

import msgspec

DATA_PACKAGE: Final = "psrunbook.runbooks._ssis"
DATA_FILE: Final = "ssis.json"

UNSUPPORTED: Final = {
    "2005": (
        "SQL Server 2005 keeps ServiceConfigFile under HKLM\\SOFTWARE\\Microsoft\\MSDTS and "
        "predates the FailoverClusters PowerShell module"
    ),
}
"""Versions present in the facts that the runbooks refuse, with the reason."""


class SsisVersion(msgspec.Struct, frozen=True):
    """What a script needs to know about the SSIS service of one SQL Server version."""

    key: str
    product: str
    version_folder: str
    service_name: str
    service_account: str
    registry_path: str
    """The ``ServiceConfigFile`` key as a PowerShell path (``HKLM:\\...``)."""
    checkpoint_path: str
    """The same key relative to HKLM, as ``Add-ClusterCheckpoint -RegistryCheckpoint`` wants."""
    default_config_file: str
    """The installed config file, with ``%ProgramFiles%`` written out as the docs print it:
    where setup puts it with the default INSTALLSHAREDDIR only. ssis-clustered-undo finds
    each node's own on the node (beside the service's program); ssis-standalone's preflight
    refuses a node whose service reads another file."""
    confidence: str

    @property
    def low_confidence(self) -> bool:
        return self.confidence.lower().startswith("low")


def _document() -> dict[str, Any]:
    raw = resources.files(DATA_PACKAGE).joinpath(DATA_FILE).read_text("utf-8")
    document: dict[str, Any] = json.loads(raw)
    return document


def _record(key: str, entry: dict[str, Any]) -> SsisVersion:
    registry = entry["registry"]
    return SsisVersion(
        key=key,
        product=entry["product"],
        version_folder=entry["version_folder"],
        service_name=entry["service_name"],
        service_account=entry["per_service_sid_account"],
        registry_path=registry["powershell_path"],
        checkpoint_path=registry["cluster_checkpoint_path_relative_to_HKLM"],
        default_config_file=entry["default_config_file"].replace(
            "%ProgramFiles%", "C:\\Program Files"
        ),
        confidence=entry["confidence"],
    )


@cache
def ssis_versions() -> dict[str, SsisVersion]:
    """Every supported version, oldest first, keyed by its name (``"2019"``, ``"2008R2"``)."""
    entries = _document()["versions"]
    return {key: _record(key, entry) for key, entry in entries.items() if key not in UNSUPPORTED}


@cache
def config_facts() -> dict[str, Any]:
    """The ``config_file`` section of the facts (element names, example documents)."""
    section: dict[str, Any] = _document()["config_file"]
    return section


def known_versions() -> tuple[str, ...]:
    return tuple(ssis_versions())


def ssis_version(key: str) -> SsisVersion:
    """The record for ``key``; ``ValueError`` naming the known versions otherwise."""
    versions = ssis_versions()
    normalised = key.strip().upper().replace(" ", "")
    if normalised in versions:
        return versions[normalised]
    if normalised in UNSUPPORTED:
        raise ValueError(f"SQL Server {normalised} is not supported: {UNSUPPORTED[normalised]}")
    raise ValueError(f"unknown SQL Server version {key!r}: use one of {', '.join(versions)}")


def all_service_names() -> tuple[str, ...]:
    """Distinct SSIS service names of every supported version (2008 and 2008 R2 share one)."""
    return tuple(dict.fromkeys(v.service_name for v in ssis_versions().values()))
