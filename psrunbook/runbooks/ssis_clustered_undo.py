"""Runbook ``ssis-clustered-undo``: take back what ``ssis-clustered`` did.

The SSIS resource is taken offline through the cluster, its registry checkpoint removed
and the resource removed; the ServiceConfigFile value is set back on every node to the
value ``ssis-clustered`` found there before it changed it, read from the run journal (or,
on a node the journal recorded nothing for, to ``config_file``: by default the installed
file SQL Server setup points it at). The service is then given back to each node with
the start type and the running/stopped state ``ssis-clustered`` found there, read from
the journal too: a passive node whose SSIS was Manual and stopped (not licensed for it)
is Manual and stopped again, a node where it was Automatic and running is so again (and
reads the restored ServiceConfigFile value as it starts). On a node the journal recorded
nothing for, ``start_type`` stands in: Automatic (the default, as setup leaves it) also
starts the service, Manual leaves it running or stopped as it is. With
``shared_folder`` the folder on the shared disk goes too, but only when it holds nothing
but what ``ssis-clustered`` wrote. Test-then-set throughout: a second run with the same
parameters changes nothing.

The journal is read when the undo is planned: the ``ssis-clustered`` runs on the same
cluster since its last successful undo; for each node, step ``config-registry``'s
``Before.ConfigFile`` of the first attempt that changed it, and step ``service-manual``'s
``Before.StartType`` and ``Before.Status`` of the first attempt that ran there, changed
or not (``psrunbook runs show <run>`` shows the same). The values become the parameters
``recorded_config_files``, ``recorded_service_states`` and ``recorded_runs``, so the
plan, the journal and a bundle show them, and the plan says per node (``From``) whether
its values came from the journal or from ``config_file`` and ``start_type``. A
successful undo ends that history: an undo run after it, with no ``ssis-clustered`` run
in between, finds nothing recorded (its plan says so) unless ``recorded_runs`` names the
runs to read.
"""

from __future__ import annotations

from pathlib import PureWindowsPath
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from psrunbook import Advisory, Runbook, Severity, Step, Target
from psrunbook.runbooks._ssis import advisories, checks
from psrunbook.runbooks._ssis.config import CONFIG_FILE_NAME
from psrunbook.runbooks._ssis.lab import lab_variant, undo_defaults
from psrunbook.runbooks._ssis.recorded import undo_history
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
    "ServiceConfigFile is set back on each node to the value ssis-clustered found there, "
    "read from the journal (recorded_config_files, from recorded_runs); a node the journal "
    "recorded nothing for gets config_file (default: the installed file).",
    Severity.INFO,
)
JOURNAL_SERVICE_STATE = Advisory(
    "SSIS-UNDO-SERVICE",
    "The SSIS service gets back on each node the start type and running/stopped state "
    "ssis-clustered found there, read from the journal (recorded_service_states, from "
    "recorded_runs); a node the journal recorded nothing for gets start_type (default: "
    "Automatic, and started).",
    Severity.INFO,
)


def registry_source(params: SsisClusteredUndoParameters) -> Advisory:
    """Which value the undo restores, as the plan must say before anything changes."""
    if params.recorded_config_files:
        nodes = ", ".join(
            f"{node}: {value}" for node, value in sorted(params.recorded_config_files.items())
        )
        message = (
            f"ServiceConfigFile is restored from the journal (run(s) "
            f"{', '.join(params.recorded_runs) or 'given'}): {nodes}; any other node gets "
            f"config_file {params.restored_config_file}."
        )
    else:
        message = (
            "No ssis-clustered run in the journal recorded this cluster's ServiceConfigFile "
            f"values: every node gets config_file {params.restored_config_file}."
        )
    return Advisory(JOURNAL_VALUE.code, message, Severity.INFO)


def service_source(params: SsisClusteredUndoParameters) -> Advisory:
    """Which start type and state the undo gives the service on each node, as the plan
    must say before anything changes, and what a node the journal recorded nothing for
    gets instead (``start_type``)."""
    fallback = f"start_type {params.start_type}" + (
        " (and is started)" if params.start_type == "Automatic" else ""
    )
    if params.recorded_service_states:
        nodes = "; ".join(
            f"{node}: {state.start_type}, {state.status}"
            for node, state in sorted(params.recorded_service_states.items())
        )
        message = (
            f"The SSIS service's start type and state are restored from the journal (run(s) "
            f"{', '.join(params.recorded_runs) or 'given'}): {nodes}; any other node gets "
            f"{fallback}."
        )
    else:
        message = (
            "No ssis-clustered run in the journal recorded the SSIS service's start type and "
            f"state on this cluster: every node gets {fallback}."
        )
    return Advisory(JOURNAL_SERVICE_STATE.code, message, Severity.INFO)


class RecordedSharedConfig(BaseModel):
    """What ssis-clustered found in shared_folder before it changed it (from the journal)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    config_file: str = Field(description="The MsDtsSrvr.ini.xml the record is about")
    file_existed: bool = Field(description="Whether the file was there before")
    document: str | None = Field(
        default=None,
        description="Its text before, when ssis-clustered changed it; null: it left the "
        "file as it was (or there was none)",
    )
    created_folders: list[str] = Field(
        default=[], description="Folders ssis-clustered created (the undo removes only these)"
    )
    backup_files: list[str] = Field(
        default=[], description="Backups ssis-clustered made of the file (the undo removes them)"
    )


class RecordedServiceState(BaseModel):
    """The SSIS service on one node as ssis-clustered found it (from the journal)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start_type: Literal["Automatic", "Manual"] = Field(description="Its start type")
    status: Literal["Running", "Stopped"] = Field(description="Whether it ran")


