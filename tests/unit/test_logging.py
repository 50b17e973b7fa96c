"""Structured logging: ECS JSON shape, console output, redaction, re-configuration."""

from __future__ import annotations

import collections
import enum
import getpass
import io
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
import structlog
from structlog.testing import capture_logs

from psrunbook import logging as logging_module
from psrunbook.errors import StepFailed, UserError, WSManFault
from psrunbook.logging import (
    REDACTED,
    THIRD_PARTY_LOGGERS,
    configure_logging,
    get_logger,
    reset_logging,
)
from psrunbook.results import StepError
from psrunbook.secrets import clear_secrets, redact_text, register_secret
from psrunbook.version import VERSION

SECRET = "Pa$$w0rd-'s3cret\"-ü"
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")


@pytest.fixture(autouse=True)
def _clean_logging() -> Iterator[None]:
    """Every test starts and ends with no psrunbook handlers and no secrets."""
    reset_logging()
    clear_secrets()
    yield
    reset_logging()
    clear_secrets()


def json_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def json_stream(verbosity: int = 0) -> io.StringIO:
    stream = io.StringIO()
    configure_logging(fmt="json", verbosity=verbosity, stream=stream)
    return stream


class ErrorRecord:
    """Stands in for a structured PowerShell error record (a StepError)."""

    message = "Cannot find resource 'SSIS'."
    exception_type = "System.Management.Automation.ItemNotFoundException"
    fully_qualified_error_id = "ResourceNotFound,Get-ClusterResource"


def log_step_finished(**overrides: Any) -> None:
    fields: dict[str, Any] = {
        "node": "SQLNODE1",
        "user": "CONTOSO\\svc-psrunbook",
        "run_id": "run-42",
        "runbook": "ssis-clustered",
        "step": "install-ssis",
        "changed": True,
        "outcome": "success",
        "duration_ns": 1_250_000_000,
        "script_sha256": "a" * 64,
    }
    fields.update(overrides)
    get_logger("psrunbook.executor").info("step.finished", **fields)


# --------------------------------------------------------------------------- capture


def test_capture_logs_sees_caller_fields() -> None:
    """structlog's capture tool records the event and its keyword fields unchanged."""
    configure_logging(fmt="json", stream=io.StringIO())
    with capture_logs() as logs:
        log_step_finished()
    expected: Any = [
        {
            "event": "step.finished",
            "log_level": "info",
            "node": "SQLNODE1",
            "user": "CONTOSO\\svc-psrunbook",
            "run_id": "run-42",
            "runbook": "ssis-clustered",
            "step": "install-ssis",
            "changed": True,
            "outcome": "success",
            "duration_ns": 1_250_000_000,
            "script_sha256": "a" * 64,
        }
    ]
    assert expected == logs


# --------------------------------------------------------------------------- ECS JSON


def test_step_finished_renders_exact_ecs_document() -> None:
    """A canonical step line is one JSON object with exactly the ECS fields and types."""
    stream = json_stream()
    log_step_finished()
    [line] = json_lines(stream)
    timestamp = line.pop("@timestamp")
    assert TIMESTAMP.match(timestamp)
    expected: Any = {
        "log": {"level": "info", "logger": "psrunbook.executor"},
        "message": "step.finished",
        "ecs": {"version": "8.11.0"},
        "service": {"name": "psrunbook", "version": VERSION},
        "process": {"pid": os.getpid(), "user": {"name": getpass.getuser()}},
        "event": {
            "kind": "event",
            "category": ["configuration"],
            "type": ["change"],
            "dataset": "psrunbook.run",
            "action": "step.finished",
            "outcome": "success",
            "duration": 1_250_000_000,
        },
        "host": {"name": "SQLNODE1"},
        "user": {"name": "CONTOSO\\svc-psrunbook"},
        "trace": {"id": "run-42"},
        "psrunbook": {
            "runbook": "ssis-clustered",
            "step": "install-ssis",
            "script_sha256": "a" * 64,
            "changed": True,
        },
    }
    assert expected == line


