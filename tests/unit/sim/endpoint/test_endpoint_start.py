"""What an endpoint does not pay for when it starts and serves.

``http.server.HTTPServer.server_bind`` asks ``socket.getfqdn`` for the bound address to
fill ``server_name``, which the simulator never reads; that lookup loads the resolver
and reads the hosts file before a ``--sim`` command's lab can answer. ``email.policy``
(about 2.5 ms to import) formats a request's head only for a wire recording.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
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
            urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=30)
        refused.value.close()
        assert 401 == refused.value.code  # served: Basic asks for credentials
    finally:
        fleet.close()
    assert [] == asked


PROBE = """
import json, sys, urllib.error, urllib.request
from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor

endpoint = SimEndpoint(TrivialExecutor(), node="N1", users={"u": "p"},
                       record_wire=sys.argv[1] == "record")
try:
    request = urllib.request.Request(
        endpoint.url, data=b"<x/>", headers={"Content-Type": "application/soap+xml"}
    )
    try:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request, timeout=30)
    except urllib.error.HTTPError as exc:
        exc.close()
    wire = endpoint.wire or []
finally:
    endpoint.close()
print(json.dumps({"policy": "email.policy" in sys.modules,
                  "request": wire[0].decode("latin-1") if wire else ""}))
"""


def _serve_one(mode: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, mode], capture_output=True, text=True, check=True, timeout=120
    )
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_serving_without_a_recording_never_imports_email_policy() -> None:
    assert _serve_one("plain") == {"policy": False, "request": ""}


def test_a_recording_still_holds_the_request_head_as_sent() -> None:
    report = _serve_one("record")
    request = str(report["request"])
    assert request.startswith("POST /wsman HTTP/1.1\r\n")
    assert "Content-Type: application/soap+xml\r\n" in request
    assert request.endswith("\r\n\r\n<x/>")
