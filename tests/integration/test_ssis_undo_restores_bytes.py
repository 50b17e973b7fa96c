"""``ssis-clustered-undo`` puts MsDtsSrvr.ini.xml on the shared disk back as
``ssis-clustered`` found it byte for byte, and refuses what it cannot do so.

ssis-clustered reads the old file with Get-Content without -Encoding, which in Windows
PowerShell 5.1 decodes a file without a byte order mark in the ANSI code page (the lab:
Windows-1252), and journals that text. Writing it back with Set-Content -Encoding UTF8
(always a byte order mark) turns a BOM-less UTF-8 file's "für" into "fÃ¼r", and the undo
used to remove the backup, the only byte-exact copy, afterwards. Now the forward records
the file's SHA-256 with its backup, and the undo copies the backup back when it still has
that hash, checks the file's hash after the copy, and removes the backups only then.

Also here: the undo's shared-folder step refuses a shared disk that is not mounted on the
node it runs on (it used to report "nothing to do"), and a ReadOnly/Hidden/System
MsDtsSrvr.ini.xml before anything changes, as ssis-clustered's shared-config step does.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psrunbook as package
from psrunbook.sim.lab.cluster_model import ARCHIVE, READ_ONLY, FsEntry, SimCluster, fold
from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from tests.integration.test_execution import _seed_lab
from tests.unit.sim.lab.scripts import run_on

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

TEMPLATES = Path(package.__file__).parent / "ps_templates"
UNDO = ("ssis-clustered-undo", "--sim")
CONFIG = "SSIS\\MsDtsSrvr.ini.xml"
BACKUP = "SSIS\\MsDtsSrvr.ini.xml.bak"
ORIGINAL = (
    '<?xml version="1.0" encoding="utf-8"?>\r\n'
    '<DtsServiceConfiguration xmlns:xsd="http://www.w3.org/2001/XMLSchema" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\r\n'
    "  <StopExecutingPackagesOnShutdown>true</StopExecutingPackagesOnShutdown>\r\n"
    "  <TopLevelFolders>\r\n"
    '    <Folder xsi:type="FileSystemFolder">\r\n'
    "      <Name>Pakete für Berichte</Name>\r\n"
    "      <StorePath>..\\Packages</StorePath>\r\n"
    "    </Folder>\r\n"
    "  </TopLevelFolders>\r\n"
    "</DtsServiceConfiguration>"
).encode()
"""An administrator's MsDtsSrvr.ini.xml saved as UTF-8 without a byte order mark (as
many editors save), with a non-ASCII character in a folder's name."""


def _lab_with_original() -> SimCluster:
    """The lab with S:\\SSIS holding only the administrator's MsDtsSrvr.ini.xml."""
    lab = sample_lab(nodes=2)
    volume = lab.shared_volumes["S"]
    volume.entries["ssis"] = FsEntry("SSIS", True)
    volume.entries[fold(CONFIG)] = FsEntry("MsDtsSrvr.ini.xml", False, data=ORIGINAL)
    return lab


def _entries(psrunbook: Psrunbook) -> dict[str, FsEntry]:
    return restore(psrunbook.lab_file).shared_volumes["S"].entries


def _data(psrunbook: Psrunbook, rel: str) -> bytes | None:
    entry = _entries(psrunbook).get(fold(rel))
    return None if entry is None else entry.data


def _edit(
    psrunbook: Psrunbook, rel: str, data: bytes | None, attributes: int | None = None
) -> None:
    """Change (or, with None, delete) a file on S: of the saved lab, as someone would."""
    lab = restore(psrunbook.lab_file)
    entries = lab.shared_volumes["S"].entries
    if data is None:
        del entries[fold(rel)]
    else:
        entry = entries[fold(rel)]
        entry.data = data
        if attributes is not None:
            entry.attributes = attributes
    save(lab, psrunbook.lab_file)


def _shared_folder_result(psrunbook: Psrunbook) -> dict[str, Any]:
    (attempt,) = [
        a for a in psrunbook.attempts(psrunbook.last_run().run_id) if a.step_name == "shared-folder"
    ]
    assert attempt.result is not None
    return attempt.result


def _shown(result: Any) -> str:
    return " ".join((result.stdout + result.stderr).split())


def _forward(psrunbook: Psrunbook) -> None:
    """ssis-clustered over the administrator's file: replaced, its bytes in the backup."""
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    assert ORIGINAL == _data(psrunbook, BACKUP)
    assert _data(psrunbook, CONFIG) not in (None, ORIGINAL)


# --- the bytes ------------------------------------------------------------------------------


