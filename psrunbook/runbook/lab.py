"""What a runbook may know about, and ask of, the embedded simulated lab (``--sim``).

The lab is one generic SQL Server failover cluster. Which of its facts fill which runbook
parameter, and which variant of the lab a runbook needs, is knowledge of that runbook:
it declares both on its :class:`~psrunbook.runbook.model.Runbook` (``lab_variant`` and
``lab_defaults``), so neither the CLI nor the simulator ever names a runbook's fields.
Renaming a field then breaks the runbook's own hook and its tests, never ``--sim``
silently.

This module is the contract between the two sides: the lab publishes :class:`LabFacts`
and builds the :class:`LabVariant` it is asked for; nothing here imports the simulator.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import msgspec


class LabFacts(msgspec.Struct, frozen=True):
    """What the lab publishes about itself: names as a runbook's parameters would give them."""

    cluster: str
    nodes: tuple[str, ...]
    sql_version: str
    group: str
    """The cluster group (role) of the SQL Server instance."""
    sql_resource: str
    network_name_resource: str
    ip_resource: str
    disk_resource: str
    """The shared disk resource in ``group``."""
    drive: str
    """The shared disk's drive, with its colon (``S:``)."""
    virtual_server: str
    instances: tuple[str, ...]
    """Instance names as SQL Server knows them (``MSSQLSERVER`` for the default one)."""
    ssis_service: str
    ssis_config_key: str
    ssis_default_config: str
    principals: tuple[str, ...]
    """Accounts and groups of the lab's domain that a runbook may grant rights to."""


class LabVariant(msgspec.Struct, frozen=True):
    """Which lab a runbook needs when none exists yet; ``None`` leaves the lab's default.

    Only a new lab is built to order: an existing one (the state directory keeps it
    between commands) is used as it is, as a real cluster would be.
    """

    sql_version: str | None = None


GivenParameters = Mapping[str, Any]
"""The parameters the operator gave, unvalidated: earlier run < file < ``-p`` (text)."""

LabVariantChooser = Callable[[GivenParameters], LabVariant]
"""Picks the lab variant from the parameters given (the lab must exist before validation)."""

LabDefaults = Callable[[LabFacts, GivenParameters], Mapping[str, Any]]
"""Parameter defaults the lab can answer; anything the operator gives overrides them."""
