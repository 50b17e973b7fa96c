"""pypsrp clients for simulator endpoints, shared by the simulator's integration tests."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypsrp.client import Client
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import WSMan

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.lab.serve import PASSWORD_ENV

REPO = Path(__file__).resolve().parents[3]

USER = "psrunbook"
PASSWORD = "s1m-Passw0rd"


def invoke_script(pool: RunspacePool, script: str, **parameters: Any) -> list[Any]:
    """Run ``script`` with named ``parameters`` on ``pool``; its output, which must come
    without errors."""
    ps = PowerShell(pool)
    ps.add_script(script)
    for name, value in parameters.items():
        ps.add_parameter(name, value)
    output = ps.invoke()
    assert not ps.had_errors, [str(e) for e in ps.streams.error]
    assert [] == ps.streams.error
    return list(output)


def client_for(endpoint: SimEndpoint, **overrides: Any) -> WSMan:
    """A pypsrp WSMan client for ``endpoint`` with Basic auth over plain HTTP."""
    settings: dict[str, Any] = {
        "port": endpoint.port,
        "username": USER,
        "password": PASSWORD,
        "ssl": False,
        "auth": "basic",
        "encryption": "never",
        "connection_timeout": 5,
        "read_timeout": 30,
    }
    settings.update(overrides)
    return WSMan(endpoint.host, **settings)


@dataclass(frozen=True)
class Served:
    """The nodes of a ``psrunbook sim serve`` process: their ports and clients to them."""

    ports: dict[str, int]
    password: str

    def client(self, node: str = "NODE1") -> Client:
        return Client("127.0.0.1", port=self.ports[node], username=USER, password=self.password,
                      ssl=False, auth="basic", encryption="never")  # fmt: skip

    def wsman(self, node: str = "NODE1") -> WSMan:
        return WSMan("127.0.0.1", port=self.ports[node], username=USER, password=self.password,
                     ssl=False, auth="basic", encryption="never")  # fmt: skip


@contextmanager
def serve_lab(password: str, nodes: int = 2) -> Iterator[Served]:
    """``psrunbook sim serve`` as a real process on loopback, until the block ends."""
    env = {**os.environ, PASSWORD_ENV: password}
    command = [sys.executable, "-m", "psrunbook", "sim", "serve", "--nodes", str(nodes),
               "--time-scale", "0"]  # fmt: skip
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)  # fmt: skip
    try:
        assert proc.stdout is not None
        ports: dict[str, int] = {}
        for line in proc.stdout:
            found = re.match(r"(\S+) listening on http://127\.0\.0\.1:(\d+)/wsman", line)
            if found:
                ports[found.group(1)] = int(found.group(2))
            if line.startswith("serving"):
                break
        yield Served(ports, password)
    finally:
        proc.terminate()
        proc.wait(30)
        if proc.stdout is not None:
            proc.stdout.close()