def test_the_undo_puts_a_bom_less_utf8_file_back_byte_for_byte(psrunbook: Psrunbook) -> None:
    """The plan names the backup and changes nothing; the run copies the backup back, and
    only then removes it; a second undo changes nothing."""
    _seed_lab(psrunbook, _lab_with_original())
    _forward(psrunbook)
    shared = psrunbook.last_run().parameters
    assert "S:\\SSIS" == shared["shared_folder"]
    before_plan = psrunbook.lab_state()

    plan = psrunbook("plan", *UNDO)

    assert before_plan == psrunbook.lab_state()
    assert (
        "restore S:\\SSIS\\MsDtsSrvr.ini.xml as ssis-clustered found it, byte for byte from "
        "S:\\SSIS\\MsDtsSrvr.ini.xml.bak"
    ) in _shown(plan)

    psrunbook("run", *UNDO, "--yes")

    undo = psrunbook.last_run()
    record = undo.parameters["recorded_shared_config"]
    assert hashlib.sha256(ORIGINAL).hexdigest().upper() == record["document_sha256"]
    assert ORIGINAL == _data(psrunbook, CONFIG)
    assert None is _data(psrunbook, BACKUP)
    assert fold("SSIS\\Packages") not in _entries(psrunbook)  # the folder it created
    assert [
        "restore S:\\SSIS\\MsDtsSrvr.ini.xml as ssis-clustered found it, byte for byte from "
        "S:\\SSIS\\MsDtsSrvr.ini.xml.bak",
        "remove S:\\SSIS\\MsDtsSrvr.ini.xml.bak",
        "remove S:\\SSIS\\Packages",
    ] == _shared_folder_result(psrunbook)["Actions"]

    psrunbook("run", *UNDO, "--yes")

    assert ORIGINAL == _data(psrunbook, CONFIG)
    assert [] == _shared_folder_result(psrunbook)["Actions"]


def test_a_changed_backup_stops_the_step_and_nothing_is_removed(psrunbook: Psrunbook) -> None:
    """The backup no longer has the bytes the run recorded, and the journaled text is no
    copy of the file: the step refuses, the file and every backup stay."""
    _seed_lab(psrunbook, _lab_with_original())
    _forward(psrunbook)
    now = _data(psrunbook, CONFIG)
    edited = ORIGINAL.replace(b"Berichte", b"Reports")
    _edit(psrunbook, BACKUP, edited)

    failed = psrunbook("run", *UNDO, "--yes", expect=1)

    shown = _shown(failed)
    assert "S:\\SSIS\\MsDtsSrvr.ini.xml cannot be put back byte for byte" in shown
    assert "the backup ssis-clustered made of it (S:\\SSIS\\MsDtsSrvr.ini.xml.bak) has changed" in (
        shown
    )
    assert now == _data(psrunbook, CONFIG)
    assert edited == _data(psrunbook, BACKUP)
    assert fold("SSIS\\Packages") in _entries(psrunbook)


def test_a_missing_backup_stops_the_step(psrunbook: Psrunbook) -> None:
    _seed_lab(psrunbook, _lab_with_original())
    _forward(psrunbook)
    now = _data(psrunbook, CONFIG)
    _edit(psrunbook, BACKUP, None)

    failed = psrunbook("run", *UNDO, "--yes", expect=1)

    assert "the backup ssis-clustered made of it (S:\\SSIS\\MsDtsSrvr.ini.xml.bak) is gone" in (
        _shown(failed)
    )
    assert now == _data(psrunbook, CONFIG)


# --- runs journaled before the hash was recorded ---------------------------------------------


def _forward_without_hash(tmp_path: Path) -> Path:
    """A template folder whose shared-config step reports no BackupSha256, as psrunbook
    did before the undo restored bytes; the rest as shipped."""
    shipped = (TEMPLATES / "ssis" / "set_shared_config.ps1.j2").read_text("utf-8")
    old = shipped.replace("    BackupSha256   = $backupSha256\n", "")
    assert old != shipped
    (tmp_path / "ssis").mkdir()
    (tmp_path / "ssis" / "set_shared_config.ps1.j2").write_text(old, "utf-8")
    return tmp_path


