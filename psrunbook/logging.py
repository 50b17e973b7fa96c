"""Structured logging for humans on a terminal and for a SIEM everywhere else.

Logging is configured once, at the CLI edge, by :func:`configure_logging`. Library code
only calls :func:`get_logger` and logs key/value events; it never decides where lines go.

Every record, whether it comes from structlog or from a third-party stdlib logger
(pypsrp, spnego, requests-credssp, urllib3), is formatted by the same
``structlog.stdlib.ProcessorFormatter`` chain, so every line passes the same
redaction step. The JSON chain shapes events into Elastic Common Schema (ECS) documents
with nested objects (``{"event": {"action": ...}}``), which is what Elasticsearch maps
natively; the console chain keeps the flat key/value view that reads well in a terminal.

Callers describe a unit of work with plain keyword arguments; :func:`shape_ecs` maps them
to ECS fields (see ``docs/logging.md`` for the whole table)::

    log.info(
        "step.finished", node="SQLNODE1", user="CONTOSO\\\\svc", run_id=run_id,
        cluster="SQLCLUSTER1", runbook="ssis-clustered", step="install-ssis", changed=True,
        check_only=False, outcome="success", duration_ns=1_250_000_000,
        script_sha256=digest, error=None,
    )

Every line also says what wrote it and for whom, so a SIEM can filter and attribute it
without knowing psrunbook: ``service.name``/``service.version`` (this tool and its
version), ``event.dataset`` (``psrunbook.run``) and ``process.pid``/``process.user.name``
(the operator's account on the control node; ``user.name`` is the remote account).

Secrets are removed by value: a value registered with
:func:`psrunbook.secrets.register_secret` (and the escaped forms it takes inside ``repr``,
JSON and XML text) becomes ``***`` wherever it occurs in any string of any event,
including rendered tracebacks.
"""

from __future__ import annotations

import dataclasses
import functools
import getpass
import logging
import os
import re
import socket
import stat
import sys
from collections.abc import Mapping
from io import StringIO
from pathlib import Path
from typing import Any, Final, Literal, Protocol, TextIO, runtime_checkable

# isort: off
import psrunbook.structlog_import  # noqa: F401  first: loads structlog without rich (see there)
import structlog

# isort: on
from structlog.processors import ExceptionRenderer
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, ExcInfo, Processor, WrappedLogger

from psrunbook.errors import UserError
from psrunbook.input_files import file_kind
from psrunbook.secrets import MASK, redact_text
from psrunbook.syslog_sink import SYSLOG_HANDLERS, report_failed_record, syslog_handler
from psrunbook.version import VERSION

__all__ = [
    "DATASET",
    "ECS_VERSION",
    "REDACTED",
    "THIRD_PARTY_LOGGERS",
    "ErrorRecord",
    "configure_logging",
    "get_logger",
    "os_user",
    "redact_secrets",
    "reset_logging",
    "shape_ecs",
    "wants_colour",
]

ECS_VERSION: Final = "8.11.0"
SERVICE_NAME: Final = "psrunbook"
# ECS event.dataset: one dataset for every line, so a SIEM routes them all to one place.
DATASET: Final = "psrunbook.run"
REDACTED: Final = MASK
# Held at WARNING below -vvv: pypsrp logs whole scripts and SOAP bodies, psrpcore (the
# simulator's PSRP layer) every PSRP message with its arguments and output.
THIRD_PARTY_LOGGERS: Final = ("pypsrp", "psrpcore", "spnego", "requests_credssp", "urllib3")

