"""Fixtures for the cluster model: a fresh sample lab per test and a way to call cmdlets.

Cmdlets are called the way the evaluator calls them (``invoke(ctx, args)`` with bound,
converted arguments); :class:`RecordingContext` is the small CmdletContext a test
needs, recording every stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from psrunbook.sim.lab.cluster_executor import cmdlets_for_node
from psrunbook.sim.lab.cluster_model import RegistryKey, RegistryValue, Service, SimCluster
from psrunbook.sim.lab.error_records import CLUSTER_EXCEPTION
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.objects import ErrorRecordData, PSHashtable
from psrunbook.sim.ps.cmdlet_api import CmdletError


@dataclass
class RecordingContext:
    """A CmdletContext that keeps what the cmdlet wrote, stream by stream."""

    node: str = "NODE1"
    user: str = "SIMLAB\\admin"
    location: str = "C:\\Users\\admin\\Documents"
    """The runspace's location, as a fresh PSRP runspace of ``user`` starts in."""
    output: list[Any] = field(default_factory=list)
    errors: list[ErrorRecordData] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    verbose: list[str] = field(default_factory=list)
    information: list[Any] = field(default_factory=list)
    exit_code: int | None = None
    slept: float = 0.0

    def write_output(self, value: Any) -> None:
        self.output.append(value)

    def write_error(self, record: ErrorRecordData) -> None:
        self.errors.append(record)

    def write_warning(self, message: str) -> None:
        self.warnings.append(message)

    def write_verbose(self, message: str) -> None:
        self.verbose.append(message)

    def write_information(self, message: Any) -> None:
        self.information.append(message)

    def sleep(self, seconds: float) -> None:
        self.slept += seconds

    @property
    def error_ids(self) -> list[str]:
        return [e.fully_qualified_error_id for e in self.errors]


class Caller:
    """Calls one cmdlet on one node; a non-terminating CmdletError becomes an error record.

    So does a FailoverClusters operation failure (a ``ClusterCmdletException`` whose error
    id is the cmdlet's name), whichever kind the lab makes it
    (``SimCluster.cluster_errors_terminate``): these tests read the failure's record, and
    ``test_cluster_error_kind.py`` what each kind does to a script. Every other
    terminating error (a usage error, access denied, a prompt) is raised.
    """

    def __init__(self, cluster: SimCluster) -> None:
        self.cluster = cluster

    def __call__(self, name: str, node: str = "NODE1", /, **args: Any) -> RecordingContext:
        ctx = RecordingContext(node=node)
        command = cmdlets_for_node(self.cluster, node)[name]
        try:
            ctx.exit_code = command.invoke(ctx, PSHashtable(args.items()))
        except CmdletError as exc:
            record = exc.record
            failure = record.exception_type == CLUSTER_EXCEPTION and record.error_id == name
            if exc.terminating and not failure:
                raise
            ctx.errors.append(record)
        return ctx

    def native(self, name: str, *argv: str, node: str = "NODE1") -> RecordingContext:
        return self(name, node, __args__=list(argv))


@pytest.fixture
def lab() -> SimCluster:
    return sample_lab()


@pytest.fixture
def call(lab: SimCluster) -> Caller:
    return Caller(lab)


def service(cluster: SimCluster, node: str, name: str) -> Service:
    """A service that must exist on the node."""
    found = cluster.node(node).service(name)
    assert found is not None
    return found


def reg_key(cluster: SimCluster, node: str, path: str) -> RegistryKey:
    """A registry key (HKLM-relative path) that must exist on the node."""
    found = cluster.node(node).registry.key(path)
    assert found is not None
    return found


def reg_value(cluster: SimCluster, node: str, path: str, name: str) -> RegistryValue:
    """A registry value that must exist; ``""`` is the default value."""
    found = reg_key(cluster, node, path).get(name)
    assert found is not None
    return found


def param_value(cluster: SimCluster, resource: str, name: str) -> object:
    """The value of a resource's private property that must exist."""
    found = cluster.resource(resource).parameter(name)
    assert found is not None
    return found.value
