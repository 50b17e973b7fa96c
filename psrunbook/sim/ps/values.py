"""PowerShell's value rules: truthiness, conversions, comparison, arithmetic, patterns.

These are the places where PowerShell and Python disagree (``'0'`` is true, ``1 -eq
'1.0'`` is true but ``'1.0' -eq 1`` is false, string comparison ignores case), kept
apart from the evaluator so each rule can be read and tested on its own.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from psrunbook.sim.guid_wire import guid_text
from psrunbook.sim.objects import (
    ByteArray,
    DotNetList,
    ProviderContent,
    PSChar,
    PSEnum,
    PSHashtable,
    PSInt64,
    PSObject,
    PSOrderedDictionary,
    PSVersionValue,
    SecureStringValue,
    TypedArray,
    member_text,
)
from psrunbook.sim.ps.date_format import DateFormatError, datetime_moment, format_datetime
from psrunbook.sim.ps.number_format import FormatNotModelled, double_text, format_number_with
from psrunbook.sim.ps.timespan_format import TimeSpanError, format_timespan
from psrunbook.sim.timespan_wire import timespan_ticks

TYPE_FULL_NAMES = {
    "string": "System.String",
    "int": "System.Int32",
    "int32": "System.Int32",
    "long": "System.Int64",
    "int64": "System.Int64",
    "uint32": "System.UInt32",
    "double": "System.Double",
    "bool": "System.Boolean",
    "boolean": "System.Boolean",
    "switch": "System.Management.Automation.SwitchParameter",
    "hashtable": "System.Collections.Hashtable",
    "securestring": "System.Security.SecureString",
    "scriptblock": "System.Management.Automation.ScriptBlock",
    "string[]": "System.String[]",
    "object[]": "System.Object[]",
    "array": "System.Array",
    "psobject": "System.Management.Automation.PSObject",
    "pscustomobject": "System.Management.Automation.PSObject",
    "object": "System.Object",
    "guid": "System.Guid",
    "version": "System.Version",
    "datetime": "System.DateTime",
    "char": "System.Char",
}


class AutomationNull:
    """ "No output at all", which is different from ``$null`` in a pipeline."""

    _instance: AutomationNull | None = None

    def __new__(cls) -> AutomationNull:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "AutomationNull"


NOTHING = AutomationNull()


class ConversionError(Exception):
    """A value cannot be converted to the requested type (PowerShell's InvalidCast)."""

    def __init__(self, value: Any, type_name: str, reason: str = "") -> None:
        full = TYPE_FULL_NAMES.get(type_name.lower(), type_name)
        text = to_string(value)
        message = f'Cannot convert value "{text}" to type "{full}".'
        if reason:
            message += f' Error: "{reason}"'
        super().__init__(message)
        self.type_name = full
        self.reason = reason

    def retyped(self, value: Any, type_name: str) -> ConversionError:
        """The same failure named for the type the script asked for (``[double]'x'``
        fails as System.Double, not as the integer the number reader tried first)."""
        return ConversionError(value, type_name, self.reason)


class NullConversionError(ConversionError):
    """``[timespan]$null``, ``[datetime]$null``: a value type has no null
    (LanguagePrimitives' "Cannot convert null to type")."""

    def __init__(self, type_name: str) -> None:
        full = TYPE_FULL_NAMES.get(type_name.lower(), type_name)
        Exception.__init__(self, f'Cannot convert null to type "{full}".')
        self.type_name = full
        self.reason = ""


class ScriptBlockValue:
    """Marker base for script blocks so value rules can recognise them.

    The evaluator's script block derives from this; ``text`` is the body without braces.
    """

    text: str = ""


def is_collection(value: Any) -> bool:
    """True for what PowerShell enumerates: arrays (Python lists and tuples)."""
    return isinstance(value, list | tuple)


def as_list(value: Any) -> list[Any]:
    """``@(value)``: a list as it is, ``$null`` as empty, anything else wrapped."""
    if value is None:
        return []
    if is_collection(value):
        return list(value)
    return [value]


def to_bool(value: Any) -> bool:
    """PowerShell truthiness (about_Booleans)."""
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, str):
        return value != ""
    if isinstance(value, PSEnum):
        return value.value != 0
    if is_collection(value):
        if len(value) == 0:
            return False
        if len(value) == 1:
            return to_bool(value[0])
        return True
    return True


