"""What ssis-clustered-undo reads back of the shared MsDtsSrvr.ini.xml to restore its bytes:
the SHA-256 ssis-clustered recorded of the file as found, the backup holding those bytes,
and both from the first run that replaced the file, not merely the first that changed
something in the folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from psrunbook.journal import Journal
from psrunbook.runbooks._ssis.recorded import undo_history
from psrunbook.runbooks.ssis_clustered_undo import (
    SsisClusteredUndoParameters,
    shared_folder_step,
)
from tests.unit.runbooks.test_ssis_undo_history import SHARED, Runs

PACKAGES = "S:\\SSIS\\Packages"
SHA256 = "0123456789abcdef" * 4


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal.open(tmp_path / "state") as opened:
        yield opened


def _granted_only(missing: list[str]) -> dict[str, object]:
    """A shared-config result that created folders and granted rights, the file already
    holding the document (so no backup, no FileChanges)."""
    return {
        "Before": {"MissingFolders": missing, "ConfigFileExists": True},
        "ConfigFile": SHARED,
        "BackupFile": None,
        "BackupSha256": None,
        "FileChanges": [],
    }


def _replaced(before_text: str, backup: str, sha256: str | None) -> dict[str, object]:
    return {
        "Before": {"MissingFolders": [], "ConfigFileExists": True},
        "ConfigFile": SHARED,
        "BackupFile": backup,
        "BackupSha256": sha256,
        "FileChanges": [{"Path": SHARED, "Before": before_text, "After": "<new/>"}],
    }


def test_the_hash_is_recorded_with_the_text(journal: Journal) -> None:
    run = Runs(journal).run(shared=[_replaced("<admin/>", SHARED + ".bak", SHA256)])
    found = undo_history(journal, "SQLCLU01", {"shared_folder": "S:\\SSIS"})
    assert {
        "recorded_shared_config": {
            "config_file": SHARED,
            "file_existed": True,
            "document": "<admin/>",
            "document_sha256": SHA256.upper(),
            "created_folders": [],
            "backup_files": [SHARED + ".bak"],
        },
        "recorded_runs": [run],
    } == found


def test_the_first_run_that_replaced_the_file_gives_its_text_and_hash(journal: Journal) -> None:
    """The first run only created Packages (the file already matched); the second, with
    other parameters, replaced the file and backed it up: that backup is the file as
    found, so the undo must put it back, not leave the second run's document and delete
    the backup."""
    runs = Runs(journal)
    first = runs.run(shared=[_granted_only([PACKAGES])])
    second = runs.run(shared=[_replaced("<admin/>", SHARED + ".bak", SHA256)])
    found = undo_history(journal, "SQLCLU01", {"shared_folder": "S:\\SSIS"})
    assert {
        "recorded_shared_config": {
            "config_file": SHARED,
            "file_existed": True,
            "document": "<admin/>",
            "document_sha256": SHA256.upper(),
            "created_folders": [PACKAGES],
            "backup_files": [SHARED + ".bak"],
        },
        "recorded_runs": [first, second],
    } == found


def test_a_file_the_first_run_created_is_not_given_a_later_run_s_text(journal: Journal) -> None:
    """No file before the first run: what a later run replaced was ssis-clustered's own."""
    runs = Runs(journal)
    first = runs.run(
        shared=[
            {
                "Before": {"MissingFolders": [PACKAGES], "ConfigFileExists": False},
                "ConfigFile": SHARED,
                "BackupFile": None,
                "FileChanges": [{"Path": SHARED, "Before": None, "After": "<own/>"}],
            }
        ]
    )
    runs.run(shared=[_replaced("<own/>", SHARED + ".bak", SHA256)])
    record = undo_history(journal, "SQLCLU01", {"shared_folder": "S:\\SSIS"})
    assert {
        "recorded_shared_config": {
            "config_file": SHARED,
            "file_existed": False,
            "document": None,
            "created_folders": [PACKAGES],
            "backup_files": [SHARED + ".bak"],
        },
        "recorded_runs": [first],
    } == record


def _step_arguments(**record: object) -> dict[str, object]:
    params = SsisClusteredUndoParameters.model_validate(
        {
            "sql_version": "2019",
            "group": "SQL Server (MSSQLSERVER)",
            "shared_folder": "S:\\SSIS",
            "recorded_shared_config": {"config_file": SHARED, **record},
        }
    )
    return dict(shared_folder_step(params, "S:\\SSIS").arguments)


def test_the_step_gets_the_drive_the_first_backup_and_the_hash() -> None:
    arguments = _step_arguments(
        file_existed=True,
        document="<admin/>",
        document_sha256=SHA256,
        backup_files=[SHARED + ".bak", SHARED + ".1.bak"],
    )
    assert "S:\\" == arguments["DriveRoot"]
    assert "SQL Server (MSSQLSERVER)" == arguments["Group"]
    assert SHARED + ".bak" == arguments["DocumentBackup"]
    assert SHA256 == arguments["DocumentSha256"]


def test_without_a_text_to_restore_no_backup_is_named() -> None:
    arguments = _step_arguments(file_existed=False, backup_files=[SHARED + ".bak"])
    assert "" == arguments["DocumentBackup"]
    assert "" == arguments["DocumentSha256"]


def test_a_hash_that_is_no_sha256_is_refused() -> None:
    with pytest.raises(ValueError, match="document_sha256"):
        _step_arguments(file_existed=True, document="<admin/>", document_sha256="abc")
