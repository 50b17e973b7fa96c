"""One kept-alive HTTP/1.1 client connection: the socket, its idle check, its answer reader.

:class:`~psrunbook.transport.direct_http.DirectSender` writes each request with one
``sendall`` and reads the answer here. The answer is parsed by llhttp (Node.js's HTTP
parser) through ``httptools``, the binding uvicorn uses, rather than by hand: llhttp
already knows every framing a server may choose (Content-Length, chunked with trailers,
read until close, interim ``1xx`` answers, ``Connection: close``, HTTP/1.0) and rejects
what is not HTTP. Side by side in one process (``DirectSender.send`` of a 2.5 kB
keep-alive POST answered with 3 kB by a loopback server, client thread CPU per exchange,
3000 exchanges a round, eleven rounds alternated): through ``http.client`` 195 to 247 us,
with this reader 33 to 49 us, with a minimal hand-written reader instead (Content-Length
only, no validation) 30 to 45 us. The 3 to 5 us llhttp costs buy every framing and strict
validation, so it is used; importing httptools costs about 4 ms once per process.

What llhttp leaves to the caller, done here: an answer framed by the end of the
connection (neither Content-Length nor chunked) ends when the server closes (httptools
has no ``finish``); a close before the answer is whole raises ``http.client``'s own
errors (``RemoteDisconnected``, ``IncompleteRead``), so a failure reads as it did through
``http.client``; anything llhttp rejects raises :class:`MalformedAnswer`.
"""

from __future__ import annotations

import errno
import http.client
import select
import socket
import ssl

import httptools

_BUFFER_BYTES = 65536
"""Bytes read per ``recv_into``: a WSMan answer is a few kB up to MaxEnvelopeSize (500 kB)."""


class MalformedAnswer(http.client.HTTPException):
    """The server's bytes are not an HTTP/1.x answer (llhttp's reason in the text)."""


