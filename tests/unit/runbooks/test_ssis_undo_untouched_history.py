"""Which nodes ssis-clustered-undo leaves as they are, read from a real (SQLite) journal:
the nodes the ssis-clustered runs reached (their preflight ran there) where none of them
attempted config-registry or service-manual. An attempt is any applied attempt whose
script was sent, whatever its end: failed, or still ``running`` because nobody saw it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from psrunbook import StepResult
from psrunbook.journal import Journal
from psrunbook.runbooks._ssis.recorded import undo_history
from psrunbook.runbooks.ssis_clustered import SsisClusteredParameters, config_document

KEY = "HKLM:\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile"
MANUAL_STOPPED = {"StartType": "Manual", "Status": "Stopped"}
REGISTRY = {
    "Before": {"KeyExists": True, "ConfigFile": "D:\\own.xml"},
    "After": {"KeyExists": True, "ConfigFile": "S:\\SSIS\\MsDtsSrvr.ini.xml"},
    "Key": KEY,
}
SERVICE = {"Before": MANUAL_STOPPED, "After": MANUAL_STOPPED}
FORWARD = {
    "sql_version": "2019",
    "group": "SQL Server (MSSQLSERVER)",
    "sql_resource": "SQL Server",
    "disk_resource": "Cluster Disk 1",
    "shared_folder": "S:\\SSIS",
    "virtual_server": "SQLVS01",
}


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "state") as opened:
        yield opened


class Runs:
    """Writes runs the way the engine does, with ids that sort in the order written."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.count = 0

    def start(
        self,
        *,
        runbook: str = "ssis-clustered",
        parameters: dict[str, Any] | None = None,
        reached: tuple[str, ...] = ("SQLNODE1", "SQLNODE2"),
    ) -> str:
        self.count += 1
        run_id = f"20260101T0000{self.count:02d}Z-cccccc"
        self.journal.start_run(
            run_id=run_id,
            runbook=runbook,
            runbook_version="1",
            mode="run",
            parameters={"sql_version": "2019"} if parameters is None else parameters,
            parameters_sha256="p" * 64,
            inventory_sha256="i" * 64,
            bundle_sha256=None,
            user="CONTOSO\\ops",
            cluster="SQLCLU01",
        )
        for node in reached:
            self.attempt(run_id, "preflight", node, {"Before": {}, "After": {}}, changed=False)
        return run_id

    def attempt(
        self,
        run_id: str,
        step: str,
        node: str,
        result: dict[str, Any] | None,
        *,
        status: str | None = "succeeded",
        changed: bool | None = True,
        check_only: bool = False,
        pipeline_end: str | None = None,
    ) -> None:
        """``status`` None: begun and never finished (the process died, nobody saw its end)."""
        attempt = self.journal.begin_attempt(
            run_id=run_id,
            step_index=1,
            step_name=step,
            node=node,
            script_sha256="s" * 64,
            check_only=check_only,
        )
        if status is None:
            return
        self.journal.finish_attempt(
            attempt,
            status=status,  # type: ignore[arg-type]
            changed=changed,
            result=None if result is None else StepResult.model_validate(result),
            errors=[],
            duration_ns=1,
            pipeline_end=pipeline_end,  # type: ignore[arg-type]
        )

    def finish(self, run_id: str, outcome: str = "failed") -> str:
        self.journal.finish_run(run_id, outcome)  # type: ignore[arg-type]
        return run_id


def _history(journal: Journal, **given: Any) -> dict[str, Any]:
    return undo_history(journal, "SQLCLU01", {"sql_version": "2019", **given})


def test_a_run_that_failed_before_both_steps_leaves_every_node_untouched(
    journal: Journal,
) -> None:
    """Failed at shared-config: both nodes reached, neither step attempted anywhere."""
    runs = Runs(journal)
    run = runs.start()
    runs.attempt(run, "shared-config", "SQLNODE1", None, status="failed", changed=None)
    runs.finish(run)

    assert {
        "untouched_registry_nodes": ["SQLNODE1", "SQLNODE2"],
        "untouched_service_nodes": ["SQLNODE1", "SQLNODE2"],
        "recorded_runs": [run],
    } == _history(journal)


def test_a_node_the_step_reached_is_not_untouched(journal: Journal) -> None:
    """SQLNODE1 recorded; SQLNODE2's service-manual failed, and another run's began and
    was never seen to end: both count as attempted (they may have changed the node), so
    SQLNODE2 gets the fallback, as before."""
    runs = Runs(journal)
    run = runs.start()
    for node in ("SQLNODE1", "SQLNODE2"):
        runs.attempt(run, "config-registry", node, REGISTRY)
    runs.attempt(run, "service-manual", "SQLNODE1", SERVICE, changed=False)
    runs.attempt(run, "service-manual", "SQLNODE2", None, status="failed", changed=None)
    runs.finish(run)
    later = runs.start()
    runs.attempt(later, "service-manual", "SQLNODE2", None, status=None)

    found = _history(journal)

    assert "untouched_service_nodes" not in found
    assert "untouched_registry_nodes" not in found
    assert {"SQLNODE1": {"start_type": "Manual", "status": "Stopped"}} == found[
        "recorded_service_states"
    ]