def to_string(value: Any) -> str:
    """``[string]$value``, with arrays joined by a space ($OFS)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, str):
        # A new string: what Get-Content's PSObject noted stays behind, as on Windows.
        return str(value) if isinstance(value, ProviderContent) else value
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return double_text(value)
    if is_collection(value):
        return " ".join(member_text(v) for v in value)
    if isinstance(value, PSHashtable):
        return value.TYPE_NAMES[0]
    if isinstance(value, ScriptBlockValue):
        return value.text
    return str(value)


_INT_RE = re.compile(r"^[+-]?\d+$")
_HEX_RE = re.compile(r"^[+-]?0x[0-9a-f]+$", re.IGNORECASE)
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$", re.IGNORECASE)


def to_number(value: Any) -> int | float:
    """Convert for arithmetic and numeric comparison; raises :class:`ConversionError`."""
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int | float):
        return value
    if isinstance(value, PSEnum):
        return value.value
    if isinstance(value, PSChar):
        return ord(value)  # a Char is its UTF-16 code ([int][char]'a' is 97)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0
        if _INT_RE.match(text):
            return int(text)
        if _HEX_RE.match(text):
            return int(text, 16)
        if _FLOAT_RE.match(text):
            return float(text)
        raise ConversionError(value, "int", "Input string was not in a correct format.")
    if is_collection(value) and len(value) == 1:
        return to_number(value[0])
    raise ConversionError(value, "int")


def to_int(value: Any, type_name: str = "int") -> int:
    """``[int]$value``: banker's rounding like .NET, range-checked for 32 bits."""
    try:
        number = to_number(value)
    except ConversionError as exc:
        raise exc.retyped(value, type_name) from None
    result = round(number) if isinstance(number, float) else number
    bits = 64 if type_name.lower() in ("long", "int64") else 32
    low, high = (
        (0, 2**32 - 1)
        if type_name.lower() == "uint32"
        else (-(2 ** (bits - 1)), 2 ** (bits - 1) - 1)
    )
    if not low <= result <= high:
        # .NET's OverflowException names the type ("... too small for an Int32.").
        named = {"long": "an Int64", "int64": "an Int64", "uint32": "a UInt32"}
        what = named.get(type_name.lower(), "an Int32")
        reason = f"Value was either too large or too small for {what}."
        raise ConversionError(value, type_name, reason)
    return PSInt64(result) if bits == 64 else int(result)


INT32 = range(-(2**31), 2**31)
INT64 = range(-(2**63), 2**63)


def is_int64(value: int) -> bool:
    """Whether an integer value is an Int64 in PowerShell (typed so, or too big for 32 bits)."""
    return isinstance(value, PSInt64) or value not in INT32


def integer_result(result: int, *operands: int) -> int | float:
    """An integer operation's result typed as PowerShell does: the wider operand's type,
    widened to Double when it overflows that type (``[int]::MaxValue + 1`` is a Double;
    about_Arithmetic_Operators)."""
    if any(is_int64(o) for o in operands):
        return PSInt64(result) if int(result) in INT64 else float(result)
    return int(result) if int(result) in INT32 else float(result)


