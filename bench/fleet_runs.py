"""8. Fleet: many clusters, many workers, on DBOS and a real PostgreSQL.

Two figures, each from variants measured side by side in one run:

* **Scaling** (``fleet_speedup_4_workers``, goal >= 3). ``ssis-clustered`` queued on N
  simulated 2-node clusters (100 in the full profile) with 20 ms injected at every
  request (the endpoint's ``delay`` fault), executed by 1 worker, then by 4, each
  ``--concurrency 1``: the issue asks what adding workers (machines) buys, so the worker
  count is the one thing that changes and 4 workers execute 4 runs at once where 1
  executes 1. (With each worker's default ``--concurrency 4``, 1 worker would already
  run 4 at once and 4 workers 16, on the 2 cores that also serve the clusters and
  PostgreSQL: a measure of the machine, not of the workers.) The time is the journal's
  first attempt start to its last end, every worker up before ``submit``. Each variant
  has a fresh database and fresh clusters. Per cluster, the journal's run windows and
  the lab's stamped change log prove no two changing runs overlapped (``fleet_overlaps``,
  goal 0, exact). Each variant also reports CPU seconds per run by component (workers,
  simulator, PostgreSQL, ``submit``) and the load average, the evidence for a CPU-bound
  figure: ``k`` workers on ``n`` cores are at most ``min(k, n (L + C) / C)`` times
  faster than one, ``L`` a run's wall time at 1 worker and ``C`` its CPU.
* **Per-step overhead** (``fleet_step_overhead_ms``, goal < 10 ms a step). The same run
  on one fresh cluster at 0 ms, journaled in PostgreSQL: through ``psrunbook run`` (the
  local path) and through ``submit`` and one worker (the fleet path), each in its own
  process. Each is timed from its first attempt's start to the run's journaled end, so
  queueing and process start-up are left out; the difference over the steps run.

The scaling variants' clusters are served by one process per core
(:mod:`psrunbook.sim.lab.cluster_groups`), so the simulator is not one interpreter lock
for every cluster; the per-step overhead's two clusters are served by this process. All
of them share the machine's cores with the workers and PostgreSQL.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from bench.common import Figure, Profile, Section, absolute_goal, median, ratio_goal
from bench.fleet_cpu import load_average, per_run, postgres_cpu_s, total_cpu_s
from psrunbook.journal_model import RunJournal, RunRecord
from psrunbook.journal_open import open_journal
from psrunbook.runbooks._ssis.lab import clustered_defaults
from psrunbook.sim.lab.cluster_fleet import overlaps, start_clusters
from psrunbook.sim.lab.cluster_groups import start_cluster_groups
from psrunbook.sim.lab.lab_files import build_lab, lab_facts, sample_spec
from tests.support.postgres_server import PostgresServer, running_server

PSRUNBOOK = Path(sys.executable).with_name("psrunbook")
PASSWORD = "bench-fleet-password"
CLUSTERS = {"full": 100, "quick": 24, "smoke": 4}
WORKER_CONCURRENCY = 1
"""Each worker's ``--concurrency``: the same in both variants, so workers are what scales."""
SIM_PROCESSES = max(2, os.cpu_count() or 2)
WAIT_S = 1800.0


class _Served(Protocol):
    name: str
    inventory_path: Path | None

    def changes(self) -> list[tuple[float, str, str, str]]: ...


def _env(url: str, state: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PSRUNBOOK_JOURNAL": url,
        "PSRUNBOOK_STATE_DIR": str(state),
        "PSRUNBOOK_SIM_PASSWORD": PASSWORD,
    }


