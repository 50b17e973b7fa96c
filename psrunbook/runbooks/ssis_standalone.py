"""Runbook ``ssis-standalone``: SSIS on every node, unclustered (Microsoft's recommendation).

Each node runs its own SSIS service; its ``MsDtsSrvr.ini.xml`` lists every SQL Server
instance whose msdb stores packages (one ``SqlServerFolder`` each) plus the File System
folder, so whichever node a client connects to shows every package. A node's service is
restarted only when its file changed, or when it started before the file was last written
(it runs an older configuration: a run interrupted before its restart leaves it so).
Every wait for a service to stop or start is bounded by ``service_timeout_s``.
"""

from __future__ import annotations

from pathlib import PureWindowsPath
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from psrunbook import Advisory, Runbook, Step, Target
from psrunbook.runbooks._ssis import advisories, checks
from psrunbook.runbooks._ssis.config import (
    DEFAULT_STORE_PATH,
    FileSystemFolder,
    ServiceConfiguration,
    SqlServerFolder,
    render_config,
)
from psrunbook.runbooks._ssis.lab import lab_variant, standalone_defaults
from psrunbook.runbooks._ssis.results import (
    PreflightResult,
    ServiceAutomaticResult,
    StandaloneConfigResult,
)
from psrunbook.runbooks._ssis.versions import SsisVersion, ssis_version

if TYPE_CHECKING:
    from psrunbook import Inventory

VERSIONS_TEXT = "2008, 2008R2, 2012, 2014, 2016, 2017, 2019, 2022, 2025"