_OUTCOMES: Final = frozenset({"success", "failure", "unknown"})
# Levels whose events are failures when the caller names no outcome.
_FAILED_LEVELS: Final = frozenset({"error", "critical"})
# Our fields in seconds end so; always written as JSON floats (see _pop_namespace).
_SECONDS_SUFFIX: Final = "_s"
# Categorization when the caller names none: psrunbook changes system configuration.
_DEFAULT_CATEGORY: Final = ("configuration",)
# An error.code is an identifier to group by (a FullyQualifiedErrorId, a WSMan fault
# number, an exception type): no blanks, not a sentence. `throw 'text'` makes PowerShell's
# FullyQualifiedErrorId the text itself, which is not a code.
_CODE: Final = re.compile(r"\S{1,256}")
# An event named like `step.finished` is its own ECS action; free text is not.
_ACTION_NAME: Final = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+")
# Caller keyword -> ECS object and field naming who and where.
_IDENTITY_FIELDS: Final = {
    "node": ("host", "name"),
    "user": ("user", "name"),
    "run_id": ("trace", "id"),
}
# Verbosity at which the chatty transport libraries are let through at DEBUG.
_THIRD_PARTY_DEBUG_VERBOSITY: Final = 3


# --------------------------------------------------------------------------- redaction


# Credentials that reach a line without having been registered (a library's message, an
# exception quoting what it could not load): a PEM private key block, whole, to its END
# line or the end of the text; and the password of a URL's user information, read as
# psrunbook.secrets.mask_url reads it (to the last "@" before a blank).
_PEM_PRIVATE_KEY: Final = re.compile(
    r"-----BEGIN (?P<kind>[A-Z0-9 ]*)PRIVATE KEY-----.*?(?:-----END (?P=kind)PRIVATE KEY-----|\Z)",
    re.DOTALL,
)
_URL_PASSWORD: Final = re.compile(r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^\s/?#@:]*:)[^\s@]*@")


def _redact_text(text: str) -> str:
    """A string as a line may show it: registered secrets, private keys and URL passwords
    ``***``.

    The registry (:func:`psrunbook.secrets.redact_text`) knows the secrets psrunbook took
    in; the two patterns catch credentials it never saw. Each is tried only when a plain
    substring test finds its marker, so a clean string costs two ``in`` tests.
    """
    text = redact_text(text)
    if "PRIVATE KEY-----" in text:
        text = _PEM_PRIVATE_KEY.sub(MASK, text)
    if "://" in text and "@" in text:
        text = _URL_PASSWORD.sub(rf"\g<head>{MASK}@", text)
    return text


_AS_IS: Final = frozenset({type(None), bool, int, float})
"""The exact types a value keeps as it is (their subclasses too, found the slower way)."""


def _redact_value(value: Any) -> Any:
    """Redact and normalise one value to JSON-native types.

    Anything that is not a string, number, bool, None, mapping or sequence becomes its
    ``str()`` here, before redaction, so no renderer can later ``repr`` an object whose
    text holds a secret the redactor never saw.

    The exact types an ECS document is made of (``str``, ``dict``, ``list``, numbers) are
    told apart by ``type`` first: every value and key of every event passes here, and the
    chain of ``isinstance`` tests was most of the redaction's cost (issue 16). Other types
    (subclasses included) take the general path, :func:`_redact_other`, with the same result.
    """
    kind = type(value)
    if kind is str:
        return _redact_text(value)
    if kind is dict:
        return _redact_dict(value)
    if kind in _AS_IS:
        return value
    if kind is list:
        return [_redact_value(item) for item in value]
    return _redact_other(value)


def _redact_dict(value: Mapping[Any, Any]) -> dict[str, Any]:
    """:func:`_redact_value` of a dict (or an event's mapping), plain values redacted in line.

    Most values of an event are strings and numbers: handled here, each without a call
    of :func:`_redact_value` (the same result, a third less work per event, issue 16).
    """
    redacted: dict[str, Any] = {}
    for key, item in value.items():
        name = _redact_text(key if type(key) is str else str(key))
        kind = type(item)
        if kind is str:
            redacted[name] = _redact_text(item)
        elif kind in _AS_IS:
            redacted[name] = item
        else:
            redacted[name] = _redact_value(item)
    return redacted


def _redact_other(value: Any) -> Any:
    """:func:`_redact_value` for any type: ``isinstance`` decides, subclasses included."""
    if isinstance(value, str):
        return _redact_text(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, Mapping):
        return {_redact_text(str(k)): _redact_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_value(v) for v in value]
    return _redact_text(str(value))


def redact_secrets(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: mask every registered secret (psrunbook.secrets) in keys and values."""
    return _redact_dict(event_dict)


# --------------------------------------------------------------------------- ECS shaping


def _set_path(target: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``a.b.c`` inside nested dictionaries, creating the levels on the way."""
    *parents, leaf = dotted.split(".")
    node = target
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[leaf] = value


def _type_name(kind: type) -> str:
    """Qualified class name, bare for builtins (``ValueError``, ``psrunbook.errors.X``)."""
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


@runtime_checkable
class ErrorRecord(Protocol):
    """A structured error with PowerShell's names, as ``psrunbook.results.StepError`` is.

    Every failure of a step, a transport fault included, reaches the log as one of
    these; the processors below flatten it to ECS ``error.*`` fields.
    """

    @property
    def message(self) -> str: ...

    @property
    def exception_type(self) -> str | None: ...

    @property
    def fully_qualified_error_id(self) -> str | None: ...


def _error_fields(error: object) -> dict[str, str]:
    """ECS ``error.*`` from an exception, an :class:`ErrorRecord` or text.

    An exception gives its text, qualified class and ``code`` (a WSMan fault's number);
    an error record its message, exception type and FullyQualifiedErrorId; anything
    else its text. A missing type or code is left out.
    """
    kind: str | None = None
    code: object = None
    if isinstance(error, BaseException):
        message = str(error) or type(error).__name__
        kind = _type_name(type(error))
        code = getattr(error, "code", None)
    elif isinstance(error, ErrorRecord):
        message = error.message
        kind = error.exception_type
        code = error.fully_qualified_error_id
    else:
        message = str(error)
    fields = {"message": message}
    if kind is not None:
        fields["type"] = kind
    as_code = _as_code(code, kind)
    if as_code is not None:
        fields["code"] = as_code
    return fields


def _as_code(code: object, kind: str | None) -> str | None:
    """``code`` if it is an identifier, else the error's type if that is, else None.

    A SIEM aggregates failures by ``error.code``; a message in its place (PowerShell's
    id for ``throw 'text'`` is the text) would make every failure its own group.
    """
    for candidate in (code, kind):
        if candidate is not None and _CODE.fullmatch(str(candidate)):
            return str(candidate)
    return None


def _flatten_error(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor for the console: ``error=`` as the fields the JSON line has.

    Without it the console would show an error record only as its text and lose the
    type and code that the JSON line carries.
    """
    error = event_dict.get("error")
    if error is not None:
        event_dict["error"] = _error_fields(error)
    return event_dict


def _pop_error(ed: dict[str, Any]) -> dict[str, Any]:
    """``error.*`` from ``error=``, else from the rendered ``exc_info``; ``error_code`` wins."""
    error_value = ed.pop("error", None)
    error_code = ed.pop("error_code", None)
    exception = ed.get("exception")
    error: dict[str, Any] = {}
    if error_value is not None:
        error = _error_fields(error_value)
    elif isinstance(exception, list) and exception and isinstance(exception[0], Mapping):
        outermost = exception[0]
        for ecs_key, key in (("message", "exc_value"), ("type", "exc_type")):
            if outermost.get(key) is not None:
                error[ecs_key] = str(outermost[key])
    if error_code is not None:
        error["code"] = str(error_code)
    return error


def _names(value: object, default: tuple[str, ...]) -> list[str]:
    """An ECS array field (``event.category``/``event.type``) from a string or a sequence."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple) and value:
        return [str(v) for v in value]
    return list(default)


def _pop_event(ed: dict[str, Any], message: str, *, failed: bool) -> dict[str, Any]:
    """The ECS ``event`` object: kind, category and type, action, outcome and duration.

    ``event.type`` is ``change`` only when a step applied and changed something: a check
    (``check_only=True``) never changed anything, whatever it found, so it is ``info``
    and what it found is ``psrunbook.would_change``. A caller may name the category and
    type (``category=``, ``event_type=``) for events that are not a step's.
    """
    check_only = ed.get("check_only") is True
    if check_only and "changed" in ed:
        changed = ed.pop("changed")
        ed.setdefault("would_change", changed)
    applied_change = ed.get("changed") is True and not check_only
    event: dict[str, Any] = {
        "kind": "event",
        "category": _names(ed.pop("category", None), _DEFAULT_CATEGORY),
        "type": _names(ed.pop("event_type", None), ("change",) if applied_change else ("info",)),
        "dataset": DATASET,
    }
    action = ed.pop("action", None)
    if action is None and _ACTION_NAME.fullmatch(message):
        action = message
    if action is not None:
        event["action"] = str(action)
    outcome = ed.pop("outcome", None)
    if outcome is not None:
        event["outcome"] = outcome if outcome in _OUTCOMES else "unknown"
    elif failed:
        event["outcome"] = "failure"
    duration = ed.pop("duration_ns", None)
    if isinstance(duration, int | float) and not isinstance(duration, bool):
        event["duration"] = round(duration)
    return event


def _pop_namespace(ed: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    """Our own ``psrunbook.*`` fields; dotted keys land in ``doc`` as ECS paths."""
    ours: dict[str, Any] = {}
    for key in ("cluster", "runbook", "step", "script_sha256"):
        value = ed.pop(key, None)
        if value is not None:
            ours[key] = str(value)
    for key in ("changed", "would_change", "check_only"):
        flag = ed.pop(key, None)
        if isinstance(flag, bool):
            ours[key] = flag
    for key, value in ed.items():
        if value is None:
            continue
        if "." in key:
            _set_path(doc, key, value)
        elif key.endswith(_SECONDS_SUFFIX) and type(value) is int:
            # A time in seconds is 330 in one event and 600.0 in the next; Elasticsearch
            # maps a field by its first value, and a long field truncates 0.304 to 0.
            ours[key] = float(value)
        else:
            ours[key] = value
    return ours


def shape_ecs(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
    """structlog processor: turn a flat event into a nested ECS document.

    Recognised keys: ``action``, ``category``, ``event_type``, ``node``, ``user``,
    ``run_id``, ``cluster``, ``runbook``, ``step``, ``changed``, ``check_only``,
    ``would_change``, ``outcome``, ``duration_ns``, ``script_sha256``, ``error``,
    ``error_code``. A key containing a dot is taken as an ECS field path as is; any
    other key goes under the ``psrunbook`` namespace so it can never clash with ECS.
    Keys whose value is None are left out. Every document also names the tool
    (``service.*``), the dataset and the process and account that wrote it
    (``process.pid``, ``process.user.name``).
    """
    ed = dict(event_dict)
    message = str(ed.pop("event", ""))
    level = str(ed.pop("level", method_name))
    timestamp = ed.pop("timestamp", None)
    logger_name = ed.pop("logger", None)

    doc: dict[str, Any] = {}
    if timestamp is not None:
        doc["@timestamp"] = timestamp
    doc["log"] = {"level": level}
    if logger_name is not None:
        doc["log"]["logger"] = str(logger_name)
    doc["message"] = message
    doc["ecs"] = {"version": ECS_VERSION}
    doc["service"] = {"name": SERVICE_NAME, "version": VERSION}
    process: dict[str, Any] = {"pid": os.getpid()}
    operator = os_user()
    if operator is not None:
        process["user"] = {"name": operator}
    doc["process"] = process

    # ECS event.outcome "failure": the event describes a failed result. An event logged
    # at error (a refused bundle run's cluster.mismatch) is one, whether or not it names
    # an error; a caller's own outcome= still wins.
    failed = ed.get("error") is not None or level in _FAILED_LEVELS
    error = _pop_error(ed)
    doc["event"] = _pop_event(ed, message, failed=failed)
    for key, (ecs_object, ecs_field) in _IDENTITY_FIELDS.items():
        value = ed.pop(key, None)
        if value is not None:
            doc[ecs_object] = {ecs_field: str(value)}
    if error:
        doc["error"] = error
    ours = _pop_namespace(ed, doc)
    if ours:
        doc.setdefault("psrunbook", {}).update(ours)
    return doc


@functools.cache
def os_user() -> str | None:
    """The login name psrunbook runs under on the control node: the operator.

    ECS ``process.user.name`` ("the effective user") of every line, and the journal's
    ``os_user``; the remote account is ``user.name``. None when the system cannot say
    (no ``USER``/``LOGNAME`` and no password-database entry, as in some containers).
    """
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


# --------------------------------------------------------------------------- tracebacks


def _scrub(obj: Any) -> Any:
    """Redact every string inside rich's traceback dataclasses before they are laid out.

    Rich wraps long lines, which could split a secret across two lines where no text
    search would find it afterwards; redacting the extracted trace first avoids that.
    """
    if isinstance(obj, str):
        return _redact_text(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: _scrub(getattr(obj, f.name)) for f in dataclasses.fields(obj) if f.init}
        return dataclasses.replace(obj, **changes)
    if isinstance(obj, list):
        return [_scrub(item) for item in obj]
    if isinstance(obj, dict):
        return {key: _scrub(value) for key, value in obj.items()}
    return obj


class _ConsoleTraceback:
    """Renders exc_info to text with rich, without local variables, already redacted."""

    def __init__(self, *, colors: bool) -> None:
        self._colors = colors

    def __call__(self, exc_info: ExcInfo) -> str:
        from rich.console import Console  # noqa: PLC0415  only needed once an exception is shown
        from rich.traceback import Traceback  # noqa: PLC0415  same lazy import as above

        exc_type, exc_value, tb = exc_info
        trace = Traceback.extract(exc_type, exc_value, tb, show_locals=False)
        sio = StringIO()
        console = Console(
            file=sio,
            width=100,
            force_terminal=self._colors,
            color_system="truecolor" if self._colors else None,
        )
        console.print(Traceback(_scrub(trace), show_locals=False, width=100, word_wrap=True))
        return _redact_text(sio.getvalue())


# --------------------------------------------------------------------------- configuration


class _OwnedStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]  # TextIO stream
    """A handler installed by configure_logging, so re-configuration can find it.

    A record it cannot write is reported once, redacted (:func:`report_failed_record`),
    not with the standard report that prints the raw event, secrets included.
    """

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (stdlib name)
        report_failed_record(self, "the log on stderr")


class _StderrHandler(_OwnedStreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record comes, not what it was at start.

    The live run display redirects ``sys.stderr`` while it draws, so a warning logged
    during a run is printed above the live region instead of through it.
    """

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, value: TextIO) -> None:
        """Ignored: the stream is always the current ``sys.stderr``."""


# Events the run display already shows on the console (live lines and the summary):
# rendered there too they would print every step twice. JSON output keeps them all.
_SHOWN_BY_RUN_VIEW: Final = frozenset(
    {"run.started", "run.finished", "step.started", "step.finished", "step.node_skipped"}
)


class _NotShownByRunView(logging.Filter):
    """Keeps the run display's own events off the human console (below ``-v``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        event = record.msg
        return not (isinstance(event, dict) and event.get("action") in _SHOWN_BY_RUN_VIEW)


def wants_colour(is_tty: bool) -> bool:
    """Colour on a terminal, unless ``NO_COLOR``; anywhere with ``FORCE_COLOR``.

    The conventions of no-color.org and force-color.org (a non-empty value counts),
    the same ones rich applies to the rest of the console; NO_COLOR wins.
    """
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or is_tty


class _OwnedFileHandler(logging.FileHandler):
    """A JSON-lines file handler installed by configure_logging.

    The log file is a copy; the journal is the record of truth. When a write fails part
    way through a run (a full disk, a file size limit), the stdlib handler would print a
    traceback for every later record and the run would drown in them. Instead the first
    failure prints one warning to stderr naming the file and the reason, and later
    records are dropped from this file only; the run and the other handlers go on.
    """

    failed: str | None = None

    def emit(self, record: logging.LogRecord) -> None:
        if self.failed is not None:
            return
        super().emit(record)  # a failed write reaches handleError

    def flush(self) -> None:
        try:
            super().flush()
        except OSError as exc:
            self._give_up(exc.strerror or str(exc))

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (stdlib name)
        error = sys.exc_info()[1]
        if isinstance(error, OSError):
            self._give_up(error.strerror or str(error))
        else:  # a record that cannot be formatted: said once, redacted, never the raw event
            report_failed_record(self, f"--log-file {self.baseFilename}")

    def _give_up(self, reason: str) -> None:
        if self.failed is not None:
            return
        self.failed = reason
        # Whatever is still buffered can never be written: drop it, so closing the
        # handler at exit does not fail again.
        stream = self.stream
        self.stream = None  # FileHandler reopens on None; emit returns before that
        try:
            if stream is not None:
                stream.close()
        except OSError:
            pass
        try:
            sys.stderr.write(
                f"warning: --log-file {self.baseFilename}: cannot write ({reason}); "
                "further log records are not written to it, the run continues "
                "(the journal is the record of the run)\n"
            )
            sys.stderr.flush()
        except OSError:
            pass


_OWNED = (_OwnedStreamHandler, _OwnedFileHandler, *SYSLOG_HANDLERS)


_BODY_TIMESTAMP: Final = re.compile(r'\{"@timestamp": "([0-9T:.Z-]{1,40})"')
"""The ``@timestamp`` that opens every rendered ECS line."""


class _Rfc5424Formatter(logging.Formatter):
    """``1 TIMESTAMP HOST psrunbook PID MSGID - {ECS JSON}`` (the sink adds ``<PRI>``).

    RFC 5424's header, so a receiver files the line under the app and the event
    (MSGID is the event action, ``step.finished``), and the same JSON document the log
    file holds as the message, so a SIEM parses one format whatever the transport
    (framing is the sink's: :mod:`psrunbook.syslog_sink`).
    """

    def __init__(self) -> None:
        super().__init__()
        self._json = _json_formatter()
        self._host = socket.gethostname() or "-"

    def format(self, record: logging.LogRecord) -> str:
        import datetime  # noqa: PLC0415  only when a syslog sink is configured

        event = record.msg
        action = event.get("action") if isinstance(event, dict) else None
        msgid = action if isinstance(action, str) and _ACTION_NAME.fullmatch(action) else "-"
        body = self._json.format(record)
        # The header's TIMESTAMP is the event's own @timestamp (the first key shape_ecs
        # writes): the record's creation time differs by microseconds, and a receiver
        # filing by the header must agree with the SIEM indexing the JSON.
        stamped = _BODY_TIMESTAMP.match(body)
        if stamped is not None:
            stamp = stamped.group(1)
        else:
            moment = datetime.datetime.fromtimestamp(record.created, tz=datetime.UTC)
            stamp = moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
        header = f"1 {stamp} {self._host} {SERVICE_NAME} {os.getpid()} {msgid[:32]} -"
        return f"{header} {body}"


ISO_MICROSECONDS = "%Y-%m-%dT%H:%M:%S.%fZ"
"""``@timestamp``'s format: UTC, microseconds always written."""


def _shared_processors() -> list[Processor]:
    """Processors that run on every event before the per-handler formatter."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.PositionalArgumentsFormatter(),
        # Always six digits of microseconds: fmt="iso" is datetime.isoformat(), which
        # leaves the fraction out at a whole second (about one event in a million), and
        # the ECS documents a SIEM parses have one format.
        structlog.processors.TimeStamper(fmt=ISO_MICROSECONDS, utc=True),
        structlog.processors.StackInfoRenderer(),
    ]


_JSON_LINE: Final = "_psrunbook_json_line"
"""The record attribute that keeps a record's rendered JSON line for the next handler."""


class _JsonFormatter(structlog.stdlib.ProcessorFormatter):
    """The ECS JSON line of a record, rendered once however many handlers write it.

    With ``--log-file`` and a console that is not a terminal, the file and the console
    stream (and syslog) carry the same line: shaping, redacting and encoding it once per
    handler was a third of psrunbook's own work per step. Every JSON formatter is built
    by :func:`_json_formatter` with the same processors, so the line is the same.
    """

    def format(self, record: logging.LogRecord) -> str:
        line = record.__dict__.get(_JSON_LINE)
        if isinstance(line, str):
            return line
        line = super().format(record)
        record.__dict__[_JSON_LINE] = line
        return line


def _json_formatter() -> structlog.stdlib.ProcessorFormatter:
    return _JsonFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            ExceptionRenderer(ExceptionDictTransformer(show_locals=False)),
            shape_ecs,
            redact_secrets,
            structlog.processors.JSONRenderer(),
        ],
    )


def _console_formatter(*, colors: bool) -> structlog.stdlib.ProcessorFormatter:
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            ExceptionRenderer(_ConsoleTraceback(colors=colors)),
            _flatten_error,
            redact_secrets,
            structlog.dev.ConsoleRenderer(
                colors=colors,
                # Never reached (the exception is rendered above, with rich); plain text
                # works whether or not structlog was loaded with rich (structlog_import).
                exception_formatter=structlog.dev.plain_traceback,
            ),
        ],
    )


class _NotALogFile(OSError):
    """The --log-file path exists and is not a regular file."""


def _open_private(path: Path) -> None:
    """Create the log file readable by its owner only, before logging opens it.

    Only a regular file (or a new one) is accepted: a directory, ``/dev/full`` or a FIFO
    would fail on every record of the run (hundreds of tracebacks) or block, so they are
    refused before the command does anything.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        raise _NotALogFile(f"is {file_kind(mode)}, not a regular file")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NONBLOCK, 0o600)
    os.close(fd)


def _remove_owned_handlers(root: logging.Logger) -> None:
    for handler in list(root.handlers):
        if isinstance(handler, _OWNED):
            root.removeHandler(handler)
            handler.close()


class _NoThirdPartyTracebacks(logging.Filter):
    """Keeps the transport libraries' tracebacks of handled faults off the console.

    pypsrp logs a read timeout with ``log.exception`` and then raises it; psrunbook reports
    that fault itself, naming the step and node, so on the console the library's traceback
    only looks like a crash. The log file, and ``-vvv``, keep the record whole.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and record.name.partition(".")[0] in THIRD_PARTY_LOGGERS)


