"""Fixtures: a simulator endpoint on a free loopback port and a pool opened on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pypsrp.powershell import RunspacePool

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.sim.simclient import PASSWORD, USER, client_for


@pytest.fixture
def endpoint() -> Iterator[SimEndpoint]:
    with SimEndpoint(TrivialExecutor(), node="NODE1", users={USER: PASSWORD}) as ep:
        yield ep


@pytest.fixture
def pool(endpoint: SimEndpoint) -> Iterator[RunspacePool]:
    with RunspacePool(client_for(endpoint)) as opened:
        yield opened


@pytest.fixture
def lab_endpoint() -> Iterator[SimEndpoint]:
    """NODE1 of the sample lab, its PowerShell evaluator and cluster model behind it."""
    executor = cluster_executor(sample_lab(), time_scale=0.0)
    with SimEndpoint(executor, node="NODE1", users={USER: PASSWORD}) as ep:
        yield ep


@pytest.fixture
def lab_pool(lab_endpoint: SimEndpoint) -> Iterator[RunspacePool]:
    with RunspacePool(client_for(lab_endpoint)) as opened:
        yield opened