def _params(path: Path) -> Path:
    """The runbook's parameters for the sample lab (the same for every cluster of a fleet)."""
    values = clustered_defaults(lab_facts(build_lab(sample_spec(2, "2019"))), {})
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
def _workers(url: str, tmp: Path, count: int) -> Iterator[list[int]]:
    """``count`` workers started; yields their process ids."""
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
        yield [process.pid for process in processes]
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
    """Every run's record once all have ended. One query a poll (the database holds this
    measurement's runs only), every half second: the benchmark's polling is CPU of this
    machine's and of PostgreSQL's (a query per run every 0.2 s was 0.05 s a run)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        found = {r.run_id: r for r in journal.runs(limit=len(run_ids) + 100)}
        records = [found.get(r) for r in run_ids]
        if all(r is not None and r.outcome for r in records):
            return [r for r in records if r is not None]
        if time.monotonic() > deadline:
            raise RuntimeError(f"fleet runs did not end within {WAIT_S:g} s")
        time.sleep(0.5)


def _window(journal: RunJournal, run_id: str) -> tuple[float, float]:
    attempts = journal.attempts(run_id)
    start = min(a.started_at for a in attempts).timestamp()
    end = max(a.finished_at for a in attempts if a.finished_at).timestamp()
    return start, end


def _fleet_once(server: PostgresServer, clusters: int, workers: int) -> dict[str, Any]:
    """Queue ``clusters`` runs, execute them with ``workers`` workers: seconds, overlaps,
    CPU seconds per run by component, load average."""
    url = server.url(server.create_database())
    try:
        with tempfile.TemporaryDirectory() as name:
            tmp = Path(name)
            with start_cluster_groups(
                clusters,
                processes=SIM_PROCESSES,
                nodes=2,
                password=PASSWORD,
                inventory_dir=tmp / "inv",
                latency_s=0.020,
                time_scale=0.0,
            ) as fleet:
                params = _params(tmp / "p.toml")
                journal = open_journal(url)
                try:
                    with _workers(url, tmp, workers) as pids:
                        _ready(url, workers)

                        def cpu() -> dict[str, float]:
                            return {
                                "workers": total_cpu_s(pids),
                                "simulator": total_cpu_s(fleet.pids),
                                "postgres": postgres_cpu_s(server.data_dir),
                                "bench": _own_cpu_s(),
                            }

                        before = cpu()
                        load_before = load_average()
                        submitting = time.monotonic()
                        children = resource.getrusage(resource.RUSAGE_CHILDREN)
                        run_ids = _submit(url, tmp, tmp / "inv", params)
                        submit_cpu_s = _cpu_of(resource.getrusage(resource.RUSAGE_CHILDREN))
                        submit_cpu_s -= _cpu_of(children)
                        submit_s = time.monotonic() - submitting
                        records = _ended(journal, run_ids)
                        after = cpu()
                        load = load_average()
                    windows = [_window(journal, r) for r in run_ids]
                    # First attempt to last end, every worker up before: start-up is not
                    # what scales, and on 2 cores it would slow the others' runs.
                    elapsed = max(w[1] for w in windows) - min(w[0] for w in windows)
                    problems = _problems(journal, fleet.clusters, records)
                finally:
                    journal.close()
        failed = sum(1 for r in records if r.outcome != "succeeded")
        cpu_per_run = {**per_run(before, after, len(run_ids)), "submit": submit_cpu_s / clusters}
        return {
            "seconds": elapsed,
            "submit_s": submit_s,
            "overlaps": len(problems),
            "failed": failed,
            "cpu_per_run_s": {k: round(v, 4) for k, v in cpu_per_run.items()},
            "load_average": load,
            "load_average_before": load_before,
        }
    finally:
        server.drop_database(url.rsplit("/", 1)[1].split("?")[0])


def _cpu_of(usage: resource.struct_rusage) -> float:
    return usage.ru_utime + usage.ru_stime


def _own_cpu_s() -> float:
    """This process's CPU (polling the journal; nothing else runs here meanwhile)."""
    return _cpu_of(resource.getrusage(resource.RUSAGE_SELF))


def _problems(
    journal: RunJournal, clusters: Sequence[_Served], records: list[RunRecord]
) -> list[str]:
    problems = []
    for served in clusters:
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
                params = _params(tmp / "p.toml")
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
            f"1 worker {one['seconds']:.1f} s, 4 workers {four['seconds']:.1f} s; "
            f"CPU per run at 4 workers {_cpu_text(four['cpu_per_run_s'])}; "
            f"load {four['load_average'][0]:.1f}",
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
    section.raw = {
        "clusters": clusters,
        "worker_concurrency": WORKER_CONCURRENCY,
        "simulator_processes": SIM_PROCESSES,
        "one_worker": one,
        "four_workers": four,
        "per_step_s": overhead,
    }
    return section


def _cpu_text(cpu: dict[str, float]) -> str:
    parts = [f"{name} {seconds * 1000:.0f}" for name, seconds in cpu.items()]
    return f"{sum(cpu.values()) * 1000:.0f} ms ({', '.join(parts)})"