def convert(value: Any, type_name: str) -> Any:
    """Convert ``value`` to a PowerShell type named as in ``ParamSpec.type`` or a cast."""
    name = type_name.lower()
    if name.startswith("system."):
        name = name[len("system.") :]
    if name in ("object", "psobject", "management.automation.psobject"):
        return value
    if name == "string":
        if value is None:
            return ""
        if is_collection(value) and len(value) != 1:
            return to_string(value)
        return to_string(value[0] if is_collection(value) else value)
    if name in ("int", "int32", "long", "int64", "uint32"):
        if value is None:
            return 0
        return to_int(value, name)
    if name == "double":
        try:
            return float(to_number(value))
        except ConversionError as exc:
            raise exc.retyped(value, "double") from None
    if name in ("bool", "boolean", "switch"):
        return to_bool(value)
    if name == "string[]":
        if value is None:
            return None
        return TypedArray((to_string(v) for v in as_list(value)), element="System.String")
    if name == "collections.specialized.stringcollection":
        if value is None:
            return None
        return [to_string(v) for v in as_list(value)]
    if name in ("object[]", "array", "psobject[]"):
        if value is None:
            return None
        return as_list(value)
    if name in ("int[]", "int32[]"):
        if value is None:
            return None
        return TypedArray((to_int(v) for v in as_list(value)), element="System.Int32")
    if name in ("hashtable", "collections.hashtable"):
        if isinstance(value, PSOrderedDictionary):
            return PSHashtable(value.items())  # Hashtable's constructor from an IDictionary
        if isinstance(value, PSHashtable):
            return value
        if value is None:
            return None
        raise ConversionError(value, "hashtable")
    if name in ("securestring", "security.securestring"):
        if value is None or isinstance(value, SecureStringValue):
            return value
        raise ConversionError(value, "securestring")
    if name in ("scriptblock", "management.automation.scriptblock"):
        if value is None or isinstance(value, ScriptBlockValue):
            return value
        raise ConversionError(value, "scriptblock")
    if name == "version":
        if value is None or isinstance(value, PSVersionValue):
            return value
        try:
            return PSVersionValue.parse(to_string(value))
        except ValueError:
            raise ConversionError(value, "System.Version") from None
    converter = CONVERTERS.get(name)
    if converter is not None:
        return converter(value)
    raise ConversionError(value, type_name, "unknown type in the simulator")


class TypeRef:
    """A type literal used as a value (``-is [string]``, ``[int]::MaxValue``, the input
    of ``[string] | Get-Member -Static``); ``node`` is its syntax node."""

    def __init__(self, name: str, node: Any) -> None:
        self.name = name
        self.node = node

    def __str__(self) -> str:
        return self.name


CONVERTERS: dict[str, Callable[[Any], Any]] = {}


