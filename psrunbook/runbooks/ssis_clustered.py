"""Runbook ``ssis-clustered``: Microsoft's "Integration Services (SSIS) in a Cluster".

The documented procedure is a series of Cluster Administrator clicks; here each click is a
test-then-set script. Two errata of the documentation are corrected: the Generic Service
runs the versioned service name (``MsDtsServer150`` for SQL Server 2019, not the 2005
name ``MsDtsServer``), and SSIS is only supported in the SQL Server group, because
dependencies across groups are impossible and a separate group causes the double-hop
problem for msdb packages.
"""

from __future__ import annotations

from pathlib import PureWindowsPath
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from psrunbook import Advisory, ReportTable, Runbook, Severity, Step, StepResults, Target
from psrunbook.runbooks._ssis import advisories, checks
from psrunbook.runbooks._ssis.config import (
    CONFIG_FILE_NAME,
    FileSystemFolder,
    ServiceConfiguration,
    SqlServerFolder,
    render_config,
)
from psrunbook.runbooks._ssis.lab import clustered_defaults, lab_variant
from psrunbook.runbooks._ssis.results import (
    AddGenericServiceResult,
    CheckpointResult,
    DependenciesResult,
    LoadedConfigResult,
    PossibleOwnersResult,
    PreflightResult,
    RegistryResult,
    RestartStaleResult,
    ServiceManualResult,
    SharedConfigResult,
    StartResourceResult,
)
from psrunbook.runbooks._ssis.versions import SsisVersion, ssis_version

if TYPE_CHECKING:
    from psrunbook import Inventory

VERSIONS_TEXT = "2008, 2008R2, 2012, 2014, 2016, 2017, 2019, 2022, 2025"
DEFAULT_RESOURCE_NAME = "SQL Server Integration Services"
PACKAGES_FOLDER = "Packages"
RESTART_NO_FAILOVER = 1
"""RestartAction 1 (ClusterResourceRestartNoNotify): restart SSIS, never fail the group
over for it, so an SSIS failure does not move SQL Server (the documentation's "not affect
the other services in the group"; clusapi CLUSTER_RESOURCE_RESTART_ACTION)."""

_WHAT = {
    "group": "cluster group of the SQL Server instance, e.g. SQL Server (MSSQLSERVER)",
    "resource_name": "name of the SSIS resource, e.g. SQL Server Integration Services",
    "sql_resource": "SQL Server resource name, e.g. SQL Server",
    "disk_resource": "shared disk resource name, e.g. Cluster Disk 1",
}

SEPARATE_GROUP_REASONS = (
    "SSIS must be in the same cluster group as SQL Server: failover clusters allow "
    "dependencies only between resources of one group, so SSIS could not depend on the SQL "
    "Server resource and the shared disk holding its configuration and packages; and SSMS "
    "clients could not manage msdb packages (double hop: the service does not delegate "
    "credentials). Leave ssis_group unset, or set it to the value of group"
)


