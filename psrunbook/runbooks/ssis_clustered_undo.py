"""Runbook ``ssis-clustered-undo``: take back what ``ssis-clustered`` did.

The SSIS resource is taken offline through the cluster, its registry checkpoint removed
and the resource removed; the ServiceConfigFile value is set back on every node to the
value ``ssis-clustered`` found there before it changed it, read from the run journal
(or, on a node the journal recorded nothing for, to ``config_file``: by default that
node's installed file, the ``MsDtsSrvr.ini.xml`` beside its SSIS service's program,
wherever setup's INSTALLSHAREDDIR put it; the preflight refuses a node where that file
does not exist, since SSIS would start with its built-in defaults). The service is then
given back to each node with the start type and the running/stopped state
``ssis-clustered`` found there, read from the journal too: a passive node whose SSIS was
Manual and stopped (not licensed for it) is Manual and stopped again, a node where it
was Automatic and running is so again (and reads the restored ServiceConfigFile value as
it starts). On a node the journal recorded nothing for, ``start_type`` stands in:
Automatic (the default, as setup leaves it) also starts the service, Manual leaves it
running or stopped as it is; a service Disabled there stays Disabled (an administrator's
decision that SSIS must not run on that node, which ssis-clustered and ssis-standalone
refuse to override too). With ``shared_folder`` the folder on the shared disk goes too,
but only when it holds nothing but what ``ssis-clustered`` wrote; a MsDtsSrvr.ini.xml that
was there before gets its bytes back from the backup ``ssis-clustered`` made (when the
backup still has the SHA-256 the run recorded), never a re-encoded text. Test-then-set
throughout: a second run with the same parameters changes nothing.

The journal is read when the undo is planned: the ``ssis-clustered`` runs on the same
cluster since its last successful undo; for each node, step ``config-registry``'s
``Before.ConfigFile`` of the first attempt that changed it, and step ``service-manual``'s
``Before.StartType`` and ``Before.Status`` of the first attempt that ran there, changed
or not (``psrunbook runs show <run>`` shows the same). The values become the parameters
``recorded_config_files``, ``recorded_service_states`` and ``recorded_runs``, so the
plan, the journal and a bundle show them, and the plan says per node (``From``) whether
its values came from the journal or from ``config_file`` (or the ``installed`` file) and
``start_type``; a plan with nothing recorded warns of it. A node the runs reached where
none of them attempted ``config-registry`` (``untouched_registry_nodes``) or
``service-manual`` (``untouched_service_nodes``), as after a run that failed at
``shared-config``, keeps its value and its service as they are (``From`` ``untouched``):
ssis-clustered never changed them there. A successful undo ends that
history, but what it restored stands: an undo run after it, with no ``ssis-clustered`` run
in between, gives back the same recorded values (the earlier undo's own parameters, its
``recorded_runs`` named again) instead of falling back.
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
    "read from the journal (recorded_config_files, from recorded_runs); a node whose "
    "config-registry step no run attempted keeps its value (untouched_registry_nodes); any "
    "other node the journal recorded nothing for gets config_file (default: the installed "
    "MsDtsSrvr.ini.xml beside that node's SSIS program), which must exist there.",
    Severity.INFO,
)
JOURNAL_SERVICE_STATE = Advisory(
    "SSIS-UNDO-SERVICE",
    "The SSIS service gets back on each node the start type and running/stopped state "
    "ssis-clustered found there, read from the journal (recorded_service_states, from "
    "recorded_runs); a node whose service-manual step no run attempted keeps its service as "
    "it is (untouched_service_nodes); any other node the journal recorded nothing for gets "
    "start_type (default: Automatic, and started), unless its service is Disabled (it stays "
    "Disabled).",
    Severity.INFO,
)


JOURNAL_SHARED = Advisory(
    "SSIS-UNDO-SHARED",
    "With shared_folder and no record of what it held before ssis-clustered, the whole folder "
    "is removed, but only when it holds nothing but a MsDtsSrvr.ini.xml whose text "
    "ssis-clustered writes (shared_documents), its backups and an empty Packages folder.",
    Severity.INFO,
)


CLUSTER_VALUES = "this cluster's ServiceConfigFile values"
CLUSTER_STATES = "the SSIS service's start type and state"


def _untouched(nodes: list[str], step: str, kept: str) -> str:
    """The clause naming the nodes the undo leaves as they are, or nothing."""
    if not nodes:
        return ""
    return (
        f"left as they are: {', '.join(nodes)} (reached by the run(s), which never attempted "
        f"{step} there: the {kept} ssis-clustered found is still there)"
    )


def _nothing_recorded(params: SsisClusteredUndoParameters, what: str) -> str:
    """Why a plan has no journal value: no run at all, or runs that recorded none."""
    if params.recorded_runs:
        return (
            f"The ssis-clustered run(s) in the journal ({', '.join(params.recorded_runs)}) "
            f"recorded none of {what}"
        )
    return f"No ssis-clustered run in the journal recorded {what}"


def _registry_fallback(params: SsisClusteredUndoParameters) -> str:
    if params.config_file:
        return f"config_file {params.config_file}"
    return (
        "its installed MsDtsSrvr.ini.xml, in the folder of its SSIS service's program "
        "(Win32_Service PathName), which the preflight checks exists"
    )


def registry_source(params: SsisClusteredUndoParameters) -> Advisory:
    """Which value the undo restores, as the plan must say before anything changes; a
    warning when nothing was recorded (every node gets the fallback)."""
    untouched = _untouched(params.untouched_registry_nodes, "config-registry", "value")
    if params.recorded_config_files:
        nodes = ", ".join(
            f"{node}: {value}" for node, value in sorted(params.recorded_config_files.items())
        )
        message = (
            f"ServiceConfigFile is restored from the journal (run(s) "
            f"{', '.join(params.recorded_runs) or 'given'}): {nodes}; "
            + (f"{untouched}; " if untouched else "")
            + f"any other node gets {_registry_fallback(params)}."
        )
        return Advisory(JOURNAL_VALUE.code, message, Severity.INFO)
    if untouched:
        message = (
            f"{_nothing_recorded(params, CLUSTER_VALUES)}; {untouched}; any other "
            f"node gets {_registry_fallback(params)}."
        )
        return Advisory(JOURNAL_VALUE.code, message, Severity.INFO)
    message = (
        f"{_nothing_recorded(params, CLUSTER_VALUES)}: every node "
        f"gets {_registry_fallback(params)}. If ssis-clustered ran from another journal, give "
        "recorded_config_files (or config_file) instead."
    )
    return Advisory(JOURNAL_VALUE.code, message, Severity.WARNING)


def service_source(params: SsisClusteredUndoParameters) -> Advisory:
    """Which start type and state the undo gives the service on each node, as the plan
    must say before anything changes, and what a node the journal recorded nothing for
    gets instead (``start_type``)."""
    fallback = f"start_type {params.start_type}" + (
        " (and is started)" if params.start_type == "Automatic" else ""
    )
    disabled = "A service Disabled there stays Disabled."
    untouched = _untouched(params.untouched_service_nodes, "service-manual", "start type and state")
    if params.recorded_service_states:
        nodes = "; ".join(
            f"{node}: {state.start_type}, {state.status}"
            for node, state in sorted(params.recorded_service_states.items())
        )
        message = (
            f"The SSIS service's start type and state are restored from the journal (run(s) "
            f"{', '.join(params.recorded_runs) or 'given'}): {nodes}; "
            + (f"{untouched}; " if untouched else "")
            + f"any other node gets {fallback}. {disabled}"
        )
        return Advisory(JOURNAL_SERVICE_STATE.code, message, Severity.INFO)
    if untouched:
        message = (
            f"{_nothing_recorded(params, CLUSTER_STATES)}; {untouched}; any other node "
            f"gets {fallback}. {disabled}"
        )
        return Advisory(JOURNAL_SERVICE_STATE.code, message, Severity.INFO)
    message = (
        f"{_nothing_recorded(params, CLUSTER_STATES)} on this "
        f"cluster: every node gets {fallback}. {disabled} A passive node "
        "kept Manual and stopped (not licensed for SSIS) would run it: give "
        "recorded_service_states or start_type=Manual for such a cluster."
    )
    return Advisory(JOURNAL_SERVICE_STATE.code, message, Severity.WARNING)


def shared_source(params: SsisClusteredUndoParameters) -> Advisory | None:
    """With ``shared_folder`` and no record of what it held: a warning of what the step
    removes, and what it refuses (None with a record, or without ``shared_folder``)."""
    if params.shared_folder is None or _shared_record(params, params.shared_folder) is not None:
        return None
    known = len(params.shared_documents)
    message = (
        f"Nothing in the journal records what {params.shared_folder} held before "
        "ssis-clustered (no run recorded changing it there, or it ran from another journal): the "
        "whole folder is removed, but only when it holds nothing but "
        f"{CONFIG_FILE_NAME} with a text ssis-clustered writes there ({known} known from its "
        f"runs, shared_documents; with none, the file stops the step), its backups "
        f"({CONFIG_FILE_NAME}.bak, .1.bak to .100.bak: the file that was there before "
        "ssis-clustered, if any, goes with them) and an empty Packages folder; anything else "
        "stops the step with the list, and nothing is removed."
    )
    return Advisory(JOURNAL_SHARED.code, message, Severity.WARNING)


class RecordedSharedConfig(BaseModel):
    """What ssis-clustered found in shared_folder before it changed it (from the journal)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    config_file: str = Field(description="The MsDtsSrvr.ini.xml the record is about")
    file_existed: bool = Field(description="Whether the file was there before")
    document: str | None = Field(
        default=None,
        description="Its text before, when ssis-clustered changed it, as Get-Content read "
        "it (a file without a byte order mark in the ANSI code page); null: it left the "
        "file as it was (or there was none)",
    )
    document_sha256: str | None = Field(
        default=None,
        pattern=r"^[0-9A-Fa-f]{64}$",
        description="SHA-256 of the file's bytes before ssis-clustered changed it, which "
        "its first backup holds; the undo copies that backup back only when it still has "
        "this hash, and refuses rather than write the text; null: a run of a psrunbook "
        "that did not record it (the backup counts when it reads as document)",
    )
    created_folders: list[str] = Field(
        default=[], description="Folders ssis-clustered created (the undo removes only these)"
    )
    backup_files: list[str] = Field(
        default=[],
        description="Backups ssis-clustered made of the file, the first the file as it found "
        "it (the undo removes them once the file is back byte for byte, and keeps them "
        "otherwise)",
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
        description="ServiceConfigFile value to restore on every node the journal recorded "
        "nothing for (it must exist there); unset means each node's installed file: "
        "MsDtsSrvr.ini.xml in the folder of its SSIS service's program (DTS\\Binn under "
        "setup's INSTALLSHAREDDIR, %ProgramFiles%\\Microsoft SQL Server by default)",
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
    untouched_registry_nodes: list[str] = Field(
        default=[],
        description="Nodes the ssis-clustered runs reached where none of them attempted "
        "config-registry (it failed before): their ServiceConfigFile value is left as it is; "
        "read from the journal when the undo is planned (leave it unset)",
        examples=[["SQLNODE3"]],
    )
    untouched_service_nodes: list[str] = Field(
        default=[],
        description="Nodes the ssis-clustered runs reached where none of them attempted "
        "service-manual (it failed before): their SSIS service is left as it is; read from "
        "the journal when the undo is planned (leave it unset)",
        examples=[["SQLNODE3"]],
    )
    shared_documents: list[str] = Field(
        default=[],
        description="The MsDtsSrvr.ini.xml texts the ssis-clustered runs with this "
        "shared_folder write there, from their parameters in the journal (leave it unset); "
        "with no recorded_shared_config, the file is removed only when its text is one of "
        "these",
        examples=[[]],
    )
    start_type: Literal["Automatic", "Manual"] = Field(
        default="Automatic",
        description="Start type to give the service back on a node recorded_service_states "
        "has nothing for (setup's is Automatic; Automatic also starts it, Manual leaves it "
        "running or stopped as it is; a Disabled service stays Disabled)",
        examples=["Automatic"],
    )
    service_timeout_s: int = Field(
        default=60,
        ge=5,
        le=3600,
        description="Seconds to wait for the SSIS service to start or stop on a node",
        examples=[60],
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
        # Node names are case-insensitive: two keys for one node cannot both be restored.
        checks.distinct(list(value), field, what="node")
        return value

    @field_validator("untouched_registry_nodes", "untouched_service_nodes")
    @classmethod
    def _untouched_nodes(cls, value: list[str], info: ValidationInfo) -> list[str]:
        field = str(info.field_name)
        for node in value:
            checks.node_name(node, field)
        checks.distinct(value, field, what="node")
        return value

    @field_validator("recorded_service_states")
    @classmethod
    def _recorded_states(
        cls, value: dict[str, RecordedServiceState], info: ValidationInfo
    ) -> dict[str, RecordedServiceState]:
        for node in value:
            checks.node_name(node, str(info.field_name))
        checks.distinct(list(value), str(info.field_name), what="node")
        return value


def build_steps(params: SsisClusteredUndoParameters, inventory: Inventory) -> list[Step]:
    del inventory  # every step runs on the cluster's nodes as the engine targets them
    version = params.version
    steps = [
        Step(
            name="preflight",
            title="Check administrator rights, the SSIS service and the file ServiceConfigFile "
            "will name, on every node",
            template="ssis/test_undo_preflight.ps1.j2",
            target=Target.EVERY_NODE,
            arguments={
                "ServiceName": version.service_name,
                "ConfigFile": params.config_file or "",
                "RecordedByNode": dict(params.recorded_config_files),
                "UntouchedNodes": list(params.untouched_registry_nodes),
            },
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
                "Group": params.group,
                "ServiceName": version.service_name,
                "Checkpoint": version.checkpoint_path,
            },
            result=RemoveResult,
        ),
        Step(
            name="config-registry",
            title="Point ServiceConfigFile back at the value ssis-clustered found "
            + (
                "(from the journal)"
                if params.recorded_config_files
                else "(config_file)"
                if params.config_file
                else "(the installed file: nothing recorded)"
            ),
            template="ssis/restore_config_registry.ps1.j2",
            target=Target.EVERY_NODE,
            arguments={
                "Key": version.registry_path,
                "ServiceName": version.service_name,
                "ConfigFile": params.config_file or "",
                "RecordedByNode": dict(params.recorded_config_files),
                "UntouchedNodes": list(params.untouched_registry_nodes),
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
                "UntouchedNodes": list(params.untouched_service_nodes),
                "TimeoutSeconds": params.service_timeout_s,
            },
            result=ServiceManualResult,
            waits_up_to_s=params.service_timeout_s,
            wait_parameter="service_timeout_s",
        ),
    ]
    if params.shared_folder is not None:
        steps.append(shared_folder_step(params, params.shared_folder))
    return steps


def _shared_record(
    params: SsisClusteredUndoParameters, shared_folder: str
) -> RecordedSharedConfig | None:
    """The journal's record of ``shared_folder``'s file, when it is about that file."""
    config_file = str(PureWindowsPath(shared_folder) / CONFIG_FILE_NAME)
    record = params.recorded_shared_config
    if record is not None and record.config_file.casefold() == config_file.casefold():
        return record
    return None


def shared_folder_step(params: SsisClusteredUndoParameters, shared_folder: str) -> Step:
    """Take back what ssis-clustered did in ``shared_folder``: as the journal recorded it
    when it did (the file's old bytes back from the backup ssis-clustered made, only the
    folders it created removed), else the whole folder when it holds only what
    ssis-clustered writes."""
    folder = PureWindowsPath(shared_folder)
    config_file = str(folder / CONFIG_FILE_NAME)
    arguments: dict[str, object] = {
        # Checked first, as ssis-clustered's shared-config step does: on a node where the
        # disk is not mounted every path below is simply missing, which is not "nothing
        # to take back".
        "DriveRoot": folder.anchor,
        "Group": params.group,
        "ConfigFolder": str(folder),
        "PackagesFolder": str(folder / PACKAGES_FOLDER),
        "ConfigFile": config_file,
    }
    record = _shared_record(params, shared_folder)
    if record is not None:
        restore = record.document is not None
        arguments |= {
            "Recorded": True,
            "FileExisted": record.file_existed,
            "RestoreDocument": restore,
            "PreviousDocument": record.document or "",
            # The first backup is the copy of the file as the first run that replaced it
            # found it (the record's document and hash are that run's).
            "DocumentBackup": record.backup_files[0] if restore and record.backup_files else "",
            "DocumentSha256": (record.document_sha256 or "") if restore else "",
            "CreatedFolders": list(record.created_folders),
            "BackupFiles": list(record.backup_files),
        }
        title = "Put the shared disk back as the journal recorded it before ssis-clustered"
    else:
        # Without a record the file is ssis-clustered's only when its text is one it writes.
        arguments |= {"KnownDocuments": list(params.shared_documents)}
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
        found += [JOURNAL_VALUE, JOURNAL_SERVICE_STATE, JOURNAL_SHARED]
    else:
        found += [registry_source(params), service_source(params)]
        shared = shared_source(params)
        if shared is not None:
            found.append(shared)
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
