"""What a SIEM rule relies on in every JSON event, beyond the step line's own shape.

A detection rule or dashboard filters on ``event.outcome``, aggregates numeric fields and
trusts that no credential reaches the index. These tests pin the cases a review of real
runs found wrong: a refusal logged at error without an outcome, a number of seconds that
is an integer in one event and a float in another, credentials that were never
registered as secrets (a PEM private key, a URL's password) and a handler that could not
write a record printing the raw, unredacted event. They also check that every event
psrunbook names in its source is described in docs/logging.md.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from psrunbook.logging import configure_logging, get_logger, reset_logging
from psrunbook.secrets import clear_secrets, register_secret

REPO = Path(__file__).resolve().parents[2]
SECRET = "Siem-Secret-9b2c7e"
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQDx3sA1"
PEM_KEY = f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\nq0v7Zk=\n-----END PRIVATE KEY-----\n"


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    """No handlers and no secrets before and after each test."""
    reset_logging()
    clear_secrets()
    yield
    reset_logging()
    clear_secrets()


def _events(**configure: Any) -> tuple[io.StringIO, list[dict[str, Any]]]:
    stream = io.StringIO()
    configure_logging(fmt="json", stream=stream, **configure)
    return stream, []


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_an_event_logged_at_error_without_an_outcome_is_a_failure() -> None:
    """``cluster.mismatch`` (a bundle run refused: another cluster answered) is logged at
    error with a reason and no ``error=``: a rule on ``event.outcome:failure`` must see
    it, as ECS defines failure ("the event describes a failed result")."""
    stream, _ = _events()
    log = get_logger("psrunbook.run")
    log.error("cluster.mismatch", action="cluster.mismatch", run_id="r1", reason="other cluster")
    log.critical("run.aborted", action="run.aborted", run_id="r1")
    log.error("step.finished", action="step.finished", outcome="unknown")
    log.warning("step.node_skipped", action="step.node_skipped", reason="unreachable")

    outcomes = [(e["event"]["action"], e["event"].get("outcome")) for e in _lines(stream)]

    assert [
        ("cluster.mismatch", "failure"),
        ("run.aborted", "failure"),
        ("step.finished", "unknown"),  # a caller's own outcome is kept
        ("step.node_skipped", None),  # a warning is not a failure by itself
    ] == outcomes


@pytest.mark.parametrize("seconds", [330, 600.0, 2.5, 0])
def test_a_number_of_seconds_is_always_written_as_a_float(seconds: float) -> None:
    """``psrunbook.wait_s`` is the step timeout: ``330`` for a step whose designed wait
    is whole seconds, ``600.0`` for ``--step-timeout``. Elasticsearch maps a field by its
    first value, so an integer first makes it a ``long`` and truncates ``0.304`` later:
    every ``*_s`` field is written as a JSON float, whatever the caller passed."""
    stream, _ = _events()
    get_logger("psrunbook.run").warning(
        "step.left_running", action="step.left_running", wait_s=seconds, attempt=3
    )

    [event] = _lines(stream)
    text = stream.getvalue()

    assert isinstance(event["psrunbook"]["wait_s"], float)
    assert float(seconds) == event["psrunbook"]["wait_s"]
    assert f'"wait_s": {float(seconds)!r}' in text
    assert isinstance(event["psrunbook"]["attempt"], int)  # only seconds are made floats


def test_a_pem_private_key_is_masked_wherever_it_appears() -> None:
    """A private key nobody registered (a script's error echoing a key file, a library
    quoting what it failed to load) never reaches the log: the whole block is masked."""
    stream, _ = _events()
    log = get_logger("psrunbook.run")
    log.error("step.finished", action="step.finished", error=f"cannot import key:\n{PEM_KEY}")
    log.info("x.y", details={"files": [f"key.pem: {PEM_KEY}"]})
    rsa = PEM_KEY.replace("PRIVATE KEY", "RSA PRIVATE KEY")
    log.info("free text with an RSA key %s", rsa)

    text = stream.getvalue()
    events = _lines(stream)

    assert PEM_BODY not in text
    assert "cannot import key:\n***\n" == events[0]["error"]["message"]
    assert ["key.pem: ***\n"] == events[1]["psrunbook"]["details"]["files"]
    assert "free text with an RSA key ***\n" == events[2]["message"]


def test_a_certificate_is_not_a_secret_and_stays() -> None:
    """Only private keys are masked: a certificate is public and names what was used."""
    certificate = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----"
    stream, _ = _events()
    get_logger("psrunbook.run").info("x.y", certificate=certificate)

    assert certificate == _lines(stream)[0]["psrunbook"]["certificate"]


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (
            "cannot connect to postgresql://ops:Pg-Secr3t@db.example.com/runs",
            "cannot connect to postgresql://ops:***@db.example.com/runs",
        ),
        (
            "proxy https://svc:p%40ss:w0rd@proxy:8080/ refused",
            "proxy https://svc:***@proxy:8080/ refused",
        ),
        ("see https://example.com/a@b and user@host", "see https://example.com/a@b and user@host"),
    ],
)
def test_a_password_in_a_url_is_masked_even_unregistered(text: str, shown: str) -> None:
    """A journal or proxy URL's password reaches a log line only through text nobody
    registered (a library's message, an exception): the user information's password is
    masked as ``mask_url`` masks it in psrunbook's own messages; the rest stays."""
    stream, _ = _events()
    get_logger("psrunbook.run").warning("free text: %s", text)
    get_logger("urllib3.connectionpool").warning(text)

    first, second = _lines(stream)

    assert f"free text: {shown}" == first["message"]
    assert shown == second["message"]


class _Unprintable:
    """A value whose text cannot be made: formatting the event fails."""

    def __str__(self) -> str:
        raise RuntimeError(f"no text for {SECRET}")


def test_a_record_that_cannot_be_written_is_reported_once_and_redacted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The standard library reports a failed record with a traceback and the raw event
    (``Message: {...}``) on stderr, before any redaction, for every record: a secret in
    the event reached stderr, where CI systems keep it. One redacted warning per
    destination says it instead, and the later records are still written."""
    register_secret(SECRET)
    stream, _ = _events(log_file=tmp_path / "run.jsonl")
    log = get_logger("psrunbook.run")

    log.error("step.finished", action="step.finished", error=SECRET, detail=_Unprintable())
    log.error("step.finished", action="step.finished", error=SECRET, detail=_Unprintable())
    log.info("run.finished", action="run.finished")
    reset_logging()

    err = capsys.readouterr().err
    warnings = [line for line in err.splitlines() if line.startswith("warning:")]
    file_events = [
        json.loads(line)
        for line in (tmp_path / "run.jsonl").read_text(encoding="utf-8").splitlines()
    ]

    assert SECRET not in err
    assert "Message:" not in err
    assert "Traceback" not in err
    assert 2 == len(warnings), err  # the console stream and the log file, once each
    assert all("RuntimeError: no text for ***" in line for line in warnings)
    assert any("run.jsonl" in line for line in warnings)
    assert ["run.finished"] == [e["message"] for e in _lines(stream)]
    assert ["run.finished"] == [e["message"] for e in file_events]


def _documented_actions() -> set[str]:
    text = (REPO / "docs" / "logging.md").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([a-z_]+\.[a-z_]+)`", row.split("|")[1])}


def test_every_event_action_in_the_source_is_documented() -> None:
    """A rule author reads docs/logging.md for the events there are: each ``action=``
    psrunbook logs has a row in its event tables."""
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (REPO / "psrunbook").rglob("*.py")
        if "sim" not in path.relative_to(REPO / "psrunbook").parts
    )
    actions = set(re.findall(r'\baction="([a-z_]+\.[a-z_]+)"', source))
    actions |= set(re.findall(r'"(run\.(?:approved|rejected))"', source))

    assert {"step.finished", "run.started", "run.approved"} <= actions
    assert set() == actions - _documented_actions()
