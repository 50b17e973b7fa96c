"""8. Fleet: many clusters, many workers, on DBOS and a real PostgreSQL.

Two figures, each from variants measured side by side in one run:

* **Scaling** (``fleet_speedup_4_workers``, goal >= 3). ``ssis-clustered`` queued on N
  simulated 2-node clusters (100 in the full profile) with 20 ms injected at every
  request (the endpoint's ``delay`` fault), executed by 1 worker, then by 4 (each
  ``--concurrency 4``); the time from starting the workers to the last run ending. Each
  variant has a fresh database and fresh clusters. Per cluster, the journal's run
  windows and the lab's stamped change log prove no two changing runs overlapped
  (``fleet_overlaps``, goal 0, exact).
* **Per-step overhead** (``fleet_step_overhead_ms``, goal < 10 ms a step). The same run
  on one fresh cluster at 0 ms, journaled in PostgreSQL: through ``psrunbook run`` (the
  local path) and through ``submit`` and one worker (the fleet path), each in its own
  process. Each is timed from its first attempt's start to the run's journaled end, so
  queueing and process start-up are left out; the difference over the steps run.

The clusters are served by this process (the workers are separate processes, so they do
not compete with it for the interpreter lock, but they share the machine's cores).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import Figure, Profile, Section, absolute_goal, median, ratio_goal
from psrunbook.journal_model import RunJournal, RunRecord
from psrunbook.journal_open import open_journal
from psrunbook.runbooks._ssis.lab import clustered_defaults
from psrunbook.sim.lab.cluster_fleet import ClusterFleet, overlaps, start_clusters
from psrunbook.sim.lab.lab_files import lab_facts
from tests.support.postgres_server import PostgresServer, running_server

PSRUNBOOK = Path(sys.executable).with_name("psrunbook")
PASSWORD = "bench-fleet-password"
CLUSTERS = {"full": 100, "quick": 24, "smoke": 4}
WORKER_CONCURRENCY = 1
WAIT_S = 1800.0


def _env(url: str, state: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PSRUNBOOK_JOURNAL": url,
        "PSRUNBOOK_STATE_DIR": str(state),
        "PSRUNBOOK_SIM_PASSWORD": PASSWORD,
    }


def _params(fleet: ClusterFleet, path: Path) -> Path:
    values = clustered_defaults(lab_facts(fleet.clusters[0].cluster), {})
    lines = [f"{key} = {json.dumps(value)}" for key, value in values.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _submit(url: str, tmp: Path, inventories: Path, params: Path) -> list[str]:
    """``psrunbook submit``: every inventory of a folder, or the one file given."""
    done = subprocess.run(
        [
            str(PSRUNBOOK),
            "submit",
            "ssis-clustered",
            "--inventory-dir" if inventories.is_dir() else "-i",
            str(inventories),
            "--params-file",
            str(params),
            "--json",
        ],
        env=_env(url, tmp / "state"),
        capture_output=True,
        text=True,
        check=True,
    )
    return [run["run_id"] for run in json.loads(done.stdout)["runs"]]


@contextmanager
def _workers(url: str, tmp: Path, count: int) -> Iterator[None]:
    processes = [
        subprocess.Popen(
            [
                str(PSRUNBOOK),
                "worker",
                "--id",
                f"bench-{i}",
                "--concurrency",
                str(WORKER_CONCURRENCY),
                "--takeover-after",
                "0",
            ],
            env=_env(url, tmp / "state"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(count)
    ]
    try:
        yield
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process in processes:
            process.wait(60)


def _ready(url: str, workers: int) -> None:
    """Wait until every worker has launched (its first heartbeat row is written)."""
    import psycopg

    from psrunbook.fleet.heartbeats import TABLE

    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        with psycopg.connect(url) as conn:
            exists = conn.execute("SELECT to_regclass(%s)", (TABLE,)).fetchone()
            found = (
                exists and exists[0] and conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()
            )
        if found and found[0] >= workers:
            return
        time.sleep(0.2)
    raise RuntimeError(f"{workers} workers did not start within {WAIT_S:g} s")


def _ended(journal: RunJournal, run_ids: list[str]) -> list[RunRecord]:
    deadline = time.monotonic() + WAIT_S
    while True:
        records = [journal.run(r) for r in run_ids]
        if all(r.outcome for r in records):
            return records
        if time.monotonic() > deadline:
            raise RuntimeError(f"fleet runs did not end within {WAIT_S:g} s")
        time.sleep(0.2)


def _window(journal: RunJournal, run_id: str) -> tuple[float, float]:
    attempts = journal.attempts(run_id)
    start = min(a.started_at for a in attempts).timestamp()
    end = max(a.finished_at for a in attempts if a.finished_at).timestamp()
    return start, end


def _fleet_once(server: PostgresServer, clusters: int, workers: int) -> dict[str, Any]:
    """Queue ``clusters`` runs, execute them with ``workers`` workers: seconds, overlaps."""
    url = server.url(server.create_database())
    try:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            with start_clusters(
                clusters,
                nodes=2,
                password=PASSWORD,
                inventory_dir=tmp / "inv",
                latency_s=0.020,
                time_scale=0.0,
            ) as fleet:
                params = _params(fleet, tmp / "p.toml")
                journal = open_journal(url)
                try:
                    with _workers(url, tmp, workers):
                        _ready(url, workers)
                        submitting = time.monotonic()
                        run_ids = _submit(url, tmp, tmp / "inv", params)
                        submit_s = time.monotonic() - submitting
                        records = _ended(journal, run_ids)
                    windows = [_window(journal, r) for r in run_ids]
                    # First attempt to last end, every worker up before: start-up is not
                    # what scales, and on 2 cores it would slow the others' runs.
                    elapsed = max(w[1] for w in windows) - min(w[0] for w in windows)
                    problems = _problems(journal, fleet, records)
                finally:
                    journal.close()
        failed = sum(1 for r in records if r.outcome != "succeeded")
        return {
            "seconds": elapsed,
            "submit_s": submit_s,
            "overlaps": len(problems),
            "failed": failed,
        }
    finally:
        server.drop_database(url.rsplit("/", 1)[1].split("?")[0])


def _problems(journal: RunJournal, fleet: ClusterFleet, records: list[RunRecord]) -> list[str]:
    problems = []
    for served in fleet.clusters:
        windows = [
            (*_window(journal, r.run_id), r.run_id) for r in records if r.cluster == served.name
        ]
        problems += overlaps(served.changes(), windows)
    return problems


def _run_locally(url: str, tmp: Path, inventory: Path, params: Path) -> str:
    """``psrunbook run`` in its own process, as the worker is: the run id it journaled.

    In this process the run would share the interpreter lock with the simulated
    clusters this process serves, and the local path would look slower than it is.
    """
    done = subprocess.run(
        [
            str(PSRUNBOOK),
            "run",
            "ssis-clustered",
            "-i",
            str(inventory),
            "--params-file",
            str(params),
            "--yes",
            "--json",
        ],
        env=_env(url, tmp / "state"),
        capture_output=True,
        text=True,
        check=True,
    )
    run_id: str = json.loads(done.stdout)["run_id"]
    return run_id


def _local_and_fleet_step_s(server: PostgresServer) -> tuple[float, float, int]:
    """Seconds per step of one run, local path and fleet path, on fresh clusters at 0 ms."""
    url = server.url(server.create_database())
    try:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            with start_clusters(
                2, nodes=2, password=PASSWORD, inventory_dir=tmp / "inv", time_scale=0.0
            ) as fleet:
                params = _params(fleet, tmp / "p.toml")
                local, remote = fleet.clusters
                journal = open_journal(url)
                try:
                    assert local.inventory_path is not None
                    local_id = _run_locally(url, tmp, local.inventory_path, params)
                    steps = len({a.step_index for a in journal.attempts(local_id)})
                    local_s = _span(journal, local_id)
                    assert remote.inventory_path is not None
                    (run_id,) = _submit(url, tmp, remote.inventory_path, params)
                    with _workers(url, tmp, 1):
                        _ended(journal, [run_id])
                    fleet_s = _span(journal, run_id)
                finally:
                    journal.close()
        return local_s / steps, fleet_s / steps, steps
    finally:
        server.drop_database(url.rsplit("/", 1)[1].split("?")[0])


def _span(journal: RunJournal, run_id: str) -> float:
    start, _ = _window(journal, run_id)
    finished = journal.run(run_id).finished_at
    assert finished is not None
    return finished.timestamp() - start


def measure(profile: Profile) -> Section:
    section = Section("fleet")
    clusters = CLUSTERS.get(profile.name, 100)
    with running_server() as server:
        one = _fleet_once(server, clusters, 1)
        four = _fleet_once(server, clusters, 4)
        overhead = [_local_and_fleet_step_s(server) for _ in range(max(1, profile.full_runs))]
    speedup = one["seconds"] / four["seconds"]
    section.figures.append(
        Figure(
            "fleet_speedup_4_workers",
            f"ssis-clustered on {clusters} clusters x 2 nodes at 20 ms: 1 worker / 4 workers "
            f"(each --concurrency {WORKER_CONCURRENCY})",
            speedup,
            "x",
            ratio_goal(">=", 3.0, "issue 17"),
            f"1 worker {one['seconds']:.1f} s, 4 workers {four['seconds']:.1f} s",
        )
    )
    section.figures.append(
        Figure(
            "fleet_overlaps",
            "changing runs that overlapped on one cluster (journal windows, lab change log)",
            one["overlaps"] + four["overlaps"],
            "",
            ratio_goal("<=", 0, "issue 17: one changing run per cluster at a time"),
            f"failed runs: {one['failed'] + four['failed']}",
        )
    )
    local = median([o[0] for o in overhead])
    remote = median([o[1] for o in overhead])
    section.figures.append(
        Figure(
            "fleet_step_overhead_ms",
            "fleet path over local path, per step (one run, 0 ms, PostgreSQL journal)",
            (remote - local) * 1000,
            "ms",
            absolute_goal("<", 10.0, "issue 17"),
            f"local {local * 1000:.1f} ms/step, fleet {remote * 1000:.1f} ms/step, "
            f"{overhead[0][2]} steps, median of {len(overhead)}",
        )
    )
    section.raw = {"one_worker": one, "four_workers": four, "per_step_s": overhead}
    return section
