"""``--log-syslog`` as a receiver sees it: the RFC 5424 header agrees with the JSON it
carries, and a datagram that cannot be sent is dropped with one redacted warning.

The receiver is a UDP socket on 127.0.0.1 (port 0); the kernel queues what is sent, so
the test reads after logging, without threads or waits.
"""

from __future__ import annotations

import io
import json
import logging
import re
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from psrunbook.logging import configure_logging, get_logger, reset_logging
from psrunbook.secrets import clear_secrets, register_secret

SECRET = "Syslog-Secret-4d81f0"
HEADER = re.compile(
    r"<(?P<pri>\d{1,3})>1 (?P<ts>\S+) (?P<host>\S+) psrunbook (?P<pid>\d+) (?P<msgid>\S+) - "
)


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    reset_logging()
    clear_secrets()
    yield
    reset_logging()
    clear_secrets()


@pytest.fixture
def receiver() -> Iterator[socket.socket]:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.bind(("127.0.0.1", 0))
        udp.setblocking(False)
        udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024 * 1024)
        yield udp


def _received(udp: socket.socket) -> list[tuple[re.Match[str], dict[str, Any]]]:
    messages = []
    while True:
        try:
            text = udp.recv(65536).decode("utf-8")
        except BlockingIOError:
            return messages
        header = HEADER.match(text)
        assert header is not None, text
        messages.append((header, json.loads(text[header.end() :])))


@pytest.fixture
def records_created_at_the_epoch() -> Iterator[None]:
    """Every LogRecord says it was made in 1970: the header must not take its time from
    there when the event carries its own ``@timestamp``."""
    original: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = original(*args, **kwargs)
        record.created = 0.0
        return record

    logging.setLogRecordFactory(factory)
    yield
    logging.setLogRecordFactory(original)


@pytest.mark.usefixtures("records_created_at_the_epoch")
def test_the_header_timestamp_is_the_events_timestamp(receiver: socket.socket) -> None:
    """RFC 5424's TIMESTAMP and the JSON's ``@timestamp`` name the same instant, to the
    microsecond: a receiver that files by the header and a SIEM that indexes the JSON
    must not disagree (they did, by a few microseconds, in about one message in twelve),
    and PRI carries the severity of ``log.level``."""
    port = receiver.getsockname()[1]
    configure_logging(fmt="json", stream=io.StringIO(), syslog=f"udp://127.0.0.1:{port}")
    get_logger("psrunbook.run").error("step.finished", action="step.finished", outcome="failure")
    logging.getLogger("urllib3.connectionpool").warning("a library's warning")
    reset_logging()

    messages = _received(receiver)

    assert [("step.finished", "11", "error"), ("-", "12", "warning")] == [
        (h["msgid"], h["pri"], doc["log"]["level"]) for h, doc in messages
    ]
    for header, doc in messages:
        assert doc["@timestamp"] == header["ts"]
        assert not header["ts"].startswith("1970")


def test_an_event_too_large_for_a_datagram_is_dropped_with_one_redacted_warning(
    receiver: socket.socket, capsys: pytest.CaptureFixture[str]
) -> None:
    """A UDP datagram carries at most 65,507 bytes. The standard handler met a larger
    event with a traceback and the raw event (secrets and all) on stderr, for every
    such event. Now the first one is named in one warning, redacted, and the events
    after it still go out."""
    port = receiver.getsockname()[1]
    register_secret(SECRET)
    configure_logging(fmt="json", stream=io.StringIO(), syslog=f"udp://127.0.0.1:{port}")
    log = get_logger("psrunbook.run")
    huge = f"{SECRET} " + "x" * 70_000

    log.error("step.finished", action="step.finished", error=huge)
    log.error("step.finished", action="step.finished", error=huge)
    log.info("run.finished", action="run.finished")
    reset_logging()

    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]

    assert SECRET not in err
    assert "Traceback" not in err
    assert 1 == len(warnings), err
    assert f"--log-syslog udp://127.0.0.1:{port}" in warnings[0]
    assert "tcp://" in warnings[0]  # the way out: a stream carries any size
    assert ["run.finished"] == [h["msgid"] for h, _ in _received(receiver)]
