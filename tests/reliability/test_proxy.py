"""Proxies: credentials and scripts go through a proxy only when the inventory names it.

pypsrp builds its HTTP session with the environment's proxy settings, so before issue 14
``HTTP_PROXY`` received ``Authorization: Basic ...`` and every script, even for the
loopback lab. Each test starts a real forwarding proxy on 127.0.0.1 (port 0) that records
what reaches it, and runs the real CLI with every proxy variable pointing at it.
"""

from __future__ import annotations

import http.client
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.serve import PASSWORD_ENV, SIM_USER, inventory_toml
from tests.conftest import FIXTURES
from tests.reliability.harness import Result, assert_no_traceback, create_lab, psrunbook

pytestmark = pytest.mark.reliability

PASSWORD = "proxy-test-password"
USER = (
    "--runbooks",
    str(FIXTURES / "user_runbooks"),
    "--templates",
    str(FIXTURES / "user_templates"),
)


@dataclass
class Seen:
    """One request as the proxy received it."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class RecordingProxy:
    """A forwarding HTTP proxy that records every request; it forwards to 127.0.0.1 at the
    port the request names, so a node given by a non-loopback name is still reached."""

    url: str
    seen: list[Seen] = field(default_factory=list)


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    yield from _proxy()


@pytest.fixture
def environment_proxy() -> Iterator[RecordingProxy]:
    yield from _proxy()


def _proxy() -> Iterator[RecordingProxy]:
    lock = threading.Lock()
    record = RecordingProxy(url="")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            del format, args

        def _relay(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with lock:
                record.seen.append(Seen(self.command, self.path, dict(self.headers), body))
            target = urllib.parse.urlsplit(self.path)
            if self.command == "CONNECT" or target.port is None:
                self.send_response(502)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            upstream = http.client.HTTPConnection("127.0.0.1", target.port, timeout=60)
            try:
                headers = {k: v for k, v in self.headers.items() if k.lower() != "proxy-connection"}
                upstream.request(self.command, target.path or "/", body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
            finally:
                upstream.close()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in ("content-length", "transfer-encoding", "connection"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            self._relay()

        def do_GET(self) -> None:
            self._relay()

        def do_CONNECT(self) -> None:
            self._relay()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    record.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield record
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=30)


def proxy_environment(url: str) -> dict[str, str]:
    """Every variable requests reads a proxy from, pointing at ``url``; no exemptions."""
    names = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
    env = dict.fromkeys(names, url) | dict.fromkeys((n.lower() for n in names), url)
    return env | {"NO_PROXY": "", "no_proxy": "", PASSWORD_ENV: PASSWORD}


@pytest.fixture
def fleet() -> Iterator[SimFleet]:
    with SimFleet(
        ["NODE1", "NODE2"],
        executor=cluster_executor(sample_lab(2, "2019")),
        users={SIM_USER: PASSWORD},
    ) as served:
        yield served


def greet(tmp_path: Path, inventory: str, env: dict[str, str], *extra: str) -> Result:
    path = tmp_path / "inventory.toml"
    path.write_text(inventory, encoding="utf-8")
    return psrunbook(
        *USER,
        "run",
        "greeting",
        "-i",
        str(path),
        "-p",
        "name=a",
        "--yes",
        *extra,
        state_dir=tmp_path / "state",
        env=env,
    )


def with_proxy(inventory: str, url: str) -> str:
    return inventory.replace("[connection]\n", f'[connection]\nproxy = "{url}"\n', 1)


def test_environment_proxies_are_ignored_for_the_embedded_lab(
    tmp_path: Path, environment_proxy: RecordingProxy
) -> None:
    """--sim with HTTP_PROXY, HTTPS_PROXY and ALL_PROXY set: nothing reaches the proxy."""
    state = tmp_path / "state"
    create_lab(state)
    result = psrunbook(
        "plan",
        "cluster-report",
        "--sim",
        state_dir=state,
        env=proxy_environment(environment_proxy.url),
    )
    assert 0 == result.code, result.describe()
    assert_no_traceback(result)
    assert [] == environment_proxy.seen


def test_environment_proxies_are_ignored_for_an_inventory(
    tmp_path: Path, fleet: SimFleet, environment_proxy: RecordingProxy
) -> None:
    """An inventory naming no proxy: the environment's proxy receives nothing, the nodes do."""
    result = greet(tmp_path, inventory_toml(fleet), proxy_environment(environment_proxy.url))
    assert 0 == result.code, result.describe()
    assert [] == environment_proxy.seen
    assert sum(endpoint.counters.requests() for endpoint in fleet) > 0


def test_the_inventory_proxy_is_never_used_for_loopback(
    tmp_path: Path, fleet: SimFleet, proxy: RecordingProxy
) -> None:
    """Even a proxy the inventory names is bypassed for loopback nodes."""
    result = greet(
        tmp_path, with_proxy(inventory_toml(fleet), proxy.url), proxy_environment(proxy.url)
    )
    assert 0 == result.code, result.describe()
    assert [] == proxy.seen


def test_the_inventory_proxy_carries_remote_nodes_and_the_environment_does_not(
    tmp_path: Path, fleet: SimFleet, proxy: RecordingProxy, environment_proxy: RecordingProxy
) -> None:
    """Nodes named by a non-loopback name go through the inventory's proxy, and only it.

    The proxy forwards each request to 127.0.0.1 at the port it names, so the lab is
    reached as if ``nodeN.sim.invalid`` were remote (Basic over HTTP, hence --insecure).
    """
    inventory = with_proxy(inventory_toml(fleet), proxy.url)
    for index, endpoint in enumerate(fleet, start=1):
        inventory = inventory.replace(
            f'address = "127.0.0.1"\nport = {endpoint.port}',
            f'address = "node{index}.sim.invalid"\nport = {endpoint.port}',
        )
    assert "127.0.0.1" not in inventory.replace(proxy.url, "")
    result = greet(tmp_path, inventory, proxy_environment(environment_proxy.url), "--insecure")
    assert 0 == result.code, result.describe()
    assert [] == environment_proxy.seen
    targets = {urllib.parse.urlsplit(seen.target).hostname for seen in proxy.seen}
    assert {"node1.sim.invalid", "node2.sim.invalid"} <= targets
    assert all(seen.headers.get("Authorization", "").startswith("Basic ") for seen in proxy.seen)
