"""Many simulated clusters at once, for fleets: one endpoint per node, one inventory per cluster.

``psrunbook sim serve --clusters N --inventory-dir DIR`` serves N independent copies of
the sample lab, named ``SIMCLUSTER01`` .. ``SIMCLUSTERnn``, each on its own loopback
endpoints (one per node), and writes ``DIR/<cluster>.toml`` for each, ready for
``psrunbook submit --inventory-dir DIR``. Tests and benchmarks start the same fleet in
their own process with :func:`start_clusters`, so they can read every cluster's change
log afterwards.

Each change the lab records is stamped with the wall-clock time at which the pipeline
that made it ended (:class:`StampingExecutor`). A fleet promises one changing run per
cluster at a time; the stamps let a test or a benchmark prove it from the lab's side:
every change falls inside the journaled attempt that made it, and the changes of two
runs on one cluster never interleave.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from itertools import pairwise
from pathlib import Path
from types import TracebackType
from typing import Self

import msgspec
from msgspec.structs import replace

from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.executor_protocol import (
    ExecutionContext,
    Executor,
    OutputSink,
    PipelineRequest,
)
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import build_lab, sample_spec
from psrunbook.sim.lab.serve import SIM_USER, inventory_toml

ALWAYS = 10**9
"""A fault count no run exhausts: an injected delay applies to every request."""


class PipelineHold:
    """Holds the next pipeline whose script contains ``text`` until :meth:`release`.

    A crash point for tests: ``reached`` is set when that pipeline arrives, and it waits
    (at most ``bound_s``) before it runs, so a test can kill the client mid-step.
    """

    def __init__(self, text: str, *, bound_s: float = 300.0) -> None:
        self.text = text
        self.bound_s = bound_s
        self.reached = threading.Event()
        self._released = threading.Event()
        self._used = False
        self._lock = threading.Lock()

    def claim(self, request: PipelineRequest) -> bool:
        """True (once) for the first pipeline this hold is for."""
        with self._lock:
            if self._used or not any(self.text in c.text for c in request.commands):
                return False
            self._used = True
            return True

    def wait(self) -> None:
        self.reached.set()
        self._released.wait(self.bound_s)

    def release(self) -> None:
        self._released.set()


class StampingExecutor:
    """Runs pipelines on one cluster and stamps the changes each made with the time it ended."""

    def __init__(self, cluster: SimCluster, inner: Executor) -> None:
        self.cluster = cluster
        self._inner = inner
        self.stamps: list[float] = []
        """``stamps[i]``: when the pipeline that made ``cluster.change_log[i]`` ended."""
        self.holds: list[PipelineHold] = []

    def hold(self, text: str) -> PipelineHold:
        """Hold the next pipeline whose script contains ``text`` (see :class:`PipelineHold`)."""
        added = PipelineHold(text)
        self.holds.append(added)
        return added

    def execute(
        self, request: PipelineRequest, context: ExecutionContext, sink: OutputSink
    ) -> None:
        for held in list(self.holds):
            if held.claim(request):
                held.wait()
        try:
            self._inner.execute(request, context, sink)
        finally:
            with self.cluster.lock:
                now = time.time()
                missing = len(self.cluster.change_log) - len(self.stamps)
                self.stamps.extend([now] * missing)


class ServedCluster(msgspec.Struct):
    """One served cluster: its model, its endpoints, its inventory and its change stamps."""

    name: str
    cluster: SimCluster
    fleet: SimFleet
    executor: StampingExecutor
    inventory_text: str
    inventory_path: Path | None = None

    def changes(self) -> list[tuple[float, str, str, str]]:
        """``(time, cmdlet, node, target)`` of every change, in the order they were made."""
        with self.cluster.lock:
            log = [list(entry) for entry in self.cluster.change_log]
            stamps = list(self.executor.stamps)
        return [(at, *_three(entry)) for at, entry in zip(stamps, log, strict=False)]


def overlaps(
    changes: list[tuple[float, str, str, str]], windows: list[tuple[float, float, str]]
) -> list[str]:
    """What breaks "one changing run at a time" on one cluster; empty when nothing does.

    ``windows`` are the runs on the cluster, ``(start, end, run id)`` from the journal
    (first attempt started, last attempt ended). Two windows must not overlap, and every
    change the lab stamped must fall inside exactly one of them.
    """
    problems = []
    ordered = sorted(windows)
    for (_, end, first), (start, _, second) in pairwise(ordered):
        if end > start:
            problems.append(f"runs {first} and {second} overlapped")
    for at, cmdlet, node, target in changes:
        owners = [run for start, end, run in ordered if start <= at <= end]
        if len(owners) != 1:
            problems.append(f"{cmdlet} {target!r} on {node} belongs to runs {owners}")
    return problems


def _three(entry: list[str]) -> tuple[str, str, str]:
    cmdlet, node, target = entry
    return cmdlet, node, target


def cluster_names(count: int) -> list[str]:
    width = max(2, len(str(count)))
    return [f"SIMCLUSTER{i:0{width}d}" for i in range(1, count + 1)]


class ClosedOnExit:
    """A served fleet as a context manager: leaving the ``with`` closes it."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class ClusterFleet(msgspec.Struct, ClosedOnExit):
    """Every served cluster; closing it closes every endpoint."""

    clusters: list[ServedCluster] = msgspec.field(default_factory=list)

    def close(self) -> None:
        for served in self.clusters:
            served.fleet.close()


def start_clusters(
    count: int,
    *,
    nodes: int,
    password: str,
    sql_version: str = "2019",
    inventory_dir: Path | None = None,
    latency_s: float = 0.0,
    time_scale: float = 1.0,
    names: Sequence[str] | None = None,
) -> ClusterFleet:
    """Serve ``count`` sample labs on loopback; write their inventories into ``inventory_dir``.

    ``latency_s`` delays every request to every node by that much (the endpoint's
    injected latency, as ``sim serve --latency-ms``), as a WAN link would. ``names``
    (``count`` of them) names the clusters when this process serves only some of a
    fleet's (:mod:`psrunbook.sim.lab.cluster_groups`).
    """
    fleet = ClusterFleet()
    if names is not None and len(names) != count:
        raise ValueError(f"{len(names)} names for {count} clusters")
    try:
        for name in names if names is not None else cluster_names(count):
            cluster = build_lab(replace(sample_spec(nodes, sql_version), cluster=name))
            executor = StampingExecutor(cluster, cluster_executor(cluster, time_scale=time_scale))
            served_nodes = tuple(n.name for n in cluster.nodes.values())
            endpoints = SimFleet(
                served_nodes, executor=executor, users={SIM_USER: password}, latency_s=latency_s
            )
            for endpoint in endpoints:
                endpoint.refuse_when = _down_check(cluster, endpoint.node)
            served = ServedCluster(
                name, cluster, endpoints, executor, inventory_toml(endpoints, cluster=name)
            )
            fleet.clusters.append(served)
            served.inventory_path = write_inventory(inventory_dir, name, served.inventory_text)
    except BaseException:
        fleet.close()
        raise
    return fleet


def write_inventory(inventory_dir: Path | None, name: str, text: str) -> Path | None:
    """``DIR/<cluster>.toml`` holding the cluster's inventory (None without a folder)."""
    if inventory_dir is None:
        return None
    inventory_dir.mkdir(parents=True, exist_ok=True)
    path = inventory_dir / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _down_check(cluster: SimCluster, node: str) -> Callable[[], bool]:
    return lambda: cluster.node_is_down(node)