class SsisClusteredParameters(BaseModel):
    """Parameters of ``ssis-clustered``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sql_version: checks.SqlVersion = Field(
        description=f"SQL Server version of the installed SSIS service ({VERSIONS_TEXT}); "
        "selects the service name MsDtsServer1x0, the registry key and default paths",
        examples=["2019"],
    )
    group: str = Field(
        description="Cluster group (role) of the SQL Server instance; the SSIS resource is "
        "created in it",
        examples=["SQL Server (MSSQLSERVER)"],
    )
    ssis_group: str | None = Field(
        default=None,
        description="Group for the SSIS resource if it were to differ from group; only the "
        "same group is supported (the documentation's other-group variant cannot have "
        "dependencies and breaks msdb package management), so leave it unset",
        examples=["SQL Server (MSSQLSERVER)"],
    )
    resource_name: str = Field(
        default=DEFAULT_RESOURCE_NAME,
        description="Name of the Generic Service resource to create (unique in the cluster)",
        examples=[DEFAULT_RESOURCE_NAME],
    )
    sql_resource: str = Field(
        description="Name of the SQL Server resource in group; SSIS depends on it",
        examples=["SQL Server"],
    )
    disk_resource: str = Field(
        description="Name of the shared disk resource in group that holds shared_folder; "
        "SSIS depends on it",
        examples=["Cluster Disk 1"],
    )
    shared_folder: str = Field(
        description="Folder on the shared disk for MsDtsSrvr.ini.xml; its Packages subfolder "
        "becomes the File System package store",
        examples=["S:\\SSIS"],
    )
    virtual_server: str = Field(
        description="Virtual SQL Server name of the instance in group, written as ServerName "
        "of the MSDB folder: SERVER for a default instance, SERVER\\INSTANCE for a named one",
        examples=["SQLVS01", "SQLVS01\\INST1"],
    )
    package_principals: list[str] = Field(
        default=[],
        description="Accounts or groups granted List Folder + Write (with the Read and "
        "Synchronize bits opening a folder or file needs) on the Packages folder "
        "(DOMAIN\\name, NT SERVICE\\MsDtsServer150; any spelling Windows resolves to the "
        "same account is the same principal); empty (the default) means the SSIS service "
        "account of sql_version, NT SERVICE\\MsDtsServer<ver>; one per -p",
        examples=[["NT SERVICE\\MsDtsServer150", "CONTOSO\\SSIS Operators"]],
    )
    possible_owners: list[str] = Field(
        default=[],
        description="Cluster nodes that may own the SSIS resource; empty (the default) means "
        "exactly the SQL Server resource's possible owners, read from the cluster; owners "
        "that leave out a node that can host SQL Server are refused; one per -p",
        examples=[["SQLNODE1", "SQLNODE2"]],
    )
    online_timeout_s: int = Field(
        default=120,
        ge=5,
        le=3600,
        description="Seconds to wait for the SSIS resource to come online",
        examples=[120],
    )
    service_timeout_s: int = Field(
        default=60,
        ge=5,
        le=3600,
        description="Seconds to wait for the SSIS service to stop on a node where the "
        "resource is not online (step service-manual)",
        examples=[60],
    )
    restart_when_stale: bool = Field(
        default=True,
        description="Restart the SSIS resource (offline, then online, through the cluster) "
        "when its running service started before this run wrote the configuration; false "
        "leaves it running with the older configuration until a change window, and the "
        "verify step reports it",
        examples=[True],
    )
    stop_executing_packages_on_shutdown: bool = Field(
        default=True,
        description="StopExecutingPackagesOnShutdown in MsDtsSrvr.ini.xml: stop running "
        "packages when the service stops",
        examples=[True],
    )

    @field_validator("group", "resource_name", "sql_resource", "disk_resource")
    @classmethod
    def _cluster_name(cls, value: str, info: ValidationInfo) -> str:
        field = str(info.field_name)
        return checks.plain_text(value, field, what=_WHAT[field])

    @field_validator("ssis_group")
    @classmethod
    def _same_group(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        field = str(info.field_name)
        checks.plain_text(value, field, what="cluster group name")
        group = info.data.get("group")
        if group is not None and value.casefold() != group.casefold():
            raise ValueError(
                f"{field} {value!r} differs from group {group!r}: {SEPARATE_GROUP_REASONS}"
            )
        return value

    @field_validator("shared_folder")
    @classmethod
    def _shared_folder(cls, value: str, info: ValidationInfo) -> str:
        return checks.folder_on_drive(value, str(info.field_name))

    @field_validator("virtual_server")
    @classmethod
    def _virtual_server(cls, value: str, info: ValidationInfo) -> str:
        return checks.sql_server_name(value, str(info.field_name), allow_local=False)

    @field_validator("package_principals")
    @classmethod
    def _principals(cls, value: list[str], info: ValidationInfo) -> list[str]:
        field = str(info.field_name)
        for item in value:
            checks.principal(item, field)
        checks.distinct(value, field, what="principal")
        return value

    @field_validator("possible_owners")
    @classmethod
    def _owners(cls, value: list[str], info: ValidationInfo) -> list[str]:
        field = str(info.field_name)
        for item in value:
            checks.node_name(item, field)
        checks.distinct(value, field, what="node")
        return value

    @model_validator(mode="after")
    def _service_account_of_this_version(self) -> SsisClusteredParameters:
        """NT SERVICE\\MsDtsServer1x0 of another version is a copy-paste slip: that account
        does not run this version's service (and may not exist on the nodes)."""
        own = self.version.service_account
        for item in self.package_principals:
            other = checks.other_ssis_account(item, own)
            if other is not None:
                raise ValueError(
                    f"package_principals {item!r} is the service account of {other}, not of "
                    f"SQL Server {self.sql_version}: write {own}, or leave package_principals "
                    "empty to use it"
                )
        return self

    @model_validator(mode="after")
    def _distinct_resources(self) -> SsisClusteredParameters:
        names = {
            "resource_name": self.resource_name,
            "sql_resource": self.sql_resource,
            "disk_resource": self.disk_resource,
        }
        seen: dict[str, str] = {}
        for field, value in names.items():
            if value.casefold() in seen:
                raise ValueError(
                    f"{field} and {seen[value.casefold()]} both name {value!r}: the SSIS "
                    "resource, the SQL Server resource and the shared disk are three "
                    "different resources"
                )
            seen[value.casefold()] = field
        return self

    @property
    def version(self) -> SsisVersion:
        return ssis_version(self.sql_version)

    @property
    def principals(self) -> list[str]:
        """The principals to grant: the given ones, or the version's service account."""
        return list(self.package_principals) or [self.version.service_account]

    @property
    def packages_folder(self) -> str:
        return str(PureWindowsPath(self.shared_folder) / PACKAGES_FOLDER)

    @property
    def config_file(self) -> str:
        return str(PureWindowsPath(self.shared_folder) / CONFIG_FILE_NAME)

    @property
    def drive_root(self) -> str:
        return PureWindowsPath(self.shared_folder).anchor


