"""Several nodes in one process, and `sim serve` with its inventory and clean stop."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from psrunbook.inventory import load_inventory
from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from psrunbook.sim.lab.serve import PASSWORD_ENV, SIM_USER, ServeOptions, serve
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[3]


def _whoami(endpoint) -> list:
    with RunspacePool(client_for(endpoint)) as pool:
        return PowerShell(pool).add_script("whoami").invoke()


def test_fleet_serves_each_node_on_its_own_port():
    """Three nodes run side by side, each answering as itself."""
    names = ("NODE1", "NODE2", "NODE3")
    with SimFleet(names, executor=TrivialExecutor(), users={USER: PASSWORD}) as fleet:
        assert 3 == len({ep.port for ep in fleet})
        assert [[f"{name}\\{USER}"] for name in names] == [_whoami(fleet[n]) for n in names]


def test_fleet_builds_one_executor_per_node_from_a_factory():
    """An executor factory is called once per node name."""
    built: list[str] = []

    def factory(node: str) -> TrivialExecutor:
        built.append(node)
        return TrivialExecutor()

    with SimFleet(("A", "B"), executor=factory, users={USER: PASSWORD}):
        assert ["A", "B"] == built


def _client_from_inventory(inventory, node, password) -> WSMan:
    host, port, ssl = inventory.endpoint_for(node)
    conn = inventory.connection
    return WSMan(
        host,
        port=port,
        ssl=ssl,
        auth=conn.auth,
        encryption=conn.encryption,
        username=conn.username,
        password=password,
        cert_validation=str(conn.ca_bundle) if conn.ca_bundle else conn.cert_validation,
    )


@contextlib.contextmanager
def _serving(out: Path, *, https: bool = False, password: str = "pw-123") -> Iterator[list[str]]:
    """Run serve() in a thread until the block ends; yields the lines it printed."""
    stop = threading.Event()
    ready = threading.Event()
    lines: list[str] = []

    def echo(line: str) -> None:
        lines.append(line)
        if line.startswith("serving"):
            ready.set()

    options = ServeOptions(nodes=2, inventory_out=out, https=https)
    worker = threading.Thread(
        target=serve, args=(options,), kwargs={"password": password, "echo": echo, "stop": stop}
    )
    worker.start()
    try:
        assert ready.wait(30)
        yield lines
    finally:
        stop.set()
        worker.join(30)
    assert not worker.is_alive()
    assert "stopped" == lines[-1]


@pytest.mark.parametrize("https", [False, True])
def test_serve_writes_a_working_inventory_and_stops(tmp_path, https):
    """serve() writes an inventory the engine loads and pypsrp uses, then stops on request."""
    out = tmp_path / "sim.toml"
    with _serving(out, https=https):
        inventory = load_inventory(out)
        assert ("NODE1", "NODE2") == inventory.node_names
        assert (SIM_USER, PASSWORD_ENV, https) == (
            inventory.connection.username,
            inventory.connection.password_env,
            inventory.connection.ssl,
        )
        for node in inventory.node_names:
            with RunspacePool(_client_from_inventory(inventory, node, "pw-123")) as pool:
                ps = PowerShell(pool).add_script("$env:COMPUTERNAME")
                assert [node] == ps.invoke()


def test_serving_keeps_start_up_out_of_the_collector_and_gives_it_back(tmp_path):
    """Issue 16: while serve() serves, what start-up built is frozen (the collector's
    sweeps skip it); once it stops, the caller's collector has every object back."""
    import gc  # noqa: PLC0415 (this test only)

    assert 0 == gc.get_freeze_count()
    with _serving(tmp_path / "sim.toml"):
        frozen = gc.get_freeze_count()
    assert (True, 0) == (frozen > 0, gc.get_freeze_count())


def test_docs_snippet_runs_against_sim_serve(tmp_path, monkeypatch, capsys):
    """The pypsrp snippet in docs/simulator.md runs as written against `sim serve`."""
    doc = (REPO / "docs" / "simulator.md").read_text("utf-8")
    snippet = re.search(r"```python\n(.*?)```", doc, re.DOTALL).group(1)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(PASSWORD_ENV, "doc-pw")
    with _serving(tmp_path / "sim.toml", password="doc-pw"):
        exec(compile(snippet, "docs/simulator.md", "exec"), {})
    assert "['NODE1 Up', 'NODE2 Up']" in capsys.readouterr().out


def test_sim_serve_command_stops_cleanly_on_sigterm(tmp_path):
    """`psrunbook sim serve` prints the export line, serves, and exits 0 on SIGTERM."""
    out = tmp_path / "sim.toml"
    env = {k: v for k, v in os.environ.items() if k != PASSWORD_ENV}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "psrunbook",
            "sim",
            "serve",
            "--nodes",
            "2",
            "--inventory-out",
            str(out),
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        seen = []
        for line in proc.stdout:
            seen.append(line.strip())
            if line.startswith("serving"):
                break
        export = next(s for s in seen if s.startswith(f"export {PASSWORD_ENV}="))
        password = export.split("=", 1)[1]
        inventory = load_inventory(out)
        with RunspacePool(_client_from_inventory(inventory, "NODE2", password)) as pool:
            ps = PowerShell(pool).add_script(
                "(Get-ClusterGroup -Name 'SQL Server (MSSQLSERVER)').OwnerNode"
            )
            assert ["NODE1"] == [str(o) for o in ps.invoke()]
        proc.send_signal(signal.SIGTERM)
        rest = proc.stdout.read()
        assert 0 == proc.wait(30)
        assert "stopped" in rest
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
