"""3. Fan-out: ``ssis-standalone`` on 1, 4, 16, 32 (and 64) simulated nodes at 20 ms latency.

Each node count has its own simulated fleet in its own process, served by
``psrunbook sim serve --latency-ms 20`` as a user would start it; ``psrunbook run`` is a
child process, so its wall time, peak RSS and CPU time are its own. The first run on
each fleet applies the configuration; the timed runs that follow are the converged
re-runs an operator repeats (every step still runs on every node, and reports
``unchanged``). Node counts alternate, so noise falls on all of them alike.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.cli_run import ChildRun, run_child
from bench.common import (
    Figure,
    Profile,
    Section,
    absolute_goal,
    median,
    ratio_goal,
    script_path,
)
from bench.sim_serve import ServeProcess

LATENCY_S = 0.020
RUNBOOK = "ssis-standalone"
FANOUT_GOALS = {32: 1.5, 64: 2.0}
"""Issue 16: wall time N nodes / 1 node at most this, for the node counts that have one."""


def _params_toml(facts: dict[str, Any]) -> str:
    server = facts["virtual_server"]
    instances = [
        server if name.upper() == "MSSQLSERVER" else f"{server}\\{name}"
        for name in facts["instances"]
    ]
    quoted = ", ".join('"' + i.replace("\\", "\\\\") + '"' for i in instances)
    return f'sql_version = "{facts["sql_version"]}"\ninstances = [{quoted}]\n'


class _Target:
    """One fleet with the files a ``psrunbook run`` against it needs."""

    def __init__(self, nodes: int, work: Path, *, serve: Sequence[str] = ()) -> None:
        """``serve``: the command that runs the fleet's ``psrunbook`` (see ServeProcess)."""
        self.nodes = nodes
        directory = work / f"n{nodes}"
        self.fleet = ServeProcess(
            nodes, latency_ms=LATENCY_S * 1000, work=directory, psrunbook=serve
        )
        self.inventory = self.fleet.inventory
        self.params = directory / "params.toml"
        self.params.write_text(_params_toml(self.fleet.facts), encoding="utf-8")
        self.state = directory / "state"
        self.log = directory / "run.log"

    def run(self, psrunbook: Sequence[str] = ()) -> ChildRun:
        """``psrunbook run`` against the fleet; ``psrunbook``: the command, as for the fleet."""
        return run_child(
            [
                *(psrunbook or [script_path("psrunbook")]),
                "--log-file",
                str(self.log),
                "run",
                RUNBOOK,
                "-i",
                str(self.inventory),
                "--params-file",
                str(self.params),
                "--yes",
                "--parallel",
                str(max(self.nodes, 1)),
                "--state-dir",
                str(self.state),
            ],
            env={"PSRUNBOOK_SIM_PASSWORD": self.fleet.password},
        )


def ratio_detail(
    low: int,
    nodes: int,
    *,
    wall: dict[int, float],
    client_cpu: dict[int, float],
    simulator_cpu: dict[int, float],
) -> str:
    """The detail column of a fan-out ratio: wall times, then the CPU of both processes.

    The simulator serves every node from one process, so its CPU per node is part of the
    wall time as much as psrunbook's: with both beside the ratio, a reader sees which
    side a miss comes from (a real fleet has a CPU per node).
    """
    return (
        f"{low}: {wall[low]:.2f} s, {nodes}: {wall[nodes]:.2f} s"
        f"; client CPU {client_cpu[low]:.2f} s / {client_cpu[nodes]:.2f} s"
        f"; simulator CPU {simulator_cpu[low]:.2f} s / {simulator_cpu[nodes]:.2f} s"
    )


def measure(profile: Profile) -> Section:
    section = Section("fan-out")
    runs: dict[int, list[ChildRun]] = {n: [] for n in profile.fanout_nodes}
    server_cpu: dict[int, list[float]] = {n: [] for n in profile.fanout_nodes}
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as stack:
        targets: list[_Target] = []
        for nodes in profile.fanout_nodes:
            targets.append(_Target(nodes, Path(tmp)))
            stack.callback(targets[-1].fleet.close)
        for target in targets:
            target.run()  # applies the configuration; later runs are converged re-runs
        for round_index in range(profile.fanout_repetitions):
            shift = round_index % len(targets)
            for target in targets[shift:] + targets[:shift]:
                before = target.fleet.cpu_seconds()
                runs[target.nodes].append(target.run())
                server_cpu[target.nodes].append(target.fleet.cpu_seconds() - before)
    wall = {n: median([r.wall_s for r in rs]) for n, rs in runs.items()}
    rss = {n: max(r.peak_rss_mb for r in rs) for n, rs in runs.items()}
    cpu = {n: median([r.cpu_s for r in rs]) for n, rs in runs.items()}
    sim_cpu = {n: median(v) for n, v in server_cpu.items()}
    floor = max(r.floor_mb for rs in runs.values() for r in rs)
    low, high = min(runs), max(runs)
    for nodes in sorted(runs):
        if nodes == low:
            continue
        ratio = wall[nodes] / wall[low]
        bound = FANOUT_GOALS.get(nodes)
        section.figures.append(
            Figure(
                f"fanout_ratio_{nodes}_{low}",
                f"{RUNBOOK} wall time {nodes} nodes / {low} node, {LATENCY_S * 1000:g} ms latency",
                ratio,
                "x",
                None if bound is None else ratio_goal("<=", bound, "issue 16"),
                ratio_detail(low, nodes, wall=wall, client_cpu=cpu, simulator_cpu=sim_cpu),
            )
        )
    extra = high - low
    for side, seconds in (("client", cpu), ("simulator", sim_cpu)) if extra else ():
        # Each side's CPU per node beyond the first, apart: the wall ratio mixes both
        # processes on the machine's cores; a real fleet has a CPU per node.
        section.figures.append(
            Figure(
                f"fanout_{side}_cpu_ms_per_extra_node",
                f"{'psrunbook' if side == 'client' else 'simulated fleet'} CPU per node beyond"
                f" the first, {low} -> {high} nodes",
                (seconds[high] - seconds[low]) / extra * 1000,
                "ms",
                None,
                f"{seconds[low]:.2f} s at {low} node(s), {seconds[high]:.2f} s at {high}",
            )
        )
    section.figures.append(
        Figure(
            f"peak_rss_mb_{high}",
            f"peak RSS of the psrunbook process, {high} nodes (its own, via bench/launch.py)",
            rss[high],
            "MiB",
            absolute_goal("<", 150),
            ", ".join(f"{n}: {rss[n]:.0f}" for n in sorted(rss))
            + f"; launcher floor {floor:.0f} MiB",
        )
    )
    section.raw = {
        "latency_s": LATENCY_S,
        "wall_s": wall,
        "peak_rss_mb": rss,
        "launcher_floor_mb": floor,
        "psrunbook_cpu_s": cpu,
        "simulator_cpu_s": sim_cpu,
        "samples_wall_s": {n: [r.wall_s for r in rs] for n, rs in runs.items()},
    }
    return section
