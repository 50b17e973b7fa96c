"""The fleet on the journal's PostgreSQL database, however the journal's URL is written,
whatever the journal's role may do, and with one live worker per worker id.

Each case is a URL or a role an operator really has: a URL libpq reads (blanks around it
from an environment file, a socket directory as the host, a password), a role given only
the journal's schema. The journal accepted each before these fixes; the fleet then
queued runs where no worker looks, or ended with a traceback.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from psrunbook.fleet.location import FLEET_FILE
from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.fleet.harness import Fleet
from tests.support.postgres_server import PostgresServer

ROLE_PASSWORD = "fleet-journal-role-secret"


def _socket_as_host(url: str, user: str, password: str) -> str:
    """The same database, its socket directory percent-encoded as the URL's host (libpq's
    documented spelling) and the password in the URL."""
    params = conninfo_to_dict(url)
    host = quote(str(params["host"]), safe="")
    return f"postgresql://{user}:{quote(password, safe='')}@{host}/{params['dbname']}"


def _all_text(fleet: Fleet, *done: subprocess.CompletedProcess[str]) -> str:
    """Everything the commands printed and the whole database, as text."""
    dump = subprocess.run(
        ["pg_dump", "--dbname", fleet.journal_url.strip()],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return dump + "".join(d.stdout + d.stderr for d in done)


def test_submit_and_runs_reach_the_fleet_through_a_socket_host_url_with_a_password(
    tmp_path: Path, postgres_server: PostgresServer, postgres_url: str, clusters: ClusterFleet
) -> None:
    """`postgresql://USER:PASSWORD@%2Fsocket%2Fdir/DB` opens the journal, so the fleet
    too: the run is queued in that database, and the password shows nowhere."""
    database = str(conninfo_to_dict(postgres_url)["dbname"])
    postgres_server.create_role("operator", ROLE_PASSWORD, database)
    fleet = Fleet(tmp_path, _socket_as_host(postgres_url, "operator", ROLE_PASSWORD))
    try:
        submitted = fleet.cli(
            "submit", "cluster-report", "-i", str(clusters.clusters[0].inventory_path), "--json"
        )
        (run,) = json.loads(submitted.stdout)["runs"]
        listed = fleet.cli("runs", "--json")

        states = {r["run_id"]: r["fleet_state"] for r in json.loads(listed.stdout)["runs"]}
        assert {run["run_id"]: "queued"} == states
        assert ROLE_PASSWORD not in _all_text(fleet, submitted, listed)
        fleet.journal_url = postgres_url  # the same database, as the test's engine reads it
        assert {run["run_id"]: "queued"} == fleet.states([run["run_id"]])
    finally:
        fleet.close()


def test_a_journal_url_with_blanks_around_it_queues_in_postgresql_not_a_local_file(
    tmp_path: Path, postgres_url: str, clusters: ClusterFleet
) -> None:
    """`PSRUNBOOK_JOURNAL=" postgresql://..."`: the journal ignores the blanks, so the
    fleet does; a worker on another machine finds the run."""
    fleet = Fleet(tmp_path, f" {postgres_url}\n")
    try:
        (run_id,) = fleet.submit("cluster-report", "-i", str(clusters.clusters[0].inventory_path))

        assert not (fleet.state_dir / FLEET_FILE).exists()
        fleet.journal_url = postgres_url
        assert {run_id: "queued"} == fleet.states([run_id])
    finally:
        fleet.close()


def _journal_only_role(server: PostgresServer, database: str) -> str:
    """A login role that owns the schema `psrunbook` of ``database`` and may create
    nothing else there (no CREATE on the database): the journal's documented minimum."""
    admin = server.url(database)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE journal_only LOGIN PASSWORD {}").format(sql.Literal(ROLE_PASSWORD))
        )
        conn.execute(
            sql.SQL("REVOKE CREATE ON DATABASE {} FROM PUBLIC").format(sql.Identifier(database))
        )
        conn.execute("CREATE SCHEMA psrunbook AUTHORIZATION journal_only")
    return server.url(database, "journal_only", ROLE_PASSWORD)


def test_a_role_given_only_the_journal_schema_lists_runs_and_is_refused_a_fleet_cleanly(
    tmp_path: Path, postgres_server: PostgresServer, postgres_url: str, clusters: ClusterFleet
) -> None:
    """`run` and `runs` work (no fleet is needed for them); `submit` exits 2 naming the
    schema the fleet needs, with no traceback, and journals nothing."""
    database = str(conninfo_to_dict(postgres_url)["dbname"])
    fleet = Fleet(tmp_path, _journal_only_role(postgres_server, database))
    inventory = str(clusters.clusters[0].inventory_path)
    try:
        fleet.cli("run", "cluster-report", "-i", inventory, "--yes")
        listed = fleet.cli("runs", "--json")
        refused = fleet.cli("submit", "cluster-report", "-i", inventory, expect=2)

        (run,) = json.loads(listed.stdout)["runs"]
        assert ("succeeded", None) == (run["outcome"], run["fleet_state"])
        assert "schema dbos" in refused.stderr
        assert "Traceback" not in refused.stderr
        for journal in fleet.journal():
            assert [run["run_id"]] == [r.run_id for r in journal.runs(10)]
        assert ROLE_PASSWORD not in _all_text(fleet, listed, refused)
    finally:
        fleet.close()


def test_a_second_worker_of_a_live_workers_id_is_refused_before_it_recovers_anything(
    fleet: Fleet,
) -> None:
    """Two `psrunbook worker` on one machine without --id share the host name: the second
    would take over the first one's runs in flight. It exits 2 naming the first."""
    first = fleet.worker("same")
    fleet.wait_for(
        "worker `same` to start",
        lambda: [e.get("message") for e in first.events()],
        lambda messages: "worker.started" in messages,
    )

    refused = fleet.cli("worker", "--id", "same", expect=2)

    assert f"worker same is already serving: pid {first.process.pid}" in refused.stderr
    assert "give this worker its own --id" in refused.stderr
    assert "serving (Ctrl-C stops it)" not in refused.stderr
    assert first.process.poll() is None
