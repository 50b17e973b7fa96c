"""An endpoint starts without a reverse lookup of the address it listens on.

``http.server.HTTPServer.server_bind`` asks ``socket.getfqdn`` for the bound address to
fill ``server_name``, which the simulator never reads; that lookup loads the resolver
and reads the hosts file before a ``--sim`` command's lab can answer.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import pytest

from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor


def test_an_endpoint_starts_and_serves_without_a_reverse_lookup(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[str] = []

    def no_lookup(name: str = "") -> str:
        asked.append(name)
        raise AssertionError("getfqdn called")

    monkeypatch.setattr(socket, "getfqdn", no_lookup)
    fleet = SimFleet(["N1"], executor=TrivialExecutor(), users={"u": "p"})
    try:
        endpoint = fleet["N1"]
        request = urllib.request.Request(
            endpoint.url, data=b"<x/>", headers={"Content-Type": "application/soap+xml"}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        refused.value.close()
        assert 401 == refused.value.code  # served: Basic asks for credentials
    finally:
        fleet.close()
    assert [] == asked
