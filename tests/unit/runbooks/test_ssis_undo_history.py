"""What ssis-clustered-undo reads back from a real (SQLite) journal: the value each node
had before the first ssis-clustered run changed it, since the last successful undo."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from psrunbook import StepResult
from psrunbook.journal import Journal
from psrunbook.runbooks._ssis.recorded import undo_history

KEY = "HKLM:\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile"
INSTALLED = "C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MsDtsSrvr.ini.xml"
SHARED = "S:\\SSIS\\MsDtsSrvr.ini.xml"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "state") as opened:
        yield opened


class Runs:
    """Writes runs the way the engine does, with ids that sort in the order written."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self.count = 0

    def run(
        self,
        runbook: str = "ssis-clustered",
        *,
        mode: str = "run",
        cluster: str = "SQLCLU01",
        outcome: str = "succeeded",
        registry: dict[str, str | None] | None = None,
        changed: bool = True,
        check_only: bool = False,
        key: str = KEY,
        shared: list[dict[str, object]] | None = None,
    ) -> str:
        self.count += 1
        run_id = f"20260101T0000{self.count:02d}Z-aaaaaa"
        self.journal.start_run(
            run_id=run_id,
            runbook=runbook,
            runbook_version="1",
            mode=mode,  # type: ignore[arg-type]
            parameters={},
            parameters_sha256="p" * 64,
            inventory_sha256="i" * 64,
            bundle_sha256=None,
            user="CONTOSO\\ops",
            cluster=cluster,
        )
        for node, before in (registry or {}).items():
            self._attempt(
                run_id,
                node,
                "config-registry",
                {
                    "Before": {"KeyExists": True, "ConfigFile": before},
                    "After": {"KeyExists": True, "ConfigFile": SHARED},
                    "Key": key,
                },
                changed=changed,
                check_only=check_only,
            )
        for result in shared or []:
            self._attempt(run_id, "SQLNODE1", "shared-config", result)
        self.journal.finish_run(run_id, outcome)  # type: ignore[arg-type]
        return run_id

    def _attempt(
        self,
        run_id: str,
        node: str,
        step: str,
        data: dict[str, object],
        *,
        changed: bool = True,
        check_only: bool = False,
    ) -> None:
        attempt = self.journal.begin_attempt(
            run_id=run_id,
            step_index=6,
            step_name=step,
            node=node,
            script_sha256="s" * 64,
            check_only=check_only,
        )
        self.journal.finish_attempt(
            attempt,
            status="succeeded",
            changed=changed,
            result=StepResult.model_validate(data),
            errors=[],
            duration_ns=1,
        )


def test_each_node_gets_the_value_the_first_change_found(journal: Journal) -> None:
    runs = Runs(journal)
    first = runs.run(registry={"SQLNODE1": INSTALLED, "SQLNODE2": "D:\\own.xml"})
    runs.run(registry={"SQLNODE1": SHARED, "SQLNODE2": SHARED})  # a second run
    found = undo_history(journal, "SQLCLU01", {"sql_version": "2019"})
    assert found == {
        "recorded_config_files": {"SQLNODE1": INSTALLED, "SQLNODE2": "D:\\own.xml"},
        "recorded_runs": [first],
    }


def test_a_node_first_changed_by_a_later_run_comes_from_that_run(journal: Journal) -> None:
    runs = Runs(journal)
    first = runs.run(registry={"SQLNODE1": INSTALLED})
    second = runs.run(registry={"SQLNODE1": SHARED, "SQLNODE3": INSTALLED})
    found = undo_history(journal, "SQLCLU01", {})
    assert found["recorded_config_files"] == {"SQLNODE1": INSTALLED, "SQLNODE3": INSTALLED}
    assert found["recorded_runs"] == [first, second]


def test_runs_before_the_last_successful_undo_are_already_taken_back(journal: Journal) -> None:
    runs = Runs(journal)
    runs.run(registry={"SQLNODE1": "D:\\old.xml"})
    runs.run("ssis-clustered-undo")
    latest = runs.run(registry={"SQLNODE1": INSTALLED})
    found = undo_history(journal, "SQLCLU01", {})
    assert found == {"recorded_config_files": {"SQLNODE1": INSTALLED}, "recorded_runs": [latest]}


def test_a_failed_undo_takes_nothing_back(journal: Journal) -> None:
    runs = Runs(journal)
    first = runs.run(registry={"SQLNODE1": "D:\\old.xml"})
    runs.run("ssis-clustered-undo", outcome="failed")
    assert undo_history(journal, "SQLCLU01", {})["recorded_runs"] == [first]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": "plan"},
        {"check_only": True},
        {"changed": False},
        {"cluster": "OTHERCLU"},
        {"key": KEY.replace("150", "160")},
        {"registry": {"SQLNODE1": None}},
    ],
)
def test_what_is_not_a_recorded_change_gives_nothing(
    journal: Journal, kwargs: dict[str, object]
) -> None:
    """Plans, check-only attempts, unchanged nodes, other clusters, another version's key,
    and a node that had no value: the undo falls back to config_file."""
    Runs(journal).run(**{"registry": {"SQLNODE1": "D:\\own.xml"}, **kwargs})  # type: ignore[arg-type]
    assert undo_history(journal, "SQLCLU01", {"sql_version": "2019"}) == {}


def test_a_node_that_had_no_value_is_not_read_from_a_later_run(journal: Journal) -> None:
    """The first change decides: a later run's Before (the shared path) is not the node's."""
    runs = Runs(journal)
    runs.run(registry={"SQLNODE1": None})
    runs.run(registry={"SQLNODE1": SHARED})
    assert undo_history(journal, "SQLCLU01", {}) == {}


def test_pinned_runs_are_read_alone(journal: Journal) -> None:
    runs = Runs(journal)
    runs.run(registry={"SQLNODE1": "D:\\a.xml"})
    second = runs.run(registry={"SQLNODE2": "D:\\b.xml"})
    found = undo_history(journal, "SQLCLU01", {"recorded_runs": [second]})
    assert found == {"recorded_config_files": {"SQLNODE2": "D:\\b.xml"}, "recorded_runs": [second]}


def _shared(before_text: str | None, backup: str | None, missing: list[str]) -> dict[str, object]:
    return {
        "Before": {"MissingFolders": missing, "ConfigFileExists": before_text is not None},
        "ConfigFile": SHARED,
        "BackupFile": backup,
        "FileChanges": [{"Path": SHARED, "Before": before_text, "After": "<new/>"}],
    }


def test_the_shared_file_is_recorded_as_the_first_change_found_it(journal: Journal) -> None:
    """The first change's text and folders count; every backup any run made is listed."""
    runs = Runs(journal)
    first = runs.run(shared=[_shared("<own/>", SHARED + ".bak", ["S:\\SSIS\\Packages"])])
    runs.run(shared=[_shared("<new/>", SHARED + ".1.bak", [])])
    found = undo_history(journal, "SQLCLU01", {"shared_folder": "S:\\SSIS"})
    assert found == {
        "recorded_shared_config": {
            "config_file": SHARED,
            "file_existed": True,
            "document": "<own/>",
            "created_folders": ["S:\\SSIS\\Packages"],
            "backup_files": [SHARED + ".bak", SHARED + ".1.bak"],
        },
        "recorded_runs": [first],
    }


def test_another_shared_folder_is_not_recorded(journal: Journal) -> None:
    Runs(journal).run(shared=[_shared(None, None, ["S:\\SSIS"])])
    assert undo_history(journal, "SQLCLU01", {"shared_folder": "T:\\SSIS"}) == {}
    assert undo_history(journal, "SQLCLU01", {}) == {}
