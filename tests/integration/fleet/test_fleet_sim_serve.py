"""Issue 17: `psrunbook sim serve --clusters N --inventory-dir DIR` serves a fleet of labs."""

from __future__ import annotations

import threading
from pathlib import Path

from typer.testing import CliRunner

from psrunbook.cli.app import app
from psrunbook.inventory import Inventory, load_inventory
from psrunbook.sim.lab.serve import ServeOptions, serve
from tests.integration.conftest import Psrunbook
from tests.integration.fleet.harness import PASSWORD


def _served(tmp_path: Path, **settings: int) -> tuple[list[Inventory], list[str]]:
    """Serve three 2-node clusters until they are up: their inventories, what was echoed."""
    stop = threading.Event()
    serving = threading.Event()
    lines: list[str] = []

    def echo(line: str) -> None:
        lines.append(line)
        if line.startswith("serving"):
            serving.set()

    options = ServeOptions(
        nodes=2, clusters=3, inventory_dir=tmp_path / "inv", time_scale=0.0, **settings
    )
    server = threading.Thread(
        target=serve, args=(options,), kwargs={"password": PASSWORD, "echo": echo, "stop": stop}
    )
    server.start()
    try:
        assert serving.wait(60), lines
        inventories = [load_inventory(p) for p in sorted((tmp_path / "inv").glob("*.toml"))]
    finally:
        stop.set()
        server.join(60)
    assert ["SIMCLUSTER01", "SIMCLUSTER02", "SIMCLUSTER03"] == [i.cluster.name for i in inventories]
    ports = [i.endpoint_for(node)[1] for i in inventories for node in i.node_names]
    assert 6 == len(set(ports))
    assert "stopped" == lines[-1]
    return inventories, lines


def test_sim_serve_writes_one_inventory_per_cluster_each_on_its_own_endpoints(
    tmp_path: Path,
) -> None:
    """Three clusters, distinct names, every node on a port of its own, until stopped."""
    _served(tmp_path)


def test_sim_serve_refuses_clusters_without_an_inventory_dir(psrunbook: Psrunbook) -> None:
    """More than one cluster needs a folder for their inventories: exit 2, no traceback."""
    result = CliRunner().invoke(app, ["sim", "serve", "--clusters", "2"])
    assert 2 == result.exit_code
    assert "--inventory-dir" in result.stderr


def test_sim_serve_spreads_the_clusters_over_processes(tmp_path: Path) -> None:
    """--processes 2: the same fleet (names, an endpoint per node), served by 2 processes."""
    _, lines = _served(tmp_path, processes=2)
    assert any("3 clusters in 2 processes" in line for line in lines), lines


def test_sim_serve_refuses_processes_without_a_fleet(psrunbook: Psrunbook) -> None:
    """--processes spreads a fleet's clusters: without --inventory-dir, exit 2 naming it."""
    result = CliRunner().invoke(app, ["sim", "serve", "--processes", "2"])
    assert 2 == result.exit_code
    assert "--inventory-dir" in result.stderr
