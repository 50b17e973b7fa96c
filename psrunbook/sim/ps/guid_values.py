"""``System.Guid`` as a lab script sees it: ``[guid]::NewGuid()`` for a unique file name,
``New-Guid``, ``[guid]'6f1d3c8e-...'``, a Guid a client sent (``<G>``).

As .NET Framework 4.8 defines it (referencesource, mscorlib/system/guid.cs), which
Windows PowerShell 5.1 runs on, with the member PowerShell's types.ps1xml adds:

- ``Guid``, the "D" text (types.ps1xml's ScriptProperty ``$this.ToString()``): the only
  property, so ``Select-Object *`` and the default table show it alone;
- ``ToString()`` and PowerShell's string conversion are the "D" format in lower case;
  ``ToString(format)`` takes "D", "N", "B", "P" and "X" in either case ("" or ``$null``
  is "D"); any other is .NET's FormatException;
- ``Equals(object)`` is True only for a Guid of the same value (a string is unequal);
  ``CompareTo`` orders by value, which is the order of the "D" texts (.NET compares the
  first three fields as unsigned numbers, then the eight bytes, the order the text
  writes them in), ``$null`` is smaller, anything else is .NET's ArgumentException;
- ``[guid]::NewGuid()`` (a random version 4 Guid), ``Empty``, ``Parse(text)``,
  ``TryParse(text, [ref]$g)``, ``ParseExact(text, format)``;
- a string cast or parse reads the "D", "N", "B", "P" and "X" forms with blanks around, as
  ``Guid.Parse`` does (GuidStyles.Any), with .NET's messages for a wrong length,
  misplaced dashes and a character that is not hexadecimal; ``$null`` does not convert
  (a value type);
- ``-eq`` with a Guid on the left converts the right side to a Guid (a text that is no
  Guid is unequal); ``-lt`` and ``Sort-Object`` order Guids by value.

Refused by name: ``ToByteArray``, ``GetHashCode``, ``ToString`` with a format provider,
and a Guid from a byte array.
A Guid used as a hashtable key is kept as its text, as the lab keys every hashtable:
found by a Guid of the same value (as .NET's Guid.Equals and GetHashCode find it), but
``$h.Keys`` gives Strings where Windows gives the Guids.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from psrunbook.sim.guid_wire import GUID, guid_text, register_guid_factory
from psrunbook.sim.objects import PartialObject, PSHashtable, PSObject
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused
from psrunbook.sim.ps.values import (
    CONVERTERS,
    TYPE_FULL_NAMES,
    ConversionError,
    NullConversionError,
    is_collection,
    to_string,
)

_TYPE_NAMES = (GUID, "System.ValueType", "System.Object")
_UNMODELLED = frozenset(("tobytearray", "gethashcode"))
EMPTY = "00000000-0000-0000-0000-000000000000"

UNRECOGNIZED = "Unrecognized Guid format."
INVALID_LENGTH = (
    "Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)."
)
DASHES = "Dashes are in the wrong position for GUID parsing."
NOT_HEX = "Guid string should only contain hexadecimal characters."
BAD_FORMAT = 'Format String can be only "D", "d", "N", "n", "P", "p", "B", "b", "X" or "x".'
_HEX = re.compile(r"[0-9a-fA-F]*")
_BLANKS = " \t\n\v\f\r\x85\xa0"
"""What .NET's String.Trim() removes around a Guid's text (the ASCII and Latin-1 ones;
the lab's texts have no others)."""

TYPE_FULL_NAMES["guid"] = GUID


class GuidError(Exception):
    """What a Guid method or parse throws in .NET; ``exception`` names the .NET exception
    (PowerShell's error id for a method's), the message is .NET's."""

    def __init__(self, message: str, exception: str = "FormatException") -> None:
        super().__init__(message)
        self.exception = exception


def parse_guid(text: str) -> str:
    """``Guid.Parse(text)``: the "D" text in lower case, or :class:`GuidError` with .NET's
    message (TryParseGuid with GuidStyles.Any)."""
    given = text.strip(_BLANKS)
    if not given:
        raise GuidError(UNRECOGNIZED)
    if "-" in given:
        return _with_dashes(given)
    if "{" in given:
        return _hex_form(given)
    if len(given) != 32:
        raise GuidError(INVALID_LENGTH)
    if not _HEX.fullmatch(given):
        raise GuidError(NOT_HEX)
    return str(uuid.UUID(hex=given))


def _with_dashes(given: str) -> str:
    """The "D", "B" and "P" forms (TryParseGuidWithDashes)."""
    start = 0
    if given[0] in "{(":
        if len(given) != 38 or given[37] != {"{": "}", "(": ")"}[given[0]]:
            raise GuidError(INVALID_LENGTH)
        start = 1
    elif len(given) != 36:
        raise GuidError(INVALID_LENGTH)
    body = given[start : start + 36]
    if any(body[i] != "-" for i in (8, 13, 18, 23)):
        raise GuidError(DASHES)
    digits = body.replace("-", "")
    if len(digits) != 32 or not _HEX.fullmatch(digits):
        raise GuidError(NOT_HEX)
    return str(uuid.UUID(hex=digits))


_X_FORM = re.compile(
    r"\{0x([0-9a-f]{1,8}),0x([0-9a-f]{1,4}),0x([0-9a-f]{1,4}),"
    r"\{((?:0x[0-9a-f]{1,2},){7}0x[0-9a-f]{1,2})\}\}",
    re.IGNORECASE,
)


def _hex_form(given: str) -> str:
    """The "X" form, ``{0xXXXXXXXX,0xXXXX,0xXXXX,{0xXX,...}}`` (TryParseGuidWithHexPrefix:
    blanks anywhere ignored, each number at most its field's digits). UNVERIFIED: .NET
    names the first thing it finds wrong in a malformed one; the lab says "Unrecognized
    Guid format." for all."""
    found = _X_FORM.fullmatch("".join(given.split()))
    if found is None:
        raise GuidError(UNRECOGNIZED)
    first, second, third, rest = found.groups()
    tail = "".join(f"{int(part[2:], 16):02x}" for part in rest.split(","))
    return str(
        uuid.UUID(hex=f"{int(first, 16):08x}{int(second, 16):04x}{int(third, 16):04x}{tail}")
    )


def format_guid(text: str, fmt: Any) -> str:
    """``Guid.ToString(format)`` of the Guid whose "D" text is ``text``."""
    kind = "" if fmt is None else to_string(fmt)
    if kind in ("", "D", "d"):
        return text
    if kind in ("N", "n"):
        return text.replace("-", "")
    if kind in ("B", "b"):
        return "{" + text + "}"
    if kind in ("P", "p"):
        return "(" + text + ")"
    if kind in ("X", "x"):
        digits = text.replace("-", "")
        tail = ",".join(f"0x{digits[i : i + 2]}" for i in range(16, 32, 2))
        return f"{{0x{digits[:8]},0x{digits[8:12]},0x{digits[12:16]},{{{tail}}}}}"
    raise GuidError(BAD_FORMAT)


def _compare(text: str, other: Any) -> int:
    if other is None:
        return 1
    theirs = guid_text(other)
    if theirs is None:
        raise GuidError("Object must be of type GUID.", "ArgumentException")
    return (text > theirs) - (text < theirs)


def _to_string(text: str, args: tuple[Any, ...]) -> str:
    if len(args) > 1:
        raise HostMethodRefused("Guid.ToString with a format provider")
    return format_guid(text, args[0] if args else None)


def guid_value(text: str) -> PSObject:
    """A ``System.Guid`` whose "D" text (lower case) is ``text``."""
    methods: dict[str, Callable[..., Any]] = {
        "ToString": lambda *args: _to_string(text, args),
        "Equals": lambda other: guid_text(other) == text,
        "CompareTo": lambda other: _compare(text, other),
    }
    return PartialObject(
        _TYPE_NAMES,
        PSHashtable([("Guid", text)]),
        to_string=text,
        methods=methods,
        shown_as="[guid]",
        unmodelled=_UNMODELLED,
    )


def new_guid() -> PSObject:
    """``[guid]::NewGuid()`` and ``New-Guid``: a random (version 4) Guid."""
    return guid_value(str(uuid.uuid4()))


def to_guid(value: Any) -> PSObject:
    """``[guid]$value``: a Guid as it is, a string parsed as ``Guid.Parse`` reads it."""
    if guid_text(value) is not None:
        return value  # type: ignore[no-any-return]
    if value is None:
        raise NullConversionError("guid")
    if isinstance(value, str):
        try:
            return guid_value(parse_guid(value))
        except GuidError as exc:
            raise ConversionError(value, "guid", str(exc)) from None
    if is_collection(value):
        raise HostMethodRefused("a Guid made from a byte array")
    raise ConversionError(value, "guid")


CONVERTERS["guid"] = to_guid
register_guid_factory(guid_value)

STATIC_VALUES: dict[str, Callable[[], Any]] = {"empty": lambda: guid_value(EMPTY)}
"""``[guid]::Name``: the type's static fields."""


def call_static(name: str, args: list[Any]) -> Any:
    """``[guid]::Name(args)`` but TryParse (the ``[ref]`` methods' own path);
    HostMethodRefused for a method the lab does not model, GuidError for what .NET
    throws."""
    folded = name.casefold()
    if folded == "newguid" and not args:
        return new_guid()
    if folded == "parse" and len(args) == 1:
        if args[0] is None:
            raise GuidError(
                "Value cannot be null.\r\nParameter name: input", "ArgumentNullException"
            )
        return guid_value(parse_guid(to_string(args[0])))
    if folded == "parseexact" and len(args) == 2:
        return guid_value(_parse_exact(args[0], args[1]))
    raise HostMethodRefused(f"static method [guid]::{name}()")


def try_parse(text: Any) -> PSObject | None:
    """``[guid]::TryParse(text, [ref]$g)``'s Guid, or None (then ``$g`` is Empty)."""
    if text is None:
        return None
    try:
        return guid_value(parse_guid(to_string(text)))
    except GuidError:
        return None


def empty_guid() -> PSObject:
    """``Guid.Empty``: what a failed TryParse leaves in its ``[ref]``."""
    return guid_value(EMPTY)


_EXACT_FORMS = {
    "d": re.compile(r"[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}"),
    "n": re.compile(r"[0-9a-fA-F]{32}"),
    "b": re.compile(r"\{[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\}"),
    "p": re.compile(r"\([0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}\)"),
}


def _parse_exact(text: Any, fmt: Any) -> str:
    """``Guid.ParseExact(text, format)``: only the form the format names."""
    if text is None:
        raise GuidError("Value cannot be null.\r\nParameter name: input", "ArgumentNullException")
    if fmt is None:
        raise GuidError("Value cannot be null.\r\nParameter name: format", "ArgumentNullException")
    kind = to_string(fmt)
    if len(kind) != 1 or kind.casefold() not in (*_EXACT_FORMS, "x"):
        raise GuidError(BAD_FORMAT)
    given = to_string(text).strip(_BLANKS)
    if kind.casefold() == "x":
        return _hex_form(given)
    if not _EXACT_FORMS[kind.casefold()].fullmatch(given):
        # .NET's message depends on where the text first differs; the lab names the
        # form (UNVERIFIED: the wording for each case).
        raise GuidError(UNRECOGNIZED)
    return parse_guid(given)
