"""`resume` and `runs show` of a run `run` started ask no fleet, even beside one.

They asked the fleet's database (importing DBOS and SQLAlchemy, about half a second)
whenever one existed for the journal, though the journal could not tell a run `submit`
queued from one `run` started. The journal now records it (schema 9): a run known not to
be submitted is looked up in no fleet; a submitted run is still refused by `resume` while
the fleet owns it, and a run journaled before the record was kept (unknown) is still
looked up, as before. Each command is a fresh interpreter reporting what it imported.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from psrunbook.fleet.location import FLEET_FILE
from psrunbook.journal import JOURNAL_FILE, Journal
from psrunbook.journal_open import open_journal
from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.conftest import Psrunbook
from tests.integration.fleet.harness import PASSWORD, WAIT_S, Fleet
from tests.json_documents import document
from tests.unit.test_cli_startup import PROBE

ENV = {"PSRUNBOOK_SIM_PASSWORD": PASSWORD, "PSRUNBOOK_JOURNAL": ""}
FLEET_ONLY = ("dbos", "sqlalchemy")
"""What only a look-up in the fleet's database imports."""

def _probe(env: dict[str, str], *arguments: str) -> tuple[int, set[str], str]:
    """Exit code, top-level modules imported, and stdout of one command in a fresh
    interpreter (as the console script runs it)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=WAIT_S,
        env={**os.environ, "COLUMNS": "200", **env},
    )
    lines = done.stderr.strip().splitlines()
    assert lines and lines[-1].startswith("{"), done.stderr
    report: dict[str, Any] = json.loads(lines[-1])
    return report["code"], {m.split(".")[0] for m in report["modules"]}, done.stdout


def _fleet_loaded(modules: set[str]) -> list[str]:
    return sorted(modules.intersection(FLEET_ONLY))


def _interrupted_run(journal_of: Any, run: Any) -> str:
    """A `run cluster-report --sim` interrupted (as Ctrl-C leaves it): resumable."""
    run("run", "cluster-report", "--sim", "--yes")
    with journal_of() as journal:
        run_id: str = journal.runs(1)[0].run_id
        journal.finish_run(run_id, "interrupted")
        assert journal.run(run_id).submitted is False
    return run_id


def test_a_run_started_by_run_is_resumed_and_shown_without_the_fleet_sqlite(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Beside a fleet with a queued run: `resume` and `runs show` of the other run load
    no DBOS; `runs` asks the fleet only about the submitted run; the submitted run is
    still refused by `resume`, naming its fleet state."""
    inventory = str(clusters.clusters[0].inventory_path)
    queued = psrunbook(
        "submit", "ssis-clustered", "-i", inventory, "--params-file", str(ssis_params), env=ENV
    ).stdout.split()[0]
    assert (psrunbook.state_dir / FLEET_FILE).is_file()
    run_id = _interrupted_run(
        lambda: Journal.open(psrunbook.state_dir), lambda *a: psrunbook(*a, env=ENV)
    )
    env = {**ENV, "PSRUNBOOK_STATE_DIR": str(psrunbook.state_dir)}

    resumed = _probe(env, "resume", run_id, "--yes")
    shown = _probe(env, "runs", "show", run_id)
    newest = _probe(env, "runs", "--limit", "1", "--json")
    listed = _probe(env, "runs", "--json")
    refused = psrunbook("resume", queued, "-i", inventory, "--yes", env=ENV, expect=2)

    assert (0, []) == (resumed[0], _fleet_loaded(resumed[1]))
    assert (0, []) == (shown[0], _fleet_loaded(shown[1]))
    assert f"run {run_id}" in shown[2]
    assert (0, []) == (newest[0], _fleet_loaded(newest[1]))
    assert 0 == listed[0]
    assert "dbos" in listed[1]  # the submitted run is asked about
    states = {r["run_id"]: r["fleet_state"] for r in document(listed[2], "run-list")["runs"]}
    assert {queued: "queued", run_id: None} == states
    assert f"run {queued} is queued in the fleet" in refused.stderr
    assert (True, False) == tuple(
        r.submitted for r in (_record(psrunbook, queued), _record(psrunbook, run_id))
    )
    assert ("succeeded", 1) == (
        _record(psrunbook, run_id).outcome,
        _record(psrunbook, run_id).resumes,
    )


def _record(psrunbook: Psrunbook, run_id: str) -> Any:
    with Journal.open(psrunbook.state_dir) as journal:
        return journal.run(run_id)


def test_a_run_journaled_before_submissions_were_kept_still_asks_the_fleet(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """A run whose journal row knows nothing of submission (NULL, as the migration leaves
    every older run) may be a fleet's: `resume` asks the fleet, as before."""
    inventory = str(clusters.clusters[0].inventory_path)
    psrunbook(
        "submit", "ssis-clustered", "-i", inventory, "--params-file", str(ssis_params), env=ENV
    )
    run_id = _interrupted_run(
        lambda: Journal.open(psrunbook.state_dir), lambda *a: psrunbook(*a, env=ENV)
    )
    with sqlite3.connect(psrunbook.state_dir / JOURNAL_FILE) as conn:
        conn.execute("UPDATE runs SET submitted = NULL WHERE run_id = ?", (run_id,))
    conn.close()
    assert _record(psrunbook, run_id).submitted is None
    env = {**ENV, "PSRUNBOOK_STATE_DIR": str(psrunbook.state_dir)}

    resumed = _probe(env, "resume", run_id, "--yes")

    assert 0 == resumed[0]
    assert "dbos" in resumed[1]


def test_a_run_started_by_run_in_a_shared_journal_is_resumed_without_the_fleet(
    fleet: Fleet,
) -> None:
    """A PostgreSQL journal always has a fleet beside it (DBOS's schema in its database):
    `resume` and `runs show` of a run `run` started there load no DBOS either."""
    run_id = _interrupted_run(lambda: open_journal(fleet.journal_url), fleet.cli)
    env = {
        "PSRUNBOOK_STATE_DIR": str(fleet.state_dir),
        "PSRUNBOOK_JOURNAL": fleet.journal_url,
        "PSRUNBOOK_SIM_PASSWORD": PASSWORD,
    }

    resumed = _probe(env, "resume", run_id, "--yes")
    shown = _probe(env, "runs", "show", run_id)

    assert (0, []) == (resumed[0], _fleet_loaded(resumed[1]))
    assert (0, []) == (shown[0], _fleet_loaded(shown[1]))
    assert ("succeeded", 1) == (fleet.run(run_id).outcome, fleet.run(run_id).resumes)


def test_a_run_started_by_run_is_resumed_beside_an_unreadable_fleet_database(
    psrunbook: Psrunbook,
) -> None:
    """The fleet's database is not even opened for such a run: a broken fleet.sqlite3
    (which `runs` of a submitted run names, exit 2) does not stop `resume` or `runs`."""
    run_id = _interrupted_run(
        lambda: Journal.open(psrunbook.state_dir), lambda *a: psrunbook(*a, env=ENV)
    )
    (psrunbook.state_dir / FLEET_FILE).write_bytes(b"not a database, not at all\n" * 10)

    psrunbook("resume", run_id, "--yes", env=ENV)
    listed = psrunbook("runs", env=ENV)

    assert run_id in listed.stdout
    assert ("succeeded", 1) == (
        _record(psrunbook, run_id).outcome,
        _record(psrunbook, run_id).resumes,
    )