def test_an_attempt_never_sent_or_only_checked_did_not_reach_the_node(journal: Journal) -> None:
    """An attempt ended 'unsent' (the stop came before its script left), and a check-only
    attempt, changed nothing: the node is still untouched."""
    runs = Runs(journal)
    run = runs.start()
    runs.attempt(
        run,
        "service-manual",
        "SQLNODE1",
        None,
        status="failed",
        changed=None,
        pipeline_end="unsent",
    )
    runs.attempt(run, "config-registry", "SQLNODE2", REGISTRY, check_only=True)
    runs.finish(run, "interrupted")

    found = _history(journal)

    assert ["SQLNODE1", "SQLNODE2"] == found["untouched_service_nodes"]
    assert ["SQLNODE1", "SQLNODE2"] == found["untouched_registry_nodes"]


def test_a_node_no_run_reached_is_not_untouched(journal: Journal) -> None:
    """A run that reached SQLNODE1 only says nothing of SQLNODE2 (fallback there)."""
    runs = Runs(journal)
    runs.finish(runs.start(reached=("SQLNODE1",)))

    assert ["SQLNODE1"] == _history(journal)["untouched_service_nodes"]


def test_a_run_of_another_version_does_not_count(journal: Journal) -> None:
    runs = Runs(journal)
    runs.finish(runs.start(parameters={"sql_version": "2022"}))

    assert {} == _history(journal)


def test_the_undo_carries_its_untouched_nodes_to_the_next_one(journal: Journal) -> None:
    """failed ssis-clustered, undo, undo: the second leaves the nodes as the first did."""
    runs = Runs(journal)
    runs.finish(runs.start())
    first = _history(journal)
    assert ["SQLNODE1", "SQLNODE2"] == first["untouched_service_nodes"]
    runs.finish(
        runs.start(runbook="ssis-clustered-undo", parameters={"sql_version": "2019", **first}),
        "succeeded",
    )

    assert first == _history(journal)


def test_a_newer_run_that_attempted_the_step_ends_the_carry(journal: Journal) -> None:
    """After the undo, a new run attempted service-manual on SQLNODE2 and failed there: it
    may have changed it, so SQLNODE2 is no longer carried as untouched; SQLNODE1, which
    the new run reached without attempting it, stays untouched."""
    runs = Runs(journal)
    runs.finish(runs.start())
    first = _history(journal)
    runs.finish(
        runs.start(runbook="ssis-clustered-undo", parameters={"sql_version": "2019", **first}),
        "succeeded",
    )
    later = runs.start()
    runs.attempt(later, "service-manual", "SQLNODE2", None, status="failed", changed=None)
    runs.finish(later)

    found = _history(journal)

    assert ["SQLNODE1"] == found["untouched_service_nodes"]


def test_untouched_in_the_window_wins_over_what_an_earlier_undo_restored(
    journal: Journal,
) -> None:
    """The earlier undo gave SQLNODE2 back Manual and stopped; a newer run reached it but
    never attempted service-manual: what is there now (maybe an administrator's change
    since) stays."""
    runs = Runs(journal)
    runs.finish(
        runs.start(
            runbook="ssis-clustered-undo",
            parameters={
                "sql_version": "2019",
                "recorded_service_states": {
                    "SQLNODE2": {"start_type": "Manual", "status": "Stopped"}
                },
                "recorded_runs": ["20251231T000000Z-aaaaaa"],
            },
        ),
        "succeeded",
    )
    runs.finish(runs.start())

    found = _history(journal)

    assert ["SQLNODE1", "SQLNODE2"] == found["untouched_service_nodes"]
    assert "recorded_service_states" not in found


def test_shared_documents_are_what_the_runs_with_that_folder_write(journal: Journal) -> None:
    """No record of the folder: the texts the ssis-clustered runs with the same
    shared_folder write (from their parameters), newest first, each once."""
    runs = Runs(journal)
    runs.finish(runs.start(parameters=FORWARD))
    runs.finish(runs.start(parameters={**FORWARD, "virtual_server": "SQLVS02"}))
    runs.finish(runs.start(parameters={**FORWARD, "shared_folder": "T:\\SSIS"}))

    found = _history(journal, shared_folder="s:\\ssis\\")

    assert [
        config_document(SsisClusteredParameters.model_validate({**FORWARD, "virtual_server": v}))
        for v in ("SQLVS02", "SQLVS01")
    ] == found["shared_documents"]
