"""`--log-syslog`: every event reaches a real local syslog receiver as RFC 5424 with ECS JSON.

The receivers are plain sockets on 127.0.0.1 (port 0): UDP datagrams, and a TCP stream
framed by LF (RFC 6587). The kernel queues what the run sends, so the test reads after
the command has ended: no thread, no wait on time.
"""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from psrunbook.logging import reset_logging
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
