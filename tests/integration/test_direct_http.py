"""WSMan messages of Basic and certificate sessions go out through ``http.client`` directly.

Which sessions do (and which keep pypsrp's requests path), that what reaches the node is
what requests sent, and that every failure becomes the same psrunbook error with the same
words as through requests: both paths are run side by side against the same server.
"""

from __future__ import annotations

import base64
import contextlib
import select
import socket
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from psrunbook.errors import AuthenticationFailed, CertificateInvalid, TransportError
from psrunbook.inventory import inventory_from_toml
from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from psrunbook.sim.lab.serve import SIM_USER, inventory_toml
from psrunbook.transport import direct_http
from psrunbook.transport.base import ScriptCall
from psrunbook.transport.error_mapping import translate
from psrunbook.transport.psrp import PsrpTransport, _wsman_class
from tests.integration.conftest import refused_port
from tests.integration.test_certificate_auth import (  # noqa: F401 (client, node: fixtures)
    MUTUAL,
    ClientCertificate,
    Node,
    certificate_connection,
    client,
    inventory,
    node,
)

pytestmark = pytest.mark.integration

PASSWORD = "direct-test-pässwörd-€"


class Sends:
    """How many messages went through each path."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.direct = 0
        self.requests = 0
        direct_send = direct_http.DirectSender.send
        requests_send = requests.Session.send

        def counting_direct(sender: Any, *args: Any, **kwargs: Any) -> bytes:
            self.direct += 1
            return direct_send(sender, *args, **kwargs)

        def counting_requests(session: Any, *args: Any, **kwargs: Any) -> Any:
            self.requests += 1
            return requests_send(session, *args, **kwargs)

        monkeypatch.setattr(direct_http.DirectSender, "send", counting_direct)
        monkeypatch.setattr(requests.Session, "send", counting_requests)


@pytest.fixture
def sends(monkeypatch: pytest.MonkeyPatch) -> Sends:
    return Sends(monkeypatch)


def _run_twice(fleet: SimFleet, tmp_path: Path) -> list[Any]:
    inv = inventory_from_toml(inventory_toml(fleet), path=tmp_path / "sim.toml")
    session = PsrpTransport(inv, password=PASSWORD).open("NODE1")
    try:
        return [session.run(ScriptCall(f"output run{i}", {}, 30)).output for i in (1, 2)]
    finally:
        session.close()


def test_a_basic_session_over_http_sends_through_the_direct_sender(
    sends: Sends, tmp_path: Path
) -> None:
    with SimFleet(["NODE1"], executor=TrivialExecutor(), users={SIM_USER: PASSWORD}) as fleet:
        assert [["run1"], ["run2"]] == _run_twice(fleet, tmp_path)
    assert sends.direct >= 7  # shell, pool, 2 x (command, receive), delete
    assert 0 == sends.requests


def test_an_envelope_above_the_nodes_quota_names_the_setting_to_change(tmp_path: Path) -> None:
    """An inventory whose max_envelope_size is above the node's MaxEnvelopeSizekb: the
    node answers 413, and the error names the inventory setting and the node's quota."""
    with SimFleet(["NODE1"], executor=TrivialExecutor(), users={SIM_USER: PASSWORD}) as fleet:
        text = inventory_toml(fleet).replace(
            "[connection]\n", "[connection]\nmax_envelope_size = 1048576\n"
        )
        inv = inventory_from_toml(text, path=tmp_path / "sim.toml")
        session = PsrpTransport(inv, password=PASSWORD).open("NODE1")
        try:
            with pytest.raises(TransportError) as failed:
                session.run(ScriptCall("# " + "x" * 600_000 + "\noutput ok", {}, 30))
        finally:
            session.close()
    assert str(failed.value).startswith("NODE1: HTTP 413 from the WinRM endpoint")
    assert "max_envelope_size in the inventory" in str(failed.value)
    assert "MaxEnvelopeSizekb" in str(failed.value)


def test_an_ntlm_session_keeps_the_requests_path(sends: Sends, tmp_path: Path) -> None:
    with SimFleet(
        ["NODE1"], executor=TrivialExecutor(), users={SIM_USER: PASSWORD}, auth="ntlm"
    ) as fleet:
        assert [["run1"], ["run2"]] == _run_twice(fleet, tmp_path)
    assert 0 == sends.direct
    assert sends.requests >= 7


def test_a_certificate_session_over_https_sends_through_the_direct_sender(
    sends: Sends,
    tmp_path: Path,
    client: ClientCertificate,  # noqa: F811
    node: Node,  # noqa: F811
) -> None:
    """The node demands the client certificate; it sees it and WinRM's mutual header."""
    inv_path = inventory(tmp_path / "inv.toml", node.port, **certificate_connection(client, node))
    inv = inventory_from_toml(inv_path.read_text("utf-8"), path=inv_path)
    session = PsrpTransport(inv).open("NODE1")
    try:
        with pytest.raises(AuthenticationFailed, match="refused the client certificate"):
            session.connect(retry=False)
    finally:
        session.close()
    assert [MUTUAL] == node.seen.authorization
    assert [((("commonName", "psrunbook-operator"),),)] == node.seen.subjects
    assert 1 == sends.direct
    assert 0 == sends.requests


