"""``[int]``/``[int32]``/``[long]``/``[int64]``/``[double]``'s ``Parse(text)`` and the
reading ``TryParse`` shares with it, as .NET Framework 4.8 parses with its defaults.

NumberStyles.Integer for the integers (blanks around, a leading sign); NumberStyles.
Float | AllowThousands for Double (also a decimal point, an exponent, thousands
separators; en-US, the lab's culture). ``Parse`` throws what .NET throws, which
PowerShell reports as 'Exception calling "Parse" with "1" argument(s): "..."' with the
exception's name as the error id: FormatException ("Input string was not in a correct
format."), OverflowException ("Value was either too large or too small for an Int32.")
and, for ``$null``, ArgumentNullException ("Value cannot be null." with its "Parameter
name: String" line: Number.StringToNumber's check). ``TryParse`` (:mod:`.references`)
answers False for all three.
"""

from __future__ import annotations

import math
import re
from typing import Any

from psrunbook.sim.objects import PSInt64
from psrunbook.sim.ps.values import to_string

_INTEGER = re.compile(r"\s*[+-]?\d+\s*")
_FLOAT = re.compile(r"\s*[+-]?(?:\d[\d,]*)?(?:\.\d*)?(?:[eE][+-]?\d+)?\s*")
_RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
_KINDS = {"int": "int", "int32": "int", "long": "long", "int64": "long", "double": "double"}
_NAMED = {"int": "an Int32", "long": "an Int64", "double": "a Double"}
"""Each kind as .NET's OverflowException names it."""


class ParseFailed(Exception):
    """The .NET exception ``Parse`` threw; the message is .NET's."""

    def __init__(self, exception: str, message: str) -> None:
        super().__init__(message)
        self.exception = exception


def parses(type_name: str) -> bool:
    """Whether ``[type_name]::Parse`` and ``::TryParse`` are modelled (short, folded name)."""
    return type_name in _KINDS


def number_or_none(type_name: str, text: Any) -> int | float | None:
    """The number ``text`` holds for ``[type_name]``, or None when .NET would not read it."""
    return _read(_KINDS[type_name], None if text is None else to_string(text))


def parse(type_name: str, text: Any) -> int | float:
    """``[type]::Parse(text)``; :class:`ParseFailed` as .NET throws."""
    kind = _KINDS[type_name]
    if text is None:
        null = "Value cannot be null.\r\nParameter name: String"
        raise ParseFailed("ArgumentNullException", null)
    string = to_string(text)
    number = _read(kind, string)
    if number is not None:
        return number
    if _in_form(kind, string):
        raise ParseFailed(
            "OverflowException", f"Value was either too large or too small for {_NAMED[kind]}."
        )
    raise ParseFailed("FormatException", "Input string was not in a correct format.")


def _in_form(kind: str, text: str) -> bool:
    """Whether ``text`` is a number of the kind's form (then only its size can fail)."""
    if kind == "double":
        return _FLOAT.fullmatch(text) is not None and any(c.isdigit() for c in text)
    return _INTEGER.fullmatch(text) is not None


def _read(kind: str, text: str | None) -> int | float | None:
    if text is None:
        return None
    if kind == "double":
        stripped = text.strip()
        if stripped in ("NaN", "Infinity", "-Infinity"):
            return float(stripped)
        if not _in_form(kind, text):
            return None
        integer_part = stripped.lstrip("+-").split(".")[0].split("e")[0].split("E")[0]
        if integer_part.startswith(","):
            return None
        value = float(stripped.replace(",", ""))
        return None if math.isinf(value) else value
    if _INTEGER.fullmatch(text) is None:
        return None
    value = int(text.strip())
    low, high = _RANGES[kind]
    if not low <= value <= high:
        return None
    return PSInt64(value) if kind == "long" else value  # an Int64 even when it is small
