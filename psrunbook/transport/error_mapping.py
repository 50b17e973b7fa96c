"""Translates pypsrp, requests, direct_http and spnego errors into psrunbook's error tree, once.

Everything else in the engine sees only :class:`psrunbook.errors.TransportError`
subclasses, each with the node named and the original exception kept as ``__cause__``.
"""

from __future__ import annotations

import errno
import http.client
import re
import socket

from psrunbook.errors import (
    AuthenticationFailed,
    CertificateInvalid,
    ConnectionFailed,
    TransportError,
    TransportTimeout,
    WSManFault,
)

WSMAN_OPERATION_TIMEOUT = 2150858793
"""The fault WinRM answers when a Receive long-poll ends without output (0x80338029)."""

_FAULT_HINTS = {
    2150858811: (
        ": the node has no session configuration of that name (ERROR_WSMAN_INVALID_"
        "RESOURCE_URI); check connection.configuration_name in the inventory "
        '("Microsoft.PowerShell" unless the node registered another)'
    ),
}
"""What to do about a WSMan fault an inventory setting causes, by fault code."""


def translate(exc: BaseException, node: str, *, address: str | None = None) -> TransportError:
    """The engine error for a third-party exception raised while talking to ``node``.

    ``address`` is the ``host:port`` connected to; without it, it is taken from the
    exception when urllib3 recorded it. A fault of the network or of TLS says "cannot
    connect to NODE (host:port): reason" in words, never urllib3's repr of its pool.
    """
    import requests  # noqa: PLC0415 (transport-only dependency)
    from pypsrp.exceptions import (  # noqa: PLC0415 (transport-only dependency)
        AuthenticationError,
        WinRMTransportError,
        WSManFaultError,
    )

    from psrunbook.transport.direct_http import ReadTimedOut, SendFailed, TlsFailed  # noqa: PLC0415 (transport-only)

    if isinstance(exc, TransportError):
        return exc
    where = f"{node} ({address or _address_of(exc) or 'unknown address'})"
    if isinstance(exc, requests.exceptions.SSLError | TlsFailed):
        return CertificateInvalid(
            f"cannot connect to {where}: {connect_reason(exc)}; "
            "set connection.ca_bundle to the issuing CA",
            node=node,
        )
    if isinstance(exc, requests.exceptions.ReadTimeout | ReadTimedOut):
        return TransportTimeout(
            f"no answer from {where} within {_seconds(exc, 'read')} (read timeout)", node=node
        )
    if isinstance(exc, requests.exceptions.ConnectionError | SendFailed):
        reason = connect_reason(exc)
        return ConnectionFailed(
            f"cannot connect to {where}: {reason}",
            node=node,
            retryable=reason != NAME_DOES_NOT_RESOLVE,
        )
    if isinstance(exc, AuthenticationError):
        return AuthenticationFailed(
            f"{node}: authentication failed ({_first_line(exc)}); check the user and password",
            node=node,
        )
    if isinstance(exc, WSManFaultError):
        reason = (exc.reason or "").strip() or "no reason given"
        hint = _FAULT_HINTS.get(exc.code or 0, "")
        return WSManFault(
            f"{node}: WSMan fault {exc.code}: {reason}{hint}", code=exc.code, node=node
        )
    if isinstance(exc, WinRMTransportError):
        hint = _STATUS_HINTS.get(exc.code, "")
        return HttpStatusError(
            f"{node}: HTTP {exc.code} from the WinRM endpoint{hint}", status=exc.code, node=node
        )
    return TransportError(f"{node}: {type(exc).__name__}: {_first_line(exc)}", node=node)


_STATUS_HINTS = {
    413: (
        " (a request above the node's MaxEnvelopeSizekb quota): lower max_envelope_size in"
        " the inventory to at most the node's quota (WinRM's default 500 KB; 153600 bytes"
        " fits every node) or raise MaxEnvelopeSizekb on the node"
    ),
}
"""What an HTTP status from WinRM means for the operator, where it names a setting to change."""

NAME_DOES_NOT_RESOLVE = "name does not resolve"
CONNECTION_REFUSED = "connection refused"
TIMED_OUT = "timed out"


