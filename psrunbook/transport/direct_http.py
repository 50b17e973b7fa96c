"""One WSMan message sent on a kept-alive HTTP(S) connection, without requests.

pypsrp sends every message through requests, which prepares, hooks and merges settings
for each request before urllib3 and ``http.client`` do the work: about 2 ms of CPU per
request, nine requests per node and step run (issue 16). For a session that needs none of
that (Basic or certificate auth, no message encryption, no proxy), :func:`install`
replaces the pypsrp transport's ``send`` with :class:`DirectSender`, which writes the same
request itself: the same headers in the same order, the same answers to a 401 or another
HTTP error, the same TLS checks.

The request's head is written once per sender, by ``http.client`` itself (so byte for
byte what urllib3 sends), and each message goes out in one ``sendall`` of head and body;
the answer is read by :class:`~psrunbook.transport.http_connection.HttpConnection` with
llhttp (``httptools``). Through ``http.client`` (``putrequest``, ``putheader``,
``endheaders``, ``getresponse``, urllib3's ``wait_for_read`` for the idle check) this
sender cost 0.20 to 0.25 ms of CPU per exchange on a loopback keep-alive POST; written
this way 0.03 to 0.05 ms (side by side in one process; http_connection's docstring says
why llhttp rather than a hand-written reader). In a 32-node run against the lab, 32
threads contending for the interpreter, the thread CPU of ``send`` (288 messages) went
from 0.57 to 0.67 ms a message to 0.21 to 0.32 ms.

TLS is not hand-made: the context is urllib3's (``create_urllib3_context``: TLS 1.2 or
later, urllib3's options) with the CA bundle requests would use (``cert_validation``
True: ``REQUESTS_CA_BUNDLE`` or ``CURL_CA_BUNDLE`` as pypsrp reads them, else requests'
own bundle; a path: that file or directory; False: no check). The host name is checked by
OpenSSL, as urllib3 does. NTLM, Kerberos, Negotiate, CredSSP, message encryption and a
named proxy keep pypsrp's requests path unchanged.

A POST is never sent twice: an idle connection the server closed is noticed before the
message is written (and a new one opened); a failure after that is raised. The errors
raised here (:class:`SendFailed` and its subclasses, each with the socket's or TLS's own
error as ``__cause__``) are mapped to psrunbook's errors by
:mod:`psrunbook.transport.error_mapping` with the same texts as requests' errors; their
own texts never contain a header, so never a credential.
"""

from __future__ import annotations

import base64
import errno
import http.client
import os
import socket
import ssl
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from psrunbook.transport.http_connection import HttpConnection

WINRM_CERTIFICATE_AUTHORIZATION = (
    "http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual"
)
"""The ``Authorization`` header WinRM expects with a client certificate (as pypsrp sends)."""

_DIRECT_AUTHS = frozenset({"basic", "certificate"})

Timeout = float | tuple[float, float] | None
"""pypsrp's ``timeout``: one value for connect and read, a (connect, read) pair, or None."""


class SendFailed(Exception):
    """The message could not be sent, or its answer not read; ``__cause__`` says why."""


class ConnectFailed(SendFailed):
    """No connection could be opened: nothing of the message was sent."""


class TlsFailed(ConnectFailed):
    """The TLS handshake failed or the node's certificate was not trusted."""


class ReadTimedOut(SendFailed):
    """The message was sent but no answer came within the read timeout."""


def eligible(transport: Any) -> bool:
    """True when requests adds nothing to ``transport`` (a pypsrp ``_TransportHTTP``).

    Basic or certificate auth put one fixed header on every request; with no message
    encryption and no proxy (psrunbook's ``no_proxy``, set for every node without one),
    and no urllib3 retries, what requests does beyond that is bookkeeping.
    """
    return (
        transport.auth in _DIRECT_AUTHS
        and not transport.wrap_required
        and transport.proxy is None
        and bool(transport.no_proxy)
        and not transport.reconnection_retries
    )


