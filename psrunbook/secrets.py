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
from urllib.parse import unquote, unquote_plus

from pydantic_core import core_schema

__all__ = [
    "MASK",
    "SECRETS",
    "Secret",
    "SecretRegistry",
    "clear_secrets",
    "mask_url",
    "redact_text",
    "register_secret",
    "url_secrets",
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


# --------------------------------------------------------------------------- URLs

# Query parameters whose value is a credential (compared case-insensitively, after
# percent-decoding the name): libpq's password and sslpassword, and the usual token names.
_SECRET_QUERY_NAMES: Final = frozenset(
    {"pass", "pwd", "key", "apikey", "api_key", "sig", "signature", "credential", "credentials"}
)
_SECRET_QUERY_ENDINGS: Final = ("password", "passwd", "secret", "token")
# A value runs to the next separator; a "#" in it is kept (and masked with it): the URLs
# psrunbook reads have no fragment, and libpq reads "#" as part of the value.
_QUERY_PARAMETER: Final = re.compile(r"(?<=[?&;])(?P<name>[^=&;#?]*)=(?P<value>[^&;]*)")


def _secret_query_name(name: str) -> bool:
    folded = unquote_plus(name).strip().casefold()
    return folded in _SECRET_QUERY_NAMES or folded.endswith(_SECRET_QUERY_ENDINGS)


def _split_userinfo(url: str) -> tuple[str, str, str] | None:
    """``(before, password, after)`` when the URL's user information carries a password.

    The user information runs to the *last* ``@`` and its password from the first ``:``
    after ``scheme://``. That is more than RFC 3986 reads when a ``/``, ``?`` or ``#``
    comes before the ``@``, on purpose: a password typed with one of those unencoded
    (``postgresql://ops:pa/ss@db/runs``) is still hidden; at worst a port is hidden with it.
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        return None
    at = rest.rfind("@")
    if at < 0:
        return None
    user, colon, password = rest[:at].partition(":")
    if not colon:
        return None
    return f"{scheme}://{user}:", password, rest[at:]


def mask_url(url: str) -> str:
    """``url`` as a message may show it: its password and credential-like query values ``***``.

    Works on text that does not parse as a URL too (a bad port, unbalanced brackets):
    masking is textual, so an error message about a malformed URL cannot leak what it
    was going to hide. Both ``user:PASSWORD@`` and ``?password=...`` (also ``sslpassword``,
    ``token``, ``api_key``, ``secret`` and the like) are masked; the rest is kept so the
    operator still sees which URL is meant.
    """
    parts = _split_userinfo(url)
    text = url if parts is None else f"{parts[0]}{MASK}{parts[2]}"

    def hide(match: re.Match[str]) -> str:
        if not _secret_query_name(match.group("name")):
            return match.group(0)
        return f"{match.group('name')}={MASK}"

    return _QUERY_PARAMETER.sub(hide, text)


def url_secrets(url: str | None) -> list[str]:
    """Every credential ``url`` carries, in each form a message or a library may echo.

    The password of its user information and the values of credential-like query
    parameters (those :func:`mask_url` hides), as written and percent-decoded (a query
    value also with ``+`` as a blank), sorted. Register them with :func:`register_secret`
    as soon as the URL is read.
    """
    if not url or "://" not in url:
        return []
    found: set[str] = set()
    parts = _split_userinfo(url.strip())
    if parts is not None:
        found.update((parts[1], unquote(parts[1])))
    for match in _QUERY_PARAMETER.finditer(url.strip()):
        if _secret_query_name(match.group("name")):
            value = match.group("value")
            found.update((value, unquote(value), unquote_plus(value)))
    return sorted(value for value in found if value)
