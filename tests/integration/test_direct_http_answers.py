"""Every way a server may frame or break its answer, read by the direct sender's llhttp reader.

A loopback server reads each request whole and writes the bytes a test scripts, as
HTTP.sys, a proxy-less test server or a broken peer would: Content-Length, chunked,
framed by the close, interim ``100 Continue``, HTTP/1.0, ``Connection: close``, bytes that
are not HTTP, a close in the middle of the body. Each answer is sent twice through one
sender, so a connection reused when it must not be (or not reused when it could be)
shows in the count of connections the server accepted.
"""

from __future__ import annotations

import contextlib
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypsrp.exceptions import AuthenticationError, WinRMTransportError

from psrunbook.errors import AuthenticationFailed, ConnectionFailed
from psrunbook.sim.endpoint.tls import TlsCertificate, generate_certificate
from psrunbook.transport import direct_http
from psrunbook.transport.error_mapping import translate
from psrunbook.transport.psrp import _wsman_class

pytestmark = pytest.mark.integration

MESSAGE = b"<s:Envelope>" + b"m" * 2000 + b"</s:Envelope>"
HEAD_200 = b"HTTP/1.1 200 \r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"
"""HTTP.sys's status line: the code, a space and no reason phrase."""


@dataclass(frozen=True)
class Answer:
    """What the server writes to one request, then whether it closes (FIN) after it."""

    data: bytes
    close: bool = False


def _read_request(conn: socket.socket, pending: bytes) -> tuple[bytes, bytes] | None:
    """One whole request (head and Content-Length body) and what followed it, or None at EOF."""
    while b"\r\n\r\n" not in pending:
        data = conn.recv(65536)
        if not data:
            return None
        pending += data
    head, _, rest = pending.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")
        if line.lower().startswith(b"content-length:")
    )
    while len(rest) < length:
        data = conn.recv(65536)
        if not data:
            return None
        rest += data
    return head + b"\r\n\r\n" + rest[:length], rest[length:]


class ScriptedServer:
    """Answers the requests of every connection, in order, from one list of answers."""

    def __init__(self, answers: list[Answer], tls: ssl.SSLContext | None = None) -> None:
        self._answers = list(answers)
        self._tls = tls
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._listener.getsockname()[1]
        self.accepted = 0
        self.requests: list[bytes] = []
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._accept, daemon=True)]
        self._threads[0].start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.accepted += 1
                thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
                self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        pending = b""
        if self._tls is not None:
            with contextlib.suppress(OSError):
                conn = self._tls.wrap_socket(conn, server_side=True)
        with conn, contextlib.suppress(OSError):
            while (request := _read_request(conn, pending)) is not None:
                whole, pending = request
                with self._lock:
                    self.requests.append(whole)
                    answer = self._answers.pop(0)
                conn.sendall(answer.data)
                if answer.close:
                    # FIN after the answer (for TLS without close_notify, as a server that
                    # just drops the connection), then wait for the client's close: no RST
                    # that could discard the answer before the client read it.
                    conn.shutdown(socket.SHUT_WR)
                    while conn.recv(65536):
                        pass
                    return

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept loop
        self._listener.close()
        for thread in list(self._threads):
            thread.join(timeout=60)


@contextlib.contextmanager
def _sender(
    *answers: Answer, tls: TlsCertificate | None = None
) -> Iterator[tuple[direct_http.DirectSender, ScriptedServer]]:
    server = ScriptedServer(list(answers), tls.server_context() if tls else None)
    transport = _wsman_class()(
        server="127.0.0.1",
        port=server.port,
        ssl=tls is not None,
        cert_validation=str(tls.cert_path) if tls else True,
        username="user",
        password="pw",
        auth="basic",
        encryption="never",
        connection_timeout=5,
        read_timeout=60,  # a guard against a hang, never reached by a test that passes
        no_proxy=True,
    ).transport
    sender = direct_http.DirectSender.for_transport(transport)
    try:
        yield sender, server
    finally:
        sender.close()  # before the server: its threads end when the client closes
        server.close()


def _length(status: bytes, body: bytes, *extra: bytes) -> bytes:
    head = status + b"".join(extra) + b"Content-Length: %d\r\n\r\n" % len(body)
    return head + body


def _chunked(body: bytes, size: int) -> bytes:
    chunks = [body[i : i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(c), c) for c in chunks) + b"0\r\n\r\n"


def _error(sender: direct_http.DirectSender) -> tuple[Exception, Any]:
    with pytest.raises(Exception) as caught:
        sender.send(MESSAGE)
    return caught.value, translate(caught.value, "NODE1", address="127.0.0.1:1")


