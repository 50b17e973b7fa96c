"""8. The shared journal: what a step costs on PostgreSQL against the local SQLite file.

Issue 17's goal: the fleet path's overhead under 10 ms a step on PostgreSQL. Both
journals are measured side by side, alternating, in one process:

- the journal alone: a step's two commits (``begin_attempt`` durable before the script
  is sent, ``finish_attempt``), the same probe as measurement 1's "journal" variant;
- psrunbook's whole per-step work with the node's answer replayed (result parsing, the
  journal, the ``step.finished`` event), once on each journal: the difference is what
  the shared journal adds to a step.

The server is a real PostgreSQL started for the benchmark with production's durability
(fsync and synchronous commits on; the tests' server turns them off), reached over its
Unix socket, so the figure has no network in it. ``PSRUNBOOK_BENCH_PG_URL`` measures
against another server instead (a database the benchmark may create tables in): across
a network each commit costs at least one more round trip, see docs/scale.md.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from bench.common import Figure, Profile, Section, absolute_goal, alternate, median
from bench.driver import plan_for, probe_runbook, psrunbook_runner, same_steps
from bench.fleet import remote_lab
from bench.step_overhead import JournalProbe, replay_transport
from psrunbook.journal import Journal
from psrunbook.journal_postgres import PostgresJournal
from psrunbook.templates import TemplateLibrary
from tests.support.postgres_server import running_server

URL_ENV = "PSRUNBOOK_BENCH_PG_URL"


@contextlib.contextmanager
def postgres_url() -> Iterator[tuple[str, str]]:
    """A database to journal in, and where it is (for the figure's detail)."""
    given = os.environ.get(URL_ENV, "").strip()
    if given:
        yield given, f"the server of {URL_ENV}"
        return
    with running_server(durable=True) as server:
        yield server.url(server.create_database("bench")), "a local server, Unix socket, fsync on"


def measure(profile: Profile) -> Section:
    section = Section("journal backends")
    library = TemplateLibrary()
    with (
        remote_lab(1) as lab,
        tempfile.TemporaryDirectory() as tmp,
        postgres_url() as (url, where),
        Journal.open(Path(tmp) / "sqlite") as sqlite,
        PostgresJournal.open(url) as shared,
    ):
        plan = plan_for(probe_runbook(same_steps(profile.steps)), lab, library)
        steps = len(plan.steps)
        replay = replay_transport(lab, plan)
        work = Path(tmp)
        (work / "a").mkdir()
        (work / "b").mkdir()
        with (
            psrunbook_runner(lab, work / "a", sqlite) as on_sqlite,
            psrunbook_runner(lab, work / "b", shared) as on_postgres,
        ):
            probes = {"sqlite": JournalProbe(sqlite), "postgres": JournalProbe(shared)}
            samples = alternate(
                {
                    "sqlite_journal": lambda: probes["sqlite"].steps(steps),
                    "postgres_journal": lambda: probes["postgres"].steps(steps),
                    "sqlite_step": lambda: on_sqlite.run(plan, transport=replay),
                    "postgres_step": lambda: on_postgres.run(plan, transport=replay),
                },
                profile.repetitions,
                warmup=profile.warmup,
            )
    ms = {name: median(values) / steps * 1000 for name, values in samples.items()}
    overhead = ms["postgres_step"] - ms["sqlite_step"]
    section.figures += [
        Figure(
            "journal_pg_step_ms",
            "a step's two journal commits on PostgreSQL",
            ms["postgres_journal"],
            "ms",
            absolute_goal("<", 10, "issue 17"),
            f"SQLite {ms['sqlite_journal']:.2f} ms; {where}; {steps} steps per run",
        ),
        Figure(
            "journal_pg_overhead_step_ms",
            "psrunbook's per-step work, PostgreSQL journal minus SQLite journal",
            overhead,
            "ms",
            absolute_goal("<", 10, "issue 17"),
            f"{ms['postgres_step']:.2f} ms vs {ms['sqlite_step']:.2f} ms per step, node's "
            "answer replayed (parsing, journal, log event)",
        ),
    ]
    section.raw = {"steps_per_run": steps, "per_step_ms": ms, "samples_s": samples, "where": where}
    return section
