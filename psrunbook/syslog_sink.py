"""``--log-syslog``: how events leave as syslog messages, over UDP, TCP or TLS.

The message itself (RFC 5424 header, ECS JSON body) is :mod:`psrunbook.logging`'s
business; this module only carries it:

- ``udp://HOST[:PORT]`` (default, port 514): one datagram per message (RFC 5426); a
  message no datagram carries (over 65,507 bytes) is dropped, the first with a warning.
- ``tcp://HOST[:PORT]`` (port 514): a stream, each message ended by LF (RFC 6587
  non-transparent framing; the JSON holds no raw LF).
- ``tls://HOST[:PORT]`` or ``tcp+tls://`` (port 6514, RFC 5425 section 4.1): TLS 1.2 or
  later, the receiver's certificate verified against the system's CAs or the bundle named
  by ``--log-syslog-ca`` and its name checked, each message octet-counted as RFC 5425
  section 4.3 requires (``MSG-LEN SP SYSLOG-MSG``).

A stream receiver is connected (and a TLS one verified) before the command does anything,
so a wrong port or an untrusted certificate is an input error (exit 2), never a run that
silently logs nowhere. If the receiver goes away part way through, one warning says so and
the run goes on: the journal is the record of the run, syslog a copy.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import msgspec

from psrunbook.errors import UserError
from psrunbook.secrets import MASK, mask_url, redact_text

if TYPE_CHECKING:
    import ssl
    from socket import socket as _socket_type

Transport = Literal["udp", "tcp", "tls"]

_SCHEMES: Final[dict[str, Transport]] = {
    "udp": "udp",
    "tcp": "tcp",
    "tls": "tls",
    "tcp+tls": "tls",
}
_DEFAULT_PORTS: Final[dict[Transport, int]] = {"udp": 514, "tcp": 514, "tls": 6514}
_CONNECT_TIMEOUT_S: Final = 10.0
"""Bounds the connection, the TLS handshake and every later send: a receiver that stops
reading costs the run at most this long once, then it is given up."""
_FORMS: Final = (
    "give udp://HOST[:PORT], tcp://HOST[:PORT] or tls://HOST[:PORT] "
    "(default udp; port 514, 6514 for tls)"
)
CA_OPTION: Final = "--log-syslog-ca"
CA_ENV: Final = "PSRUNBOOK_LOG_SYSLOG_CA"


class SyslogTarget(msgspec.Struct, frozen=True):
    """Where syslog messages go, as ``--log-syslog`` named it."""

    text: str
    """The option's value as messages show it (credentials masked)."""
    host: str
    port: int
    transport: Transport


def _shown(text: str) -> str:
    """``text`` as messages show it: any user information (syslog has no login, so it
    can only be a mistake, maybe a password) and credential-like query values ``***``."""
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "", text
    at = rest.rfind("@")
    if at >= 0:
        rest = MASK + rest[at:]
    return mask_url(f"{scheme}{sep}{rest}")


def parse_target(text: str) -> SyslogTarget:
    """``[SCHEME://]HOST[:PORT]`` to a target; UserError naming the option and the forms.

    The target's ``text`` is what messages show (:func:`_shown`), never a credential.
    """
    shown = _shown(text)
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, rest = "udp", text
    if "@" in rest:
        raise UserError(
            f"--log-syslog {shown!r}: syslog receivers take no user name or password; "
            f"remove them: {_FORMS}"
        )
    if any(mark in rest for mark in "/?#"):
        raise UserError(f"--log-syslog {shown!r}: takes no path or query: {_FORMS}")
    if rest.startswith("["):  # [IPv6]:PORT
        host, closed, tail = rest[1:].partition("]")
        if not closed or (tail and not tail.startswith(":")):
            host = ""  # "[::1" or "[::1]x": refused below, as any malformed target
        port_text = tail.removeprefix(":")
    else:
        host, _, port_text = rest.rpartition(":") if ":" in rest else (rest, "", "")
    transport = _SCHEMES.get(scheme.lower())
    try:
        port = int(port_text) if port_text else _DEFAULT_PORTS[transport or "udp"]
    except ValueError:
        port = -1
    if transport is None or not host or not 0 < port < 65536:
        raise UserError(f"--log-syslog {shown!r}: {_FORMS}")
    return SyslogTarget(text=shown, host=host, port=port, transport=transport)


