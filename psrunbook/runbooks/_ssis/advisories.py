"""The warnings from Microsoft's SSIS documentation, as advisories the engine prints.

They appear in ``show``, ``export`` (REVIEW.md), ``plan`` and ``run`` wherever they
apply, so an operator reading any of them learns the same caveats the documentation
gives, plus the documentation's own errata that the runbooks correct.
"""

from __future__ import annotations

from psrunbook import Advisory, Severity
from psrunbook.runbooks._ssis.versions import SsisVersion

NOT_RECOMMENDED = Advisory(
    "SSIS-NOT-RECOMMENDED",
    "Microsoft does not recommend clustering the SSIS service: it is not cluster-aware and "
    "has no failover support. The recommended alternative is the ssis-standalone runbook "
    "(SSIS on every node, each listing every SQL Server instance).",
)
NO_PACKAGE_RESTART = Advisory(
    "SSIS-NO-PACKAGE-RESTART",
    "Packages running when the group fails over are not restarted on the new node; design "
    "long packages with SSIS package checkpoints so they can be restarted by hand.",
)
SINGLE_INSTANCE = Advisory(
    "SSIS-SINGLE-INSTANCE",
    "SSIS is a single-instance service per machine: if two SQL Server groups each contain an "
    "SSIS resource, failing one over onto a node already running SSIS fails and can fail the "
    "SQL Server failover too. The preflight step refuses when another group already holds "
    "an SSIS Generic Service resource.",
)
DOUBLE_HOP_CLUSTERED = Advisory(
    "SSIS-DOUBLE-HOP",
    "SSIS must sit in the same group as the SQL Server resource: in a different group, SSMS "
    "clients cannot manage msdb packages (the service cannot delegate credentials: double "
    "hop) and the dependencies on SQL Server and the shared disk are impossible (failover "
    "clusters only allow dependencies inside one group). A different group is refused.",
)
DOUBLE_HOP_STANDALONE = Advisory(
    "SSIS-DOUBLE-HOP",
    "Instances other than the local one ('.') are reached over the network: an SSMS client "
    "on a third computer managing their msdb packages through this SSIS service needs "
    "credential delegation, which the service does not do (double hop). Manage those "
    "packages from SSMS connected to the node, or use the SSIS catalog.",
)
ERRATUM_SERVICE_NAME = Advisory(
    "SSIS-DOC-ERRATUM-SERVICE-NAME",
    "Erratum handled: the documentation's Generic Service parameter 'MsDtsServer' is the "
    "SQL Server 2005 service name and its paths are fixed to version 100; this runbook uses "
    "the service name, registry key and paths of the chosen version.",
    Severity.INFO,
)
ERRATUM_CROSS_GROUP = Advisory(
    "SSIS-DOC-ERRATUM-CROSS-GROUP",
    "Erratum handled: the documentation offers a group other than SQL Server's, yet asks for "
    "dependencies on SQL Server and the shared disk, which failover clusters refuse across "
    "groups (ERROR_INVALID_PARAMETER); this runbook only supports the same group.",
    Severity.INFO,
)
RESTART_TO_RELOAD = Advisory(
    "SSIS-RESTART-TO-RELOAD",
    "The SSIS service reads MsDtsSrvr.ini.xml and the ServiceConfigFile registry value only "
    "when it starts. When the resource is online and its service started before this run "
    "wrote the configuration, the restart-stale step takes it offline through the cluster "
    "and bring-online starts it again (packages running in it stop); the verify step then "
    "checks the running service started after the file was written.",
)
RESTART_DEFERRED = Advisory(
    "SSIS-RESTART-DEFERRED",
    "restart_when_stale is false: if the SSIS resource is online and this run changes its "
    "configuration, the running service keeps its older configuration until the resource is "
    "taken offline and online again (Stop-ClusterResource, Start-ClusterResource) in a "
    "change window; the verify step reports it as 'older configuration'.",
)
DCOM = Advisory(
    "SSIS-DCOM",
    "Remote SSMS users need DCOM launch and access permissions on the SSIS service "
    "(Component Services, DCOM Config); no runbook step changes DCOM settings.",
    Severity.INFO,
)
LICENSING = Advisory(
    "SSIS-LICENSING",
    "Running SSIS on passive cluster nodes requires a separate SQL Server license on them.",
    Severity.INFO,
)
STANDALONE_RECOMMENDED = Advisory(
    "SSIS-STANDALONE",
    "This is Microsoft's recommended layout for SSIS on a cluster: the service runs on every "
    "node, unclustered, and each node's MsDtsSrvr.ini.xml lists every SQL Server instance.",
    Severity.INFO,
)
STANDALONE_RESTART = Advisory(
    "SSIS-RESTART-STOPS-PACKAGES",
    "A node whose configuration file changes gets its SSIS service restarted; packages "
    "running in that service are stopped (StopExecutingPackagesOnShutdown) or interrupted.",
)


DEPRECATED_2025 = Advisory(
    "SSIS-DEPRECATED-2025",
    "SQL Server 2025: the legacy Integration Services Service (MsDtsServer170) is deprecated "
    '(Microsoft, "What\'s New in SQL Server 2025 Integration Services", section "Deprecated '
    'features": "Legacy Integration Services Service", learn.microsoft.com/sql/'
    "integration-services/what-s-new-in-integration-services-in-sql-server-2025). It still "
    "works, but plan to move packages to the SSIS catalog (SSISDB) instead of building new "
    "dependencies on this service.",
)
SSMS21_LEGACY_SERVICE = Advisory(
    "SSIS-SSMS21",
    "SQL Server 2022: SSMS 21 may not connect to the legacy Integration Services Service; "
    "Microsoft's SSMS 21 known issues said \"There's currently no support for Integration "
    'Services" and to use SSMS 20.2 to connect to it (learn.microsoft.com/ssms, known '
    "issues; check the current release notes, this may have changed since).",
    Severity.INFO,
)


def for_version(version: SsisVersion | None) -> list[Advisory]:
    """The advisories of one SQL Server version; both when no version is chosen yet."""
    found = []
    if version is None or version.key == "2025":
        found.append(DEPRECATED_2025)
    if version is None or version.key == "2022":
        found.append(SSMS21_LEGACY_SERVICE)
    return found


def low_confidence(version: SsisVersion) -> Advisory:
    return Advisory(
        "SSIS-VERSION-UNVERIFIED",
        f"The facts for {version.product} ({version.service_name}, registry folder "
        f"{version.version_folder}) come from community sources only ({version.confidence}); "
        "check the service name and registry key on one node before running.",
    )