_RECORD_FIELD_SWITCHES: Final = ("logThreads", "logProcesses", "logMultiprocessing")
"""The stdlib's switches for the record fields no handler here reads."""
_record_field_defaults: dict[str, Any] = {}
"""The stdlib's settings before :func:`configure_logging` changed them (for reset)."""


def _skip_unused_record_fields() -> None:
    """Stop the stdlib from finding each record's caller, thread and process names.

    For every record the stdlib walks the stack for the calling function and line
    (structlog's logger walks further, past its own frames) and asks for the thread's
    and process's names. No handler configured here reads them: every line is rendered
    from the event itself (the ECS document names the process by ``os.getpid()``), the
    console from the same event, syslog from the record's time. These are the stdlib's
    own switches for that ("Optimization" in the logging HOWTO); the saving was about
    7 % of the instructions of a ``step.finished`` event (issue 16).
    """
    if not _record_field_defaults:
        _record_field_defaults["_srcfile"] = logging._srcfile
        for name in _RECORD_FIELD_SWITCHES:
            _record_field_defaults[name] = getattr(logging, name)
    logging._srcfile = None
    for name in _RECORD_FIELD_SWITCHES:
        setattr(logging, name, False)


def _restore_record_fields() -> None:
    """Undo :func:`_skip_unused_record_fields`."""
    for name, value in _record_field_defaults.items():
        setattr(logging, name, value)
    _record_field_defaults.clear()


