"""A fleet in a test: real PostgreSQL, simulated clusters, the real CLI in subprocesses.

The journal and DBOS's tables share one fresh PostgreSQL database per test (the
``postgres_url`` fixture: a real server started by the tests). Clusters are served in
the test process (:func:`psrunbook.sim.lab.cluster_fleet.start_clusters`) so the test
can read their change logs and hold a pipeline; every ``psrunbook`` command, workers
included, is the installed console script in its own process, so a worker can be
SIGKILLed like a machine that died.

Nothing here sleeps to synchronise: :meth:`Fleet.wait_for` polls the journal (or the
fleet's state) with a bound, and fails naming what it waited for and what it saw. The
test reads through one journal connection and one DBOS client, opened on first use and
kept for the test: every read is its own autocommitted statement (a fresh snapshot), so
a kept connection sees what a new one would, without a new PostgreSQL backend, a schema
check and a client's set-up (about 70 ms of the machine's two cores) ten times a second
while the workers under test need the CPU.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psrunbook.journal_model import AttemptRecord, DecisionRecord, RunJournal, RunRecord
from psrunbook.journal_open import open_journal

if TYPE_CHECKING:
    from psrunbook.fleet.dbos_engine import DbosEngine

PSRUNBOOK = Path(sys.executable).with_name("psrunbook")
WAIT_S = 120.0
"""Bound of every wait: generous (a loaded 2-core machine), never a timing assertion."""
POLL_S = 0.1
PASSWORD = "fleet-test-password"


@dataclass
class WorkerProcess:
    """One ``psrunbook worker`` process; its JSON log lines are in ``log``."""

    worker_id: str
    process: subprocess.Popen[str]
    log: Path

    def kill(self) -> None:
        """SIGKILL: the machine is gone; nothing it had running is recorded as ended."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(WAIT_S)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(WAIT_S)

    def events(self) -> list[dict[str, Any]]:
        lines = self.log.read_text(encoding="utf-8").splitlines() if self.log.exists() else []
        return [json.loads(line) for line in lines if line.startswith("{")]


@dataclass
class Fleet:
    """The commands of one test's fleet, bound to its journal and state directory."""

    tmp: Path
    journal_url: str
    workers: list[WorkerProcess] = field(default_factory=list)
    _journal: RunJournal | None = field(default=None, init=False, repr=False)
    _engine: DbosEngine | None = field(default=None, init=False, repr=False)

    @property
    def state_dir(self) -> Path:
        return self.tmp / "state"

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PSRUNBOOK_STATE_DIR": str(self.state_dir),
            "PSRUNBOOK_JOURNAL": self.journal_url,
            "PSRUNBOOK_SIM_PASSWORD": PASSWORD,
        }

    def cli(self, *args: str, expect: int | None = 0) -> subprocess.CompletedProcess[str]:
        """Run one command to its end; fail the test on an unexpected exit code."""
        done = subprocess.run(
            [str(PSRUNBOOK), *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=WAIT_S,
            check=False,
        )
        if expect is not None:
            assert expect == done.returncode, (
                f"psrunbook {' '.join(args)}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
            )
        return done

    def submit(self, *args: str) -> list[str]:
        """``psrunbook submit ... --json``: the run ids, in inventory order."""
        done = self.cli("submit", *args, "--json")
        return [run["run_id"] for run in json.loads(done.stdout)["runs"]]

    def worker(self, worker_id: str, *args: str) -> WorkerProcess:
        log = self.tmp / f"worker-{worker_id}-{len(self.workers)}.jsonl"
        with log.with_suffix(".stderr").open("w", encoding="utf-8") as stderr:
            process = subprocess.Popen(
                [
                    str(PSRUNBOOK),
                    "--log-format",
                    "json",
                    "--log-file",
                    str(log),
                    "worker",
                    "--id",
                    worker_id,
                    *args,
                ],
                env=self.env(),
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                text=True,
            )
        started = WorkerProcess(worker_id, process, log)
        self.workers.append(started)
        return started

    def close(self) -> None:
        for worker in self.workers:
            if worker.process.poll() is None:
                worker.kill()
        if self._journal is not None:
            self._journal.close()
            self._journal = None
        if self._engine is not None:
            self._engine.close()
            self._engine = None

    # ------------------------------------------------------------------ journal

    def journal(self) -> Iterator[RunJournal]:
        """The test's journal connection (``for journal in fleet.journal(): ...``)."""
        if self._journal is None:
            self._journal = open_journal(self.journal_url)
        yield self._journal

    def run(self, run_id: str) -> RunRecord:
        for journal in self.journal():
            return journal.run(run_id)
        raise AssertionError("unreachable")

    def attempts(self, run_id: str) -> list[AttemptRecord]:
        for journal in self.journal():
            return journal.attempts(run_id)
        raise AssertionError("unreachable")

    def decisions(self, run_id: str) -> list[DecisionRecord]:
        for journal in self.journal():
            return journal.decisions(run_id)
        raise AssertionError("unreachable")

    def states(self, run_ids: Iterable[str]) -> dict[str, str]:
        """Each run's fleet state, as ``runs --json`` shows it."""
        if self._engine is None:
            from psrunbook.fleet.dbos_engine import DbosEngine  # noqa: PLC0415 (DBOS loads on use)
            from psrunbook.fleet.location import fleet_database_url  # noqa: PLC0415 (as above)

            # The URL as the fleet commands give it to DBOS (libpq's own reading of it).
            self._engine = DbosEngine(fleet_database_url(self.state_dir, self.journal_url))
        statuses = self._engine.status(list(run_ids))
        return {run_id: status.state for run_id, status in statuses.items()}

    def settled_states(self, run_ids: list[str]) -> dict[str, str]:
        """:meth:`states` once no run is ``running`` any more (at most :data:`WAIT_S`).

        A worker journals a run's outcome from inside the run's workflow, and DBOS records
        the workflow's end just after: read at once, a run whose outcome is journaled can
        still be running for a moment.
        """
        settled: dict[str, str] = self.wait_for(
            f"runs {run_ids} to stop running",
            lambda: self.states(run_ids),
            lambda states: "running" not in states.values(),
        )
        return settled

    def wait_for(self, what: str, seen: Callable[[], Any], done: Callable[[Any], bool]) -> Any:
        """Poll ``seen()`` until ``done`` says yes, at most :data:`WAIT_S`; fail naming both."""
        deadline = time.monotonic() + WAIT_S
        value = seen()
        while not done(value):
            if time.monotonic() > deadline:
                dead = [w.worker_id for w in self.workers if w.process.poll() not in (None, -9)]
                raise AssertionError(
                    f"waited {WAIT_S:g} s for {what}; last seen: {value!r}; "
                    f"workers that exited on their own: {dead}"
                )
            time.sleep(POLL_S)
            value = seen()
        return value

    def wait_outcomes(self, run_ids: list[str], outcome: str = "succeeded") -> list[RunRecord]:
        """Wait until every run has a journaled outcome; it must be ``outcome``."""

        def records() -> list[RunRecord]:
            return [self.run(r) for r in run_ids]

        found: list[RunRecord] = self.wait_for(
            f"runs {run_ids} to end", records, lambda rs: all(r.outcome for r in rs)
        )
        assert [outcome] * len(run_ids) == [r.outcome for r in found], found
        return found

    def wait_state(self, run_id: str, state: str) -> None:
        self.wait_for(
            f"run {run_id} to be {state!r}",
            lambda: self.states([run_id]).get(run_id),
            lambda s: s == state,
        )
