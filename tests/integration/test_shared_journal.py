"""`psrunbook --journal postgresql://...`: every command against a real, shared PostgreSQL journal.

The CLI is the real one (in-process for most commands, as separate processes where two
"machines" must run at once: two state directories, one shared journal).
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from psycopg.conninfo import conninfo_to_dict

from psrunbook.holds import Holder, cluster_resource, run_resource
from psrunbook.journal_postgres import PostgresJournal, display_url
from psrunbook.sim.lab.cluster_faults import clear_resource_fault
from psrunbook.sim.lab.cluster_model import fold
from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from tests.integration.test_execution import SSIS_RESOURCE, _seed_lab
from tests.reliability.harness import (
    PSRUNBOOK,
    arm,
    create_lab,
    environment,
    hold_channels,
    sigkill,
)
from tests.support.postgres_server import PostgresServer

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration


def _shared(postgres_url: str) -> PostgresJournal:
    return PostgresJournal.open(postgres_url)


def test_run_runs_show_report_resume_plan_and_unhold_use_the_shared_journal(
    psrunbook: Psrunbook, postgres_url: str
) -> None:
    cluster = sample_lab()
    cluster.faults.fail_online[fold(SSIS_RESOURCE)] = -1  # bring-online fails every time
    _seed_lab(psrunbook, cluster)
    journal = ("--journal", postgres_url)

    failed = psrunbook(*journal, "run", "ssis-clustered", "--sim", "--yes", expect=1)
    with _shared(postgres_url) as shared:
        (record,) = shared.runs()
    assert (record.runbook, record.outcome) == ("ssis-clustered", "failed")
    hint = failed.stderr.strip().splitlines()[-1]
    resume = ["psrunbook", "--journal", display_url(postgres_url), "resume", record.run_id]
    assert f"`{shlex.join([*resume, '--sim'])}" in hint
    # Nothing went to the local file: the shared journal is the only one.
    assert not (psrunbook.state_dir / "journal.sqlite3").exists()

    listed = psrunbook(*journal, "runs")
    assert record.run_id in listed.stdout and "failed" in listed.stdout
    as_json = json.loads(psrunbook(*journal, "runs", "--json").stdout)
    assert [r["run_id"] for r in as_json["runs"]] == [record.run_id]
    shown = psrunbook(*journal, "runs", "show", record.run_id[:-2])
    assert "09-bring-online" in shown.stdout or "bring-online" in shown.stdout
    detail = json.loads(psrunbook(*journal, "runs", "show", "last", "--json").stdout)
    assert detail["run"]["run_id"] == record.run_id
    change_record = psrunbook(*journal, "runs", "report", record.run_id)
    assert record.run_id in change_record.stdout

    lab = restore(psrunbook.lab_file)
    clear_resource_fault(lab, SSIS_RESOURCE)
    save(lab, psrunbook.lab_file)
    # The environment variable names the journal as well as the option does.
    psrunbook("resume", record.run_id, "--sim", "--yes", env={"PSRUNBOOK_JOURNAL": postgres_url})
    planned = psrunbook(*journal, "plan", "ssis-clustered", "--sim")
    assert "nothing to do" in planned.stdout
    unheld = psrunbook(*journal, "runs", "unhold", record.run_id)
    assert f"run {record.run_id} holds nothing" in unheld.stdout

    with _shared(postgres_url) as shared:
        runs = {r.mode: r for r in shared.runs()}
        assert (runs["run"].outcome, runs["run"].resumes) == ("succeeded", 1)
        assert runs["plan"].outcome == "succeeded"
        assert shared.holders([run_resource(record.run_id)]) == {}
    assert not (psrunbook.state_dir / "journal.sqlite3").exists()


def test_a_hold_taken_on_another_machine_is_honoured_and_broken_only_on_word(
    psrunbook: Psrunbook, postgres_url: str
) -> None:
    journal = ("--journal", postgres_url)
    psrunbook(*journal, "plan", "cluster-report", "--sim")
    with _shared(postgres_url) as shared:
        cluster = shared.runs()[0].cluster
        assert cluster is not None
        shared.start_run(
            run_id="20260101T000000Z-other1",
            runbook="ssis-clustered",
            runbook_version="1",
            mode="run",
            parameters={},
            parameters_sha256="p" * 64,
            inventory_sha256="i" * 64,
            bundle_sha256=None,
            user=None,
            cluster=cluster,
        )
        since = datetime(2026, 1, 1, tzinfo=UTC)
        holder = Holder("20260101T000000Z-other1", "worker-2.example", 4242, since, "t" * 32)
        resources = [run_resource(holder.run_id), cluster_resource(cluster)]
        assert shared.try_hold(resources, holder) == {}

    refused = psrunbook(*journal, "run", "ssis-clustered", "--sim", "--yes", expect=2)
    assert "is held by another psrunbook process: pid 4242 on host worker-2.example" in (
        refused.stderr
    )
    assert "Traceback" not in refused.stderr
    not_on_word = psrunbook(*journal, "runs", "unhold", holder.run_id, expect=2)
    assert "on another host" in not_on_word.stderr and "--holder-gone" in not_on_word.stderr
    psrunbook(*journal, "runs", "unhold", holder.run_id, "--holder-gone")
    psrunbook(*journal, "run", "ssis-clustered", "--sim", "--yes")


def test_two_machines_one_journal_one_cluster(postgres_url: str, tmp_path: Path) -> None:
    """Machine A is mid-step; machine B (another state dir, another process) is refused.

    A is then killed: its hold stays in the shared journal, and B's next run breaks it
    only because the holder is provably gone (same host, no such process).
    """
    first, second = tmp_path / "a", tmp_path / "b"
    env = environment({"PSRUNBOOK_JOURNAL": postgres_url})
    command = [PSRUNBOOK, "run", "ssis-clustered", "--sim", "--yes", "--state-dir"]
    with hold_channels(tmp_path, ["NODE1"]) as holds:
        create_lab(first)
        arm(first, [{"node": "NODE1", "on": "Command", "nth": 1, "fault": "hold",
                     "notify": str(holds.paths["NODE1"])}])  # fmt: skip
        process = subprocess.Popen(
            [*command, str(first)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        try:
            holds.wait()
            refused = _finished([*command, str(second)], env)
        finally:
            sigkill(process)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"pid {process.pid} on host " in refused.stderr
    assert "Traceback" not in refused.stderr

    after = _finished([*command, str(second)], env)
    assert after.returncode == 0, after.stdout + after.stderr
    with _shared(postgres_url) as shared:
        outcomes = sorted((r.outcome or "unfinished") for r in shared.runs())
    assert outcomes == ["succeeded", "unfinished"]


def _finished(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, capture_output=True, text=True, env=env, timeout=120, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


# --------------------------------------------------------------------------- bad input


def test_a_journal_that_is_not_postgresql_is_bad_input(psrunbook: Psrunbook) -> None:
    result = psrunbook("--journal", "mysql://db/runs", "runs", expect=2)
    assert "takes a postgresql:// URL, not mysql://" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_journal_is_named_without_its_password(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    url = f"postgresql://ops:Unreach-Pw-77@/runs?host={tmp_path}"
    result = psrunbook("--journal", url, "runs", "show", "last", expect=2)
    assert f"cannot connect to journal postgresql://ops@/runs?host={tmp_path}" in result.stderr
    assert "Unreach-Pw-77" not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr


def test_the_password_never_reaches_logs_output_or_the_journal(
    psrunbook: Psrunbook, postgres_server: PostgresServer, postgres_url: str, tmp_path: Path
) -> None:
    database = conninfo_to_dict(postgres_url)["dbname"]
    assert isinstance(database, str)
    password = "Journal-Pw-9f3e"
    postgres_server.create_role(f"ops_{database}", password, database)
    url = postgres_server.url(database, f"ops_{database}", password)
    log = tmp_path / "events.jsonl"
    journal = ("--journal", url, "-vv", "--log-format", "json", "--log-file", str(log))

    ran = psrunbook(*journal, "run", "cluster-report", "--sim", "--yes")
    shown = psrunbook(*journal, "runs", "show", "last")
    shown_json = psrunbook(*journal, "runs", "show", "last", "--json")
    listed = psrunbook(*journal, "runs", "--json")
    missing = psrunbook(*journal, "runs", "show", "no-such-run", expect=2)
    assert "no run with id no-such-run in journal postgresql://ops_" in missing.stderr

    seen = [r.stdout + r.stderr for r in (ran, shown, shown_json, listed, missing)]
    with psycopg.connect(postgres_url) as conn:
        stored = [
            str(row)
            for table in ("runs", "attempts", "holds")
            for row in conn.execute(f"SELECT * FROM psrunbook.{table}")
        ]
    assert stored
    for text in (*seen, log.read_text(), "\n".join(stored)):
        assert password not in text


def test_the_password_can_come_from_pgpassfile(
    psrunbook: Psrunbook, postgres_server: PostgresServer, postgres_url: str, tmp_path: Path
) -> None:
    database = conninfo_to_dict(postgres_url)["dbname"]
    assert isinstance(database, str)
    role = f"pass_{database}"
    postgres_server.create_role(role, "In-The-Passfile-1", database)
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"*:*:{database}:{role}:In-The-Passfile-1\n")
    os.chmod(passfile, 0o600)
    url = postgres_server.url(database, role)
    with_file = {"PGPASSFILE": str(passfile)}
    psrunbook("--journal", url, "plan", "cluster-report", "--sim", env=with_file)
    without = psrunbook("--journal", url, "runs", env={"PGPASSFILE": str(tmp_path / "none")},
                        expect=2)  # fmt: skip
    assert "cannot connect to journal" in without.stderr
    with _shared(postgres_url) as shared:
        assert [r.runbook for r in shared.runs()] == ["cluster-report"]