def test_unchanged_step_is_info_type() -> None:
    """changed=False gives event.type [info] and psrunbook.changed false."""
    stream = json_stream()
    log_step_finished(changed=False)
    [line] = json_lines(stream)
    expected: Any = (["info"], False)
    assert expected == (line["event"]["type"], line["psrunbook"]["changed"])


def test_a_check_is_typed_info_and_says_what_it_would_change() -> None:
    """check_only=True: event.type [info], psrunbook.would_change, never psrunbook.changed."""
    stream = json_stream()
    log_step_finished(changed=True, check_only=True)
    log_step_finished(changed=None, would_change=False, check_only=True)
    lines = json_lines(stream)
    expected: Any = [
        (["info"], {"would_change": True, "check_only": True}),
        (["info"], {"would_change": False, "check_only": True}),
    ]
    assert expected == [
        (
            line["event"]["type"],
            {
                k: v
                for k, v in line["psrunbook"].items()
                if k in ("changed", "would_change", "check_only")
            },
        )
        for line in lines
    ]


def test_caller_names_category_and_type_of_a_non_step_event() -> None:
    """category= and event_type= set ECS event.category and event.type (string or list)."""
    stream = json_stream()
    get_logger("psrunbook.run").warning(
        "connection.insecure", category="network", event_type=("connection", "allowed")
    )
    [line] = json_lines(stream)
    expected: Any = (["network"], ["connection", "allowed"], "warning")
    assert expected == (line["event"]["category"], line["event"]["type"], line["log"]["level"])


def test_error_code_that_is_a_sentence_becomes_the_error_type() -> None:
    """`throw 'text'` makes the FullyQualifiedErrorId the text: error.code is the type."""

    class ThrownText:
        message = "cluster group 'No Such' does not exist, give the right one"
        exception_type = "System.Management.Automation.RuntimeException"
        fully_qualified_error_id = "cluster group 'No Such' does not exist, give the right one"

    class NoCodeAtAll:
        message = "something failed"
        exception_type = None
        fully_qualified_error_id = "something failed badly"

    stream = json_stream()
    log_step_finished(outcome="failure", error=ThrownText())
    log_step_finished(outcome="failure", error=NoCodeAtAll())
    first, second = json_lines(stream)
    expected: Any = (
        {
            "message": ThrownText.message,
            "type": "System.Management.Automation.RuntimeException",
            "code": "System.Management.Automation.RuntimeException",
        },
        {"message": "something failed"},
    )
    assert expected == (first["error"], second["error"])


def test_duration_is_integer_nanoseconds() -> None:
    """event.duration is an int even when the caller measured a float."""
    stream = json_stream()
    log_step_finished(duration_ns=1500.6)
    [line] = json_lines(stream)
    expected: Any = 1501
    assert expected == line["event"]["duration"]
    assert isinstance(line["event"]["duration"], int)


def test_exception_error_fills_ecs_error_and_failure() -> None:
    """error=exception gives error.message/type/code and a failure outcome."""
    stream = json_stream()
    fault = WSManFault("The WS-Management service cannot process the request.", code=2150858843)
    log_step_finished(outcome=None, changed=False, error=fault)
    [line] = json_lines(stream)
    expected: Any = {
        "message": "The WS-Management service cannot process the request.",
        "type": "psrunbook.errors.WSManFault",
        "code": "2150858843",
    }
    assert expected == line["error"]
    expected = "failure"
    assert expected == line["event"]["outcome"]


def test_structured_error_record_maps_powershell_names() -> None:
    """A StepError-like record gives its exception type and FullyQualifiedErrorId."""
    stream = json_stream()
    log_step_finished(outcome="failure", error=ErrorRecord())
    [line] = json_lines(stream)
    expected: Any = {
        "message": "Cannot find resource 'SSIS'.",
        "type": "System.Management.Automation.ItemNotFoundException",
        "code": "ResourceNotFound,Get-ClusterResource",
    }
    assert expected == line["error"]


