"""Where the fleet's database is: the journal's own database, read as libpq reads its URL,
or a private file beside the local journal."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import sqlalchemy
from psycopg.conninfo import conninfo_to_dict
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg

from psrunbook.errors import JournalError
from psrunbook.fleet.location import FLEET_FILE, fleet_database_url, fleet_exists
from psrunbook.journal_postgres import sqlalchemy_url

SOCKET_URL = "postgresql://alice@/runbooks?host=%2Frun%2Fpostgresql"


def connect_args(url: str) -> dict[str, str]:
    """What SQLAlchemy's psycopg dialect hands to psycopg (and so to libpq) for ``url``."""
    _, params = PGDialect_psycopg().create_connect_args(sqlalchemy.make_url(url))
    return {key: str(value) for key, value in params.items()}


@pytest.mark.parametrize("blank", [" ", "\t", "\n", "  \n"])
def test_a_journal_url_with_blanks_around_it_keeps_the_fleet_in_postgresql(
    tmp_path: Path, blank: str
) -> None:
    """The journal ignores surrounding blanks; the fleet too, so no local file is used."""
    url = fleet_database_url(tmp_path, f"{blank}{SOCKET_URL}{blank}")

    assert url.startswith("postgresql://")
    assert not (tmp_path / FLEET_FILE).exists()
    assert fleet_exists(tmp_path, f"{blank}{SOCKET_URL}")


@pytest.mark.parametrize(
    "journal_url",
    [
        "postgresql://alice@%2Frun%2Fpostgresql/runbooks",
        "postgresql://alice@/?host=/run/postgresql&dbname=runbooks",
        "postgres://alice:p%40ss%2Fw0rd@db1:5432,db2:5433/runbooks?sslmode=verify-full",
        "postgresql://alice@db.example/runbooks?application_name=x&connect_timeout=5",
    ],
)
def test_the_fleet_reaches_the_database_libpq_reads_from_the_journal_url(journal_url: str) -> None:
    """Every libpq setting of the URL reaches libpq unchanged through SQLAlchemy."""
    expected = {key: str(value) for key, value in conninfo_to_dict(journal_url).items()}

    assert expected == connect_args(sqlalchemy_url(journal_url))


def test_a_journal_url_without_a_database_names_the_one_libpq_would(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """libpq's default: PGDATABASE, else the user's name (DBOS insists on a name)."""
    monkeypatch.delenv("PGDATABASE", raising=False)
    monkeypatch.delenv("PGSERVICE", raising=False)
    assert "alice" == connect_args(sqlalchemy_url("postgresql://alice@db/"))["dbname"]
    monkeypatch.setenv("PGDATABASE", "runbooks")
    assert "runbooks" == connect_args(sqlalchemy_url("postgresql://alice@db/"))["dbname"]


def test_a_service_url_without_a_database_is_refused_naming_the_fix(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Only libpq reads the service file: the URL must name the database then."""
    monkeypatch.delenv("PGSERVICE", raising=False)
    with pytest.raises(JournalError, match=r"postgresql://USER@HOST\[:PORT\]/DATABASE"):
        sqlalchemy_url("postgresql://alice@db/?service=prod")


def test_the_local_fleet_file_is_private_in_a_shared_state_directory(tmp_path: Path) -> None:
    """Created 0600 like the journal, whatever the directory's mode and the umask."""
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    old = os.umask(0o022)
    try:
        url = fleet_database_url(state)
    finally:
        os.umask(old)

    assert f"sqlite:///{(state / FLEET_FILE).resolve()}" == url
    assert 0o600 == stat.S_IMODE((state / FLEET_FILE).stat().st_mode)


def test_an_existing_fleet_file_keeps_its_mode(tmp_path: Path) -> None:
    """A fleet file shared on purpose (group access for workers) is left as it is."""
    (tmp_path / FLEET_FILE).touch(mode=0o640)
    os.chmod(tmp_path / FLEET_FILE, 0o640)

    fleet_database_url(tmp_path)

    assert 0o640 == stat.S_IMODE((tmp_path / FLEET_FILE).stat().st_mode)


def test_a_fifo_in_place_of_the_fleet_file_is_refused_not_waited_on(tmp_path: Path) -> None:
    """Named, with the fix; never opened (a FIFO would block the command)."""
    os.mkfifo(tmp_path / FLEET_FILE)

    with pytest.raises(JournalError, match="is not a regular file; move it aside"):
        fleet_database_url(tmp_path)