@pytest.mark.parametrize(
    ("auth", "extra"),
    [
        ("ntlm", {}),
        ("negotiate", {}),
        ("kerberos", {}),
        ("credssp", {}),
        ("basic", {"proxy": "http://proxy.contoso.test:3128"}),
        ("basic", {"encryption": "auto", "ssl": True, "no_proxy": False}),
    ],
)
def test_other_sessions_keep_pypsrps_send(auth: str, extra: dict[str, Any]) -> None:
    """Negotiate-family and CredSSP auth, a named proxy, or the environment's proxies."""
    settings: dict[str, Any] = {
        "ssl": False,
        "encryption": "never" if auth == "basic" else "auto",
        "no_proxy": "proxy" not in extra,
        **extra,
    }
    wsman = _wsman_class()(
        server="node1.contoso.test", username="u", password="p", auth=auth, **settings
    )
    assert not direct_http.eligible(wsman.transport)
    assert "send" not in vars(wsman.transport)


# Side by side: the same request through pypsrp's requests path and the direct sender.


def _transport(port: int, **settings: Any) -> Any:
    arguments: dict[str, Any] = {
        "server": "127.0.0.1",
        "port": port,
        "ssl": False,
        "username": SIM_USER,
        "password": PASSWORD,
        "auth": "basic",
        "encryption": "never",
        "connection_timeout": 5,
        "read_timeout": 30,
        "no_proxy": True,
        **settings,
    }
    transport = _wsman_class()(**arguments).transport
    assert direct_http.eligible(transport)
    return transport


def _both(port: int, send: Callable[[Any], Any], **settings: Any) -> list[Any]:
    """What ``send`` gives through requests, then through the direct sender."""
    answers: list[Any] = []
    for direct in (False, True):
        transport = _transport(port, **settings)
        try:
            # The instance's send is the direct sender's; the class's is pypsrp's own.
            answers.append(
                send(transport.send if direct else partial(type(transport).send, transport))
            )
        finally:
            transport.close()
    return answers


def _failure(send: Callable[..., bytes], **kwargs: Any) -> tuple[type[TransportError], str]:
    with pytest.raises(Exception) as caught:
        send(b"<s:Envelope/>", **kwargs)
    error = translate(caught.value, "NODE1", address="127.0.0.1:1")
    return type(error), str(error)


Record = list[tuple[str, list[tuple[str, str]], bytes]]


@pytest.fixture
def recorder() -> Iterator[tuple[int, Record, dict[str, Any]]]:
    """A loopback HTTP server that records each request and answers as told."""
    seen: Record = []
    answer: dict[str, Any] = {"status": 200, "body": b"<answer/>", "hold": None}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen.append((self.requestline, list(self.headers.items()), body))
            if answer["hold"] is not None:
                answer["hold"].wait()  # no answer until the test ends
                return
            self.send_response(answer["status"])
            self.send_header("Content-Type", "application/soap+xml;charset=UTF-8")
            self.send_header("Content-Length", str(len(answer["body"])))
            self.end_headers()
            self.wfile.write(answer["body"])

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd.server_address[1], seen, answer
    finally:
        if answer["hold"] is not None:
            answer["hold"].set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=60)


def test_the_node_sees_the_request_requests_sent_byte_for_byte(
    recorder: tuple[int, Record, dict[str, Any]],
) -> None:
    port, seen, _ = recorder
    answers = _both(port, lambda send: send(b"<s:Envelope>\xe2\x82\xac</s:Envelope>"))
    assert [b"<answer/>", b"<answer/>"] == answers
    through_requests, direct = seen
    assert through_requests == direct
    token = base64.b64encode(f"{SIM_USER}:{PASSWORD}".encode()).decode("ascii")
    assert ("Authorization", f"Basic {token}") in direct[1]


def test_an_http_error_status_is_the_same_error(
    recorder: tuple[int, Record, dict[str, Any]],
) -> None:
    port, _, answer = recorder
    answer["status"] = 503
    answers = _both(port, _failure)
    assert answers[0] == answers[1]
    assert "NODE1: HTTP 503 from the WinRM endpoint" == answers[1][1]


def test_a_401_is_the_same_error(recorder: tuple[int, Record, dict[str, Any]]) -> None:
    port, _, answer = recorder
    answer["status"] = 401
    answers = _both(port, _failure)
    assert answers[0] == answers[1]
    assert AuthenticationFailed is answers[1][0]
    assert PASSWORD not in answers[1][1]