def test_step_error_maps_to_ecs_error() -> None:
    """psrunbook's own StepError is such a record: message, exception type, error id."""
    stream = json_stream()
    error = StepError(message="boom", exception_type="WSManFault", fully_qualified_error_id="5")
    log_step_finished(outcome="failure", error=error)
    [line] = json_lines(stream)
    expected: Any = {"message": "boom", "type": "WSManFault", "code": "5"}
    assert expected == line["error"]


def test_error_record_without_type_or_code_gives_only_its_message() -> None:
    """A record that names no exception type or error id gets none invented."""
    stream = json_stream()
    log_step_finished(outcome="failure", error=StepError(message="the script reported a failure"))
    [line] = json_lines(stream)
    expected: Any = {"message": "the script reported a failure"}
    assert expected == line["error"]


def test_unknown_outcome_becomes_unknown() -> None:
    """An outcome outside success/failure/unknown is logged as unknown."""
    stream = json_stream()
    log_step_finished(outcome="partly")
    [line] = json_lines(stream)
    expected: Any = "unknown"
    assert expected == line["event"]["outcome"]


def test_free_text_event_has_no_action_and_extras_are_namespaced() -> None:
    """Free text is not an action; extra keys go under psrunbook, dotted keys stay ECS."""
    stream = json_stream()
    get_logger("psrunbook.transport").info(
        "opening runspace pool", attempts=2, **{"url.domain": "sqlnode1.contoso.com"}
    )
    [line] = json_lines(stream)
    assert "action" not in line["event"]
    expected: Any = {"attempts": 2}
    assert expected == line["psrunbook"]
    expected = {"domain": "sqlnode1.contoso.com"}
    assert expected == line["url"]


def test_exc_info_renders_dict_traceback_without_locals() -> None:
    """exc_info becomes a structured traceback with no local variables, and error.*."""
    stream = json_stream()
    local_marker = "local-" + "variable".upper()  # only exists at run time
    try:
        raise StepFailed("resource failed to come online")
    except StepFailed:
        get_logger("psrunbook").exception("step.failed", step="s1")
    [line] = json_lines(stream)
    [stack] = line["psrunbook"]["exception"]
    expected: Any = {"message": "resource failed to come online", "type": "StepFailed"}
    assert expected == line["error"]
    expected = "error"
    assert expected == line["log"]["level"]
    assert all({"filename", "lineno", "name"} == set(frame) for frame in stack["frames"])
    assert local_marker not in stream.getvalue()


def test_bound_context_fields_are_shaped() -> None:
    """Fields bound through contextvars (the run id) reach the ECS document."""
    stream = json_stream()
    structlog.contextvars.bind_contextvars(run_id="run-7")
    try:
        get_logger("psrunbook").info("run.started", runbook="cluster-report")
    finally:
        structlog.contextvars.clear_contextvars()
    [line] = json_lines(stream)
    expected: Any = ({"id": "run-7"}, "run.started")
    assert expected == (line["trace"], line["event"]["action"])


# --------------------------------------------------------------------------- levels


def test_debug_hidden_at_verbosity_zero_and_shown_at_one() -> None:
    """-v turns on DEBUG lines for psrunbook's own loggers."""
    quiet = json_stream(verbosity=0)
    get_logger("psrunbook").debug("step.started")
    expected: Any = []
    assert expected == json_lines(quiet)
    loud = json_stream(verbosity=1)
    get_logger("psrunbook").debug("step.started")
    expected = ["step.started"]
    assert expected == [line["message"] for line in json_lines(loud)]


@pytest.mark.parametrize(
    ("verbosity", "level"), [(0, logging.WARNING), (2, logging.WARNING), (3, logging.DEBUG)]
)
def test_third_party_loggers_level(verbosity: int, level: int) -> None:
    """Transport libraries stay at WARNING until -vvv."""
    json_stream(verbosity=verbosity)
    assert [level] * len(THIRD_PARTY_LOGGERS) == [
        logging.getLogger(name).level for name in THIRD_PARTY_LOGGERS
    ]


