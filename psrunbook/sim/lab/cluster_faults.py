"""Cluster-level faults: the things that go wrong on a real cluster between two steps.

Faults are state in the model (``SimCluster.faults``), so they survive dump/load and a
test can arm them before a run. They are deterministic: a scheduled move fires after
an exact number of finished pipelines, a failing resource fails an exact number of
times, and a seeded :class:`FailoverPlan` draws its choices from its own random generator.

The endpoint asks :meth:`SimCluster.node_is_down` before accepting a connection for a
node; :func:`pipeline_finished` is called after every pipeline (the cluster executor
does it) and fires the scheduled moves that are due.
"""

from __future__ import annotations

import random

from psrunbook.sim.lab.cluster_model import SimCluster, SimModelError, fold, start_fault_key


def node_down(cluster: SimCluster, node: str) -> None:
    """Take a node down: its endpoint refuses, its groups fail over to a possible owner."""
    with cluster.lock:
        cluster.set_node_state(node, "Down")


def node_up(cluster: SimCluster, node: str) -> None:
    """Bring a node back; groups stay where they failed over to, as without failback."""
    with cluster.lock:
        cluster.set_node_state(node, "Up")


def fail_resource_online(cluster: SimCluster, resource: str, times: int = -1) -> None:
    """The next ``times`` attempts (``-1``: every attempt) to bring ``resource`` online fail."""
    with cluster.lock:
        cluster.resource(resource)
        cluster.faults.fail_online[fold(resource)] = times


def fail_service_start(cluster: SimCluster, node: str, service: str, times: int = -1) -> None:
    """The next ``times`` starts (``-1``: every start) of ``service`` on ``node`` fail as a
    logon failure does: a password changed or expired under the service's account."""
    with cluster.lock:
        if cluster.node(node).service(service) is None:
            raise SimModelError(1060, f"service {service} is not installed on {node}")
        cluster.faults.fail_start[start_fault_key(node, service)] = times


def clear_resource_fault(cluster: SimCluster, resource: str) -> None:
    with cluster.lock:
        cluster.faults.fail_online.pop(fold(resource), None)


def move_group_now(cluster: SimCluster, group: str, node: str | None = None) -> str:
    """Fail a group over now, to ``node`` or the best other node; returns the new owner."""
    with cluster.lock:
        found = cluster.group(group)
        target = node or cluster.best_target(found, exclude=found.owner)
        if target is None:
            raise SimModelError(5016, f"no node can host {found.name}")
        cluster.move_group(found, target)
        return found.owner


def move_group_after(
    cluster: SimCluster, group: str, *, pipelines: int = 1, node: str | None = None
) -> None:
    """Move ``group`` once ``pipelines`` more pipelines have finished (between steps)."""
    with cluster.lock:
        cluster.group(group)
        cluster.faults.scheduled_moves.append([group, node or "", max(pipelines, 1)])


def pipeline_finished(cluster: SimCluster) -> list[str]:
    """Count a finished pipeline and fire the scheduled moves now due; returns moved groups."""
    moved: list[str] = []
    with cluster.lock:
        cluster.faults.pipelines_finished += 1
        cluster.settle_due()
        remaining: list[list[object]] = []
        for group, node, left in cluster.faults.scheduled_moves:
            count = int(str(left)) - 1
            if count > 0:
                remaining.append([group, node, count])
                continue
            try:
                move_group_now(cluster, str(group), str(node) or None)
            except SimModelError:
                continue
            moved.append(str(group))
        cluster.faults.scheduled_moves = remaining
    return moved


class FailoverPlan:
    """Seeded random failovers for soak runs: after each pipeline, with ``probability``,
    one non-core group moves to another node. Same seed, same sequence of moves."""

    def __init__(self, seed: int, probability: float = 0.1) -> None:
        self.seed = seed
        self.probability = probability
        # Deterministic fault schedule, not security: the seed must reproduce the run.
        self._random = random.Random(seed)  # noqa: S311 -- see above

    def __repr__(self) -> str:
        return f"FailoverPlan(seed={self.seed!r}, probability={self.probability!r})"

    def after_pipeline(self, cluster: SimCluster) -> str | None:
        with cluster.lock:
            if self._random.random() >= self.probability:
                return None
            groups = sorted(
                (g for g in cluster.groups.values() if not g.is_core), key=lambda g: fold(g.name)
            )
            if not groups:
                return None
            group = groups[self._random.randrange(len(groups))]
            try:
                move_group_now(cluster, group.name)
            except SimModelError:
                return None
            return group.name