class SsisClusteredUndoParameters(SsisRoleParameters):
    """Parameters of ``ssis-clustered-undo``."""

    config_file: str | None = Field(
        default=None,
        description="ServiceConfigFile value to restore on every node; unset means the "
        "version's installed file (%ProgramFiles%\\Microsoft SQL Server\\<ver>\\DTS\\Binn"
        "\\MsDtsSrvr.ini.xml)",
        examples=["C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MsDtsSrvr.ini.xml"],
    )
    recorded_config_files: dict[str, str] = Field(
        default={},
        description="ServiceConfigFile value per node as ssis-clustered found it before it "
        "changed it; read from the journal when the undo is planned (leave it unset); a "
        "node missing here gets config_file",
        examples=[{"SQLNODE1": "D:\\SSIS\\MsDtsSrvr.ini.xml"}],
    )
    recorded_runs: list[str] = Field(
        default=[],
        description="The ssis-clustered run(s) recorded_config_files, "
        "recorded_service_states and recorded_shared_config come from; unset means "
        "every ssis-clustered run on this cluster since its last successful undo; give run "
        "ids to read only those; one per -p",
        examples=[["20260101T120000Z-a1b2c3"]],
    )
    recorded_shared_config: RecordedSharedConfig | None = Field(
        default=None,
        description="What ssis-clustered found in shared_folder before it changed it; read "
        "from the journal when the undo is planned (leave it unset); unset means nothing "
        "recorded: the whole folder is removed when it holds only what ssis-clustered wrote",
        examples=[None],
    )
    recorded_service_states: dict[str, RecordedServiceState] = Field(
        default={},
        description="Start type and status of the SSIS service per node as ssis-clustered "
        "found it before its service-manual step; read from the journal when the undo is "
        "planned (leave it unset); a node missing here gets start_type",
        examples=[{"SQLNODE2": {"start_type": "Manual", "status": "Stopped"}}],
    )
    start_type: Literal["Automatic", "Manual"] = Field(
        default="Automatic",
        description="Start type to give the service back on a node recorded_service_states "
        "has nothing for (setup's is Automatic; Automatic also starts it, Manual leaves it "
        "running or stopped as it is)",
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

    @field_validator("recorded_config_files")
    @classmethod
    def _recorded(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        field = str(info.field_name)
        for node, path in value.items():
            checks.node_name(node, field)
            checks.plain_text(path, field, what="full path of a file")
        return value

    @field_validator("recorded_service_states")
    @classmethod
    def _recorded_states(
        cls, value: dict[str, RecordedServiceState], info: ValidationInfo
    ) -> dict[str, RecordedServiceState]:
        for node in value:
            checks.node_name(node, str(info.field_name))
        return value

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
            title="Point ServiceConfigFile back at the value ssis-clustered found "
            + ("(from the journal)" if params.recorded_config_files else "(config_file)"),
            template="ssis/restore_config_registry.ps1.j2",
            target=Target.EVERY_NODE,
            arguments={
                "Key": version.registry_path,
                "ConfigFile": params.restored_config_file,
                "RecordedByNode": dict(params.recorded_config_files),
            },
            result=RegistryResult,
        ),
        Step(
            name="service",
            title=(
                f"Give {version.service_name} back to each node with the start type and state "
                "it had (from the journal)"
                if params.recorded_service_states
                else f"Give {version.service_name} back to each node ({params.start_type}: "
                "the journal recorded no state)"
            ),
            template="ssis/restore_service.ps1.j2",
            target=Target.EVERY_NODE,
            # Each node's service depends only on that node's own registry value: a node
            # goes on as soon as its own value is restored (per-node progress).
            waits_for_all_nodes=False,
            arguments={
                "ServiceName": version.service_name,
                "StartType": params.start_type,
                "RecordedStartType": {
                    node: state.start_type for node, state in params.recorded_service_states.items()
                },
                "RecordedStatus": {
                    node: state.status for node, state in params.recorded_service_states.items()
                },
            },
            result=ServiceManualResult,
        ),
    ]
    if params.shared_folder is not None:
        steps.append(shared_folder_step(params, params.shared_folder))
    return steps


def shared_folder_step(params: SsisClusteredUndoParameters, shared_folder: str) -> Step:
    """Take back what ssis-clustered did in ``shared_folder``: as the journal recorded it
    when it did (the file's old text back, only the folders it created removed), else the
    whole folder when it holds only what ssis-clustered writes."""
    folder = PureWindowsPath(shared_folder)
    config_file = str(folder / CONFIG_FILE_NAME)
    arguments: dict[str, object] = {
        "ConfigFolder": str(folder),
        "PackagesFolder": str(folder / PACKAGES_FOLDER),
        "ConfigFile": config_file,
    }
    record = params.recorded_shared_config
    if record is not None and record.config_file.casefold() == config_file.casefold():
        arguments |= {
            "Recorded": True,
            "FileExisted": record.file_existed,
            "RestoreDocument": record.document is not None,
            "PreviousDocument": record.document or "",
            "CreatedFolders": list(record.created_folders),
            "BackupFiles": list(record.backup_files),
        }
        title = "Put the shared disk back as the journal recorded it before ssis-clustered"
    else:
        title = "Remove the folder ssis-clustered made on the shared disk"
    return Step(
        name="shared-folder",
        title=title,
        template="ssis/remove_shared_config.ps1.j2",
        target=Target.GROUP_OWNER,
        group=params.group,
        arguments=arguments,
        result=RemoveResult,
    )


def build_advisories(params: SsisClusteredUndoParameters | None) -> list[Advisory]:
    found = [UNDO_STOPS_SSIS]
    if params is None:
        found += [JOURNAL_VALUE, JOURNAL_SERVICE_STATE]
    else:
        found += [registry_source(params), service_source(params)]
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
    history_defaults=undo_history,
)