class HttpConnection:
    """A connected socket (plain or TLS) that carries one request and answer at a time.

    Not thread safe by itself: the sender hands a connection to one thread at a time.
    The parser lives as long as the connection: llhttp parses one answer after the other
    on a kept-alive connection, as the server sends them.
    """

    __slots__ = (
        "_body",
        "_buffer",
        "_complete",
        "_content_type",
        "_framed",
        "_headers_done",
        "_length",
        "_parser",
        "_poller",
        "_status",
        "_timeout",
        "_view",
        "reusable",
        "sock",
    )

    def __init__(self, sock: socket.socket, timeout: float | None) -> None:
        self.sock: socket.socket | None = sock
        self.reusable = False
        """True after an answer that leaves the connection open for the next request."""
        self._timeout = timeout
        self._poller = select.poll()
        self._poller.register(sock, select.POLLIN)
        self._buffer = bytearray(_BUFFER_BYTES)
        self._view = memoryview(self._buffer)
        self._parser = httptools.HttpResponseParser(self)
        self._status = 0
        self._content_type: list[bytes] = []
        self._body: list[bytes] = []
        self._framed = False
        self._length: int | None = None
        self._headers_done = False
        self._complete = False

    def idle_and_open(self) -> bool:
        """True when nothing arrived since the last answer: the server has not closed.

        Readable while idle means the server closed (its FIN), or sent what nobody asked
        for; either way the connection must not carry a request. One ``poll`` with a zero
        timeout on a poller registered once: the check urllib3's ``wait_for_read`` makes
        (0.9 us here against its 2.6 us, which builds a poller each time; a non-blocking
        ``MSG_PEEK`` costs 4.4 us with the two timeout changes around it, and cannot be
        used on a TLS socket). For TLS, bytes already decrypted and not read count too.
        """
        sock = self.sock
        if sock is None or self._poller.poll(0):
            return False
        return not (isinstance(sock, ssl.SSLSocket) and sock.pending())

    def send(self, data: bytes, timeout: float | None) -> None:
        """Write ``data`` whole with ``timeout`` set for it and the answer's reading.

        The timeout is set only when it changes (each change is a system call).
        """
        sock = self._socket()
        if timeout != self._timeout:
            sock.settimeout(timeout)
            self._timeout = timeout
        sock.sendall(data)

    def read_answer(self) -> tuple[int, bytes, str]:
        """(status, body, Content-Type) of the next final answer, interim ``1xx`` skipped.

        Raises what the socket raises (``TimeoutError`` past the timeout), ``http.client``'s
        ``RemoteDisconnected`` or ``IncompleteRead`` when the server closes too early, and
        :class:`MalformedAnswer` for bytes that are not HTTP. Afterwards :attr:`reusable`
        says whether the next request may use this connection.
        """
        self.reusable = False
        self._complete = False
        self._start_message()
        recv_into = self._socket().recv_into
        view = self._view
        feed = self._parser.feed_data
        problem = None
        while not self._complete:
            received = recv_into(view)
            if not received:
                return self._at_end_of_connection()
            try:
                feed(view[:received])
            except (httptools.HttpParserError, httptools.HttpParserUpgrade) as exc:
                problem = str(exc) or type(exc).__name__
                break
        if problem is not None:
            if not self._complete:
                # Raised outside the except clause, so the reason is the innermost cause.
                raise MalformedAnswer(f"not a valid HTTP answer ({problem})")
            self.reusable = False  # bytes after the answer that are not HTTP
        return self._answer()

    def close(self) -> None:
        """Close the socket (any thread; a read in progress then fails)."""
        sock, self.sock = self.sock, None
        if sock is not None:
            sock.close()

    def _socket(self) -> socket.socket:
        """The socket, or the error a closed one gives (closed by another thread)."""
        sock = self.sock
        if sock is None:
            raise OSError(errno.EBADF, "the connection was closed")
        return sock

    # httptools' callbacks, in the order llhttp makes them for each message.

    def on_message_begin(self) -> None:
        if self._complete:
            self.reusable = False  # more bytes after the answer: unasked, not trusted
        else:
            self._start_message()

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._complete:
            return
        name = name.lower()
        if name == b"content-type":
            self._content_type.append(value)
        elif name == b"content-length":
            self._framed = True
            self._length = int(value) if value.strip().isdigit() else None
        elif name == b"transfer-encoding" and b"chunked" in value.lower():
            self._framed = True

    def on_headers_complete(self) -> None:
        if not self._complete:
            self._headers_done = True

    def on_body(self, body: bytes) -> None:
        if not self._complete:
            self._body.append(body)

    def on_message_complete(self) -> None:
        if self._complete:
            return
        parser = self._parser
        status = parser.get_status_code()
        if status < 200:  # 100 Continue and other interim answers: the answer follows
            self._headers_done = False
            return
        self._status = status
        self._complete = True
        # Asked here: llhttp forgets the message's flags once this callback returns.
        self.reusable = parser.should_keep_alive() and parser.get_http_version() == "1.1"

    def _start_message(self) -> None:
        self._status = 0
        self._content_type = []
        self._body = []
        self._framed = False
        self._length = None
        self._headers_done = False

    def _at_end_of_connection(self) -> tuple[int, bytes, str]:
        """The server closed: the end of a close-framed answer, or too early."""
        self.reusable = False
        if not self._headers_done:
            raise http.client.RemoteDisconnected("Remote end closed connection without response")
        body = b"".join(self._body)
        if self._framed:
            missing = None if self._length is None else self._length - len(body)
            raise http.client.IncompleteRead(body, missing)
        self._status = self._parser.get_status_code()
        self._complete = True
        return self._answer()

    def _answer(self) -> tuple[int, bytes, str]:
        body = self._body
        content = body[0] if len(body) == 1 else b"".join(body)
        content_type = b", ".join(self._content_type).decode("latin-1")
        return self._status, content, content_type
