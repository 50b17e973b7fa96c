"""The cluster report's console tables, built from the run's structured results."""

from __future__ import annotations

from psrunbook import StepResults
from psrunbook.runbooks._ssis.results import ClusterReportResult, SsisServicesResult
from psrunbook.runbooks.cluster_report import runbook


def services(status: str) -> SsisServicesResult:
    return SsisServicesResult.model_validate(
        {"services": [{"name": "MsDtsServer150", "status": status}]}
    )


def test_tables_come_from_step_results() -> None:
    """Nodes, groups, resources and SSIS services each become a table with their rows."""
    cluster = ClusterReportResult.model_validate(
        {
            "cluster": "SIMCLUSTER",
            "nodes": [{"name": "NODE1", "state": "Up"}, {"name": "NODE2", "state": "Down"}],
            "groups": [{"name": "SQL", "owner_node": "NODE1", "state": "Online"}],
            "resources": [],
        }
    )
    results: StepResults = {
        "cluster": {"NODE2": cluster},
        "ssis-services": {"NODE2": services("Stopped"), "NODE1": services("Running")},
    }
    assert runbook.present is not None
    tables = {t.title: t for t in runbook.present(results)}
    assert (("NODE1", "Up"), ("NODE2", "Down")) == tables["Nodes of SIMCLUSTER"].rows
    assert (("SQL", "NODE1", "Online"),) == tables["Groups"].rows
    assert [("NODE1", "Running"), ("NODE2", "Stopped")] == [
        (row[0], row[2]) for row in tables["SSIS services"].rows
    ]


def test_no_cluster_result_gives_no_tables() -> None:
    """A run that produced no cluster data shows no report rather than failing."""
    assert runbook.present is not None
    assert [] == list(runbook.present({}))


def _resource(name: str, kind: str, owners: list[str], **extra: object) -> dict[str, object]:
    return {
        "name": name,
        "resource_type": kind,
        "state": "Online",
        "owner_group": "SQL",
        "owner_node": "NODE1",
        "possible_owners": owners,
        **extra,
    }


def test_generic_services_start_types_and_narrowing_ssis_are_shown() -> None:
    """ServiceName and RestartAction of each Generic Service, each SSIS service's start
    type, and a finding for the SSIS resource that leaves out a node SQL Server may use;
    a Generic Service running another service is never a finding, and a resource with no
    possible owners read counts as ownable everywhere."""
    cluster = ClusterReportResult.model_validate(
        {
            "cluster": "SIMCLUSTER",
            "nodes": [{"name": n, "state": "Up"} for n in ("NODE1", "NODE2", "NODE3")],
            "groups": [{"name": "SQL", "owner_node": "NODE1", "state": "Online"}],
            "resources": [
                _resource("SQL Server", "SQL Server", ["NODE1", "NODE2", "NODE3"]),
                _resource("Cluster Disk 1", "Physical Disk", []),
                _resource(
                    "SSIS", "Generic Service", ["node1", "NODE2"],
                    service_name="MsDtsServer150", restart_action=1,
                ),
                _resource(
                    "Other", "Generic Service", ["NODE1"],
                    service_name="Spooler", restart_action=2, owner_group="Apps",
                ),
            ],
        }
    )  # fmt: skip
    service = SsisServicesResult.model_validate(
        {"services": [{"name": "MsDtsServer150", "status": "Running", "start_type": "Manual"}]}
    )
    assert runbook.present is not None
    results: StepResults = {"cluster": {"NODE1": cluster}, "ssis-services": {"NODE1": service}}
    tables = {t.title: t for t in runbook.present(results)}
    assert (
        ("SSIS", "SQL", "MsDtsServer150", "1 (restart; never fail the group over)", "Online",
         "NODE1"),
        ("Other", "Apps", "Spooler", "2 (restart, then fail the group over)", "Online", "NODE1"),
    ) == tables["Generic Service resources"].rows  # fmt: skip
    assert ("NODE1", "MsDtsServer150", "Running", "Manual", "") == tables["SSIS services"].rows[0]
    [(resource, finding)] = tables["Findings"].rows
    assert "SSIS" == resource
    assert finding.startswith("resource 'SSIS' narrows SQL Server's failover targets to NODE1")
    assert "re-run ssis-clustered with NODE3 in the inventory" in finding
