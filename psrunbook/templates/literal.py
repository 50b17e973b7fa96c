"""Write Python values as PowerShell literals that cannot be misread.

Values normally travel to a script as PSRP parameters and never touch script text. The one
exception is the review bundle's per-node invocation wrapper, which a human reads and which
must carry its values inline. This module is the only place that writes such text, so the
quoting rule lives in exactly one function.

The rule for strings comes from PowerShell's own tokenizer (``CharTraits.IsSingleQuote`` and
``CodeGeneration.EscapeSingleQuotedStringContent``): five characters act as a single quote
(U+0027, U+2018, U+2019, U+201A, U+201B), any of them opens or closes a verbatim string, and
a pair of them stands for the second one. Doubling every one of the five therefore keeps the
whole value inside one string token and gives back the exact input. Nothing else is special
inside single quotes: ``$``, backticks, double quotes and newlines are plain content.

Control characters other than tab, CR and LF are refused rather than written: a NUL at the end
of a script reads as a missing terminator, and transports and CLIXML mangle the others.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Final

from psrunbook.errors import LiteralError

__all__ = ["SINGLE_QUOTES", "ps_literal"]

SINGLE_QUOTES: Final = frozenset("'\u2018\u2019\u201a\u201b")
"""The characters PowerShell treats as a single quote (``CharTraits.IsSingleQuote``)."""

_ALLOWED_CONTROLS: Final = frozenset("\t\r\n")
_INT64_MIN: Final = -(2**63)
_INT64_MAX: Final = 2**63 - 1


def ps_literal(value: object) -> str:
    """Return PowerShell source text that evaluates to ``value``.

    Strings become single-quoted literals, ``bool`` becomes ``$true``/``$false``, ``None``
    becomes ``$null``, integers (Int64 range) and finite floats become numbers, lists and
    tuples become ``@(...)`` and mappings become ``@{ 'key' = value; ... }`` in insertion
    order. Negative numbers are parenthesised so that they read the same in expression and
    argument mode. Anything else raises :class:`~psrunbook.errors.LiteralError`.
    """
    return _write(value, path="", active=set())


def _write(value: object, *, path: str, active: set[int]) -> str:
    scalar = _write_scalar(value, path)
    if scalar is not None:
        return scalar
    if isinstance(value, list | tuple):
        return _guarded(value, path, active, _write_sequence)
    if isinstance(value, Mapping):
        return _guarded(value, path, active, _write_mapping)
    raise LiteralError(
        f"cannot write a value of type {type(value).__qualname__}{_where(path)} as a "
        "PowerShell literal: only str, int, float, bool, None, list, tuple and mappings "
        "are supported"
    )


def _write_scalar(value: object, path: str) -> str | None:
    """Return the literal of a scalar, or None when ``value`` is not one."""
    if value is None:
        return "$null"
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return "$true" if value else "$false"
    if isinstance(value, int):
        return _write_int(int(value), path)
    if isinstance(value, float):
        return _write_float(value, path)
    if isinstance(value, str):
        return _write_str(value, path)
    return None


def _where(path: str) -> str:
    return f" at {path}" if path else ""


def _write_int(number: int, path: str) -> str:
    if not _INT64_MIN <= number <= _INT64_MAX:
        raise LiteralError(
            f"integer {number}{_where(path)} is outside the Int64 range PowerShell reads "
            "exactly; pass it as a string instead"
        )
    text = format(number, "d")
    return f"({text})" if number < 0 else text


def _write_float(number: float, path: str) -> str:
    if not math.isfinite(number):
        raise LiteralError(
            f"float {number!r}{_where(path)} has no PowerShell literal; only finite numbers "
            "can be written"
        )
    text = repr(number)
    return f"({text})" if text.startswith("-") else text


def _write_str(text: str, path: str) -> str:
    for index, char in enumerate(text):
        category = unicodedata.category(char)
        if category == "Cc" and char not in _ALLOWED_CONTROLS:
            raise LiteralError(
                f"cannot write U+{ord(char):04X} ({_control_name(char)}) at position {index} "
                f"of the string{_where(path)} as a PowerShell literal: control characters "
                "other than tab, CR and LF are refused"
            )
        if category == "Cs":
            raise LiteralError(
                f"cannot write the lone surrogate U+{ord(char):04X} at position {index} of "
                f"the string{_where(path)}: it is not valid Unicode text"
            )
    body = "".join(char * 2 if char in SINGLE_QUOTES else char for char in text)
    return f"'{body}'"


def _guarded(
    value: Sequence[object] | Mapping[object, object],
    path: str,
    active: set[int],
    writer: Callable[[Any, str, set[int]], str],
) -> str:
    """Refuse self-containing containers instead of recursing until the stack runs out."""
    key = id(value)
    if key in active:
        raise LiteralError(f"the value{_where(path)} contains itself and cannot be written")
    active.add(key)
    try:
        return writer(value, path, active)
    finally:
        active.discard(key)


def _write_sequence(items: Sequence[object], path: str, active: set[int]) -> str:
    parts = [
        _write(item, path=f"{path}[{index}]", active=active) for index, item in enumerate(items)
    ]
    if len(items) == 1 and isinstance(items[0], list | tuple):
        # @(@(1, 2)) flattens to @(1, 2): the unary comma keeps the inner array an element.
        return f"@(,{parts[0]})"
    return "@(" + ", ".join(parts) + ")"


def _write_mapping(mapping: Mapping[object, object], path: str, active: set[int]) -> str:
    if not mapping:
        return "@{}"
    seen: dict[object, object] = {}
    entries = []
    for key, item in mapping.items():
        key_path = f"{path}[{key!r}]"
        if isinstance(key, bool) or not isinstance(key, str | int):
            raise LiteralError(
                f"cannot write a key of type {type(key).__qualname__} at {key_path}: "
                "hashtable keys must be strings or integers"
            )
        # Hashtable literals compare string keys case-insensitively and refuse duplicates.
        folded = key.casefold() if isinstance(key, str) else key
        if folded in seen:
            raise LiteralError(
                f"keys {seen[folded]!r} and {key!r}{_where(path)} differ only by case; "
                "a PowerShell hashtable treats them as the same key"
            )
        seen[folded] = key
        entries.append(
            f"{_write(key, path=key_path, active=active)} = "
            f"{_write(item, path=key_path, active=active)}"
        )
    return "@{ " + "; ".join(entries) + " }"


_C0_NAMES: Final = (
    *("NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL"),
    *("BS", "HT", "LF", "VT", "FF", "CR", "SO", "SI"),
    *("DLE", "DC1", "DC2", "DC3", "DC4", "NAK", "SYN", "ETB"),
    *("CAN", "EM", "SUB", "ESC", "FS", "GS", "RS", "US"),
)


def _control_name(char: str) -> str:
    """The usual abbreviation of a control character (unicodedata has no names for them)."""
    code = ord(char)
    if code < len(_C0_NAMES):
        return _C0_NAMES[code]
    return "DEL" if code == 0x7F else "C1 control"
