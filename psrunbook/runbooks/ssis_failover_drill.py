"""Runbook ``ssis-failover-drill``: prove that SSIS follows SQL Server to every node.

For the change window after ``ssis-clustered``. The SQL Server group is moved to each
node of the inventory in turn and, last, back to ``home_node`` where it started. After
every move, every node is checked: the SSIS resource is Online on the new owner, its
service runs there (and only there, Manual everywhere) and started after the shared
configuration was written. A node that is not a possible owner of every resource in the
group cannot own it and is skipped with the reason; a node that fails is reported with
the reason and the drill goes on, and the last move returns the group home even when an
earlier step failed. Read-mostly: it changes only where the group runs, and ends where it
began.
"""

from __future__ import annotations

from pathlib import PureWindowsPath
from typing import TYPE_CHECKING

from pydantic import Field, ValidationInfo, field_validator

from psrunbook import Advisory, Runbook, Step, Target
from psrunbook.runbooks._ssis import advisories, checks
from psrunbook.runbooks._ssis.config import CONFIG_FILE_NAME
from psrunbook.runbooks._ssis.lab import drill_defaults, lab_variant
from psrunbook.runbooks._ssis.results import LoadedConfigResult, MoveGroupResult, PreflightResult
from psrunbook.runbooks._ssis.role_params import SsisRoleParameters

if TYPE_CHECKING:
    from psrunbook import Inventory

MOVES_SQL_SERVER = Advisory(
    "SSIS-DRILL-MOVES-SQL",
    "This drill moves the SQL Server role to every node and back: each move takes SQL "
    "Server and SSIS offline and online again (connections drop, running packages stop). "
    "Run it in a change window.",
)


class SsisFailoverDrillParameters(SsisRoleParameters):
    """Parameters of ``ssis-failover-drill``."""

    shared_folder: str = Field(
        description="Folder on the shared disk holding MsDtsSrvr.ini.xml (as given to "
        "ssis-clustered); the running service must have started after it was written",
        examples=["S:\\SSIS"],
    )
    home_node: str = Field(
        description="The node owning group now; the drill ends by moving the group back "
        "to it (the preflight refuses when the group is elsewhere)",
        examples=["SQLNODE1"],
    )
    online_timeout_s: int = Field(
        default=120,
        ge=5,
        le=3600,
        description="Seconds each move may take (Move-ClusterGroup -Wait)",
        examples=[120],
    )

    @field_validator("shared_folder")
    @classmethod
    def _shared_folder(cls, value: str, info: ValidationInfo) -> str:
        return checks.folder_on_drive(value, str(info.field_name))

    @field_validator("home_node")
    @classmethod
    def _home(cls, value: str, info: ValidationInfo) -> str:
        return checks.node_name(value, str(info.field_name))


def _visit_order(params: SsisFailoverDrillParameters, inventory: Inventory) -> list[str]:
    """Every inventory node once, home last, so the drill ends where it began."""
    home = params.home_node.casefold()
    others = [n for n in inventory.node_names if n.casefold() != home]
    return [*others, params.home_node]


def build_steps(params: SsisFailoverDrillParameters, inventory: Inventory) -> list[Step]:
    if params.home_node.casefold() not in {n.casefold() for n in inventory.node_names}:
        raise ValueError(
            f"home_node {params.home_node!r} is not in the inventory "
            f"({', '.join(inventory.node_names)})"
        )
    version = params.version
    config_file = str(PureWindowsPath(params.shared_folder) / CONFIG_FILE_NAME)
    steps = [
        Step(
            name="preflight",
            title="Check the group is home, the SSIS resource Online, every owner inventoried",
            template="ssis/test_drill_preflight.ps1.j2",
            target=Target.EVERY_NODE,
            arguments={
                "Group": params.group,
                "Resource": params.resource_name,
                "HomeNode": params.home_node,
                "InventoryNodes": list(inventory.node_names),
            },
            changes=False,
            result=PreflightResult,
        )
    ]
    for index, node in enumerate(_visit_order(params, inventory), start=1):
        last = node == params.home_node
        steps += [
            Step(
                name=f"move-{index}",
                title=f"Move the group {'back ' if last else ''}to {node}",
                template="cluster/move_group.ps1.j2",
                target=Target.ANY_NODE,
                arguments={
                    "Group": params.group,
                    "Node": node,
                    "Resource": params.resource_name,
                    "TimeoutSeconds": params.online_timeout_s,
                },
                continue_on_error=True,
                result=MoveGroupResult,
                # A Pending group waited for, the move, and a start after it: each up to
                # online_timeout_s.
                waits_up_to_s=3 * params.online_timeout_s,
                wait_parameter="online_timeout_s",
            ),
            Step(
                name=f"check-{index}",
                title=f"Check SSIS runs only on the owner with the shared configuration "
                f"(after the move to {node})",
                template="ssis/test_loaded_config.ps1.j2",
                target=Target.EVERY_NODE,
                arguments={
                    "ServiceName": version.service_name,
                    "Key": version.registry_path,
                    "ConfigFile": config_file,
                    "Resource": params.resource_name,
                    "AllowStale": False,
                },
                changes=False,
                continue_on_error=True,
                result=LoadedConfigResult,
            ),
        ]
    return steps


def build_advisories(params: SsisFailoverDrillParameters | None) -> list[Advisory]:
    found = [MOVES_SQL_SERVER, advisories.NO_PACKAGE_RESTART]
    found += advisories.for_version(params.version if params is not None else None)
    return found


runbook = Runbook(
    name="ssis-failover-drill",
    summary="Move the SQL Server role to every node and back, checking SSIS follows and "
    "loads the shared configuration (read-mostly; ends where it began)",
    parameters=SsisFailoverDrillParameters,
    build_steps=build_steps,
    advisories=build_advisories,
    description=__doc__ or "",
    lab_variant=lab_variant,
    lab_defaults=drill_defaults,
)