def test_a_content_length_answer_keeps_the_connection() -> None:
    answer = Answer(_length(HEAD_200, b"<first/>"))
    with _sender(answer, Answer(_length(HEAD_200, b"<second/>"))) as (sender, server):
        assert b"<first/>" == sender.send(MESSAGE)
        assert b"<second/>" == sender.send(MESSAGE)
        assert 1 == server.accepted
        assert all(r.endswith(MESSAGE) for r in server.requests)


def test_a_chunked_answer_is_joined_and_keeps_the_connection() -> None:
    body = b"<s:Envelope>" + bytes(range(256)) * 900 + b"</s:Envelope>"  # > the read buffer
    chunked = HEAD_200 + b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(body, 70_000)
    trailer = HEAD_200 + b"Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n"
    with _sender(Answer(chunked), Answer(trailer)) as (sender, server):
        assert body == sender.send(MESSAGE)
        assert b"abc" == sender.send(MESSAGE)
        assert 1 == server.accepted


def test_a_large_content_length_answer_is_read_whole() -> None:
    body = b"<s:Envelope>" + b"r" * 600_000 + b"</s:Envelope>"  # many reads of the buffer
    with _sender(Answer(_length(HEAD_200, body)), Answer(_length(HEAD_200, b"<n/>"))) as (
        sender,
        server,
    ):
        assert body == sender.send(MESSAGE)
        assert b"<n/>" == sender.send(MESSAGE)
        assert 1 == server.accepted


def test_an_answer_framed_by_the_close_is_read_until_the_close() -> None:
    close_framed = Answer(HEAD_200 + b"\r\n<until-close/>", close=True)
    with _sender(close_framed, Answer(_length(HEAD_200, b"<next/>"))) as (sender, server):
        assert b"<until-close/>" == sender.send(MESSAGE)
        assert b"<next/>" == sender.send(MESSAGE)
        assert 2 == server.accepted  # the closed connection was not used again


def test_an_interim_100_continue_is_skipped() -> None:
    interim = b"HTTP/1.1 100 Continue\r\n\r\n"
    answers = (
        Answer(interim + _length(HEAD_200, b"<after-continue/>")),
        Answer(
            interim
            + interim
            + HEAD_200
            + b"Transfer-Encoding: chunked\r\n\r\n"
            + _chunked(b"<c/>", 2)
        ),
    )
    with _sender(*answers) as (sender, server):
        assert b"<after-continue/>" == sender.send(MESSAGE)
        assert b"<c/>" == sender.send(MESSAGE)
        assert 1 == server.accepted


@pytest.mark.parametrize(
    "answer",
    [
        _length(b"HTTP/1.0 200 OK\r\n", b"<one-oh/>"),
        _length(b"HTTP/1.0 200 OK\r\n", b"<one-oh/>", b"Connection: keep-alive\r\n"),
        _length(HEAD_200, b"<one-oh/>", b"Connection: close\r\n"),
    ],
    ids=["http-1.0", "http-1.0-keep-alive", "connection-close"],
)
def test_an_answer_that_ends_the_connection_is_not_reused(answer: bytes) -> None:
    """The server keeps the socket open: only the client's reading says not to reuse it."""
    with _sender(Answer(answer), Answer(_length(HEAD_200, b"<next/>"))) as (sender, server):
        assert b"<one-oh/>" == sender.send(MESSAGE)
        assert b"<next/>" == sender.send(MESSAGE)
        assert 2 == server.accepted


def test_bytes_after_the_answer_are_not_trusted() -> None:
    """A second answer nobody asked for: the next request gets a connection of its own."""
    unasked = _length(HEAD_200, b"<asked/>") + _length(HEAD_200, b"<unasked/>")
    with _sender(Answer(unasked), Answer(_length(HEAD_200, b"<next/>"))) as (sender, server):
        assert b"<asked/>" == sender.send(MESSAGE)
        assert b"<next/>" == sender.send(MESSAGE)
        assert 2 == server.accepted


