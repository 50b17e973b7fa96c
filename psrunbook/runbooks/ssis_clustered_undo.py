"""Runbook ``ssis-clustered-undo``: take back what ``ssis-clustered`` did.

The SSIS resource is taken offline through the cluster, its registry checkpoint removed
and the resource removed; the ServiceConfigFile value is set back on every node (to the
value given, by default the installed file SQL Server setup points it at); the service is
given back to each node with the start type it had before (Automatic, as setup leaves it,
and then running). With ``shared_folder`` the folder on the shared disk goes too, but only
when it holds nothing but what ``ssis-clustered`` wrote. Test-then-set throughout: a
second run changes nothing.

The value before ``ssis-clustered`` changed it is in its run's journal: ``psrunbook runs
show <run>`` lists step ``config-registry``'s ``Before.ConfigFile`` per node; give it as
``config_file`` if it was not the default.
"""

from __future__ import annotations

from pathlib import PureWindowsPath
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationInfo, field_validator

from psrunbook import Advisory, Runbook, Severity, Step, Target
from psrunbook.runbooks._ssis import advisories, checks
from psrunbook.runbooks._ssis.config import CONFIG_FILE_NAME
from psrunbook.runbooks._ssis.lab import lab_variant, undo_defaults
from psrunbook.runbooks._ssis.results import (
    PreflightResult,
    RegistryResult,
    RemoveResult,
    ServiceManualResult,
)
from psrunbook.runbooks._ssis.role_params import SsisRoleParameters
from psrunbook.runbooks.ssis_clustered import PACKAGES_FOLDER

if TYPE_CHECKING:
    from psrunbook import Inventory

UNDO_STOPS_SSIS = Advisory(
    "SSIS-UNDO",
    "Undo takes the SSIS resource offline (running packages stop) and removes it; SSIS then "
    "runs unclustered on every node with its own configuration file, as SQL Server setup "
    "left it. To keep SSIS on every node for all instances, run ssis-standalone next.",
)
JOURNAL_VALUE = Advisory(
    "SSIS-UNDO-REGISTRY",
    "ServiceConfigFile is set back to config_file (default: the installed file). The value "
    "before ssis-clustered is in that run's journal: `psrunbook runs show <run>`, step "
    "config-registry, Before.ConfigFile.",
    Severity.INFO,
)


class SsisClusteredUndoParameters(SsisRoleParameters):
    """Parameters of ``ssis-clustered-undo``."""

    config_file: str | None = Field(
        default=None,
        description="ServiceConfigFile value to restore on every node; unset means the "
        "version's installed file (%ProgramFiles%\\Microsoft SQL Server\\<ver>\\DTS\\Binn"
        "\\MsDtsSrvr.ini.xml)",
        examples=["C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MsDtsSrvr.ini.xml"],
    )
    start_type: Literal["Automatic", "Manual"] = Field(
        default="Automatic",
        description="Start type to give the service back on every node (setup's is Automatic; "
        "Automatic also starts it)",
        examples=["Automatic"],
    )
    shared_folder: str | None = Field(
        default=None,
        description="The shared_folder ssis-clustered used: removed when it holds only "
        "MsDtsSrvr.ini.xml, its backups and an empty Packages folder; unset keeps it",
        examples=["S:\\SSIS"],
    )

    @field_validator("shared_folder")
    @classmethod
    def _shared_folder(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else checks.folder_on_drive(value, str(info.field_name))

    @field_validator("config_file")
    @classmethod
    def _config_file(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return checks.plain_text(value, str(info.field_name), what="full path of a file")

    @property
    def restored_config_file(self) -> str:
        return self.config_file or self.version.default_config_file


def build_steps(params: SsisClusteredUndoParameters, inventory: Inventory) -> list[Step]:
    del inventory  # every step runs on the cluster's nodes as the engine targets them
    version = params.version
    steps = [
        Step(
            name="preflight",
            title="Check administrator rights and the SSIS service on every node",
            template="ssis/test_undo_preflight.ps1.j2",
            target=Target.EVERY_NODE,
            arguments={"ServiceName": version.service_name},
            changes=False,
            result=PreflightResult,
        ),
        Step(
            name="remove-resource",
            title="Take the SSIS resource offline, remove its checkpoint and the resource",
            template="cluster/remove_generic_service.ps1.j2",
            target=Target.ANY_NODE,
            arguments={
                "Name": params.resource_name,
                "ServiceName": version.service_name,
                "Checkpoint": version.checkpoint_path,
            },
            result=RemoveResult,
        ),
        Step(
            name="config-registry",
            title="Point ServiceConfigFile back at the node's own file",
            template="ssis/set_config_registry.ps1.j2",
            target=Target.EVERY_NODE,
            arguments={"Key": version.registry_path, "ConfigFile": params.restored_config_file},
            result=RegistryResult,
        ),
        Step(
            name="service",
            title=f"Give {version.service_name} back to each node ({params.start_type})",
            template="ssis/restore_service.ps1.j2",
            target=Target.EVERY_NODE,
            arguments={"ServiceName": version.service_name, "StartType": params.start_type},
            result=ServiceManualResult,
        ),
    ]
    if params.shared_folder is not None:
        folder = PureWindowsPath(params.shared_folder)
        steps.append(
            Step(
                name="shared-folder",
                title="Remove the folder ssis-clustered made on the shared disk",
                template="ssis/remove_shared_config.ps1.j2",
                target=Target.GROUP_OWNER,
                group=params.group,
                arguments={
                    "ConfigFolder": str(folder),
                    "PackagesFolder": str(folder / PACKAGES_FOLDER),
                    "ConfigFile": str(folder / CONFIG_FILE_NAME),
                },
                result=RemoveResult,
            )
        )
    return steps


def build_advisories(params: SsisClusteredUndoParameters | None) -> list[Advisory]:
    found = [UNDO_STOPS_SSIS, JOURNAL_VALUE]
    found += advisories.for_version(params.version if params is not None else None)
    return found


runbook = Runbook(
    name="ssis-clustered-undo",
    summary="Remove the clustered SSIS resource and give the service back to every node "
    "(the rollback of ssis-clustered)",
    parameters=SsisClusteredUndoParameters,
    build_steps=build_steps,
    advisories=build_advisories,
    description=__doc__ or "",
    lab_variant=lab_variant,
    lab_defaults=undo_defaults,
)
