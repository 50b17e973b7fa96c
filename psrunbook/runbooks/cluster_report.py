"""Runbook ``cluster-report``: a read-only inventory of a failover cluster.

Nodes with their state; groups with owner and state; resources with type, state, owner
group and node, possible owners, dependencies and registry checkpoints; and the SSIS
services installed on each node with the configuration file each one reads. Nothing is
changed, so it is safe to run at any time, including before and after the SSIS runbooks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from psrunbook import ReportTable, Runbook, Step, StepResults, Target
from psrunbook.runbooks._ssis.results import ClusterReportResult, SsisServicesResult
from psrunbook.runbooks._ssis.versions import ssis_versions

if TYPE_CHECKING:
    from psrunbook import Inventory


class ClusterReportParameters(BaseModel):
    """Parameters of ``cluster-report``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    include_ssis: bool = Field(
        default=True,
        description="Also list the SSIS services (every known SQL Server version) on each node",
        examples=[True],
    )


def ssis_service_keys() -> tuple[list[str], list[str]]:
    """Service names and their ServiceConfigFile keys, one pair per distinct service."""
    names: list[str] = []
    keys: list[str] = []
    for version in ssis_versions().values():
        if version.service_name not in names:
            names.append(version.service_name)
            keys.append(version.registry_path)
    return names, keys


def build_steps(params: ClusterReportParameters, inventory: Inventory) -> list[Step]:
    del inventory  # cluster-wide data comes from any node; services from every node
    steps = [
        Step(
            name="cluster",
            title="Nodes, groups, resources, owners, dependencies and checkpoints",
            template="cluster/get_cluster_report.ps1.j2",
            target=Target.ANY_NODE,
            changes=False,
            result=ClusterReportResult,
        )
    ]
    if params.include_ssis:
        names, keys = ssis_service_keys()
        steps.append(
            Step(
                name="ssis-services",
                title="SSIS services and their configuration files on each node",
                template="ssis/get_ssis_services.ps1.j2",
                target=Target.EVERY_NODE,
                arguments={"ServiceNames": names, "ConfigKeys": keys},
                changes=False,
                result=SsisServicesResult,
            )
        )
    return steps


def present(results: StepResults) -> list[ReportTable]:
    """The console tables of a finished report run.

    The results are already the models ``build_steps`` declared (the runner validated
    them), so they are only narrowed here, never validated again.
    """
    cluster = next(iter(results.get("cluster", {}).values()), None)
    if not isinstance(cluster, ClusterReportResult):
        return []
    services = {
        node: result
        for node, result in sorted(results.get("ssis-services", {}).items())
        if isinstance(result, SsisServicesResult)
    }
    return report_tables(cluster, services or None)


def report_tables(
    cluster: ClusterReportResult, services: Mapping[str, SsisServicesResult] | None = None
) -> list[ReportTable]:
    """The structured results as plain tables, for the CLI to draw on the console.

    ``services`` maps each node name to that node's ``ssis-services`` result.
    """
    tables = [
        ReportTable(
            f"Nodes of {cluster.cluster}",
            ("Node", "State"),
            tuple((n.name, n.state) for n in cluster.nodes),
        ),
        ReportTable(
            "Groups",
            ("Group", "Owner node", "State"),
            tuple((g.name, g.owner_node, g.state) for g in cluster.groups),
        ),
        ReportTable(
            "Resources",
            (
                "Resource",
                "Type",
                "State",
                "Group",
                "Owner node",
                "Possible owners",
                "Dependencies",
                "Registry checkpoints",
            ),
            tuple(
                (
                    r.name,
                    r.resource_type,
                    r.state,
                    r.owner_group,
                    r.owner_node,
                    ", ".join(r.possible_owners),
                    r.dependencies,
                    ", ".join(r.checkpoints),
                )
                for r in cluster.resources
            ),
        ),
    ]
    if services is not None:
        tables.append(
            ReportTable(
                "SSIS services",
                ("Node", "Service", "Status", "Configuration file"),
                tuple(
                    (node, s.name, s.status, s.config_file or "")
                    for node, result in services.items()
                    for s in result.services
                ),
            )
        )
    return tables


runbook = Runbook(
    name="cluster-report",
    summary="Read-only report of nodes, groups, resources, owners, dependencies, "
    "checkpoints and SSIS services",
    parameters=ClusterReportParameters,
    build_steps=build_steps,
    description=__doc__ or "",
    present=present,
)