def test_third_party_info_is_dropped_at_default_verbosity() -> None:
    """pypsrp's INFO lines (whole scripts) never reach the output by default."""
    stream = json_stream()
    logging.getLogger("pypsrp.powershell").info("Executing script Get-Cluster")
    expected: Any = []
    assert expected == json_lines(stream)


def test_third_party_record_is_ecs_shaped() -> None:
    """A stdlib record from a third-party logger becomes the same kind of JSON line."""
    stream = json_stream()
    logging.getLogger("urllib3.connectionpool").warning("Retrying %s", "sqlnode1")
    [line] = json_lines(stream)
    expected: Any = ("Retrying sqlnode1", {"level": "warning", "logger": "urllib3.connectionpool"})
    assert expected == (
        line["message"],
        line["log"],
    )


# --------------------------------------------------------------------------- redaction


def test_secret_redacted_in_message() -> None:
    """A registered secret inside the event text is replaced."""
    stream = json_stream()
    register_secret(SECRET)
    get_logger("psrunbook").info(f"connecting with {SECRET} now")
    [line] = json_lines(stream)
    expected: Any = f"connecting with {REDACTED} now"
    assert expected == line["message"]


def test_secret_redacted_in_nested_fields_and_keys() -> None:
    """Secrets inside nested dicts, lists and dict keys are replaced."""
    stream = json_stream()
    register_secret(SECRET)
    get_logger("psrunbook").info(
        "params.resolved",
        parameters={"ServiceAccountPassword": SECRET, "list": [1, f"x{SECRET}y"], SECRET: "k"},
    )
    [line] = json_lines(stream)
    expected: Any = {
        "ServiceAccountPassword": REDACTED,
        "list": [1, f"x{REDACTED}y"],
        REDACTED: "k",
    }
    assert expected == line["psrunbook"]["parameters"]


def test_secret_redacted_in_exception_text_and_traceback() -> None:
    """A secret in an exception message disappears from error.* and the traceback."""
    stream = json_stream()
    register_secret(SECRET)
    try:
        raise ValueError(f"login failed for password {SECRET!r}")
    except ValueError as exc:
        get_logger("psrunbook").exception("step.failed", error=exc)
    assert SECRET not in stream.getvalue()
    assert repr(SECRET)[1:-1] not in stream.getvalue()
    [line] = json_lines(stream)
    assert REDACTED in line["error"]["message"]
    assert REDACTED in line["psrunbook"]["exception"][0]["exc_value"]


def test_secret_redacted_in_chained_exception() -> None:
    """The cause of an exception is redacted as well as the exception itself."""
    stream = json_stream()
    register_secret(SECRET)
    try:
        try:
            raise RuntimeError(SECRET)
        except RuntimeError as inner:
            raise UserError("could not authenticate") from inner
    except UserError:
        get_logger("psrunbook").exception("auth.failed")
    assert SECRET not in stream.getvalue()
    [line] = json_lines(stream)
    expected: Any = [REDACTED]
    assert expected == [
        stack["exc_value"] for stack in line["psrunbook"]["exception"] if stack["is_cause"]
    ]


def test_secret_redacted_in_third_party_record() -> None:
    """A pypsrp/urllib3 record at -vvv carrying the secret is redacted too."""
    stream = json_stream(verbosity=3)
    register_secret(SECRET)
    logging.getLogger("pypsrp.wsman").debug("Sending <Password>%s</Password>", SECRET)
    logging.getLogger("urllib3.connectionpool").debug("body=%r", {"pw": SECRET})
    text = stream.getvalue()
    assert SECRET not in text
    expected: Any = [
        f"Sending <Password>{REDACTED}</Password>",
        f"body={{'pw': '{REDACTED}'}}",
    ]
    assert expected == [line["message"] for line in json_lines(stream)]


