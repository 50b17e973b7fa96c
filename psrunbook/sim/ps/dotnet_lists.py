"""``System.Collections.ArrayList`` and ``System.Collections.Generic.List[T]``: the lists
scripts collect results in, as .NET Framework 4.8 and Windows PowerShell 5.1 have them.

Made by ``New-Object System.Collections.ArrayList``, ``[System.Collections.ArrayList]::
new()``, ``New-Object 'System.Collections.Generic.List[string]'``, ``[System.Collections.
Generic.List[int]]::new()`` (no argument, a capacity, or a collection to copy) and by a
cast (``[System.Collections.ArrayList]@(1, 2)``). ``T`` is one of string, int (Int32),
long (Int64), double, bool, object and psobject; any other is refused by name.

What a script sees (:class:`~psrunbook.sim.objects.DotNetList`):

- ``ArrayList.Add(x)`` returns the new item's index, which PowerShell writes to the
  pipeline unless the script discards it (``[void]``, ``$null =``, ``| Out-Null``): the
  classic stray ``0 1 2`` in a function's output, which the lab writes as Windows does.
  ``List[T].Add(x)`` returns nothing and converts ``x`` to ``T`` first (a value that does
  not convert is PowerShell's MethodArgumentConversionInvalidCastArgument);
- ``AddRange``, ``Insert``, ``Remove`` (the first item .NET's Equals matches, so strings
  case-sensitively; ``List[T].Remove`` returns whether it found one), ``RemoveAt``
  (.NET's ArgumentOutOfRangeException past the end), ``Clear``, ``Contains``, ``IndexOf``,
  ``ToArray`` (an ArrayList's an Object[], a List[T]'s a T[]), ``Reverse``, ``Sort``
  (numbers; strings' culture order is refused by name), ``Count``;
- it is enumerated wherever an array is (the pipeline, ``foreach``, ``@()``), ``+=``
  makes an Object[] of it (PowerShell's op_Addition on a list), and every variable
  holding it holds the same list (a reference type).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from psrunbook.sim.objects import DotNetList, TypedArray
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused
from psrunbook.sim.ps.values import (
    NOTHING,
    ConversionError,
    convert,
    is_collection,
    to_int,
    to_string,
    type_name_of,
)

ARRAY_LIST = "System.Collections.ArrayList"
_MSCORLIB = "mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089"
_AUTOMATION = (
    "System.Management.Automation, Version=3.0.0.0, Culture=neutral, "
    "PublicKeyToken=31bf3856ad364e35"
)
_ELEMENTS = {
    "string": ("System.String", "string"),
    "int": ("System.Int32", "int"),
    "int32": ("System.Int32", "int"),
    "long": ("System.Int64", "long"),
    "int64": ("System.Int64", "long"),
    "double": ("System.Double", "double"),
    "bool": ("System.Boolean", "bool"),
    "boolean": ("System.Boolean", "bool"),
    "object": ("System.Object", "object"),
    "psobject": ("System.Management.Automation.PSObject", "psobject"),
    "management.automation.psobject": ("System.Management.Automation.PSObject", "psobject"),
}
"""The element types modelled: their .NET name and the name the lab converts to."""
_GENERIC = re.compile(r"collections\.generic\.list(?:`1)?\[\s*(?:system\.)?([a-z0-9.]+)\s*\]")


class ListMethodError(Exception):
    """What a list method throws, as PowerShell reports it (message, error id)."""

    def __init__(self, message: str, error_id: str) -> None:
        super().__init__(message)
        self.error_id = error_id


def is_list_type(value: DotNetList, name: str) -> bool:
    """``$value -is [name]``: whether ``name`` names the list's own type."""
    try:
        kind = list_type(name)
    except HostMethodRefused:
        return False
    return kind is not None and kind[0] == value.type_name


def list_type(name: str) -> tuple[str, str, str | None] | None:
    """The full name, the literal name and the element of a list type PowerShell names
    ``name`` (``System.Collections.ArrayList``, ``Collections.Generic.List[string]``), or
    None for any other name."""
    folded = "".join(name.split()).casefold().removeprefix("system.")
    if folded == "collections.arraylist":
        return ARRAY_LIST, ARRAY_LIST, None
    match = _GENERIC.fullmatch(folded)
    if match is None:
        return None
    element = _ELEMENTS.get(match.group(1))
    if element is None:
        raise HostMethodRefused(f"a {name} (its element type)")
    dotnet, short = element
    assembly = _AUTOMATION if dotnet.startswith("System.Management.") else _MSCORLIB
    full = f"System.Collections.Generic.List`1[[{dotnet}, {assembly}]]"
    return full, f"System.Collections.Generic.List[{dotnet}]", short