def report_failed_record(handler: logging.Handler, where: str) -> None:
    """Say once, on stderr and redacted, that ``handler`` could not write a record.

    For every psrunbook handler, in place of :meth:`logging.Handler.handleError`: that
    prints a traceback and the raw event (``Message: {...}``, before any redaction, so a
    secret in the event reached stderr) for every failed record. One line per handler
    names where and why; later records are still tried. Call it from an ``except``.
    """
    if getattr(handler, "_psrunbook_reported", False):
        return
    handler._psrunbook_reported = True  # type: ignore[attr-defined]  # a mark, not an API
    error = sys.exc_info()[1]
    reason = "unknown error" if error is None else f"{type(error).__name__}: {error}"
    try:
        sys.stderr.write(
            f"warning: {where}: a log record could not be written ({redact_text(reason)}); "
            "it is left out there, later records are still written, the run continues "
            "(the journal is the record of the run)\n"
        )
        sys.stderr.flush()
    except (OSError, ValueError):
        pass  # stderr itself is gone: nowhere left to say it


def _priority(record: logging.LogRecord) -> bytes:
    """``<PRI>``: facility user, severity from the record's level (as SysLogHandler maps it)."""
    names = logging.handlers.SysLogHandler
    severity = names.priority_names[names.priority_map.get(record.levelname, "warning")]
    return b"<%d>" % ((names.LOG_USER << 3) | severity)


_MAX_DATAGRAM: Final = 65507
"""The largest UDP payload over IPv4 (65,535 less the IP and UDP headers)."""


class DatagramSyslogHandler(logging.handlers.SysLogHandler):
    """UDP: one message per datagram (RFC 5426), over the standard library's socket.

    A message that cannot be sent (larger than a datagram carries, or refused by the
    network) is dropped: the first such drop prints one warning to stderr that names the
    target and the way out, and later messages are still sent. The standard handler
    printed a traceback and the raw, unredacted event for every one of them.
    """

    socket: _socket_type
    """The standard library's datagram socket (typeshed does not declare it)."""
    target_text: str = "udp"
    """The target as messages show it (set by :func:`syslog_handler`)."""
    _dropped: bool = False

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = _priority(record) + self.format(record).encode("utf-8")
        except Exception:  # noqa: BLE001  a formatting bug: one redacted report, the run goes on
            report_failed_record(self, f"--log-syslog {self.target_text}")
            return
        try:
            self.socket.sendto(message, self.address)
        except OSError as exc:
            self._drop(exc.strerror or str(exc), len(message))

    def _drop(self, reason: str, size: int) -> None:
        if self._dropped:
            return
        self._dropped = True
        why = (
            f"{size} bytes, more than one UDP datagram carries ({_MAX_DATAGRAM}); "
            "tcp:// or tls:// carry events of any size"
            if size > _MAX_DATAGRAM
            else "check the receiver and the network, or use tcp:// or tls://"
        )
        try:
            sys.stderr.write(
                f"warning: --log-syslog {self.target_text}: an event was not sent ({reason}: "
                f"{why}); later events that cannot be sent are dropped without a word, the "
                "run continues (the journal is the record of the run)\n"
            )
            sys.stderr.flush()
        except (OSError, ValueError):
            pass


class StreamSyslogHandler(logging.Handler):
    """TCP or TLS: one connected socket, LF-framed or octet-counted messages.

    The first failed send prints one warning to stderr and closes the socket; later
    records are dropped from syslog only (the standard handler would print a traceback
    for each of them and drown the run's output).
    """

    def __init__(self, connection: socket.socket, target: SyslogTarget) -> None:
        super().__init__(logging.DEBUG)
        self._socket: socket.socket | None = connection
        self._target = target
        self._octet_counted = target.transport == "tls"

    def emit(self, record: logging.LogRecord) -> None:
        connection = self._socket
        if connection is None:
            return
        try:
            message = _priority(record) + self.format(record).encode("utf-8")
            # RFC 5425 section 4.3 over TLS; RFC 6587 non-transparent framing over TCP.
            framed = b"%d " % len(message) + message if self._octet_counted else message + b"\n"
            connection.sendall(framed)
        except OSError as exc:
            self._give_up(exc.strerror or str(exc))
        except Exception:  # noqa: BLE001  a formatting bug: one redacted report, the run goes on
            report_failed_record(self, f"--log-syslog {self._target.text}")

    def _give_up(self, reason: str) -> None:
        connection, self._socket = self._socket, None
        if connection is not None:
            connection.close()
        try:
            sys.stderr.write(
                f"warning: --log-syslog {self._target.text}: cannot send ({reason}); "
                "further events are not sent to it, the run continues "
                "(the journal is the record of the run)\n"
            )
            sys.stderr.flush()
        except OSError:
            pass

    def close(self) -> None:
        self.acquire()
        try:
            connection, self._socket = self._socket, None
            if connection is not None:
                _close_gracefully(connection)
        finally:
            self.release()
        super().close()


