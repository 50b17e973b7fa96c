"""The .NET members ``Get-Member`` lists for the values the evaluator has: strings,
numbers, booleans and hashtables, with and without ``-Static``.

Each list holds the members the lab's member access models (``members.py``: what a
script can call on such a value here), with the definitions Windows PowerShell 5.1
prints for them on .NET Framework 4.x: the overloads joined by ``, ``, explicit
interface implementations (``IEquatable[string].Equals``) included, ``Params`` before
an array of ``params``. Windows lists more members than these (``CompareTo``,
``Normalize``, the ``IConvertible`` ``To*`` methods, ``Chars``, ...), which a script here
cannot call; listing them would promise what the lab does not do. UNVERIFIED (not in
shared/facts): the overload strings are those of .NET Framework 4.8's reference
documentation in PowerShell's notation.
"""

from __future__ import annotations

Member = tuple[str, str, str]
"""``(name, member type, definition)``."""

_OBJECT = "System.Object"
_EQUALS_OBJECT = f"bool Equals({_OBJECT} obj)"
_HASH = ("GetHashCode", "Method", "int GetHashCode()")
_TYPE = ("GetType", "Method", "type GetType()")
_CONVERTIBLE_TOSTRING = "string IConvertible.ToString(System.IFormatProvider provider)"
_INDEX_OVERLOADS = (
    "int {0}(char value), int {0}(char value, int startIndex), int {0}(string value), "
    "int {0}(string value, int startIndex), int {0}(string value, int startIndex, int count), "
    "int {0}(string value, System.StringComparison comparisonType), "
    "int {0}(string value, int startIndex, System.StringComparison comparisonType), "
    "int {0}(string value, int startIndex, int count, System.StringComparison comparisonType), "
    "int {0}(char value, int startIndex, int count)"
)
_AFFIX = (
    "bool {0}(string value), bool {0}(string value, System.StringComparison comparisonType), "
    "bool {0}(string value, bool ignoreCase, cultureinfo culture)"
)

_STRING: tuple[Member, ...] = (
    ("Contains", "Method", "bool Contains(string value)"),
    ("EndsWith", "Method", _AFFIX.format("EndsWith")),
    ("Equals", "Method", f"{_EQUALS_OBJECT}, bool Equals(string value), bool Equals(string value, "
     "System.StringComparison comparisonType), bool IEquatable[string].Equals(string other)"),
    _HASH,
    _TYPE,
    ("IndexOf", "Method", _INDEX_OVERLOADS.format("IndexOf")),
    ("Insert", "Method", "string Insert(int startIndex, string value)"),
    ("LastIndexOf", "Method", _INDEX_OVERLOADS.format("LastIndexOf")),
    ("PadLeft", "Method", "string PadLeft(int totalWidth), string PadLeft(int totalWidth, "
     "char paddingChar)"),
    ("PadRight", "Method", "string PadRight(int totalWidth), string PadRight(int totalWidth, "
     "char paddingChar)"),
    ("Remove", "Method", "string Remove(int startIndex, int count), string Remove(int startIndex)"),
    ("Replace", "Method", "string Replace(char oldChar, char newChar), string Replace(string "
     "oldValue, string newValue)"),
    ("Split", "Method", "string[] Split(Params char[] separator), string[] Split(char[] "
     "separator, int count), string[] Split(char[] separator, System.StringSplitOptions "
     "options), string[] Split(char[] separator, int count, System.StringSplitOptions "
     "options), string[] Split(string[] separator, System.StringSplitOptions options), "
     "string[] Split(string[] separator, int count, System.StringSplitOptions options)"),
    ("StartsWith", "Method", _AFFIX.format("StartsWith")),
    ("Substring", "Method", "string Substring(int startIndex), string Substring(int startIndex, "
     "int length)"),
    ("ToLower", "Method", "string ToLower(), string ToLower(cultureinfo culture)"),
    ("ToLowerInvariant", "Method", "string ToLowerInvariant()"),
    ("ToString", "Method", "string ToString(), string ToString(System.IFormatProvider provider), "
     + _CONVERTIBLE_TOSTRING),
    ("ToUpper", "Method", "string ToUpper(), string ToUpper(cultureinfo culture)"),
    ("ToUpperInvariant", "Method", "string ToUpperInvariant()"),
    ("Trim", "Method", "string Trim(Params char[] trimChars), string Trim()"),
    ("TrimEnd", "Method", "string TrimEnd(Params char[] trimChars)"),
    ("TrimStart", "Method", "string TrimStart(Params char[] trimChars)"),
    ("Length", "Property", "int Length {get;}"),
)  # fmt: skip

