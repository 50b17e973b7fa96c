"""`runs --limit` out of range, and a state directory whose journal is not psrunbook's.

An out-of-range ``--limit`` is refused by the option parser (exit 2) rather than reaching
SQLite. A journal file that is another program's SQLite database, or a newer psrunbook's,
is refused naming it, and left byte for byte as it was (not switched to write-ahead
logging, no ``-wal`` file beside it).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from psrunbook.journal import JOURNAL_FILE, Journal
from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration


def test_runs_limit_past_its_maximum_is_refused(psrunbook: Psrunbook) -> None:
    """runs --limit 99999999999999999999999: exit 2 naming the option and its range."""
    refused = psrunbook("runs", "--limit", "99999999999999999999999", expect=2)
    assert "Invalid value for '--limit'" in refused.stderr
    assert "less than or equal to 1000000" in refused.stderr


def test_journal_runs_with_a_huge_limit_lists_them_all(tmp_path: Path) -> None:
    """Journal.runs clamps a limit SQLite cannot bind instead of overflowing."""
    with Journal.open(tmp_path) as journal:
        assert [] == journal.runs(10**30)


def _database(path: Path, *statements: str) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    connection = sqlite3.connect(path)
    for statement in statements:
        connection.execute(statement)
    connection.commit()
    connection.close()
    return path.read_bytes()


@pytest.mark.parametrize(
    ("statements", "message"),
    [
        (("CREATE TABLE runs (x)",), "is not a usable psrunbook journal"),
        (
            (
                "CREATE TABLE schema_version (version INTEGER)",
                "INSERT INTO schema_version VALUES (999)",
            ),
            "has schema version 999, newer than this psrunbook understands",
        ),
    ],
    ids=["other-program", "newer-psrunbook"],
)
def test_a_refused_journal_file_is_left_as_it_was(
    psrunbook: Psrunbook, statements: tuple[str, ...], message: str
) -> None:
    """Refused with exit 2 naming it; its bytes unchanged, no -wal/-shm made beside it."""
    path = psrunbook.state_dir / JOURNAL_FILE
    before = _database(path, *statements)
    refused = psrunbook("runs", expect=2)
    assert f"journal {path}" in refused.stderr
    assert message in refused.stderr
    assert before == path.read_bytes()
    assert [JOURNAL_FILE] == sorted(p.name for p in psrunbook.state_dir.iterdir())