def new_list(name: str, arguments: list[Any]) -> DotNetList | None:
    """``New-Object name @(args)`` or ``[name]::new(args)``: an empty list (no argument, or
    a capacity), or a copy of a collection; None when ``name`` is not a list type."""
    kind = list_type(name)
    if kind is None:
        return None
    full, shown, element = kind
    made = DotNetList(type_name=full, shown=shown, element=element)
    if not arguments:
        return made
    argument: Any = arguments[0] if len(arguments) == 1 else None
    if is_collection(argument):
        _extend(made, list(argument), "AddRange")
        return made
    if isinstance(argument, int) and not isinstance(argument, bool):
        if argument < 0:
            raise ListMethodError(
                "Non-negative number required.\r\nParameter name: capacity",
                "ArgumentOutOfRangeException",
            )
        return made
    raise HostMethodRefused(f"a {shown} made of {len(arguments)} argument(s) of that type")


def cast_to_list(name: str, value: Any) -> DotNetList | None:
    """``[System.Collections.ArrayList]$value``: a new list of the value's items (one
    item for a scalar); ``$null`` stays ``$null``."""
    kind = list_type(name)
    if kind is None or value is None:
        return None
    full, shown, element = kind
    made = DotNetList(type_name=full, shown=shown, element=element)
    _extend(made, list(value) if is_collection(value) else [value], "cast")
    return made


def _item(target: DotNetList, value: Any, method: str) -> Any:
    """``value`` as an item of ``target``: as it is for an ArrayList, converted to T."""
    if target.element is None:
        return value
    try:
        return convert(value, target.element)
    except ConversionError as exc:
        raise ListMethodError(
            f'Cannot convert argument "item", with value: "{to_string(value)}", for '
            f'"{method}" to type "{target.shown.split("[", 1)[1][:-1]}": "{exc}"',
            "MethodArgumentConversionInvalidCastArgument",
        ) from None


def _extend(target: DotNetList, items: list[Any], method: str) -> None:
    target.extend(_item(target, item, method) for item in items)


def _index(target: DotNetList, value: Any, *, insert: bool = False) -> int:
    index = to_int(value)
    if not 0 <= index <= len(target) - (0 if insert else 1):
        if not insert:
            reason = (
                "Index was out of range. Must be non-negative and less than the size of "
                "the collection."
            )
        elif target.element is None:  # ArrayList.Insert's own text
            reason = (
                "Insertion index was out of range. Must be non-negative and less than or "
                "equal to size."
            )
        else:
            reason = "Index must be within the bounds of the List."
        raise ListMethodError(f"{reason}\r\nParameter name: index", "ArgumentOutOfRangeException")
    return index


def call_method(
    target: DotNetList, name: str, args: list[Any], equals: Callable[[Any, Any], bool]
) -> Any:
    """``$list.Name(args)``; HostMethodRefused for a method the lab does not model,
    ListMethodError for what .NET throws. ``equals`` is .NET's Object.Equals."""
    folded = name.casefold()
    generic = target.element is not None
    count = len(args)
    if folded == "add" and count == 1:
        target.append(_item(target, args[0], "Add"))
        return NOTHING if generic else len(target) - 1
    if folded == "addrange" and count == 1:
        if not is_collection(args[0]):
            raise HostMethodRefused(f"{target.shown}.AddRange() of a {type_name_of(args[0])}")
        _extend(target, list(args[0]), "AddRange")
        return NOTHING
    if folded == "insert" and count == 2:
        target.insert(_index(target, args[0], insert=True), _item(target, args[1], "Insert"))
        return NOTHING
    if folded == "remove" and count == 1:
        found = next((i for i, item in enumerate(target) if equals(item, args[0])), None)
        if found is not None:
            del target[found]
        return (found is not None) if generic else NOTHING
    if folded == "removeat" and count == 1:
        del target[_index(target, args[0])]
        return NOTHING
    if folded == "clear" and count == 0:
        target.clear()
        return NOTHING
    if folded == "contains" and count == 1:
        return any(equals(item, args[0]) for item in target)
    if folded == "indexof" and count == 1:
        return next((i for i, item in enumerate(target) if equals(item, args[0])), -1)
    if folded == "toarray" and count == 0:
        # ArrayList.ToArray() is an object[]; List[T].ToArray() a T[].
        element = next((d for d, short in _ELEMENTS.values() if short == target.element), None)
        if element is None or element == "System.Object":
            return list(target)
        return TypedArray(target, element=element)
    if folded == "reverse" and count == 0:
        target.reverse()
        return NOTHING
    if folded == "sort" and count == 0:
        if not all(isinstance(i, int | float) and not isinstance(i, bool) for i in target):
            raise HostMethodRefused(f"{target.shown}.Sort() of items other than numbers")
        target.sort()
        return NOTHING
    raise HostMethodRefused(f"{target.shown}.{name}() with {count} argument(s)")