def install(transport: Any) -> None:
    """Send ``transport``'s messages with a :class:`DirectSender` when it is :func:`eligible`.

    The sender is built at the first message, as pypsrp builds its requests session, and
    its connections are closed by the transport's ``close``. A caller asking pypsrp to
    retry a timed-out read (none in psrunbook: ``StepBoundWSMan.receive`` never does)
    gets pypsrp's own path, which does that.
    """
    if not eligible(transport):
        return
    pypsrp_send: Callable[..., bytes] = transport.send
    pypsrp_close: Callable[[], None] = transport.close
    senders: list[DirectSender] = []

    def send(message: bytes, *, retries_on_read_timeout: int = 0, timeout: Timeout = None) -> bytes:
        if retries_on_read_timeout:
            return pypsrp_send(
                message, retries_on_read_timeout=retries_on_read_timeout, timeout=timeout
            )
        if not senders:
            senders.append(DirectSender.for_transport(transport))
        return senders[0].send(message, timeout=timeout)

    def close() -> None:
        for sender in senders:
            sender.close()
        pypsrp_close()

    transport.send = send
    transport.close = close
    transport.direct_senders = senders  # what a test or a debugger can look at


class DirectSender:
    """POSTs WSMan messages to one endpoint on kept-alive connections; thread safe.

    Messages of one session are sent one after the other, but an interrupt stops a
    pipeline from another thread while a Receive waits: that message gets a connection of
    its own, as requests' pool would give it.
    """

    def __init__(
        self,
        *,
        transport: Any,
        headers: tuple[list[tuple[str, str]], list[tuple[str, str]]],
        tls: Callable[[], ssl.SSLContext] | None,
    ) -> None:
        self._transport = transport
        self._tls = tls
        self._context: ssl.SSLContext | None = None
        self._idle: list[HttpConnection] = []
        self._open: set[HttpConnection] = set()
        self._lock = threading.Lock()
        self._address = f"{transport.server}:{transport.port}"
        self._host, self._port, self._head = _request_head(transport, headers, tls=tls is not None)
        """Where to connect (as ``http.client`` reads the server) and the request's head
        split around its Content-Length value: (up to ``Content-Length: ``, the rest)."""
        # A session dropped without close (a pool that failed to open) closes its sockets
        # when collected, without a ResourceWarning, as urllib3's pools do.
        weakref.finalize(self, _close_all, self._open)

    @classmethod
    def for_transport(cls, transport: Any) -> DirectSender:
        """The sender for an :func:`eligible` pypsrp transport, with requests' headers.

        The headers and their order are those requests sends for pypsrp's session (its
        defaults, pypsrp's ``User-Agent`` and ``Accept-Encoding``, then the message's);
        Basic credentials are encoded as UTF-8, as psrunbook's ``Utf8BasicAuth`` does.
        """
        leading = [
            ("User-Agent", "Python PSRP Client"),
            ("Accept-Encoding", "identity"),
            ("Accept", "*/*"),
            ("Connection", "keep-alive"),
        ]
        content_type = ("Content-Type", "application/soap+xml;charset=UTF-8")
        headers: tuple[list[tuple[str, str]], list[tuple[str, str]]]
        if transport.auth == "certificate":
            authorization = ("Authorization", WINRM_CERTIFICATE_AUTHORIZATION)
            headers = ([*leading, authorization, content_type], [])
        else:
            if transport.username is None or transport.password is None:
                raise ValueError("For basic auth, the username and password must be specified")
            authorization = (
                "Authorization",
                basic_authorization(transport.username, transport.password),
            )
            headers = ([*leading, content_type], [authorization])
        tls = (lambda: tls_context(transport)) if transport.ssl else None
        return cls(transport=transport, headers=headers, tls=tls)

    def __repr__(self) -> str:
        return f"DirectSender({self._address})"

    def send(self, message: bytes, *, timeout: Timeout = None) -> bytes:
        """The answer's body to ``message``, or pypsrp's error for an HTTP error status.

        401 raises pypsrp's ``AuthenticationError`` and any other status from 300 up its
        ``WinRMTransportError`` with the body, from which pypsrp reads a WSMan fault. A
        redirect is not followed (requests would follow it, as a GET): WinRM never sends
        one, and the message with its credentials goes only to the endpoint configured.
        """
        connect_s, read_s = self._timeouts(timeout)
        connection = self._reusable() or self._connect(connect_s)
        try:
            status, body, content_type = self._exchange(connection, message, read_s)
        except BaseException:
            self._discard(connection)
            raise
        if connection.reusable:
            self._idle.append(connection)
        else:  # Connection: close, HTTP/1.0, an answer framed by the close, an early answer
            self._discard(connection)
        if status < 300:
            return body
        from pypsrp.exceptions import AuthenticationError, WinRMTransportError  # noqa: PLC0415 (pypsrp is imported only to connect)

        if status == 401:
            transport = self._transport
            raise AuthenticationError(
                f"Failed to authenticate the user {transport.username} with {transport.auth}"
            )
        raise WinRMTransportError("http", status, _text(body, content_type))

    def close(self) -> None:
        """Close every connection, idle or not."""
        with self._lock:
            self._idle.clear()
        _close_all(self._open)

    def _timeouts(self, timeout: Timeout) -> tuple[float | None, float | None]:
        """(connect, read) seconds, read as requests reads pypsrp's ``timeout``."""
        if timeout is None:
            return self._transport.connection_timeout, self._transport.read_timeout
        if isinstance(timeout, tuple):
            return timeout
        return timeout, timeout

    def _reusable(self) -> HttpConnection | None:
        """An idle connection still open, closing those the server closed meanwhile."""
        while self._idle:
            try:
                connection = self._idle.pop()
            except IndexError:  # taken by another thread meanwhile
                return None
            if connection.idle_and_open():
                return connection
            self._discard(connection)
        return None

    def _connect(self, connect_s: float | None) -> HttpConnection:
        """A new connection, TCP and TLS done, or :class:`ConnectFailed`."""
        from pypsrp._pool_manager import (  # noqa: PLC0415 (pypsrp is imported only to connect)
            DisableNewConnectionsContext,
            NewConnectionDisabled,
        )

        # RunspacePool.is_alive asks for no new connection: a closed one means "not alive".
        if DisableNewConnectionsContext.current() is not None:
            raise NewConnectionDisabled()
        if self._tls is not None and self._context is None:
            try:
                self._context = self._tls()
            except (ssl.SSLError, OSError) as exc:  # the CA bundle or client certificate
                raise TlsFailed(f"TLS with {self._address} failed") from exc
        sock: socket.socket | None = None
        try:
            # As http.client connects: the connect timeout covers TCP and the TLS handshake.
            sock = socket.create_connection((self._host, self._port), connect_s)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._context is not None:
                sock = self._context.wrap_socket(sock, server_hostname=self._host)
        except (ssl.SSLError, ssl.CertificateError) as exc:
            _close(sock)  # a socket left half way (TLS refused) is closed now
            raise TlsFailed(f"TLS with {self._address} failed") from exc
        except TimeoutError as exc:
            _close(sock)
            raise ConnectFailed(
                f"connecting to {self._address} timed out (connect timeout={connect_s})"
            ) from exc
        except BaseException as exc:
            _close(sock)
            if isinstance(exc, OSError):
                raise ConnectFailed(f"cannot connect to {self._address}") from exc
            raise
        connection = HttpConnection(sock, connect_s)
        with self._lock:
            self._open.add(connection)
        return connection

    def _exchange(
        self, connection: HttpConnection, message: bytes, read_s: float | None
    ) -> tuple[int, bytes, str]:
        """Write the request in one ``sendall``, read the whole answer: (status, body, type)."""
        before, after = self._head
        try:
            # As http.client writes a bytes body: head and body in one buffer, one write.
            connection.send(before + str(len(message)).encode() + after + message, read_s)
        except OSError as exc:
            # A server that answers early (a 401 or 413) may close while the body is sent:
            # its answer is still read, as urllib3 does. Anything else ends here.
            if exc.errno not in (errno.EPIPE, errno.ECONNRESET, errno.EPROTOTYPE):
                raise SendFailed(f"sending to {self._address} failed") from exc
            early = True
        else:
            early = False
        try:
            answer = connection.read_answer()
        except TimeoutError as exc:
            raise ReadTimedOut(f"no answer from {self._address} (read timeout={read_s})") from exc
        except (OSError, http.client.HTTPException) as exc:
            raise SendFailed(f"reading the answer from {self._address} failed") from exc
        if early:  # the rest of the request may still be on its way: never reused
            connection.reusable = False
        return answer

    def _discard(self, connection: HttpConnection) -> None:
        with self._lock:
            self._open.discard(connection)
        connection.close()