def never_connected(exc: BaseException) -> bool:
    """Whether ``exc`` is a request's connection failing to be made (refused, no route, a
    name that does not resolve, a connect timeout, a TLS handshake psrunbook's own
    sender could not complete): the request never left this machine. A reset, a closed
    connection or a read timeout may come after the node received it."""
    from urllib3.exceptions import ConnectTimeoutError, NewConnectionError  # noqa: PLC0415 (transport-only dependency)

    from psrunbook.transport.direct_http import ConnectFailed  # noqa: PLC0415 (transport-only)

    return any(
        isinstance(cause, NewConnectionError | ConnectTimeoutError | ConnectFailed)
        for cause in _causes(exc)
    )


def connect_reason(exc: BaseException) -> str:
    """Why a connection failed, in a few words, from the exceptions requests chained.

    requests wraps urllib3's ``MaxRetryError``, which wraps ``NewConnectionError`` (or
    ``NameResolutionError``, ``ConnectTimeoutError``, ``SSLError``, ``ProtocolError``),
    which wraps the socket's own ``OSError``: the innermost known cause decides.
    """
    import ssl  # noqa: PLC0415 (only when classifying a failure)

    from urllib3.exceptions import (  # noqa: PLC0415 (transport-only dependency)
        ConnectTimeoutError,
        NameResolutionError,
    )

    chain = _causes(exc)
    for cause in chain:
        if isinstance(cause, ssl.SSLCertVerificationError):
            detail = cause.verify_message or "certificate not trusted"
            return f"TLS verification failed ({detail})"
    # The socket's own error first: urllib3's NewConnectionError derives from
    # ConnectTimeoutError, so its class alone would call a reset a timeout.
    for cause in chain:
        if isinstance(cause, socket.gaierror):
            return NAME_DOES_NOT_RESOLVE
        if isinstance(cause, ConnectionRefusedError):
            return CONNECTION_REFUSED
        if isinstance(cause, ConnectionResetError | ConnectionAbortedError | BrokenPipeError):
            return "connection reset"
        if isinstance(cause, http.client.RemoteDisconnected):
            return "connection closed without an answer"
        if isinstance(cause, TimeoutError):
            return f"{TIMED_OUT} after {_seconds(exc, 'connect')}"
        if isinstance(cause, OSError) and cause.errno in _ERRNO_REASONS:
            return _ERRNO_REASONS[cause.errno]
    for cause in chain:
        if isinstance(cause, NameResolutionError):
            return NAME_DOES_NOT_RESOLVE
        if isinstance(cause, ConnectTimeoutError):
            return f"{TIMED_OUT} after {_seconds(exc, 'connect')}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake failed ({cause.reason or _first_line(cause)})"
    # Not one we know: the innermost cause's own words, never urllib3's repr of its pool.
    return _first_line(chain[-1])


_ERRNO_REASONS = {
    errno.EHOSTUNREACH: "no route to host",
    errno.ENETUNREACH: "network unreachable",
    errno.ETIMEDOUT: TIMED_OUT,
}


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and everything it wraps (``reason``, exception ``args``, causes), outermost first."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        inner = [getattr(current, "reason", None), current.__cause__, current.__context__]
        inner += list(current.args)
        todo += [e for e in inner if isinstance(e, BaseException)]
    return seen


def _address_of(exc: BaseException) -> str | None:
    """``host:port`` of the urllib3 pool in the chain, if one is recorded there."""
    for cause in _causes(exc):
        pool = getattr(cause, "pool", None)
        host, port = getattr(pool, "host", None), getattr(pool, "port", None)
        if host is not None and port is not None:
            return f"{host}:{port}"
    return None


def _seconds(exc: BaseException, which: str) -> str:
    """The timeout urllib3 quoted in its message ("connect timeout=30"), as "30 s"."""
    match = re.search(rf"{which} timeout=([0-9.]+)", str(exc))
    return f"{float(match.group(1)):g} s" if match else "the timeout"


class HttpStatusError(TransportError):
    """The endpoint answered an HTTP error status instead of a WSMan message."""

    def __init__(self, message: str, *, status: int, node: str | None = None) -> None:
        super().__init__(message, node=node)
        self.status = status


def is_transient(error: TransportError) -> bool:
    """Worth retrying: the node may answer next time and nothing was half done by us."""
    if isinstance(error, ConnectionFailed):
        return error.retryable
    if isinstance(error, TransportTimeout):
        return True
    if isinstance(error, HttpStatusError):
        return error.status >= 500
    if isinstance(error, WSManFault):
        return error.code == WSMAN_OPERATION_TIMEOUT
    return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__