def _close_gracefully(connection: socket.socket) -> None:
    """Close so that the receiver gets every message, then a TLS closure alert.

    A socket closed with unread bytes waiting (TLS 1.3 session tickets the receiver sent
    after the handshake) ends in a TCP reset, and a reset can make the receiver drop the
    last messages it had not read yet. So whatever arrived is read and discarded first;
    then ``close_notify`` is sent (RFC 5425 section 4.4) without waiting for the answer.
    """
    try:
        connection.setblocking(False)
        while connection.recv(65536):
            pass
    except (BlockingIOError, OSError):
        pass  # nothing more to read (SSLWantReadError is an OSError), or already gone
    unwrap = getattr(connection, "unwrap", None)
    if unwrap is not None:
        # The peer's own alert is not awaited (SSLWantReadError), or the peer is gone.
        with contextlib.suppress(OSError):
            unwrap()
    connection.close()


SYSLOG_HANDLERS: Final = (DatagramSyslogHandler, StreamSyslogHandler)
"""The handler classes :func:`syslog_handler` makes, for whoever removes them again."""


def _tls_context(ca_bundle: Path | None) -> ssl.SSLContext:
    import ssl  # noqa: PLC0415  only a TLS sink pays for the import

    if ca_bundle is not None and not ca_bundle.is_file():
        what = "a directory, not a file" if ca_bundle.is_dir() else "no such file"
        raise UserError(
            f"{CA_OPTION} {ca_bundle}: {what}; give the PEM file of the CA that "
            f"signed the receiver's certificate (or set {CA_ENV})"
        )
    try:
        # Verification and host name checks on; only the named CAs when a bundle is given.
        context = ssl.create_default_context(cafile=str(ca_bundle) if ca_bundle else None)
    except (ssl.SSLError, OSError) as exc:
        raise UserError(
            f"{CA_OPTION} {ca_bundle}: not a PEM file of CA certificates ({exc}); "
            "give the PEM file of the CA that signed the receiver's certificate"
        ) from None
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _connect(target: SyslogTarget, ca_bundle: Path | None) -> socket.socket:
    import ssl  # noqa: PLC0415  (as above)

    context = _tls_context(ca_bundle) if target.transport == "tls" else None
    try:
        raw = socket.create_connection((target.host, target.port), timeout=_CONNECT_TIMEOUT_S)
    except OSError as exc:
        raise UserError(
            f"--log-syslog {target.text}: cannot reach the receiver ({exc.strerror or exc}); "
            "check the host, port and protocol"
        ) from None
    if context is None:
        return raw
    try:
        return context.wrap_socket(raw, server_hostname=target.host)
    except ssl.SSLCertVerificationError as exc:
        raw.close()
        raise UserError(
            f"--log-syslog {target.text}: the receiver's certificate does not verify "
            f"({exc.verify_message}); give the CA that signed it with {CA_OPTION} FILE "
            f"(or {CA_ENV}), or fix the receiver's certificate"
        ) from None
    except (ssl.SSLError, OSError) as exc:
        raw.close()
        raise UserError(
            f"--log-syslog {target.text}: TLS with the receiver failed "
            f"({getattr(exc, 'reason', None) or exc}); check that it speaks TLS on that port"
        ) from None


def syslog_handler(
    text: str, formatter: logging.Formatter, *, ca_bundle: Path | None = None
) -> logging.Handler:
    """The handler for ``--log-syslog TEXT``, connected (and verified) now; UserError if not.

    ``formatter`` writes the message after ``<PRI>`` (RFC 5424 from VERSION on).
    """
    target = parse_target(text)
    handler: logging.Handler
    if target.transport == "udp":
        try:
            datagrams = DatagramSyslogHandler(
                (target.host, target.port),
                facility=logging.handlers.SysLogHandler.LOG_USER,
                socktype=socket.SOCK_DGRAM,
            )
        except OSError as exc:
            raise UserError(
                f"--log-syslog {target.text}: cannot reach the receiver "
                f"({exc.strerror or exc}); "
                "check the host, port and protocol"
            ) from None
        datagrams.append_nul = False
        datagrams.ident = ""
        datagrams.target_text = target.text
        handler = datagrams
    else:
        handler = StreamSyslogHandler(_connect(target, ca_bundle), target)
    handler.setFormatter(formatter)
    handler.setLevel(logging.DEBUG)
    return handler