def test_secret_redacted_in_xml_escaped_form() -> None:
    """The XML-escaped form of a secret (as in SOAP bodies) is redacted."""
    register_secret("a<b&c")
    expected: Any = f"<Value>{REDACTED}</Value>"
    assert expected == redact_text("<Value>a&lt;b&amp;c</Value>")


def test_longer_secret_redacted_whole_when_it_contains_another() -> None:
    """With secrets 'abc' and 'abcdef', 'abcdef' becomes one *** not ***def."""
    register_secret("abc")
    register_secret("abcdef")
    expected: Any = f"x{REDACTED}y"
    assert expected == redact_text("xabcdefy")


def test_empty_secret_is_ignored() -> None:
    """Registering an empty string does not redact everything."""
    register_secret("")
    expected: Any = "unchanged"
    assert expected == redact_text("unchanged")


def test_secret_redacted_in_object_repr() -> None:
    """An arbitrary object whose text holds a secret is rendered as redacted text."""

    class Credential:
        def __str__(self) -> str:
            return f"Credential(user=u, password={SECRET})"

    stream = json_stream()
    register_secret(SECRET)
    get_logger("psrunbook").info("credential.used", credential=Credential())
    [line] = json_lines(stream)
    expected: Any = f"Credential(user=u, password={REDACTED})"
    assert expected == line["psrunbook"]["credential"]


# --------------------------------------------------------------------------- console


def test_console_renders_human_line() -> None:
    """fmt=console gives one human-readable line with the event and key=value pairs."""
    stream = io.StringIO()
    configure_logging(fmt="console", stream=stream)
    get_logger("psrunbook").info("step.finished", node="SQLNODE1", changed=True)
    text = stream.getvalue()
    assert "step.finished" in text
    assert "node=SQLNODE1" in text
    assert "{" not in text


def test_console_shows_an_error_record_with_its_type_and_code() -> None:
    """On the console an error record reads as the message, type and code the JSON has."""
    stream = io.StringIO()
    configure_logging(fmt="console", stream=stream)
    get_logger("psrunbook").info("step.finished", node="SQLNODE1", error=ErrorRecord())
    expected = (
        "error={'message': \"Cannot find resource 'SSIS'.\", "
        "'type': 'System.Management.Automation.ItemNotFoundException', "
        "'code': 'ResourceNotFound,Get-ClusterResource'}"
    )
    assert expected in stream.getvalue()


def test_auto_on_non_tty_is_json() -> None:
    """fmt=auto writes JSON lines when the stream is not a terminal."""
    stream = io.StringIO()
    configure_logging(fmt="auto", stream=stream)
    get_logger("psrunbook").info("run.started")
    expected: Any = ["run.started"]
    assert expected == [line["message"] for line in json_lines(stream)]


