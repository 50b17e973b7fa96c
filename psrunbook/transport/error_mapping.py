"""Translates pypsrp, requests and spnego errors into psrunbook's error tree, once.

Everything else in the engine sees only :class:`psrunbook.errors.TransportError`
subclasses, each with the node named and the original exception kept as ``__cause__``.
"""

from __future__ import annotations

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


def translate(exc: BaseException, node: str) -> TransportError:
    """The engine error for a third-party exception raised while talking to ``node``."""
    import requests  # noqa: PLC0415 (transport-only dependency)
    from pypsrp.exceptions import (  # noqa: PLC0415 (transport-only dependency)
        AuthenticationError,
        WinRMTransportError,
        WSManFaultError,
    )

    if isinstance(exc, TransportError):
        return exc
    if isinstance(exc, requests.exceptions.SSLError):
        return CertificateInvalid(
            f"{node}: TLS certificate verification failed ({_first_line(exc)}); "
            "set connection.ca_bundle to the issuing CA",
            node=node,
        )
    if isinstance(exc, requests.exceptions.ConnectTimeout | requests.exceptions.ReadTimeout):
        return TransportTimeout(f"{node}: no answer in time ({_first_line(exc)})", node=node)
    if isinstance(exc, requests.exceptions.ConnectionError):
        return ConnectionFailed(f"{node}: connection failed ({_reason(exc)})", node=node)
    if isinstance(exc, AuthenticationError):
        return AuthenticationFailed(
            f"{node}: authentication failed ({_first_line(exc)}); check the user and password",
            node=node,
        )
    if isinstance(exc, WSManFaultError):
        reason = (exc.reason or "").strip() or "no reason given"
        return WSManFault(f"{node}: WSMan fault {exc.code}: {reason}", code=exc.code, node=node)
    if isinstance(exc, WinRMTransportError):
        return HttpStatusError(
            f"{node}: HTTP {exc.code} from the WinRM endpoint", status=exc.code, node=node
        )
    return TransportError(f"{node}: {type(exc).__name__}: {_first_line(exc)}", node=node)


class HttpStatusError(TransportError):
    """The endpoint answered an HTTP error status instead of a WSMan message."""

    def __init__(self, message: str, *, status: int, node: str | None = None) -> None:
        super().__init__(message, node=node)
        self.status = status


def is_transient(error: TransportError) -> bool:
    """Worth retrying: the node may answer next time and nothing was half done by us."""
    if isinstance(error, ConnectionFailed | TransportTimeout):
        return True
    if isinstance(error, HttpStatusError):
        return error.status >= 500
    if isinstance(error, WSManFault):
        return error.code == WSMAN_OPERATION_TIMEOUT
    return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def _reason(exc: BaseException) -> str:
    text = str(exc)
    for marker in (
        "Connection refused",
        "Connection reset",
        "Connection aborted",
        "Name or service not known",
        "No route to host",
        "timed out",
    ):
        if marker.lower() in text.lower():
            return marker.lower()
    return _first_line(exc)
