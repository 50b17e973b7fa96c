"""A fleet of simulated clusters served by several processes, a group of clusters each.

One process serving every cluster evaluates every node's PowerShell under one
interpreter lock: with a hundred clusters in flight, the simulator (not the workers, nor
the round trips) sets the pace, which no real fleet of Windows clusters does. Here each
group of clusters is its own ``python -m psrunbook.sim.lab.cluster_groups`` process
(:func:`~psrunbook.sim.lab.cluster_fleet.start_clusters` inside it), so the clusters use
every core the machine has, as real clusters use their own machines.

A group process speaks JSON lines: it prints its clusters (names and inventories) once
served, then answers ``changes`` (every cluster's stamped change log), ``cpu`` (its CPU
seconds) and ``quit`` read from stdin. It also ends when stdin closes, so a parent that
dies leaves no process behind. The Basic password comes from ``PSRUNBOOK_SIM_PASSWORD``.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from psrunbook.sim.json_lines import JsonLinesChild, answer, serve_commands
from psrunbook.sim.lab.cluster_fleet import (
    ClosedOnExit,
    cluster_names,
    start_clusters,
    write_inventory,
)
from psrunbook.sim.lab.serve import PASSWORD_ENV

Change = tuple[float, str, str, str]


class GroupProcess:
    """One process serving some of the fleet's clusters; thread-safe."""

    def __init__(self, child: JsonLinesChild) -> None:
        self._child = child
        self.clusters: list[tuple[str, str]] = [
            (entry["name"], entry["inventory"]) for entry in child.hello["clusters"]
        ]

    @property
    def pid(self) -> int:
        return self._child.pid

    @property
    def ended(self) -> bool:
        return self._child.ended

    def changes(self) -> dict[str, list[Change]]:
        """Every cluster's ``(time, cmdlet, node, target)`` changes, by cluster name."""
        found = self._child.ask("changes")["changes"]
        return {name: [_change(entry) for entry in log] for name, log in found.items()}

    def close(self) -> None:
        self._child.close()


def _change(entry: Sequence[Any]) -> Change:
    at, cmdlet, node, target = entry
    return float(at), str(cmdlet), str(node), str(target)


class GroupCluster(msgspec.Struct):
    """One cluster of a grouped fleet, as a test or benchmark reads it afterwards."""

    name: str
    inventory_text: str
    group: GroupProcess
    inventory_path: Path | None = None

    def changes(self) -> list[Change]:
        """``(time, cmdlet, node, target)`` of every change, in the order they were made."""
        return self.group.changes().get(self.name, [])


class ClusterGroups(msgspec.Struct, ClosedOnExit):
    """Every group process and its clusters; closing it ends every process."""

    groups: list[GroupProcess] = msgspec.field(default_factory=list)
    clusters: list[GroupCluster] = msgspec.field(default_factory=list)

    @property
    def pids(self) -> list[int]:
        return [group.pid for group in self.groups]

    def close(self) -> None:
        for group in self.groups:
            group.close()


def start_cluster_groups(
    count: int,
    *,
    processes: int,
    nodes: int,
    password: str,
    sql_version: str = "2019",
    inventory_dir: Path | None = None,
    latency_s: float = 0.0,
    time_scale: float = 1.0,
) -> ClusterGroups:
    """Serve ``count`` sample labs from ``processes`` processes (clusters dealt round
    robin); write their inventories into ``inventory_dir``, in the fleet's order."""
    names = cluster_names(count)
    shares = [names[i::processes] for i in range(max(1, min(processes, count)))]
    env = {**os.environ, PASSWORD_ENV: password}
    fleet = ClusterGroups()
    try:
        for share in shares:
            child = JsonLinesChild(
                [
                    sys.executable,
                    "-m",
                    "psrunbook.sim.lab.cluster_groups",
                    "--nodes",
                    str(nodes),
                    "--sql-version",
                    sql_version,
                    "--latency",
                    repr(latency_s),
                    "--time-scale",
                    repr(time_scale),
                    *share,
                ],
                env=env,
                what="a cluster group process",
            )
            fleet.groups.append(GroupProcess(child))
        served = {
            name: GroupCluster(name, text, group)
            for group in fleet.groups
            for name, text in group.clusters
        }
        for name in names:
            cluster = served[name]
            fleet.clusters.append(cluster)
            cluster.inventory_path = write_inventory(inventory_dir, name, cluster.inventory_text)
    except BaseException:
        fleet.close()
        raise
    return fleet


def serve_group(argv: Sequence[str] | None = None) -> int:
    """The group process: serve the named clusters, answer commands until stdin ends."""
    parser = argparse.ArgumentParser(prog="python -m psrunbook.sim.lab.cluster_groups")
    parser.add_argument("--nodes", type=int, default=2)
    parser.add_argument("--sql-version", default="2019")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--time-scale", type=float, default=1.0)
    parser.add_argument("names", nargs="+")
    args = parser.parse_args(argv)
    # Ctrl-C in `sim serve` reaches the whole process group: the parent stops, closing
    # this process's stdin, which ends it without a KeyboardInterrupt traceback.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    with start_clusters(
        len(args.names),
        nodes=args.nodes,
        password=os.environ[PASSWORD_ENV],
        sql_version=args.sql_version,
        latency_s=args.latency,
        time_scale=args.time_scale,
        names=args.names,
    ) as fleet:
        served = [{"name": c.name, "inventory": c.inventory_text} for c in fleet.clusters]
        answer({"clusters": served})
        serve_commands(
            {"changes": lambda _: {"changes": {c.name: c.changes() for c in fleet.clusters}}}
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(serve_group())
