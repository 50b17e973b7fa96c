"""Machine-readable output and the run record, through the real CLI against the --sim lab.

``--json`` documents are read with :func:`tests.json_documents.document`: the whole of
stdout must parse as one document valid against tests/schemas/cli_documents.schema.json.
What they say is compared with the journal and the lab, not with the console output.
"""

from __future__ import annotations

import getpass
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.json_documents import document

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration


def test_plan_json_and_detailed_exitcode(psrunbook: Psrunbook) -> None:
    """plan --json is one document; --detailed-exitcode is 2 with changes pending, 0 without."""
    pending = psrunbook(
        "plan", "ssis-clustered", "--sim", "--json", "--detailed-exitcode", expect=2
    )
    planned = document(pending.stdout, "run-report")
    (plan_run,) = psrunbook.runs()
    assert ("plan", plan_run.run_id, "succeeded") == (
        planned["mode"],
        planned["run_id"],
        planned["outcome"],
    )
    changed = {
        (s["name"], t["node"]) for s in planned["steps"] for t in s["targets"] if t["changed"]
    }
    journaled = {(a.step_name, a.node) for a in psrunbook.attempts(plan_run.run_id) if a.changed}
    assert journaled == changed
    assert len(changed) == planned["changed"] > 0
    assert f"run {plan_run.run_id}" in pending.stderr  # people's lines went to stderr

    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    clean = psrunbook("plan", "ssis-clustered", "--sim", "--json", "--detailed-exitcode")
    assert 0 == document(clean.stdout, "run-report")["changed"]
    assert 0 == psrunbook("plan", "ssis-clustered", "--sim", "--detailed-exitcode").exit_code


def test_plan_detailed_exitcode_is_1_on_errors(psrunbook: Psrunbook) -> None:
    """With --detailed-exitcode a failed plan and bad input exit 1, never 2 ("changes")."""
    failed = psrunbook(
        "plan",
        "ssis-clustered",
        "--sim",
        "--detailed-exitcode",
        "--json",
        "-p",
        "group=Nope",
        expect=1,
    )
    assert "failed" == document(failed.stdout, "run-report")["outcome"]
    bad = psrunbook(
        "plan", "ssis-clustered", "--sim", "--detailed-exitcode", "-p", "no_such_key=1", expect=1
    )
    assert "no_such_key" in bad.stderr
    assert "" == bad.stdout
    # Without the option, bad input keeps its usual exit 2.
    psrunbook("plan", "ssis-clustered", "--sim", "-p", "no_such_key=1", expect=2)


def test_run_cluster_report_json_carries_the_report_tables(psrunbook: Psrunbook) -> None:
    """run cluster-report --json holds the runbook's tables, matching the lab's nodes."""
    result = psrunbook("run", "cluster-report", "--sim", "--yes", "--json")
    report = document(result.stdout, "run-report")
    tables = {t["title"]: t for t in report["report"]}
    nodes = tables["Nodes of SIMCLUSTER"]
    lab = psrunbook.lab_state()
    assert {n["name"]: n["state"] for n in lab["nodes"]} == {r[0]: r[1] for r in nodes["rows"]}
    assert {g["name"] for g in lab["groups"]} == {r[0] for r in tables["Groups"]["rows"]}
    assert ("run", "succeeded", 0) == (report["mode"], report["outcome"], report["changed"])


def test_runs_json_and_runs_show_json(psrunbook: Psrunbook) -> None:
    """runs --json lists what the journal holds; runs show --json every attempt with results."""
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    psrunbook("plan", "cluster-report", "--sim")
    plan_run, first_run = psrunbook.runs()

    listed = document(psrunbook("runs", "--json").stdout, "run-list")["runs"]
    assert [plan_run.run_id, first_run.run_id] == [r["run_id"] for r in listed]
    assert {("SIMCLUSTER", getpass.getuser(), "succeeded")} == {
        (r["cluster"], r["operator"], r["outcome"]) for r in listed
    }

    shown = document(psrunbook("runs", "show", first_run.run_id, "--json").stdout, "run")
    assert first_run.run_id == shown["run"]["run_id"]
    attempts = psrunbook.attempts(first_run.run_id)
    assert [(a.step_name, a.node, a.changed, a.result) for a in attempts] == [
        (a["step"], a["node"], a["changed"], a["result"]) for a in shown["attempts"]
    ]


def test_runs_show_gives_who_where_when_and_before_after(psrunbook: Psrunbook) -> None:
    """runs show names cluster, operator, times, and each change's before and after."""
    from psrunbook.cli.runbook_cmds import toml_value  # noqa: PLC0415  # a missing feature fails this test alone, not the module

    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    (run,) = psrunbook.runs()
    out = psrunbook("runs", "show", run.run_id).stdout
    assert f"cluster SIMCLUSTER; operator {getpass.getuser()} as {run.user}" in out
    assert f"started {run.started_at.isoformat()}" in out
    changed = [a for a in psrunbook.attempts(run.run_id) if a.changed]
    assert changed
    for attempt in changed:
        assert attempt.result is not None
        header = (
            f"{attempt.step_index:02d}-{attempt.step_name} on {attempt.node} (apply, succeeded):"
        )
        block = out.split(header, 1)[1].splitlines()
        after = attempt.result["After"]
        assert f"    after    {toml_value(after)}" in block[:4]
        # What is printed is TOML: it reads back as the journaled value.
        assert {"v": after} == tomllib.loads(f"v = {toml_value(after)}")
    # Real values, not JSON escapes: the shared folder as typed.
    assert "S:\\\\SSIS" not in out