class TerminalStream(io.StringIO):
    """A text stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


def test_auto_on_tty_is_console_and_still_redacted() -> None:
    """fmt=auto on a terminal renders for humans, with the secret already removed."""
    stream = TerminalStream()
    configure_logging(fmt="auto", stream=stream)
    register_secret(SECRET)
    get_logger("psrunbook").info("credential.used", value=SECRET)
    text = stream.getvalue()
    assert REDACTED in text
    assert SECRET not in text
    assert not text.lstrip().startswith("{")


def test_console_traceback_redacted_without_locals_even_when_wrapped() -> None:
    """Console tracebacks show no locals and no secret, even one split by line wrapping."""
    stream = io.StringIO()
    configure_logging(fmt="console", stream=stream)
    secret = "correct horse battery staple"  # spaces let rich wrap inside it
    register_secret(secret)
    local_marker = "local-" + "variable".upper()  # only exists at run time
    try:
        raise ValueError("word " * 15 + secret + " end")
    except ValueError:
        get_logger("psrunbook").exception("step.failed")
    text = stream.getvalue()
    assert "Traceback" in text
    assert f"{REDACTED} end" in text
    assert "horse" not in text
    assert local_marker not in text


# --------------------------------------------------------------------------- configuration


def test_reconfigure_keeps_one_handler() -> None:
    """Configuring twice replaces the handler instead of adding a second."""
    first = json_stream()
    second = json_stream()
    get_logger("psrunbook").info("run.started")
    expected: Any = (0, 1)
    assert expected == (len(json_lines(first)), len(json_lines(second)))


def test_log_file_gets_debug_json(tmp_path: Path) -> None:
    """--log-file adds JSON lines at DEBUG while the console stays at INFO."""
    stream = io.StringIO()
    log_file = tmp_path / "logs" / "run.jsonl"
    register_secret(SECRET)
    configure_logging(fmt="json", stream=stream, log_file=log_file)
    get_logger("psrunbook").debug("step.started", password=SECRET)
    get_logger("psrunbook").info("step.finished")
    reset_logging()  # closes the file
    lines = [json.loads(x) for x in log_file.read_text(encoding="utf-8").splitlines()]
    expected: Any = ["step.started", "step.finished"]
    assert expected == [line["message"] for line in lines]
    expected = ["step.finished"]
    assert expected == [line["message"] for line in json_lines(stream)]
    assert SECRET not in log_file.read_text(encoding="utf-8")


FRESH_PROCESS_LOGS = """
import io, json, sys
from psrunbook.logging import configure_logging, get_logger
assert "rich.traceback" not in sys.modules  # structlog was loaded without it
console, jsonl = io.StringIO(), io.StringIO()
configure_logging(fmt="console", stream=console)
try:
    raise ValueError("boom " + "x" * 10)
except ValueError:
    get_logger("psrunbook").exception("step.failed")
configure_logging(fmt="json", stream=jsonl)
try:
    raise KeyError("gone")
except KeyError:
    get_logger("psrunbook").exception("step.failed")
print(json.dumps({"console": console.getvalue(), "json": jsonl.getvalue()}))
"""


def test_tracebacks_render_the_same_in_a_process_that_loaded_structlog_first() -> None:
    """A CLI process loads structlog without rich (``psrunbook/structlog_import.py``):
    the console still shows rich's traceback, the JSON line still has the frames."""
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS_LOGS],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    shown = json.loads(done.stdout.strip().splitlines()[-1])
    assert "Traceback" in shown["console"]
    assert "ValueError: boom xxxxxxxxxx" in shown["console"]
    [line] = [json.loads(x) for x in shown["json"].splitlines()]
    assert "KeyError" == line["error"]["type"]
    [stack] = line["psrunbook"]["exception"]
    assert all({"filename", "lineno", "name"} == set(frame) for frame in stack["frames"])


def test_console_and_log_file_carry_the_same_line_for_a_record(tmp_path: Path) -> None:
    """One record is one JSON line in every sink, time stamp included.

    A record from a library gets its time stamp when it is rendered; it is rendered once
    and that line written to the console stream and to the file.
    """
    stream = io.StringIO()
    log_file = tmp_path / "run.jsonl"
    configure_logging(fmt="json", stream=stream, log_file=log_file)
    for index in range(20):
        logging.getLogger("urllib3.connectionpool").warning("Retrying %s", index)
        log_step_finished(step=f"step-{index}")
    console = stream.getvalue().splitlines()
    assert 40 == len(console)
    assert console == log_file.read_text(encoding="utf-8").splitlines()


def test_log_file_is_private(tmp_path: Path) -> None:
    """A new log file is readable by its owner only."""
    log_file = tmp_path / "run.jsonl"
    configure_logging(fmt="json", stream=io.StringIO(), log_file=log_file)
    expected: Any = 0o600
    assert expected == log_file.stat().st_mode & 0o777