def test_an_older_run_s_backup_that_reads_as_the_recorded_text_is_copied_back(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """No hash in the journal: the backup reads as the text the run recorded (read the
    same way), so it is the file as found, and it comes back byte for byte."""
    _seed_lab(psrunbook, _lab_with_original())
    templates = str(_forward_without_hash(tmp_path))
    psrunbook("--templates", templates, "run", "ssis-clustered", "--sim", "--yes")

    psrunbook("run", *UNDO, "--yes")

    assert None is psrunbook.last_run().parameters["recorded_shared_config"]["document_sha256"]
    assert ORIGINAL == _data(psrunbook, CONFIG)
    assert None is _data(psrunbook, BACKUP)


def test_an_older_run_s_changed_backup_is_kept_when_the_text_is_written_back(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """No hash, and the backup no longer reads as the recorded text: the undo writes the
    text back as it always did, says so, and keeps the backup it cannot prove is a copy."""
    _seed_lab(psrunbook, _lab_with_original())
    templates = str(_forward_without_hash(tmp_path))
    psrunbook("--templates", templates, "run", "ssis-clustered", "--sim", "--yes")
    edited = b"<edited by hand/>"
    _edit(psrunbook, BACKUP, edited)

    psrunbook("run", *UNDO, "--yes")

    assert edited == _data(psrunbook, BACKUP)
    actions = _shared_folder_result(psrunbook)["Actions"]
    assert any("from the text the journal recorded" in action for action in actions)
    assert any(action.startswith("keep S:\\SSIS\\MsDtsSrvr.ini.xml.bak:") for action in actions)


# --- the disk and the file's attributes ------------------------------------------------------


def test_a_shared_disk_that_is_not_mounted_fails_the_step(psrunbook: Psrunbook) -> None:
    """Cluster Disk 1 offline: S: is not there on the group's owner. The step fails and
    names the drive, instead of finding no folder and reporting nothing to do."""
    _seed_lab(psrunbook, _lab_with_original())
    _forward(psrunbook)
    lab = restore(psrunbook.lab_file)
    stopped = run_on(lab, "$null = Stop-ClusterResource -Name 'Cluster Disk 1'")
    assert stopped.failed is None and [] == stopped.errors
    save(lab, psrunbook.lab_file)

    failed = psrunbook("run", *UNDO, "--yes", expect=1)

    shown = _shown(failed)
    assert "drive S:\\ is not reachable on NODE1, which owns group 'SQL Server (MSSQLSERVER)'" in (
        shown
    )
    assert "Bring the group's disk resource online" in shown
    (attempt,) = [
        a for a in psrunbook.attempts(psrunbook.last_run().run_id) if a.step_name == "shared-folder"
    ]
    assert "failed" == attempt.status


def test_a_read_only_config_file_is_refused_before_anything_changes(
    psrunbook: Psrunbook,
) -> None:
    """An administrator made the file ReadOnly after ssis-clustered: the step names the
    attribute and what to do (the check ssis-clustered's own step makes), and removes no
    backup and no folder."""
    _seed_lab(psrunbook, _lab_with_original())
    _forward(psrunbook)
    now = _data(psrunbook, CONFIG)
    assert now is not None
    _edit(psrunbook, CONFIG, now, attributes=READ_ONLY | ARCHIVE)

    failed = psrunbook("run", *UNDO, "--yes", expect=1)

    assert "S:\\SSIS\\MsDtsSrvr.ini.xml on NODE1 is ReadOnly, Archive and cannot be replaced" in (
        _shown(failed)
    )
    assert now == _data(psrunbook, CONFIG)
    assert ORIGINAL == _data(psrunbook, BACKUP)
    assert fold("SSIS\\Packages") in _entries(psrunbook)


def test_a_read_only_backup_is_refused_before_the_copy_makes_the_file_read_only(
    psrunbook: Psrunbook,
) -> None:
    """Someone made the backup ReadOnly to protect it: CopyFile gives the copy the source's
    attributes, so the restored file would come back ReadOnly (and the next ssis-clustered
    run refuse it). The step names the backup's attributes and what to do, and changes
    nothing."""
    _seed_lab(psrunbook, _lab_with_original())
    _forward(psrunbook)
    now = _data(psrunbook, CONFIG)
    _edit(psrunbook, BACKUP, ORIGINAL, attributes=READ_ONLY | ARCHIVE)

    failed = psrunbook("run", *UNDO, "--yes", expect=1)

    assert (
        "S:\\SSIS\\MsDtsSrvr.ini.xml.bak is ReadOnly, Archive, and a copy takes its attributes"
    ) in _shown(failed)
    assert now == _data(psrunbook, CONFIG)
    assert ORIGINAL == _data(psrunbook, BACKUP)


def test_a_file_that_was_not_there_goes_and_the_folder_that_was_stays(
    psrunbook: Psrunbook,
) -> None:
    """S:\\SSIS existed (empty) before ssis-clustered, MsDtsSrvr.ini.xml did not: the undo
    removes the file it wrote and keeps the folder. (A local variable spelled like the
    FileExisted parameter, which PowerShell reads as the same variable, once made this
    step keep the file.)"""
    lab = sample_lab(nodes=2)
    lab.shared_volumes["S"].entries["ssis"] = FsEntry("SSIS", True)
    _seed_lab(psrunbook, lab)
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    assert _data(psrunbook, CONFIG) is not None

    psrunbook("run", *UNDO, "--yes")

    entries = _entries(psrunbook)
    assert fold(CONFIG) not in entries
    assert "ssis" in entries
