"""What the SSIS runbooks take from the embedded simulated lab (``--sim``).

The lab is a SQL Server failover cluster with SSIS installed on every node. These hooks
map its facts onto the runbooks' own parameters, so ``psrunbook run ssis-clustered --sim``
needs no parameter at all, and build the lab at the SQL Server version asked for, so its
SSIS service is the one the runbook looks for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from psrunbook import LabFacts, LabVariant
from psrunbook.runbooks._ssis.versions import ssis_version

SHARED_FOLDER = "SSIS"
"""The folder on the lab's shared disk that holds the clustered configuration."""

DEFAULT_INSTANCE = "MSSQLSERVER"


def lab_variant(given: Mapping[str, Any]) -> LabVariant:
    """A lab of the requested SQL Server version (``2008r2`` reads as ``2008R2``).

    An unknown version leaves the lab's default: parameter validation then names the
    mistake, as it would against a real cluster.
    """
    version = given.get("sql_version")
    if version is None:
        return LabVariant()
    try:
        return LabVariant(sql_version=ssis_version(str(version)).key)
    except ValueError:
        return LabVariant()


def client_names(facts: LabFacts) -> list[str]:
    """The lab's instances as clients connect to them: ``SERVER`` or ``SERVER\\INSTANCE``."""
    return [
        facts.virtual_server
        if name.upper() == DEFAULT_INSTANCE
        else f"{facts.virtual_server}\\{name}"
        for name in facts.instances
    ]


def clustered_defaults(facts: LabFacts, given: Mapping[str, Any]) -> dict[str, Any]:
    """The lab's SQL Server group, its resources, a folder on its shared disk; the
    principals are the runbook's own default, the version's SSIS service account."""
    del given  # every default comes from the lab alone
    return {
        "sql_version": facts.sql_version,
        "group": facts.group,
        "sql_resource": facts.sql_resource,
        "disk_resource": facts.disk_resource,
        "virtual_server": facts.virtual_server,
        "shared_folder": f"{facts.drive.rstrip(':')}:\\{SHARED_FOLDER}",
    }


def standalone_defaults(facts: LabFacts, given: Mapping[str, Any]) -> dict[str, Any]:
    """The lab's SQL Server version and every instance it runs."""
    del given  # every default comes from the lab alone
    return {"sql_version": facts.sql_version, "instances": client_names(facts)}


def drill_defaults(facts: LabFacts, given: Mapping[str, Any]) -> dict[str, Any]:
    """The lab's SQL Server group, where a new lab builds it (its first node), its folder."""
    del given  # every default comes from the lab alone
    return {
        "sql_version": facts.sql_version,
        "group": facts.group,
        "home_node": facts.nodes[0],
        "shared_folder": f"{facts.drive.rstrip(':')}:\\{SHARED_FOLDER}",
    }


def undo_defaults(facts: LabFacts, given: Mapping[str, Any]) -> dict[str, Any]:
    """The lab's SQL Server version and group; the shared folder ssis-clustered used there."""
    del given  # every default comes from the lab alone
    return {
        "sql_version": facts.sql_version,
        "group": facts.group,
        "shared_folder": f"{facts.drive.rstrip(':')}:\\{SHARED_FOLDER}",
    }