def basic_authorization(username: str, password: str) -> str:
    """The ``Authorization`` value of Basic auth, credentials in UTF-8 (RFC 7617 2.1).

    requests' ``HTTPBasicAuth`` encodes them as Latin-1 and fails on any other
    character; this is the one place psrunbook writes the header, for both paths.
    """
    token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def _request_head(
    transport: Any, headers: tuple[list[tuple[str, str]], list[tuple[str, str]]], *, tls: bool
) -> tuple[str, int, tuple[bytes, bytes]]:
    """(host, port, head split at the Content-Length value) as ``http.client`` writes them.

    The head is written once, by ``http.client`` itself into a connection that never
    connects, so the request line, the ``Host`` header (the port left out when it is the
    scheme's default, an IPv6 address in brackets) and each header line are byte for byte
    what urllib3 sends for requests; only the Content-Length value changes per message.
    """
    before_length, after_length = headers
    recorder = _HeadRecorder(transport.server, transport.port)
    if tls:
        recorder.default_port = http.client.HTTPS_PORT
    recorder.putrequest("POST", "/" + transport.path, skip_accept_encoding=True)
    for name, value in before_length:
        recorder.putheader(name, value)
    recorder.putheader("Content-Length", "0")
    for name, value in after_length:
        recorder.putheader(name, value)
    recorder.endheaders()
    marker = b"\r\nContent-Length: 0\r\n"
    before, found, after = recorder.head.partition(marker)
    assert found and marker not in after, "Content-Length is written once, by this module"
    return recorder.host, recorder.port, (before + b"\r\nContent-Length: ", b"\r\n" + after)


