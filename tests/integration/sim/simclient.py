"""pypsrp clients for simulator endpoints, shared by the simulator's integration tests."""

from __future__ import annotations

from typing import Any

from pypsrp.wsman import WSMan

from psrunbook.sim.endpoint.http_server import SimEndpoint

USER = "psrunbook"
PASSWORD = "s1m-Passw0rd"


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