def config_document(params: SsisClusteredParameters) -> str:
    """MsDtsSrvr.ini.xml for the shared disk: msdb of the virtual server, Packages store."""
    return render_config(
        ServiceConfiguration(
            sql_folders=(SqlServerFolder(name="MSDB", server_name=params.virtual_server),),
            file_system_folders=(
                FileSystemFolder(name="File System", store_path=params.packages_folder),
            ),
            stop_executing_packages_on_shutdown=params.stop_executing_packages_on_shutdown,
        )
    )


def build_steps(params: SsisClusteredParameters, inventory: Inventory) -> list[Step]:
    version = params.version
    # Empty possible_owners means the SQL Server resource's possible owners, which only the
    # cluster knows: the scripts read them when they run (issue 12, review H3).
    owners = list(params.possible_owners)
    name = params.resource_name
    loaded = {
        "ServiceName": version.service_name,
        "Key": version.registry_path,
        "ConfigFile": params.config_file,
    }
    # The registry value is set on every node before the checkpoint is added, so the
    # snapshot the cluster takes holds the new path whenever and wherever it is taken.
    return [
        Step(
            name="preflight",
            title="Check services, cluster, group, SQL Server and disk resources, SSIS conflicts",
            template="ssis/test_cluster_preflight.ps1.j2",
            target=Target.EVERY_NODE,
            arguments={
                "ServiceName": version.service_name,
                "Group": params.group,
                "ResourceName": name,
                "SqlResource": params.sql_resource,
                "DiskResource": params.disk_resource,
                "SharedFolder": params.shared_folder,
                "InventoryNodes": list(inventory.node_names),
                "Owners": owners,
            },
            changes=False,
            result=PreflightResult,
        ),
        Step(
            name="add-resource",
            title=f"Add the Generic Service resource running {version.service_name}",
            template="cluster/add_generic_service.ps1.j2",
            target=Target.ANY_NODE,
            arguments={
                "Name": name,
                "Group": params.group,
                "ServiceName": version.service_name,
                "RestartAction": RESTART_NO_FAILOVER,
            },
            result=AddGenericServiceResult,
        ),
        Step(
            name="possible-owners",
            title="Set the resource's possible owners",
            template="cluster/set_possible_owners.ps1.j2",
            target=Target.ANY_NODE,
            arguments={"Resource": name, "Owners": owners, "LikeResource": params.sql_resource},
            result=PossibleOwnersResult,
        ),
        Step(
            name="dependencies",
            title="Depend on the SQL Server resource and the shared disk",
            template="cluster/add_resource_dependencies.ps1.j2",
            target=Target.ANY_NODE,
            arguments={"Resource": name, "Providers": [params.sql_resource, params.disk_resource]},
            result=DependenciesResult,
        ),
        Step(
            name="shared-config",
            title="Create the package store and write MsDtsSrvr.ini.xml on the shared disk",
            template="ssis/set_shared_config.ps1.j2",
            target=Target.GROUP_OWNER,
            group=params.group,
            arguments={
                "DriveRoot": params.drive_root,
                "ConfigFolder": params.shared_folder,
                "PackagesFolder": params.packages_folder,
                "ConfigFile": params.config_file,
                "Document": config_document(params),
                "Principals": params.principals,
                "ServiceName": version.service_name,
            },
            result=SharedConfigResult,
        ),
        Step(
            name="config-registry",
            title="Point ServiceConfigFile at the file on the shared disk",
            template="ssis/set_config_registry.ps1.j2",
            target=Target.EVERY_NODE,
            arguments={
                "Key": version.registry_path,
                "ConfigFile": params.config_file,
                "Resource": name,
                "Checkpoint": version.checkpoint_path,
            },
            result=RegistryResult,
        ),
        Step(
            name="registry-checkpoint",
            title="Replicate the ServiceConfigFile registry key",
            template="cluster/add_registry_checkpoint.ps1.j2",
            target=Target.ANY_NODE,
            arguments={"Resource": name, "Checkpoint": version.checkpoint_path},
            result=CheckpointResult,
        ),
        Step(
            name="service-manual",
            title=f"Set {version.service_name} to Manual; stop it where the resource is not online",
            template="ssis/set_service_manual.ps1.j2",
            target=Target.EVERY_NODE,
            arguments={
                "ServiceName": version.service_name,
                "Resource": name,
                "TimeoutSeconds": params.service_timeout_s,
            },
            result=ServiceManualResult,
            waits_up_to_s=params.service_timeout_s,
            wait_parameter="service_timeout_s",
        ),
        Step(
            name="restart-stale",
            title="Take the SSIS resource offline if its service runs an older configuration",
            template="ssis/restart_stale_resource.ps1.j2",
            target=Target.GROUP_OWNER,
            group=params.group,
            arguments={
                **loaded,
                "Resource": name,
                "RestartWhenStale": params.restart_when_stale,
            },
            result=RestartStaleResult,
        ),
        Step(
            name="bring-online",
            title="Bring the SSIS resource online and wait until it is",
            template="cluster/start_resource.ps1.j2",
            target=Target.ANY_NODE,
            arguments={
                "Name": name,
                "TimeoutSeconds": params.online_timeout_s,
                "ProvidersOnline": [params.sql_resource, params.disk_resource],
            },
            result=StartResourceResult,
            waits_up_to_s=params.online_timeout_s,
            wait_parameter="online_timeout_s",
        ),
        Step(
            name="verify",
            title=f"Verify {version.service_name} is Manual, runs only on the owner, "
            "and started after the shared configuration was written",
            template="ssis/test_loaded_config.ps1.j2",
            target=Target.EVERY_NODE,
            arguments={
                **loaded,
                "Resource": name,
                "AllowStale": not params.restart_when_stale,
            },
            changes=False,
            result=LoadedConfigResult,
        ),
    ]