@pytest.mark.parametrize(
    "garbage",
    [
        b"HTTP/1.1 2xx OK\r\nContent-Length: 0\r\n\r\n",
        b"SSH-2.0-OpenSSH_9.6\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n12345",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    ],
    ids=["status-code", "not-http", "header-line", "two-lengths", "chunk-size"],
)
def test_an_answer_that_is_not_http_is_a_clear_error_at_once(garbage: bytes) -> None:
    """No wait for more bytes (the server keeps the connection open), no reuse."""
    with _sender(Answer(garbage), Answer(_length(HEAD_200, b"<next/>"))) as (sender, server):
        raised, error = _error(sender)
        assert isinstance(raised, direct_http.SendFailed)
        assert isinstance(error, ConnectionFailed)
        assert str(error).startswith(
            "cannot connect to NODE1 (127.0.0.1:1): not a valid HTTP answer ("
        )
        assert b"<next/>" == sender.send(MESSAGE)  # a new connection
        assert 2 == server.accepted


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (
            HEAD_200 + b"Content-Length: 100\r\n\r\n" + b"x" * 10,
            "IncompleteRead(10 bytes read, 90 more expected)",
        ),
        (
            HEAD_200 + b"Transfer-Encoding: chunked\r\n\r\n" + b"a\r\n0123456789\r\n5\r\nab",
            "IncompleteRead(12 bytes read)",
        ),
        (HEAD_200 + b"Content-Length: 100\r\n", "connection reset"),
        (b"", "connection reset"),
        (b"HTTP/1.1 100 Continue\r\n\r\n", "connection reset"),
    ],
    ids=["content-length", "chunked", "within-headers", "no-answer", "only-interim"],
)
def test_a_server_that_closes_within_the_answer_fails_the_send(answer: bytes, reason: str) -> None:
    with _sender(Answer(answer, close=True), Answer(_length(HEAD_200, b"<next/>"))) as (
        sender,
        server,
    ):
        raised, error = _error(sender)
        assert type(raised) is direct_http.SendFailed
        assert f"cannot connect to NODE1 (127.0.0.1:1): {reason}" == str(error)
        assert 1 == len(server.requests)  # the message is never sent again
        assert b"<next/>" == sender.send(MESSAGE)
        assert 2 == server.accepted


def test_error_statuses_keep_their_meaning_in_every_framing() -> None:
    unauthorized = b'HTTP/1.1 401 \r\nWWW-Authenticate: Basic realm="WSMAN"\r\n'
    fault = b"HTTP/1.1 500 \r\nContent-Type: application/soap+xml;charset=UTF-8\r\n"
    answers = (
        Answer(unauthorized + b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(b"denied", 4)),
        Answer(fault + b"\r\n<s:Fault>\xe2\x82\xac</s:Fault>", close=True),
    )
    with _sender(*answers) as (sender, _):
        raised, error = _error(sender)
        assert isinstance(raised, AuthenticationError)
        assert isinstance(error, AuthenticationFailed)
        with pytest.raises(WinRMTransportError) as caught:
            sender.send(MESSAGE)
        assert 500 == caught.value.code
        assert "<s:Fault>\u20ac</s:Fault>" == caught.value.response_text


@pytest.fixture(params=["http", "https"])
def tls(request: pytest.FixtureRequest, tmp_path: Path) -> TlsCertificate | None:
    """Plain HTTP, or TLS with the certificate trusted and the host name checked."""
    return generate_certificate(tmp_path) if request.param == "https" else None


def test_every_framing_over_plain_and_tls_connections(tls: TlsCertificate | None) -> None:
    answers = (
        Answer(HEAD_200 + b"Transfer-Encoding: chunked\r\n\r\n" + _chunked(b"<chunked/>", 3)),
        Answer(_length(HEAD_200, b"<length/>")),
        Answer(HEAD_200 + b"\r\n<until-close/>", close=True),
        Answer(_length(HEAD_200, b"<new/>")),
    )
    with _sender(*answers, tls=tls) as (sender, server):
        assert b"<chunked/>" == sender.send(MESSAGE)
        assert b"<length/>" == sender.send(MESSAGE)
        assert 1 == server.accepted
        assert b"<until-close/>" == sender.send(MESSAGE)
        assert b"<new/>" == sender.send(MESSAGE)
        assert 2 == server.accepted


def test_a_connection_the_server_closed_while_idle_is_replaced_before_writing(
    tls: TlsCertificate | None,
) -> None:
    """The server closes after a kept-alive answer; the next message must not be written there.

    Written there, it would be lost: the server has closed its side and never answers.
    """
    answers = (
        Answer(_length(HEAD_200, b"<kept/>"), close=True),
        Answer(_length(HEAD_200, b"<new/>")),
    )
    with _sender(*answers, tls=tls) as (sender, server):
        assert b"<kept/>" == sender.send(MESSAGE)
        (idle,) = sender._idle
        readable, _, _ = select.select([idle.sock], [], [], 60)  # the FIN has arrived
        assert readable, "the server's FIN never reached the client"
        assert b"<new/>" == sender.send(MESSAGE)
        assert 2 == server.accepted
        assert 2 == len(server.requests)