class _HeadRecorder(http.client.HTTPConnection):
    """An ``http.client`` connection that keeps what it would send instead of sending it."""

    head = b""

    def send(self, data: Any) -> None:
        self.head += bytes(data)


def _close(sock: socket.socket | None) -> None:
    if sock is not None:
        sock.close()


def _close_all(connections: set[HttpConnection]) -> None:
    while connections:
        try:
            connection = connections.pop()
        except KeyError:  # emptied by another thread meanwhile
            return
        connection.close()


def tls_context(transport: Any) -> ssl.SSLContext:
    """urllib3's TLS context with the CA bundle and client certificate pypsrp gives requests.

    ``cert_validation`` is True, False or a CA bundle path (file or directory), as pypsrp
    hands it to requests' ``verify``; True means the bundle named by ``REQUESTS_CA_BUNDLE``
    or ``CURL_CA_BUNDLE`` (pypsrp reads the environment for it) or else requests' own.
    """
    from requests.utils import DEFAULT_CA_BUNDLE_PATH  # noqa: PLC0415 (transport-only dependency)
    from urllib3.util import create_urllib3_context  # noqa: PLC0415 (transport-only dependency)

    verify = transport.cert_validation
    if verify is False:
        context = create_urllib3_context(cert_reqs=ssl.CERT_NONE)
    else:
        context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
        if verify is True:
            verify = (
                os.environ.get("REQUESTS_CA_BUNDLE")
                or os.environ.get("CURL_CA_BUNDLE")
                or DEFAULT_CA_BUNDLE_PATH
            )
        if Path(verify).is_dir():
            context.load_verify_locations(capath=verify)
        else:
            context.load_verify_locations(cafile=verify)
    if transport.auth == "certificate":
        context.load_cert_chain(
            transport.certificate_pem,
            transport.certificate_key_pem,
            password=transport.certificate_key_password,
        )
    return context


def _text(body: bytes, content_type: str) -> str:
    """The body as text, in the Content-Type's charset (UTF-8 when none is named)."""
    _, _, charset = content_type.lower().partition("charset=")
    encoding = charset.split(";")[0].strip().strip('"') or "utf-8"
    try:
        return body.decode(encoding, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")
