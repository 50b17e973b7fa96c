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