def to_char(value: Any) -> PSChar:
    """``[char]$value``: a Char as it is, a one-character string, a number its code
    (0 to 65535); ``$null`` the NUL character (LanguagePrimitives' ConvertNullToChar)."""
    if isinstance(value, PSChar):
        return value
    if value is None:
        return PSChar("\x00")
    if isinstance(value, str):
        if len(value) != 1:
            raise ConversionError(value, "char", "String must be exactly one character long.")
        return PSChar(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        code = to_int(value)
        if not 0 <= code <= 0xFFFF:
            raise ConversionError(
                value, "char", "Value was either too large or too small for a character."
            )
        return PSChar(chr(code))
    raise ConversionError(value, "char")


CONVERTERS["char"] = to_char
"""Casts to the .NET types other modules model, by folded name without ``system.``
(:mod:`.dotnet_reflection` registers BindingFlags)."""


def type_name_of(value: Any) -> str:
    """The .NET type name PowerShell shows for a value (``-is`` and error messages)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "System.Boolean"
    if isinstance(value, int):
        return "System.Int64" if is_int64(value) else "System.Int32"
    if isinstance(value, float):
        return "System.Double"
    if isinstance(value, PSChar):
        return "System.Char"
    if isinstance(value, str):
        return "System.String"
    if isinstance(value, DotNetList | TypedArray):
        return value.type_name
    if isinstance(value, ByteArray):
        return "System.Byte[]"
    if is_collection(value):
        return "System.Object[]"
    if isinstance(value, PSHashtable):
        return value.TYPE_NAMES[0]
    if isinstance(value, PSVersionValue):
        return "System.Version"
    if isinstance(value, PSEnum):
        return value.type_name
    if isinstance(value, PSObject):
        return value.type_names[0] if value.type_names else "System.Object"
    if isinstance(value, SecureStringValue):
        return "System.Security.SecureString"
    if isinstance(value, ScriptBlockValue):
        return "System.Management.Automation.ScriptBlock"
    return "System.Object"


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def ps_equals(left: Any, right: Any, case_sensitive: bool = False) -> bool:
    """``LanguagePrimitives.Equals``: right converted to left's type; failure is False."""
    if left is None or right is None:
        return left is None and right is None
    if isinstance(left, PSChar) and isinstance(right, int) and not isinstance(right, bool):
        return ord(left) == right  # the number converted to a Char ([char]'a' -eq 97)
    if isinstance(left, str):
        text = to_string(right)
        return left == text if case_sensitive else left.casefold() == text.casefold()
    if isinstance(left, PSVersionValue):
        try:
            return bool(left == convert(right, "version"))
        except ConversionError:
            return False
    if isinstance(left, PSEnum):
        if isinstance(right, PSEnum):
            return left.value == right.value
        if isinstance(right, str):
            if right.strip().lstrip("-").isdigit():
                return left.value == int(right)
            return left.name.casefold() == right.strip().casefold()
        if _is_number(right) or isinstance(right, bool):
            return bool(left.value == right)
        return False
    if isinstance(left, bool):
        return left == to_bool(right)
    if _is_number(left):
        try:
            return bool(left == to_number(right))
        except ConversionError:
            return False
    if isinstance(left, SecureStringValue):
        return left is right
    moment = datetime_moment(left)
    if moment is not None:
        # DateTime.Equals: the same ticks, whatever the Kinds. UNVERIFIED: a right side
        # of another type (a string PowerShell would parse) is unequal here (-contains,
        # switch); the -eq and -ne operators refuse it (Operators._datetime_order).
        other = datetime_moment(right)
        return other is not None and other.ticks == moment.ticks
    ticks = timespan_ticks(left)
    if ticks is not None:
        return ticks == timespan_ticks(right)
    mine = guid_text(left)
    if mine is not None:
        # The right side converted to a Guid; one that does not convert is unequal.
        return mine == _guid_or_none(right)
    return left is right or left == right


def _guid_or_none(value: Any) -> str | None:
    """The "D" text of ``value`` as a Guid (a Guid, or a string Guid.Parse reads)."""
    theirs = guid_text(value)
    if theirs is not None or not isinstance(value, str):
        return theirs
    try:
        return guid_text(convert(value, "guid"))
    except ConversionError:
        return None


def ps_compare(left: Any, right: Any, case_sensitive: bool = False) -> int:
    """Order two values for ``-lt``/``-gt`` (right converted to left's type)."""
    if left is None and right is None:
        return 0
    if left is None:
        return -1
    if right is None:
        return 1
    if isinstance(left, str):
        a, b = left, to_string(right)
        if not case_sensitive:
            a, b = a.casefold(), b.casefold()
        return (a > b) - (a < b)
    if isinstance(left, PSVersionValue):
        other: PSVersionValue = convert(right, "version")
        return int(left > other) - int(left < other)
    mine = guid_text(left)
    if mine is not None:
        # Guid.CompareTo: by value, the order of the "D" texts (guid_values).
        if is_collection(right):
            raise ConversionError(right, "guid")
        theirs = str(guid_text(convert(right, "guid")))  # a Guid, or ConversionError
        return (mine > theirs) - (mine < theirs)
    order = _instant_order(left, right)
    if order is not None:
        return order
    if isinstance(left, PSEnum) and isinstance(right, str) and not right.strip().isdigit():
        if left.name.casefold() == right.casefold():
            return 0
        raise ConversionError(right, left.type_name)
    x = to_number(left)
    y = to_number(right)
    return (x > y) - (x < y)


def _instant_order(left: Any, right: Any) -> int | None:
    """Two DateTimes, or two TimeSpans, by ticks (their IComparable, which Sort-Object
    uses); None for any other pair."""
    moment, other = datetime_moment(left), datetime_moment(right)
    if moment is not None and other is not None:
        return (moment.ticks > other.ticks) - (moment.ticks < other.ticks)
    mine, theirs = timespan_ticks(left), timespan_ticks(right)
    if mine is not None and theirs is not None:
        return (mine > theirs) - (mine < theirs)
    return None


def contains_wildcards(text: str) -> bool:
    """``WildcardPattern.ContainsWildcardCharacters``: an unescaped ``* ? [``."""
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "`":
            escaped = True
        elif char in "*?[":
            return True
    return False


def wildcard_regex(pattern: str, case_sensitive: bool = False) -> re.Pattern[str]:
    """A PowerShell wildcard (``* ? [a-z]``, backtick escapes) as an anchored regex."""
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "`" and i + 1 < len(pattern):
            out.append(re.escape(pattern[i + 1]))
            i += 2
            continue
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end > i + 1:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                out.append(f"[{body}]")
                i = end + 1
                continue
            out.append(re.escape(c))
        else:
            out.append(re.escape(c))
        i += 1
    flags = re.DOTALL | (0 if case_sensitive else re.IGNORECASE)
    return re.compile("^" + "".join(out) + "$", flags)


def dotnet_regex(pattern: str, case_sensitive: bool = False) -> re.Pattern[str]:
    """Compile a .NET regular expression; named groups ``(?<n>...)`` become Python's."""
    converted = re.sub(r"\(\?<([A-Za-z_]\w*)>", r"(?P<\1>", pattern)
    converted = re.sub(r"\\k<([A-Za-z_]\w*)>", r"(?P=\1)", converted)
    return re.compile(converted, 0 if case_sensitive else re.IGNORECASE)


def dotnet_replacement(replacement: str) -> Callable[[re.Match[str]], str]:
    """A ``-replace`` substitution with .NET's ``$1``, ``${name}``, ``$&``, ``$$``."""

    def substitute(match: re.Match[str]) -> str:
        out: list[str] = []
        i = 0
        while i < len(replacement):
            c = replacement[i]
            if c == "$" and i + 1 < len(replacement):
                nxt = replacement[i + 1]
                if nxt == "$":
                    out.append("$")
                    i += 2
                    continue
                if nxt == "&":
                    out.append(match.group(0))
                    i += 2
                    continue
                if nxt == "{":
                    end = replacement.find("}", i)
                    if end > 0:
                        key = replacement[i + 2 : end]
                        group = int(key) if key.isdigit() else key
                        out.append(match.group(group) or "")
                        i = end + 1
                        continue
                if nxt.isdigit():
                    j = i + 1
                    while j < len(replacement) and replacement[j].isdigit():
                        j += 1
                    index = int(replacement[i + 1 : j])
                    if index <= (match.re.groups or 0):
                        out.append(match.group(index) or "")
                        i = j
                        continue
            out.append(c)
            i += 1
        return "".join(out)

    return substitute


_FORMAT_ITEM = re.compile(r"\{\{|\}\}|\{(\d+)(?:,(-?\d+))?(?::([^}]*))?\}")


def _format_one(value: Any, spec: str | None) -> str:
    moment = datetime_moment(value)
    if moment is not None:
        # String.Format(CultureInfo.CurrentCulture, ...): a DateTime item is its en-US
        # ToString(spec), not PowerShell's invariant string conversion.
        try:
            return format_datetime(moment, spec)
        except DateFormatError as exc:
            raise ConversionError(value, "string", str(exc)) from None
    ticks = timespan_ticks(value)
    if ticks is not None:
        # A TimeSpan is IFormattable: ToString(spec, CurrentCulture) ('{0:hh\:mm}').
        try:
            return format_timespan(ticks, spec)
        except TimeSpanError as exc:
            raise ConversionError(value, "string", str(exc)) from None
    if not spec:
        return to_string(value)
    if isinstance(value, PSEnum):
        raise FormatNotModelled(f"format '{spec}' of an enum value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return to_string(value)  # not IFormattable (a string, a Boolean): no specifier
    return format_number_with(value, spec, to_string(value))


def format_operator(template: str, args: list[Any]) -> str:
    """The ``-f`` operator (String.Format with alignment and the common number formats)."""

    def replace(match: re.Match[str]) -> str:
        piece = match.group(0)
        if piece == "{{":
            return "{"
        if piece == "}}":
            return "}"
        index = int(match.group(1))
        if index >= len(args):
            raise ConversionError(
                template,
                "string",
                "Index (zero based) must be greater than or equal to zero and less than "
                "the size of the argument list.",
            )
        text = _format_one(args[index], match.group(3))
        if match.group(2):
            width = int(match.group(2))
            text = text.ljust(-width) if width < 0 else text.rjust(width)
        return text

    return _FORMAT_ITEM.sub(replace, template)