def service_name_erratum(version: SsisVersion) -> Advisory:
    return Advisory(
        advisories.ERRATUM_SERVICE_NAME.code,
        "Erratum handled: the documentation's Generic Service parameter 'MsDtsServer' is the "
        f"SQL Server 2005 service name and its paths are fixed to version 100; for "
        f"{version.product} this runbook uses {version.service_name} and "
        f"{version.checkpoint_path}.",
        Severity.INFO,
    )


OFFLINE_UNTIL_ONLINE = Advisory(
    "SSIS-OFFLINE-UNTIL-ONLINE",
    "From step 02 (add-resource) until step 10 (bring-online) the SQL Server group holds "
    "the SSIS resource Offline, and on a re-run from step 09 (restart-stale) until step 10 "
    "when that step restarts a stale service: monitoring may show the role as partially "
    "online meanwhile (or failed, once an online attempt failed). A failure after step 08 "
    "(service-manual) and before step 10 completes leaves SSIS stopped and Manual on every "
    "node, so no node runs it: fix the cause and continue with `psrunbook resume <run id>` "
    "(the error names it), or take the change back with ssis-clustered-undo.",
)


def build_advisories(params: SsisClusteredParameters | None) -> list[Advisory]:
    found = [
        advisories.NOT_RECOMMENDED,
        advisories.NO_PACKAGE_RESTART,
        advisories.SINGLE_INSTANCE,
        advisories.DOUBLE_HOP_CLUSTERED,
        advisories.RESTART_TO_RELOAD,
        OFFLINE_UNTIL_ONLINE,
    ]
    if params is None:
        found.append(advisories.ERRATUM_SERVICE_NAME)
    else:
        found.append(service_name_erratum(params.version))
        if params.version.low_confidence:
            found.append(advisories.low_confidence(params.version))
    if params is not None and not params.restart_when_stale:
        found.append(advisories.RESTART_DEFERRED)
    found += advisories.for_version(params.version if params is not None else None)
    found += [advisories.ERRATUM_CROSS_GROUP, advisories.DCOM, advisories.LICENSING]
    return found


LOADED_TEXT = {
    "current": "the shared configuration",
    "older": "an older configuration (restart deferred)",
    "not running": "-",
}


def present(results: StepResults) -> list[ReportTable]:
    """Where SSIS runs after the run, and what its running service loaded."""
    verified = results.get("verify", {})
    rows = []
    for node, result in sorted(verified.items()):
        if not isinstance(result, LoadedConfigResult) or result.after is None:
            continue
        after = result.after
        loaded = str(after.get("Loaded", ""))
        rows.append(
            (
                node,
                str(after.get("StartMode", "")),
                str(after.get("State", "")),
                LOADED_TEXT.get(loaded, loaded),
            )
        )
    if not rows:
        return []
    return [
        ReportTable("SSIS service", ("Node", "Start mode", "State", "Running with"), tuple(rows))
    ]


runbook = Runbook(
    name="ssis-clustered",
    summary="Cluster the SSIS service as a Generic Service in the SQL Server group "
    "(Microsoft's documented procedure, errata corrected)",
    parameters=SsisClusteredParameters,
    build_steps=build_steps,
    advisories=build_advisories,
    description=__doc__ or "",
    lab_variant=lab_variant,
    lab_defaults=clustered_defaults,
    present=present,
)