def test_runs_show_prints_every_error_in_full(psrunbook: Psrunbook) -> None:
    """A failed step's errors are printed whole (no cut at 120 characters)."""
    psrunbook("run", "ssis-clustered", "--sim", "--yes", "-p", "group=Nope", expect=1)
    (run,) = psrunbook.runs()
    messages = [e["message"] for a in psrunbook.attempts(run.run_id) for e in a.errors]
    assert messages
    out = psrunbook("runs", "show", "last").stdout
    for message in messages:
        assert f"    error    {message}" in out


def test_runs_show_takes_last_and_unique_prefixes(psrunbook: Psrunbook) -> None:
    """`last` and a unique prefix name a run; an ambiguous prefix exits 2 with candidates."""
    psrunbook("plan", "cluster-report", "--sim")
    psrunbook("plan", "cluster-report", "--sim")
    newest, older = psrunbook.runs()
    common = next(
        i for i, (a, b) in enumerate(zip(newest.run_id, older.run_id, strict=True)) if a != b
    )

    last = document(psrunbook("runs", "show", "last", "--json").stdout, "run")
    assert newest.run_id == last["run"]["run_id"]
    for run in (newest, older):
        prefix = run.run_id[: common + 1]
        shown = document(psrunbook("runs", "show", prefix, "--json").stdout, "run")
        assert run.run_id == shown["run"]["run_id"]

    ambiguous = psrunbook("runs", "show", newest.run_id[:common], expect=2)
    assert "ambiguous" in ambiguous.stderr
    assert newest.run_id in ambiguous.stderr and older.run_id in ambiguous.stderr
    psrunbook("runs", "show", "zzz", expect=2)


def test_resume_takes_last(psrunbook: Psrunbook) -> None:
    """resume resolves `last` like runs show: here the newest run, which already succeeded."""
    psrunbook("plan", "cluster-report", "--sim")
    psrunbook("run", "cluster-report", "--sim", "--yes")
    newest, _ = psrunbook.runs()
    refused = psrunbook("resume", "last", "--sim", expect=2)
    assert newest.run_id in refused.stderr
    assert "already succeeded" in refused.stderr


def test_tab_completes_run_ids_and_last(psrunbook: Psrunbook) -> None:
    """Tab after `runs show` offers `last` and the journal's run ids that match."""
    from typer.testing import CliRunner  # noqa: PLC0415  # only this test drives the shell side

    from psrunbook.cli.app import app  # noqa: PLC0415

    psrunbook("plan", "cluster-report", "--sim")
    (run,) = psrunbook.runs()
    env = {
        "_PSRUNBOOK_COMPLETE": "complete_bash",
        "COMP_WORDS": f"psrunbook runs show --state-dir {psrunbook.state_dir} ",
        "COMP_CWORD": "5",
    }
    result = CliRunner().invoke(app, [], prog_name="psrunbook", env=env)
    assert ["last", run.run_id] == result.stdout.split()
    env["COMP_WORDS"] = f"psrunbook resume --state-dir {psrunbook.state_dir} {run.run_id[:6]}"
    env["COMP_CWORD"] = "4"
    result = CliRunner().invoke(app, [], prog_name="psrunbook", env=env)
    assert [run.run_id] == result.stdout.split()


def test_the_runs_groups_options_reach_its_commands(psrunbook: Psrunbook, tmp_path: Path) -> None:
    """`runs --state-dir D --json show last` reads D's journal and prints JSON (both were
    ignored: the command read PSRUNBOOK_STATE_DIR's journal and printed text)."""
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    (ours,) = psrunbook.runs()
    other = {"PSRUNBOOK_STATE_DIR": str(tmp_path / "other")}
    shown = psrunbook("runs", "--state-dir", str(psrunbook.state_dir), "--json", "show", "last",
                      env=other)  # fmt: skip
    assert ours.run_id == document(shown.stdout, "run")["run"]["run_id"]
    report = psrunbook("runs", "--state-dir", str(psrunbook.state_dir), "report", "last", env=other)
    assert f"run {ours.run_id}" in report.stdout
    twice = psrunbook("runs", "--state-dir", str(psrunbook.state_dir), "show", "last",
                      "--state-dir", str(tmp_path), expect=2)  # fmt: skip
    assert "--state-dir is given twice" in twice.stderr
    no_json = psrunbook("runs", "--json", "report", "last", expect=2)
    assert "--json does not apply to `runs report`" in no_json.stderr


def test_runs_unhold_takes_last_and_a_prefix_as_every_run_argument_does(
    psrunbook: Psrunbook,
) -> None:
    psrunbook("run", "cluster-report", "--sim", "--yes")
    (run,) = psrunbook.runs()
    for reference in ("last", run.run_id[:-2]):
        held = psrunbook("runs", "unhold", reference)
        assert f"run {run.run_id} holds nothing" in held.stdout
