"""`--log-syslog`: every event reaches a real local syslog receiver as RFC 5424 with ECS JSON.

The receivers are plain sockets on 127.0.0.1 (port 0): UDP datagrams, and a TCP stream
framed by LF (RFC 6587). The kernel queues what the run sends, so the test reads after
the command has ended: no thread, no wait on time. A TLS receiver must answer the
handshake while the command starts, so it runs in a thread that reads to the end of the
stream; the test joins it after the command has closed its sink.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from psrunbook.logging import reset_logging
from psrunbook.sim.endpoint.tls import TlsCertificate, generate_certificate
from tests.integration.conftest import Psrunbook, refused_port

# <PRI>VERSION TIMESTAMP HOSTNAME APP-NAME PROCID MSGID STRUCTURED-DATA MSG
RFC5424 = re.compile(
    r"<(?P<pri>\d{1,3})>1 (?P<ts>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z) (?P<host>\S+) "
    r"psrunbook (?P<pid>\d+) (?P<msgid>\S+) - (?P<msg>\{.*\})\Z"
)


def parsed(lines: list[str]) -> list[tuple[str, dict[str, Any]]]:
    events = []
    for line in lines:
        match = RFC5424.match(line)
        assert match is not None, line
        events.append((match["msgid"], json.loads(match["msg"])))
    return events


def assert_run_events(events: list[tuple[str, dict[str, Any]]]) -> None:
    finished = [doc for msgid, doc in events if msgid == "step.finished"]
    assert finished, events
    for doc in finished:
        assert "step.finished" == doc["event"]["action"]
        assert "psrunbook.run" == doc["event"]["dataset"]
        assert doc["host"]["name"] in {"NODE1", "NODE2"}
        assert "SIMCLUSTER" == doc["psrunbook"]["cluster"]
    assert {"run.started", "run.finished"} <= {msgid for msgid, _ in events}


@pytest.fixture
def udp_receiver() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver:
        receiver.bind(("127.0.0.1", 0))
        receiver.setblocking(False)
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 * 1024 * 1024)
        yield receiver


def test_udp_syslog_carries_every_event_as_rfc5424_with_ecs_json(
    psrunbook: Psrunbook, udp_receiver: socket.socket
) -> None:
    port = udp_receiver.getsockname()[1]
    psrunbook("--log-syslog", f"udp://127.0.0.1:{port}", "run", "ssis-clustered", "--sim")
    reset_logging()
    lines = []
    while True:
        try:
            lines.append(udp_receiver.recv(65536).decode())
        except BlockingIOError:
            break
    assert_run_events(parsed(lines))


def test_tcp_syslog_frames_each_event_with_lf(psrunbook: Psrunbook) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]
        psrunbook("--log-syslog", f"tcp://127.0.0.1:{port}", "plan", "ssis-clustered", "--sim")
        reset_logging()  # closes the connection: the stream ends
        connection, _ = listener.accept()
        with connection:
            data = b""
            while chunk := connection.recv(65536):
                data += chunk
    text = data.decode()
    assert text.endswith("\n")
    events = parsed(text[:-1].split("\n"))
    finished = [doc for msgid, doc in events if msgid == "step.finished"]
    assert all(doc["psrunbook"]["check_only"] for doc in finished)


@pytest.mark.parametrize("target", ["ftp://x:1", "udp://:514", "tcp://host:99999", "udp://h:x"])
def test_a_bad_syslog_target_exits_2_naming_the_option(psrunbook: Psrunbook, target: str) -> None:
    result = psrunbook("--log-syslog", target, "list", expect=2)
    assert "--log-syslog" in result.stderr
    assert "udp://HOST[:PORT]" in result.stderr


def test_an_unreachable_tcp_receiver_exits_2(psrunbook: Psrunbook) -> None:
    result = psrunbook("--log-syslog", f"tcp://127.0.0.1:{refused_port()}", "list", expect=2)
    assert "cannot reach the receiver" in result.stderr


@dataclass
class TlsReceiver:
    """One TLS connection accepted on loopback, read to its end in a thread."""

    certificate: TlsCertificate
    listener: socket.socket
    data: bytearray = field(default_factory=bytearray)
    failure: list[BaseException] = field(default_factory=list)
    thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        port: int = self.listener.getsockname()[1]
        return port

    @property
    def ca(self) -> str:
        return str(self.certificate.cert_path)

    def serve(self) -> None:
        connection, _ = self.listener.accept()
        try:
            context = self.certificate.server_context()
            with context.wrap_socket(connection, server_side=True) as tls:
                while chunk := tls.recv(65536):
                    self.data += chunk
        except (ssl.SSLError, OSError) as exc:
            self.failure.append(exc)

    def collected(self) -> bytes:
        """Everything received, once the sender has closed (or refused) the connection."""
        assert self.thread is not None
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()
        return bytes(self.data)


@pytest.fixture
def tls_receiver(tmp_path: Path) -> Iterator[Callable[[str], TlsReceiver]]:
    """Starts a TLS receiver on a loopback address, its certificate naming 127.0.0.1."""
    certificate = generate_certificate(tmp_path)
    with contextlib.ExitStack() as stack:

        def start(address: str = "127.0.0.1") -> TlsReceiver:
            listener = stack.enter_context(socket.socket())
            listener.bind((address, 0))
            listener.listen(1)
            receiver = TlsReceiver(certificate, listener)
            receiver.thread = threading.Thread(target=receiver.serve, daemon=True)
            receiver.thread.start()
            return receiver

        yield start


def octet_counted(data: bytes) -> list[str]:
    """RFC 5425 section 4.3: ``MSG-LEN SP SYSLOG-MSG``, frame after frame, nothing else."""
    messages = []
    rest = data
    while rest:
        length, space, rest = rest.partition(b" ")
        assert space and length.isdigit() and not length.startswith(b"0"), rest[:80]
        size = int(length)
        assert size <= len(rest)
        messages.append(rest[:size].decode())
        rest = rest[size:]
    return messages


@pytest.mark.parametrize("scheme", ["tls", "tcp+tls"])
def test_tls_syslog_verifies_the_receiver_and_octet_counts_each_event(
    psrunbook: Psrunbook, tls_receiver: Callable[[str], TlsReceiver], scheme: str
) -> None:
    receiver = tls_receiver("127.0.0.1")
    target = f"{scheme}://127.0.0.1:{receiver.port}"
    psrunbook(
        "--log-syslog", target, "--log-syslog-ca", receiver.ca, "run", "ssis-clustered", "--sim"
    )
    reset_logging()  # closes the connection: the stream ends
    messages = octet_counted(receiver.collected())
    assert not receiver.failure
    assert_run_events(parsed(messages))


def test_tls_syslog_takes_the_ca_bundle_from_the_environment(
    psrunbook: Psrunbook, tls_receiver: Callable[[str], TlsReceiver]
) -> None:
    receiver = tls_receiver("127.0.0.1")
    psrunbook(
        "--log-syslog",
        f"tls://localhost:{receiver.port}",
        "plan",
        "ssis-clustered",
        "--sim",
        env={"PSRUNBOOK_LOG_SYSLOG_CA": receiver.ca},
    )
    reset_logging()
    events = parsed(octet_counted(receiver.collected()))
    assert "step.finished" in {msgid for msgid, _ in events}


def test_a_tls_receiver_whose_certificate_does_not_verify_exits_2(
    psrunbook: Psrunbook, tls_receiver: Callable[[str], TlsReceiver]
) -> None:
    """The system CAs do not know the receiver's self-signed CA: refused before the run."""
    receiver = tls_receiver("127.0.0.1")
    target = f"tls://127.0.0.1:{receiver.port}"
    result = psrunbook("--log-syslog", target, "run", "ssis-clustered", "--sim", expect=2)
    assert "certificate does not verify" in result.stderr
    assert "--log-syslog-ca" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert b"" == receiver.collected()
    assert not psrunbook.runs()


def test_a_tls_receiver_under_another_name_exits_2(
    psrunbook: Psrunbook, tls_receiver: Callable[[str], TlsReceiver]
) -> None:
    """Trusting the CA is not enough: the address dialled must be one the certificate names."""
    receiver = tls_receiver("127.0.0.2")
    target = f"tls://127.0.0.2:{receiver.port}"
    result = psrunbook("--log-syslog", target, "--log-syslog-ca", receiver.ca, "runs", expect=2)
    assert "certificate does not verify" in result.stderr
    assert "127.0.0.2" in result.stderr
    assert b"" == receiver.collected()


def test_a_missing_syslog_ca_file_exits_2_naming_the_option(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-ca.pem"
    target = f"tls://127.0.0.1:{refused_port()}"
    result = psrunbook("--log-syslog", target, "--log-syslog-ca", str(missing), "runs", expect=2)
    assert f"--log-syslog-ca {missing}" in result.stderr