def configure_logging(
    *,
    fmt: Literal["auto", "console", "json"] = "auto",
    verbosity: int = 0,
    log_file: Path | None = None,
    stream: TextIO | None = None,
    syslog: str | None = None,
    syslog_ca: Path | None = None,
) -> None:
    """Send every log record through one redacting chain; safe to call again.

    ``auto`` renders for humans when ``stream`` (default stderr) is a terminal and JSON
    lines otherwise. ``verbosity`` 0 shows INFO, 1 and 2 show DEBUG, 3 also lets the
    transport libraries log at DEBUG (they stay at WARNING below that, because pypsrp
    logs whole scripts at INFO and SOAP bodies at DEBUG). ``log_file`` adds JSON lines
    at DEBUG, whatever the console shows; ``syslog`` (``udp://HOST[:PORT]``,
    ``tcp://...`` or ``tls://...``, verified against ``syslog_ca`` or the system's CAs)
    sends the same JSON as RFC 5424 syslog messages.
    """
    out = stream if stream is not None else sys.stderr
    is_tty = bool(getattr(out, "isatty", lambda: False)())
    console = fmt == "console" or (fmt == "auto" and is_tty)
    stream_level = logging.INFO if verbosity <= 0 else logging.DEBUG

    root = logging.getLogger()
    _remove_owned_handlers(root)
    _skip_unused_record_fields()

    stream_handler = _OwnedStreamHandler(out) if stream is not None else _StderrHandler()
    stream_handler.setLevel(stream_level)
    formatter = _console_formatter(colors=wants_colour(is_tty)) if console else _json_formatter()
    stream_handler.setFormatter(formatter)
    if verbosity < _THIRD_PARTY_DEBUG_VERBOSITY:
        stream_handler.addFilter(_NoThirdPartyTracebacks())
    if console and verbosity <= 0:
        stream_handler.addFilter(_NotShownByRunView())
    handlers: list[logging.Handler] = [stream_handler]
    if log_file is not None:
        try:
            _open_private(log_file)
            file_handler = _OwnedFileHandler(log_file, mode="a", encoding="utf-8")
        except OSError as exc:
            raise UserError(
                f"--log-file {log_file}: cannot be used as the log file "
                f"({exc.strerror or exc}); give the path of a writable regular file "
                "(it is created if missing)"
            ) from None
        file_handler.setLevel(logging.DEBUG)
        file_handler.setFormatter(_json_formatter())
        handlers.append(file_handler)
    if syslog is not None:
        handlers.append(syslog_handler(syslog, _Rfc5424Formatter(), ca_bundle=syslog_ca))

    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(min(h.level for h in handlers))

    third_party = logging.DEBUG if verbosity >= _THIRD_PARTY_DEBUG_VERBOSITY else logging.WARNING
    for name in THIRD_PARTY_LOGGERS:
        logging.getLogger(name).setLevel(third_party)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        # Not cached: tests re-configure and use structlog.testing.capture_logs.
        cache_logger_on_first_use=False,
    )


def reset_logging() -> None:
    """Undo :func:`configure_logging`: remove its handlers, restore structlog defaults."""
    root = logging.getLogger()
    _remove_owned_handlers(root)
    _restore_record_fields()
    root.setLevel(logging.WARNING)
    for name in THIRD_PARTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.NOTSET)
    structlog.reset_defaults()


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    """A structlog logger named after the calling module (``get_logger(__name__)``)."""
    return structlog.stdlib.get_logger(name)