def test_a_read_timeout_is_the_same_transient_fault(
    recorder: tuple[int, Record, dict[str, Any]],
) -> None:
    port, _, answer = recorder
    answer["hold"] = threading.Event()
    answers = _both(port, _failure, read_timeout=0.2)
    assert answers[0] == answers[1]
    assert "no answer from NODE1 (127.0.0.1:1) within 0.2 s (read timeout)" == answers[1][1]


def test_a_refused_connection_is_the_same_error() -> None:
    answers = _both(refused_port(), _failure)
    assert answers[0] == answers[1]
    assert "cannot connect to NODE1 (127.0.0.1:1): connection refused" == answers[1][1]


def test_an_untrusted_certificate_is_refused_with_the_same_error(tmp_path: Path) -> None:
    """TLS verification is on by default: the lab's own certificate is not trusted."""
    with SimFleet(
        ["NODE1"], executor=TrivialExecutor(), users={SIM_USER: PASSWORD}, tls=True
    ) as fleet:
        (endpoint,) = list(fleet)
        answers = _both(endpoint.port, _failure, ssl=True, cert_validation=True)
        assert answers[0] == answers[1]
        assert CertificateInvalid is answers[1][0]
        assert "TLS verification failed" in answers[1][1]
        # With the lab's CA named, TLS is accepted: the lab answers the bare envelope.
        trusted = _both(endpoint.port, _failure, ssl=True, cert_validation=str(endpoint.cert_path))
        assert trusted[0] == trusted[1]
        assert "NODE1: HTTP 500 from the WinRM endpoint" == trusted[1][1]


class DroppingProxy:
    """A TCP relay to the lab that can close every connection, as a node's idle timeout does."""

    def __init__(self, target: int) -> None:
        self._target = target
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.accepted = 0
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while True:
            try:
                near, _ = self._listener.accept()
            except OSError:
                return
            far = socket.create_connection(("127.0.0.1", self._target))
            with self._lock:
                self.accepted += 1
                self._sockets += [near, far]
            for a, b in ((near, far), (far, near)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        with contextlib.suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def drop_all(self) -> None:
        """Close every relayed connection (FIN to both ends) at once."""
        with self._lock:
            sockets = list(self._sockets)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.drop_all()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept loop
        self._thread.join(timeout=60)
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()


def _until_closed_by_the_node(session: Any) -> None:
    """Wait until the node's FIN has reached every idle connection of ``session``.

    ``drop_all`` returns once the relay sent its FINs; this waits for the event itself
    (the socket turns readable), so the next message never races the FIN. The 60 s are
    a guard against a hang, not a timing.
    """
    (sender,) = session._pool.connection.transport.direct_senders
    for connection in list(sender._idle):
        readable, _, _ = select.select([connection.sock], [], [], 60)
        assert readable, "the relay's FIN never reached the client"


@contextlib.contextmanager
def _session_behind_a_dropping_relay(tmp_path: Path) -> Iterator[tuple[Any, DroppingProxy]]:
    """A Basic session to a lab node reached through a :class:`DroppingProxy`."""
    with SimFleet(["NODE1"], executor=TrivialExecutor(), users={SIM_USER: PASSWORD}) as fleet:
        (endpoint,) = list(fleet)
        proxy = DroppingProxy(endpoint.port)
        try:
            text = inventory_toml(fleet).replace(f"port = {endpoint.port}", f"port = {proxy.port}")
            inv = inventory_from_toml(text, path=tmp_path / "sim.toml")
            session = PsrpTransport(inv, password=PASSWORD).open("NODE1")
            try:
                yield session, proxy
            finally:
                session.close()
        finally:
            proxy.close()


def test_a_kept_alive_connection_the_node_closed_is_reopened_between_pipelines(
    sends: Sends, tmp_path: Path
) -> None:
    with _session_behind_a_dropping_relay(tmp_path) as (session, proxy):
        assert ["run1"] == session.run(ScriptCall("output run1", {}, 30)).output
        assert 1 == proxy.accepted
        proxy.drop_all()
        _until_closed_by_the_node(session)
        assert ["run2"] == session.run(ScriptCall("output run2", {}, 30)).output
        assert 1 == session.pools_opened  # the same shell, on a new connection
        assert 2 == proxy.accepted
    assert 0 == sends.requests


def test_a_pool_whose_connection_the_node_closed_is_not_alive_and_opens_nothing(
    sends: Sends, tmp_path: Path
) -> None:
    """pypsrp's is_alive forbids a new connection; a closed one means "not alive" (as before)."""
    with _session_behind_a_dropping_relay(tmp_path) as (session, proxy):
        session.connect()
        assert session._pool.is_alive()
        proxy.drop_all()
        _until_closed_by_the_node(session)
        assert not session._pool.is_alive()
        assert 1 == proxy.accepted
    assert 0 == sends.requests
