"""Connection faults in words: the exceptions requests really raises, translated once.

Every fault here is real and local: a loopback port bound and closed again (refused), a
name under ``.invalid`` (RFC 6761: never resolves, and the local resolver says so at
once), a listener whose backlog is full (the SYN is dropped: a real connect timeout), a
listener that accepts and never answers (a read timeout), one that resets, and a TLS
endpoint whose CA the client does not trust. Timeouts are fractions of a second.
"""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Iterator

import pytest
import requests

from psrunbook.errors import CertificateInvalid, ConnectionFailed, TransportTimeout
from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from psrunbook.transport.error_mapping import is_transient, translate

TIMEOUT = 0.3


def _raised(url: str, **kwargs: object) -> requests.RequestException:
    try:
        requests.post(url, data=b"<x/>", timeout=(TIMEOUT, TIMEOUT), **kwargs)  # type: ignore[arg-type]
    except requests.RequestException as exc:
        return exc
    raise AssertionError(f"{url} answered")


def _free_port() -> int:
    """A loopback port nobody listens on: bound, then closed again."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(0)
        yield sock


def _no_pool_repr(message: str) -> None:
    assert "ConnectionPool" not in message
    assert " at 0x" not in message
    assert "Max retries" not in message


def test_refused_port_says_cannot_connect_and_may_be_retried() -> None:
    port = _free_port()
    error = translate(_raised(f"http://127.0.0.1:{port}/wsman"), "NODE1")
    assert isinstance(error, ConnectionFailed)
    assert f"cannot connect to NODE1 (127.0.0.1:{port}): connection refused" == str(error)
    assert is_transient(error)
    assert "NODE1" == error.node


def test_a_name_that_does_not_resolve_is_never_retried() -> None:
    error = translate(_raised("http://sqlnode1.invalid:5985/wsman"), "SQLNODE1")
    assert isinstance(error, ConnectionFailed)
    assert "cannot connect to SQLNODE1 (sqlnode1.invalid:5985): name does not resolve" == str(error)
    assert not is_transient(error)


def test_a_dropped_syn_is_a_connect_timeout_with_its_seconds(listener: socket.socket) -> None:
    port = listener.getsockname()[1]
    # The backlog of listen(0) holds one connection that is never accepted; after it
    # the kernel drops SYNs, as a black-holed host does.
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        error = translate(_raised(f"http://127.0.0.1:{port}/wsman"), "NODE1")
    assert isinstance(error, ConnectionFailed)
    assert f"cannot connect to NODE1 (127.0.0.1:{port}): timed out after 0.3 s" == str(error)
    assert is_transient(error)


def test_a_host_that_accepts_and_never_answers_is_a_read_timeout(
    listener: socket.socket,
) -> None:
    port = listener.getsockname()[1]
    exc = _raised(f"http://127.0.0.1:{port}/wsman")
    error = translate(exc, "NODE1", address=f"127.0.0.1:{port}")
    assert isinstance(error, TransportTimeout)
    assert f"no answer from NODE1 (127.0.0.1:{port}) within 0.3 s (read timeout)" == str(error)
    _no_pool_repr(str(error))


def test_a_reset_connection_says_so(listener: socket.socket) -> None:
    port = listener.getsockname()[1]

    def reset_every_connection() -> None:
        for _ in range(1):
            conn, _ = listener.accept()
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()

    thread = threading.Thread(target=reset_every_connection, daemon=True)
    thread.start()
    error = translate(
        _raised(f"http://127.0.0.1:{port}/wsman"), "NODE1", address=f"127.0.0.1:{port}"
    )
    thread.join(timeout=10)
    assert isinstance(error, ConnectionFailed)
    assert f"cannot connect to NODE1 (127.0.0.1:{port}): connection reset" == str(error)
    assert is_transient(error)


def test_an_untrusted_certificate_is_a_tls_failure_never_retried() -> None:
    with SimEndpoint(TrivialExecutor(), node="NODE1", users={}, tls=True) as endpoint:
        error = translate(_raised(endpoint.url), "NODE1")
    assert isinstance(error, CertificateInvalid)
    assert str(error).startswith(
        f"cannot connect to NODE1 (127.0.0.1:{endpoint.port}): TLS verification failed ("
    )
    assert "set connection.ca_bundle" in str(error)
    assert not is_transient(error)