def test_unwritable_log_file_is_user_error(tmp_path: Path) -> None:
    """A log file path that cannot be opened is a clear user error."""
    with pytest.raises(UserError, match=r"--log-file .*: cannot be used .*a directory"):
        configure_logging(fmt="json", stream=io.StringIO(), log_file=tmp_path)


class _Level(enum.IntEnum):
    HIGH = 3


class _Text(str):
    """A str subclass: redacted by the general path, as before."""


class _Shown:
    def __str__(self) -> str:
        return "shown hunter2"


REDACTION_CASES: list[Any] = [
    "plain",
    "the password is hunter2",
    "",
    None,
    True,
    0,
    -3,
    1.5,
    _Level.HIGH,
    _Text("sub hunter2"),
    _Shown(),
    b"hunter2",
    ["a", "hunter2", 1, None, ["hunter2"]],
    ("hunter2", 2),
    {"hunter2"},
    frozenset({"x"}),
    {"key": "hunter2", "hunter2": 1, 3: "three", None: [{"n": "hunter2"}]},
    collections.OrderedDict([("hunter2", "v"), ("k", ("hunter2",))]),
    {"event": {"kind": "event", "category": ["configuration"], "duration": 7}},
]


@pytest.mark.parametrize("value", REDACTION_CASES, ids=lambda v: type(v).__name__)
def test_the_quick_redaction_is_the_general_one(value: Any) -> None:
    """Each value is redacted and normalised exactly as the ``isinstance`` chain does it."""
    register_secret("hunter2")
    quick = logging_module._redact_value(value)
    general = logging_module._redact_other(value)
    assert quick == general
    assert type(quick) is type(general)
    assert "hunter2" not in repr(quick)


def test_redact_secrets_masks_keys_and_values_of_every_level() -> None:
    register_secret("hunter2")
    event: dict[Any, Any] = {
        "hunter2": "x",
        "k": {"hunter2": ["hunter2", {"deep": "hunter2"}]},
        5: "five",
    }
    redacted = logging_module.redact_secrets(None, "info", event)
    assert redacted == {"***": "x", "k": {"***": ["***", {"deep": "***"}]}, "5": "five"}


def _switches() -> tuple[object, ...]:
    """The stdlib's record-field switches as they are now (read afresh, never narrowed)."""
    module = vars(logging)
    return tuple(module[n] for n in ("_srcfile", "logThreads", "logProcesses"))


def _lines_logged(fmt: Literal["json", "console"]) -> list[str]:
    """A step event, a third-party warning with a traceback and a free-text line, rendered."""
    stream = io.StringIO()
    configure_logging(fmt=fmt, verbosity=1, stream=stream)
    return _log_three(stream)


def _log_three(stream: io.StringIO) -> list[str]:
    log_step_finished()
    try:
        raise ValueError("broken")
    except ValueError:
        logging.getLogger("psrunbook.transport").warning("retrying %s", "NODE1", exc_info=True)
    get_logger("psrunbook.run").debug("free text", extra_field=3)
    stamp = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z")
    return [stamp.sub("T", line) for line in stream.getvalue().splitlines()]


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_lines_do_not_depend_on_the_record_fields_left_out(
    fmt: Literal["json", "console"],
) -> None:
    """The caller, thread and process fields the stdlib no longer fills are read by nobody."""
    quick = _lines_logged(fmt)
    assert _switches() == (None, False, False)
    stream = io.StringIO()
    configure_logging(fmt=fmt, verbosity=1, stream=stream)
    logging_module._restore_record_fields()  # the stdlib's defaults, same handlers
    assert _switches()[0] is not None
    assert _switches()[1:] == (True, True)
    assert _log_three(stream) == quick
    assert len(quick) >= 3


def test_reset_restores_the_stdlib_record_fields() -> None:
    before = _switches()
    configure_logging(fmt="json", stream=io.StringIO())
    configure_logging(fmt="json", stream=io.StringIO())  # twice: the defaults kept once
    assert _switches() == (None, False, False)
    reset_logging()
    assert _switches() == before
