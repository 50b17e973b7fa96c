"""Runbook ``cluster-report``: a read-only inventory of a failover cluster.

Nodes with their state; groups with owner and state; resources with type, state, owner
group and node, possible owners, dependencies and registry checkpoints; the Generic
Service resources with the service each runs and its RestartAction; the SSIS services
installed on each node with their start type and the configuration file each one reads;
and findings: an SSIS resource whose possible owners narrow where its group can run.
Nothing is changed, so it is safe to run at any time, including before and after the
SSIS runbooks.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from psrunbook import ReportTable, Runbook, Step, StepResults, Target
from psrunbook.runbooks._ssis.results import (
    ClusterReportResult,
    ResourceState,
    SsisServicesResult,
)
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


RESTART_ACTIONS = {
    0: "0 (do not restart)",
    1: "1 (restart; never fail the group over)",
    2: "2 (restart, then fail the group over)",
}
"""clusapi ``CLUSTER_RESOURCE_RESTART_ACTION``: with 2 an SSIS failure past its restart
threshold moves SQL Server too, which ``ssis-clustered`` avoids by setting 1."""


def _may_own(resource: ResourceState, node: str) -> bool:
    """Whether ``node`` is a possible owner of ``resource`` (no list read: every node)."""
    owners = {owner.casefold() for owner in resource.possible_owners}
    return not owners or node.casefold() in owners


def findings(cluster: ClusterReportResult) -> list[tuple[str, str]]:
    """``(resource, finding)`` for each SSIS resource that narrows where its group can run.

    A resource's possible owners restrict where its whole group can be owned
    (``failoverclusters.json`` errors, Move-ClusterGroup). ``ssis-clustered`` gives SSIS
    an explicit list, SQL Server's at the time; a node added to SQL Server's possible
    owners later (SQL Server setup's Add Node) is, in the stricter reading of what Windows
    does with an explicit list (UNVERIFIED), not added to SSIS's, so SQL Server can never
    move there. Such a node is one that may own every other resource of the group but not
    SSIS; the drill's preflight refuses the same.
    """
    services = {name.casefold() for name in ssis_service_keys()[0]}
    nodes = [node.name for node in cluster.nodes]
    found: list[tuple[str, str]] = []
    for ssis in cluster.resources:
        if ssis.resource_type != "Generic Service":
            continue
        if (ssis.service_name or "").casefold() not in services:
            continue
        others = [
            r
            for r in cluster.resources
            if r.owner_group.casefold() == ssis.owner_group.casefold() and r is not ssis
        ]
        reach = [n for n in nodes if all(_may_own(r, n) for r in others)]
        narrowed = [n for n in reach if not _may_own(ssis, n)]
        if not narrowed:
            continue
        targets = ", ".join(n for n in reach if _may_own(ssis, n)) or "no node"
        left_out = ", ".join(narrowed)
        found.append(
            (
                ssis.name,
                f"resource '{ssis.name}' narrows SQL Server's failover targets to {targets}: "
                f"{left_out} may own every other resource of group '{ssis.owner_group}' but "
                f"is not a possible owner of '{ssis.name}', and possible owners restrict the "
                f"whole group: re-run ssis-clustered with {left_out} in the inventory (without "
                "possible_owners it gives SSIS the SQL Server resource's possible owners)",
            )
        )
    return found


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
        ReportTable(
            "Generic Service resources",
            ("Resource", "Group", "Service", "Restart action", "State", "Owner node"),
            tuple(
                (
                    r.name,
                    r.owner_group,
                    r.service_name or "",
                    RESTART_ACTIONS.get(r.restart_action, str(r.restart_action))
                    if r.restart_action is not None
                    else "",
                    r.state,
                    r.owner_node,
                )
                for r in cluster.resources
                if r.resource_type == "Generic Service"
            ),
        ),
    ]
    if services is not None:
        tables.append(
            ReportTable(
                "SSIS services",
                ("Node", "Service", "Status", "Start type", "Configuration file"),
                tuple(
                    (node, s.name, s.status, s.start_type or "", s.config_file or "")
                    for node, result in services.items()
                    for s in result.services
                ),
            )
        )
    found = findings(cluster)
    if found:
        tables.append(ReportTable("Findings", ("Resource", "Finding"), tuple(found)))
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