class SsisStandaloneParameters(BaseModel):
    """Parameters of ``ssis-standalone``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sql_version: checks.SqlVersion = Field(
        description=f"SQL Server version of the installed SSIS service ({VERSIONS_TEXT})",
        examples=["2019"],
    )
    instances: list[str] = Field(
        min_length=1,
        description="SQL Server instances whose msdb holds packages, one SqlServerFolder "
        "each: SERVER or SERVER\\INSTANCE (virtual server names of clustered instances), "
        "'.' for the node's local default instance, '.\\INSTANCE' for a local named one; "
        "one per -p",
        examples=[["SQLVS01", "SQLVS02\\INST2"]],
    )
    store_path: str = Field(
        default=DEFAULT_STORE_PATH,
        description="StorePath of the File System folder: relative to DTS\\Binn (default "
        "..\\Packages) or absolute",
        examples=[DEFAULT_STORE_PATH],
    )
    config_file: str | None = Field(
        default=None,
        description="Full path of MsDtsSrvr.ini.xml on the nodes; default: the installed "
        "file of sql_version (C:\\Program Files\\Microsoft SQL Server\\<folder>\\DTS\\Binn); "
        "the preflight refuses a node whose service reads another file (its ServiceConfigFile "
        "value, or with none the file beside its program, as when setup's INSTALLSHAREDDIR "
        "was elsewhere) and names that file",
        examples=["C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MsDtsSrvr.ini.xml"],
    )
    stop_executing_packages_on_shutdown: bool = Field(
        default=True,
        description="StopExecutingPackagesOnShutdown: stop running packages when the service stops",
        examples=[True],
    )
    service_timeout_s: int = Field(
        default=60,
        ge=5,
        le=3600,
        description="Seconds to wait for the SSIS service to stop, and to be Running after "
        "a (re)start (a restart waits for each)",
        examples=[60],
    )

    @field_validator("instances")
    @classmethod
    def _instances(cls, value: list[str], info: ValidationInfo) -> list[str]:
        field = str(info.field_name)
        for item in value:
            checks.sql_server_name(item, field, allow_local=True)
        checks.distinct(value, field, what="instance")
        return value

    @field_validator("store_path")
    @classmethod
    def _store_path(cls, value: str, info: ValidationInfo) -> str:
        return checks.store_path(value, str(info.field_name))

    @field_validator("config_file")
    @classmethod
    def _config_file(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else checks.file_path(value, str(info.field_name))

    @property
    def version(self) -> SsisVersion:
        return ssis_version(self.sql_version)

    @property
    def target_file(self) -> str:
        return self.config_file or self.version.default_config_file


def folder_name(server: str, *, alone: bool) -> str:
    """``MSDB`` for a single instance; else ``MSDB SERVER INSTANCE`` (``(local)`` for '.')."""
    if alone:
        return "MSDB"
    host, _, instance = server.partition("\\")
    parts = ["MSDB", "(local)" if host == "." else host]
    if instance:
        parts.append(instance)
    return " ".join(parts)


def config_document(params: SsisStandaloneParameters) -> str:
    """MsDtsSrvr.ini.xml for every node: one msdb folder per instance, then File System."""
    alone = len(params.instances) == 1
    return render_config(
        ServiceConfiguration(
            sql_folders=tuple(
                SqlServerFolder(name=folder_name(s, alone=alone), server_name=s)
                for s in params.instances
            ),
            file_system_folders=(
                FileSystemFolder(name="File System", store_path=params.store_path),
            ),
            stop_executing_packages_on_shutdown=params.stop_executing_packages_on_shutdown,
        )
    )


def build_steps(params: SsisStandaloneParameters, inventory: Inventory) -> list[Step]:
    del inventory  # every step runs on every node; no node is named
    version = params.version
    target = params.target_file
    return [
        Step(
            name="preflight",
            title=f"Check {version.service_name}, the config folder and ServiceConfigFile",
            template="ssis/test_standalone_preflight.ps1.j2",
            target=Target.EVERY_NODE,
            arguments={
                "ServiceName": version.service_name,
                "Key": version.registry_path,
                "ConfigFolder": str(PureWindowsPath(target).parent),
                "ConfigFile": target,
            },
            changes=False,
            result=PreflightResult,
        ),
        Step(
            name="write-config",
            title="Write MsDtsSrvr.ini.xml listing every instance; restart SSIS if it changed",
            template="ssis/set_standalone_config.ps1.j2",
            target=Target.EVERY_NODE,
            # Rolling (issue 12, review M5): a restart stops the packages running on that
            # node, so never all nodes at once; a failed restart stops the roll.
            serial=True,
            # Each node is checked as soon as its own preflight passed; the changes still
            # wait for every node's preflight and check (issue 16: per-node progress).
            waits_for_all_nodes=False,
            arguments={
                "ServiceName": version.service_name,
                "ConfigFile": target,
                "Document": config_document(params),
                "TimeoutSeconds": params.service_timeout_s,
            },
            result=StandaloneConfigResult,
            # A restart is a stop, then a start, each bounded by service_timeout_s.
            waits_up_to_s=2 * params.service_timeout_s,
            wait_parameter="service_timeout_s",
        ),
        Step(
            name="service-running",
            # Setup's state for a stand-alone service: Automatic, so it runs again after
            # a reboot (a node taken from the clustered layout has it Manual), and Running.
            title=f"Verify {version.service_name} starts automatically and is running; "
            "set and start it if not",
            template="ssis/set_service_automatic.ps1.j2",
            target=Target.EVERY_NODE,
            arguments={
                "ServiceName": version.service_name,
                "TimeoutSeconds": params.service_timeout_s,
            },
            result=ServiceAutomaticResult,
            waits_up_to_s=params.service_timeout_s,
            wait_parameter="service_timeout_s",
        ),
    ]


def build_advisories(params: SsisStandaloneParameters | None) -> list[Advisory]:
    found = [advisories.STANDALONE_RECOMMENDED, advisories.STANDALONE_RESTART]
    if params is None or any(not s.startswith(".") for s in params.instances):
        found.append(advisories.DOUBLE_HOP_STANDALONE)
    if params is not None and params.version.low_confidence:
        found.append(advisories.low_confidence(params.version))
    found += advisories.for_version(params.version if params is not None else None)
    found.append(advisories.DCOM)
    return found


runbook = Runbook(
    name="ssis-standalone",
    summary="Run SSIS unclustered on every node, each listing every SQL Server instance "
    "(Microsoft's recommended alternative)",
    parameters=SsisStandaloneParameters,
    build_steps=build_steps,
    advisories=build_advisories,
    description=__doc__ or "",
    lab_variant=lab_variant,
    lab_defaults=standalone_defaults,
)