_STRING_STATIC: tuple[Member, ...] = (
    ("Equals", "Method", "static bool Equals(string a, string b), static bool Equals(string a, "
     "string b, System.StringComparison comparisonType), static bool Equals(System.Object objA, "
     "System.Object objB)"),
    ("Format", "Method", "static string Format(string format, System.Object arg0), static string "
     "Format(string format, System.Object arg0, System.Object arg1), static string Format(string "
     "format, System.Object arg0, System.Object arg1, System.Object arg2), static string "
     "Format(string format, Params System.Object[] args)"),
    ("IsNullOrEmpty", "Method", "static bool IsNullOrEmpty(string value)"),
    ("IsNullOrWhiteSpace", "Method", "static bool IsNullOrWhiteSpace(string value)"),
    ("Join", "Method", "static string Join(string separator, Params string[] value), static "
     "string Join(string separator, Params System.Object[] values), static string Join[T]("
     "string separator, System.Collections.Generic.IEnumerable[T] values), static string "
     "Join(string separator, System.Collections.Generic.IEnumerable[string] values), static "
     "string Join(string separator, string[] value, int startIndex, int count)"),
    ("Empty", "Property", "static string Empty {get;}"),
)  # fmt: skip


def _number(short: str) -> tuple[Member, ...]:
    return (
        ("Equals", "Method", f"{_EQUALS_OBJECT}, bool Equals({short} obj), "
         f"bool IEquatable[{short}].Equals({short} other)"),
        _HASH,
        _TYPE,
        ("ToString", "Method", "string ToString(), string ToString(string format), string "
         "ToString(System.IFormatProvider provider), string ToString(string format, "
         f"System.IFormatProvider provider), {_CONVERTIBLE_TOSTRING}"),
    )  # fmt: skip


def _bounds(short: str, *names: str) -> tuple[Member, ...]:
    return tuple((name, "Property", f"static {short} {name} {{get;}}") for name in names)


_BOOLEAN: tuple[Member, ...] = (
    ("Equals", "Method", f"{_EQUALS_OBJECT}, bool Equals(bool obj), "
     "bool IEquatable[bool].Equals(bool other)"),
    _HASH,
    _TYPE,
    ("ToString", "Method", "string ToString(), string ToString(System.IFormatProvider provider), "
     + _CONVERTIBLE_TOSTRING),
)  # fmt: skip

_HASHTABLE: tuple[Member, ...] = (
    ("Add", "Method", "void Add(System.Object key, System.Object value), "
     "void IDictionary.Add(System.Object key, System.Object value)"),
    ("Clear", "Method", "void Clear(), void IDictionary.Clear()"),
    ("Clone", "Method", "System.Object Clone(), System.Object ICloneable.Clone()"),
    ("Contains", "Method", "bool Contains(System.Object key), "
     "bool IDictionary.Contains(System.Object key)"),
    ("ContainsKey", "Method", "bool ContainsKey(System.Object key)"),
    ("ContainsValue", "Method", "bool ContainsValue(System.Object value)"),
    ("Equals", "Method", _EQUALS_OBJECT),
    ("GetEnumerator", "Method", "System.Collections.IDictionaryEnumerator GetEnumerator(), "
     "System.Collections.IDictionaryEnumerator IDictionary.GetEnumerator(), "
     "System.Collections.IEnumerator IEnumerable.GetEnumerator()"),
    _HASH,
    _TYPE,
    ("Remove", "Method", "void Remove(System.Object key), "
     "void IDictionary.Remove(System.Object key)"),
    ("ToString", "Method", "string ToString()"),
    ("Count", "Property", "int Count {get;}"),
    ("Keys", "Property", "System.Collections.ICollection Keys {get;}"),
    ("Values", "Property", "System.Collections.ICollection Values {get;}"),
)  # fmt: skip

INSTANCE: dict[str, tuple[Member, ...]] = {
    "System.String": _STRING,
    "System.Int32": _number("int"),
    "System.Int64": _number("long"),
    "System.Double": _number("double"),
    "System.Boolean": _BOOLEAN,
    "System.Collections.Hashtable": _HASHTABLE,
}
"""Instance members by the value's .NET type."""

STATIC: dict[str, tuple[Member, ...]] = {
    "System.String": _STRING_STATIC,
    "System.Int32": _bounds("int", "MaxValue", "MinValue"),
    "System.Int64": _bounds("long", "MaxValue", "MinValue"),
    "System.Double": _bounds("double", "MaxValue"),
}
"""``-Static`` members by type (those ``[type]::Name`` reaches in the lab)."""

TYPE_LITERALS = {
    "string": "System.String",
    "int": "System.Int32",
    "int32": "System.Int32",
    "long": "System.Int64",
    "int64": "System.Int64",
    "double": "System.Double",
    "bool": "System.Boolean",
    "boolean": "System.Boolean",
    "hashtable": "System.Collections.Hashtable",
    "collections.hashtable": "System.Collections.Hashtable",
}
"""A type literal's name (``[string]``, ``[System.Int32]``) to the full name, without
the optional ``System.`` prefix."""


def type_of_literal(name: str) -> str | None:
    """The full name of a type literal the catalog knows, or None."""
    return TYPE_LITERALS.get(name.casefold().removeprefix("system."))
