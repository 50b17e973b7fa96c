"""Fixtures of the fleet tests: a fleet on a real PostgreSQL, simulated clusters to run on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from psrunbook.runbooks._ssis.lab import clustered_defaults
from psrunbook.sim.lab.cluster_fleet import ClusterFleet, start_clusters
from psrunbook.sim.lab.lab_files import lab_facts
from tests.integration.fleet.harness import PASSWORD, Fleet


@pytest.fixture
def fleet(tmp_path: Path, postgres_url: str) -> Iterator[Fleet]:
    """The fleet's commands; every worker still running at the end is killed."""
    fleet = Fleet(tmp_path, postgres_url)
    yield fleet
    fleet.close()


@pytest.fixture
def clusters(tmp_path: Path) -> Iterator[ClusterFleet]:
    """Three 2-node simulated clusters, their inventories in ``tmp_path / "inventories"``."""
    with start_clusters(
        3, nodes=2, password=PASSWORD, inventory_dir=tmp_path / "inventories", time_scale=0.0
    ) as served:
        yield served


@pytest.fixture
def ssis_params(tmp_path: Path, clusters: ClusterFleet) -> Path:
    """A params file for ``ssis-clustered`` on the sample labs (all alike)."""
    values = clustered_defaults(lab_facts(clusters.clusters[0].cluster), {})
    path = tmp_path / "ssis.toml"
    lines = []
    for key, value in values.items():
        if isinstance(value, list):
            lines.append(f"{key} = [{', '.join(_toml(v) for v in value)}]")
        else:
            lines.append(f"{key} = {_toml(value)}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value: object) -> str:
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'
