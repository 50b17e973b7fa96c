""".NET String's instance methods as the lab's PowerShell calls them (``$s.Substring(1)``).

Ordinal and case-sensitive, as .NET's defaults are. An argument .NET Framework 4.8
refuses (an index, length or count outside the string, a negative width, an empty or
null ``Replace`` pattern) raises :class:`StringMethodError` with .NET's message, its
"Parameter name" line included, which :class:`psrunbook.sim.ps.members.Members` reports as
PowerShell does: 'Exception calling "Substring" with "1" argument(s): "..."'. A Python
slice would have answered quietly.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from psrunbook.sim.objects import PSChar, TypedArray
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused
from psrunbook.sim.ps.values import as_list, to_int, to_string


class StringMethodError(Exception):
    """A .NET String method threw: ``message`` is the exception's (.NET Framework 4.8,
    with its "Parameter name" line), ``error_id`` its type's short name."""

    def __init__(self, message: str, error_id: str = "ArgumentOutOfRangeException") -> None:
        super().__init__(message)
        self.message = message
        self.error_id = error_id


def _out_of_range(message: str, parameter: str) -> StringMethodError:
    return StringMethodError(f"{message}\r\nParameter name: {parameter}")


def _substring(text: str, args: list[Any]) -> str:
    """String.Substring, which throws where a Python slice would answer quietly."""
    start = to_int(args[0])
    if start < 0:
        raise _out_of_range("StartIndex cannot be less than zero.", "startIndex")
    if start > len(text):
        raise _out_of_range("startIndex cannot be larger than length of string.", "startIndex")
    if len(args) == 1:
        return text[start:]
    length = to_int(args[1])
    if length < 0:
        raise _out_of_range("Length cannot be less than zero.", "length")
    if start > len(text) - length:
        raise _out_of_range(
            "Index and length must refer to a location within the string.", "length"
        )
    return text[start : start + length]


def _remove(text: str, args: list[Any]) -> str:
    """String.Remove(startIndex[, count])."""
    start = to_int(args[0])
    if len(args) == 1:
        if start < 0:
            raise _out_of_range("StartIndex cannot be less than zero.", "startIndex")
        if start >= len(text):
            raise _out_of_range("startIndex must be less than length of string.", "startIndex")
        return text[:start]
    count = to_int(args[1])
    if start < 0:
        raise _out_of_range("StartIndex cannot be less than zero.", "startIndex")
    if count < 0:
        raise _out_of_range("Count cannot be less than zero.", "count")
    if count > len(text) - start:
        raise _out_of_range("Index and count must refer to a location within the string.", "count")
    return text[:start] + text[start + count :]


def _insert(text: str, args: list[Any]) -> str:
    index = to_int(args[0])
    if index < 0 or index > len(text):
        raise _out_of_range(
            "Specified argument was out of the range of valid values.", "startIndex"
        )
    return text[:index] + to_string(args[1]) + text[index:]


def _pad(text: str, args: list[Any], *, left: bool) -> str:
    width = to_int(args[0])
    if width < 0:
        raise _out_of_range("Non-negative number required.", "totalWidth")
    fill = to_string(args[1])[:1] if len(args) > 1 else " "
    return text.rjust(width, fill) if left else text.ljust(width, fill)


def _replace(text: str, args: list[Any]) -> str:
    old = args[0]
    if old is None:
        raise StringMethodError(
            "Value cannot be null.\r\nParameter name: oldValue", "ArgumentNullException"
        )
    if to_string(old) == "":
        raise StringMethodError(
            "String cannot be of zero length.\r\nParameter name: oldValue", "ArgumentException"
        )
    return text.replace(to_string(old), to_string(args[1]))


def string_method(text: str, name: str, args: list[Any]) -> tuple[bool, Any]:
    """.NET String methods (ordinal, case-sensitive, as .NET does by default); an
    argument .NET refuses raises :class:`StringMethodError`."""
    a = [to_string(x) for x in args]
    n = name.casefold()
    table: dict[str, Callable[[], Any]] = {
        "toupper": text.upper,
        "toupperinvariant": text.upper,
        "tolower": text.lower,
        "tolowerinvariant": text.lower,
        "trim": lambda: text.strip(a[0]) if a else text.strip(),
        "trimstart": lambda: text.lstrip(a[0]) if a else text.lstrip(),
        "trimend": lambda: text.rstrip(a[0]) if a else text.rstrip(),
        "startswith": lambda: _ci(text, a).startswith(_ci(a[0], a)),
        "endswith": lambda: _ci(text, a).endswith(_ci(a[0], a)),
        "contains": lambda: a[0] in text,
        "replace": lambda: _replace(text, args),
        "split": lambda: _split(text, args),
        "substring": lambda: _substring(text, args),
        "indexof": lambda: text.find(a[0]),
        "lastindexof": lambda: text.rfind(a[0]),
        "tostring": lambda: text,
        "padleft": lambda: _pad(text, args, left=True),
        "padright": lambda: _pad(text, args, left=False),
        "equals": lambda: text == a[0],
        "insert": lambda: _insert(text, args),
        "tochararray": lambda: (
            TypedArray((PSChar(c) for c in text), element="System.Char") if not args else _refused()
        ),
        "remove": lambda: _remove(text, args),
    }
    if n not in table:
        return False, None
    return True, table[n]()


def _refused() -> Any:
    raise HostMethodRefused("ToCharArray(startIndex, length)")


def _ci(text: str, args: list[str]) -> str:
    """StartsWith/EndsWith with a StringComparison argument that ignores case."""
    if len(args) > 1 and "ignorecase" in args[-1].casefold():
        return text.casefold()
    return text


def _split(text: str, args: list[Any]) -> list[str]:
    if not args:
        return text.split()
    separators = "".join(to_string(x) for x in as_list(args[0]))
    if not separators:
        return [text]
    return re.split("[" + re.escape(separators) + "]", text)
