"""Two reviewers deciding one run at the same moment: the journal decides who was first.

`approve` and `reject` read the run's state, then sent the decision to the run's gate
and journaled it. Two commands that both read "awaiting approval" before either
journaled both succeeded: both decisions were journaled and logged and both reviewers
were told so, while the gate acted only on the first message it received (one reviewer
was told "rejected" about a run that ran). A decision is now journaled only if the run
has none yet, atomically, and sent only once journaled: the second reviewer exits 2
naming who decided what and when. The same reviewer's same decision taken again is sent
again (a command that died between journaling and sending is recovered that way).

The interleaving is made, not waited for: Alice's command runs in this process, and
Bob's whole `reject` runs (as its own process) right after Alice's command read the
run's decisions, before it records anything.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

import psrunbook.fleet.status as fleet_status
from psrunbook.fleet.status import Decided
from psrunbook.journal_model import DecisionRecord, RunJournal
from psrunbook.journal_open import open_journal
from psrunbook.logging import os_user
from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.conftest import Psrunbook
from tests.integration.fleet.harness import PASSWORD, PSRUNBOOK, WAIT_S, Fleet

ALICE = {"USER": "alice", "LOGNAME": "alice"}
BOB = {"USER": "bob", "LOGNAME": "bob"}


@pytest.fixture(autouse=True)
def operator_read_afresh() -> Iterator[None]:
    """The operator's login is read once per process (``logging.os_user``, cached: it
    cannot change under a running psrunbook). These tests run reviewers' commands in
    this process under other logins: each reads its own, and none is left cached for
    the tests after them (a later test's events named "alice" as the process user)."""
    os_user.cache_clear()
    yield
    os_user.cache_clear()


@pytest.fixture(params=["sqlite", "postgres"])
def journal_url(request: pytest.FixtureRequest) -> str:
    """The journal the reviewers share: the local file (and fleet.sqlite3), or PostgreSQL."""
    if request.param == "sqlite":
        return ""
    url: str = request.getfixturevalue("postgres_url")
    return url


def _env(psrunbook: Psrunbook, journal_url: str, who: dict[str, str]) -> dict[str, str]:
    return {"PSRUNBOOK_SIM_PASSWORD": PASSWORD, "PSRUNBOOK_JOURNAL": journal_url, **who}


def _journal(psrunbook: Psrunbook, journal_url: str) -> Iterator[RunJournal]:
    with open_journal(journal_url or None, state_dir=psrunbook.state_dir) as journal:
        yield journal


def _submit_for_approval(
    psrunbook: Psrunbook, journal_url: str, inventory: Path, params: Path
) -> tuple[str, str]:
    done = psrunbook(
        "submit", "ssis-clustered", "-i", str(inventory), "--params-file", str(params),
        "--require-approval", "--json", env=_env(psrunbook, journal_url, ALICE),
    )  # fmt: skip
    (run,) = json.loads(done.stdout)["runs"]
    assert "awaiting approval" == run["state"]
    return run["run_id"], run["review_sha256"]


def _bobs_reject(psrunbook: Psrunbook, journal_url: str, run_id: str) -> None:
    """Bob's `reject`, its own process, to its end (it is first: exit 0)."""
    done = subprocess.run(
        [str(PSRUNBOOK), "reject", run_id, "--reason", "not in this window"],
        env={
            **os.environ,
            "PSRUNBOOK_STATE_DIR": str(psrunbook.state_dir),
            **_env(psrunbook, journal_url, BOB),
        },
        capture_output=True,
        text=True,
        timeout=WAIT_S,
        check=False,
    )
    assert 0 == done.returncode, done.stderr
    assert f"rejected run {run_id} as bob" in done.stdout


def test_the_second_of_two_reviewers_deciding_at_once_is_refused_naming_the_first(
    psrunbook: Psrunbook,
    clusters: ClusterFleet,
    ssis_params: Path,
    journal_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Alice's `approve` reads "awaiting approval" and no decision; Bob's `reject` then
    runs to its end; Alice's command, going on from its read, exits 2 naming Bob, his
    rejection and when, with nothing journaled, logged as approved or sent for her."""
    served = clusters.clusters[0]
    assert served.inventory_path is not None
    run_id, sha256 = _submit_for_approval(
        psrunbook, journal_url, served.inventory_path, ssis_params
    )
    reads: list[str] = []
    first_decision = fleet_status.first_decision

    def read_then_bob_decides(journal: RunJournal) -> Decided:
        read = first_decision(journal)

        def decided(run: str) -> DecisionRecord | None:
            found = read(run)
            if not reads:  # Alice's command has read; Bob decides before she records
                reads.append(run)
                _bobs_reject(psrunbook, journal_url, run)
            return found

        return decided

    monkeypatch.setattr(fleet_status, "first_decision", read_then_bob_decides)

    alices = psrunbook(
        "--log-format", "json", "approve", run_id, "--sha256", sha256,
        env=_env(psrunbook, journal_url, ALICE), expect=2,
    )  # fmt: skip

    assert [run_id] == reads
    for journal in _journal(psrunbook, journal_url):
        [bobs] = journal.decisions(run_id)
    assert ("rejected", "bob", "not in this window") == (bobs.verdict, bobs.decided_by, bobs.reason)
    assert (
        f"run {run_id} is rejected, not awaiting approval: it was already rejected by bob "
        f"at {bobs.decided_at.isoformat()}"
    ) in alices.stderr
    assert "neither journaled nor sent" in alices.stderr
    assert "approved run" not in alices.stdout
    events = [json.loads(line) for line in alices.stderr.splitlines() if line.startswith("{")]
    assert ["run.decision_refused"] == [e["event"]["action"] for e in events]
    assert ("approve", "rejected", "bob", "failure") == (
        events[0]["psrunbook"]["given_verdict"],
        events[0]["psrunbook"]["decision"],
        events[0]["psrunbook"]["decided_by"],
        events[0]["event"]["outcome"],
    )
    assert [] == served.changes()


def test_a_decision_after_anothers_is_refused_naming_who_decided_what_and_when(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path
) -> None:
    """Bob rejected; Alice's `approve` afterwards exits 2 naming Bob's rejection."""
    served = clusters.clusters[0]
    assert served.inventory_path is not None
    run_id, sha256 = _submit_for_approval(psrunbook, "", served.inventory_path, ssis_params)
    _bobs_reject(psrunbook, "", run_id)

    alices = psrunbook(
        "approve", run_id, "--sha256", sha256, env=_env(psrunbook, "", ALICE), expect=2
    )

    for journal in _journal(psrunbook, ""):
        [bobs] = journal.decisions(run_id)
    assert f"it was already rejected by bob at {bobs.decided_at.isoformat()}" in alices.stderr
    assert "Traceback" not in alices.output


def test_the_same_decision_again_is_sent_again_and_the_run_runs(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Alice's approval was journaled and never sent (her command died in between): her
    `approve` again sends it, as first journaled; a worker then runs the run, and the
    journal keeps that one approval."""
    served = clusters.clusters[0]
    assert served.inventory_path is not None
    done = fleet.cli(
        "submit", "ssis-clustered", "-i", str(served.inventory_path),
        "--params-file", str(ssis_params), "--require-approval", "--json",
    )  # fmt: skip
    (run,) = json.loads(done.stdout)["runs"]
    run_id, sha256 = run["run_id"], run["review_sha256"]
    for journal in fleet.journal():
        first = journal.record_first_decision(
            run_id,
            verdict="approved",
            decided_by="alice",
            decided_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
            bundle_sha256=sha256,
        )
    for name, value in ALICE.items():  # fleet.cli passes this process's environment on
        monkeypatch.setenv(name, value)

    again = fleet.cli("approve", run_id, "--sha256", sha256)

    assert f"approved run {run_id} (sha256 {sha256}) as alice at 2026-01-02T03:04:05Z" in (
        again.stdout
    )
    fleet.worker("w1")
    fleet.wait_outcomes([run_id])
    assert [first] == fleet.decisions(run_id)
