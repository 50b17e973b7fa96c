"""The tests' own PostgreSQL server: real, socket-only, unprivileged, one database per test."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from tests.conftest import REPO
from tests.support.postgres_server import (
    BINDIR_ENV,
    INSTALL_HINT,
    PostgresServer,
    PostgresUnavailable,
    find_bindir,
)


def test_a_fresh_database_per_test_on_a_real_server(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()
    assert version is not None and int(version[0]) >= 130000
    assert tables == (0,)


def test_two_tests_never_share_a_database(postgres_server: PostgresServer) -> None:
    first, second = postgres_server.create_database(), postgres_server.create_database()
    try:
        with psycopg.connect(postgres_server.url(first), autocommit=True) as conn:
            conn.execute("CREATE TABLE mine (x int)")
        with psycopg.connect(postgres_server.url(second)) as conn:
            row = conn.execute("SELECT to_regclass('mine') IS NULL").fetchone()
        assert row == (True,)
    finally:
        postgres_server.drop_database(first)
        postgres_server.drop_database(second)


def test_listens_on_a_unix_socket_only(postgres_url: str, postgres_server: PostgresServer) -> None:
    with psycopg.connect(postgres_url) as conn:
        listen = conn.execute("SHOW listen_addresses").fetchone()
        sockets = conn.execute("SHOW unix_socket_directories").fetchone()
    assert listen == ("",)
    assert sockets == (str(postgres_server.socket_dir),)


def test_the_server_does_not_run_as_root(postgres_server: PostgresServer) -> None:
    pid = int((postgres_server.data_dir / "postmaster.pid").read_text().split()[0])
    assert Path(f"/proc/{pid}").stat().st_uid != 0
    if os.geteuid() != 0:
        assert Path(f"/proc/{pid}").stat().st_uid == os.geteuid()


def test_roles_other_than_the_admin_need_their_password(
    postgres_server: PostgresServer, postgres_url: str
) -> None:
    database = conninfo_to_dict(postgres_url)["dbname"]
    assert isinstance(database, str)
    role = f"r_{database}"
    postgres_server.create_role(role, "s3cret pass", database)
    with psycopg.connect(postgres_server.url(database, role, "s3cret pass")) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (role,)
    with pytest.raises(psycopg.OperationalError, match="password authentication failed"):
        psycopg.connect(postgres_server.url(database, role, "wrong"))


def test_a_machine_without_postgresql_is_told_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(PostgresUnavailable) as caught:
        find_bindir([tmp_path])
    assert INSTALL_HINT in str(caught.value)
    assert "apt-get install" in INSTALL_HINT
    assert str(tmp_path) in str(caught.value)


def test_tests_needing_postgresql_fail_never_skip_without_it(tmp_path: Path) -> None:
    """A machine without the server gets errors naming what to install, not green skips."""
    env = {**os.environ, BINDIR_ENV: str(tmp_path / "no-postgresql-here")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-p", "no:xdist",
         "-p", "no:cacheprovider", f"{__file__}::test_a_fresh_database_per_test_on_a_real_server"],
        capture_output=True, text=True, env=env, cwd=REPO, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "1 error" in done.stdout and "skipped" not in done.stdout, done.stdout
    assert "apt-get install -y --no-install-recommends postgresql" in done.stdout
