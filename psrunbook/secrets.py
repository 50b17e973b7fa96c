"""Secret values: a wrapper that never shows its value, and the registry that masks them.

A :class:`Secret` travels to the node as a SecureString parameter; everywhere else
(repr, str, logs, journal, bundle, exception messages) it shows as ``***``. Constructing
one has no other effect.

Text psrunbook writes (log lines, tracebacks, journal rows) is also masked *by value*, so
a secret that slips into a third-party log line or an exception message is caught too. The
values to mask are the ones registered with :func:`register_secret`, which the code that
takes a secret in calls explicitly: inventory passwords when they are read, the password
prompt, runbook parameters once validated, the simulator's generated password. The log
processors (:mod:`psrunbook.logging`) and the journal read the registry through
:func:`redact_text`.
"""

from __future__ import annotations

import json
import re
import threading
from typing import Any, Final

from pydantic_core import core_schema

__all__ = [
    "MASK",
    "SECRETS",
    "Secret",
    "SecretRegistry",
    "clear_secrets",
    "redact_text",
    "register_secret",
]

MASK: Final = "***"


class Secret:
    """A secret value; ``reveal()`` is the only way to read it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return f"Secret({MASK})"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Any) -> core_schema.CoreSchema:
        """Let runbook parameter models declare ``Secret`` fields that accept plain strings."""
        return core_schema.no_info_after_validator_function(
            lambda v: v if isinstance(v, Secret) else cls(v),
            core_schema.union_schema(
                [core_schema.is_instance_schema(cls), core_schema.str_schema(min_length=1)]
            ),
            serialization=core_schema.plain_serializer_function_ser_schema(lambda _: MASK),
        )


class SecretRegistry:
    """Secret values to mask, and one compiled pattern that matches any of them.

    The pattern is rebuilt on every registration and swapped atomically, so logging
    threads never see a half-updated set. Beside it, a set of the short texts already
    found to hold no secret: a log event passes every key and value here (the same
    field names, node names, step names and hashes, event after event), and looking
    a text up costs a fraction of matching the pattern over it (issue 16). The set
    belongs to one pattern and is replaced with it, so a text is never let through
    unmatched against a secret registered after it was checked; it holds only texts
    that contain no secret.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._active: tuple[re.Pattern[str] | None, set[str]] = (None, set())
        """The pattern and its clean texts, swapped together in one assignment."""

    def add(self, value: str | Secret) -> None:
        """Mask ``value`` (and its escaped forms) in every later :meth:`redact`."""
        text = value.reveal() if isinstance(value, Secret) else value
        if not text:
            return  # an empty "secret" would match between every character
        with self._lock:
            self._values.update(v for v in _escaped_forms(text) if v)
            # Longest first, so a secret that contains another is replaced whole.
            ordered = sorted(self._values, key=lambda v: (-len(v), v))
            self._active = (re.compile("|".join(re.escape(v) for v in ordered)), set())

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
            self._active = (None, set())

    def redact(self, text: str) -> str:
        """``text`` with every registered value replaced by ``***``."""
        pattern, clean = self._active
        if pattern is None:
            return text
        exact = type(text) is str  # re.sub gives a subclass back as a plain str
        if exact and text in clean:
            return text
        redacted = pattern.sub(MASK, text)
        short = len(text) <= _CLEAN_TEXT_MAX and len(clean) < _CLEAN_TEXTS_MAX
        if exact and short and redacted is text:  # unchanged: no secret in it
            clean.add(text)
        return redacted


_CLEAN_TEXT_MAX: Final = 256
"""Longer texts (script output, JSON documents) seldom come again: never remembered."""
_CLEAN_TEXTS_MAX: Final = 4096
"""At most this many clean texts are remembered per pattern (a run uses a few hundred)."""


def _escaped_forms(value: str) -> set[str]:
    """The value as written plainly and as it appears inside repr, JSON and XML text.

    An exception message often embeds a repr (``invalid value 'p\\'w'``) and pypsrp's
    debug output embeds XML, so matching only the raw value would miss those copies.
    """
    xml = (
        value.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&apos;")
    )
    return {
        value,
        repr(value)[1:-1],
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        xml,
    }


SECRETS: Final = SecretRegistry()
"""The process's registry. Process-wide on purpose: logging is configured once per process
and third-party loggers (pypsrp, urllib3) reach the same handlers from any thread."""


def register_secret(value: str | Secret) -> None:
    """Make every later log line, traceback and journal row show ``value`` as ``***``."""
    SECRETS.add(value)


def clear_secrets() -> None:
    """Forget every registered secret (for a process that starts an unrelated run)."""
    SECRETS.clear()


def redact_text(text: str) -> str:
    """Return ``text`` with every registered secret replaced by ``***``.

    A text already found clean is answered here, without the call to
    :meth:`SecretRegistry.redact`: log events pass dozens of texts each (issue 16).
    """
    pattern, clean = SECRETS._active
    if pattern is None or (type(text) is str and text in clean):
        return text
    return SECRETS.redact(text)
