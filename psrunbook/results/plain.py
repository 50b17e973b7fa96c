"""Deserialized PowerShell values -> plain, JSON-able Python.

pypsrp turns CLIXML into a mix of primitives, lists, dicts and ``GenericComplexObject``
snapshots (NoteProperties in ``extended_properties``, .NET properties in
``adapted_properties``, plus ``to_string`` and ``types``). Remoting serialises at depth 1,
so anything nested deeper than one level arrives as its ``ToString()`` text only; this
module keeps that text rather than guessing a structure that was never sent.
"""

from __future__ import annotations

import base64
import math
import uuid
from collections.abc import Mapping
from queue import Empty, Queue
from typing import Any, Final
from xml.etree.ElementTree import Element

from pypsrp.complex_objects import ComplexObject, GenericComplexObject
from pypsrp.complex_objects import Enum as PsrpEnum

from psrunbook.secrets import MASK, Secret

__all__ = ["is_enum", "plain"]

# Deserialized graphs may reference themselves (CLIXML <Ref>); stop well before recursion
# limits and show the object's text instead.
_MAX_DEPTH: Final = 32
_ENUM_TYPE: Final = "System.Enum"


def is_enum(value: Any) -> bool:
    """True for a deserialized .NET enum value (a ``GenericComplexObject`` of System.Enum)."""
    if isinstance(value, PsrpEnum):
        return True
    types = getattr(value, "types", None)
    return (
        isinstance(value, GenericComplexObject)
        and isinstance(types, list)
        and (_ENUM_TYPE in types or f"Deserialized.{_ENUM_TYPE}" in types)
    )


def _enum_plain(value: Any) -> Any:
    """An enum becomes its name (what PowerShell prints); the number only if no name came."""
    if isinstance(value, PsrpEnum):
        try:
            return str(value)
        except KeyError:  # pypsrp raises for a number outside its own table
            return value.value
    text = value.to_string
    if isinstance(text, str) and text:
        return text
    numbers = [v for v in value.property_sets if isinstance(v, int) and not isinstance(v, bool)]
    return numbers[0] if numbers else None


def _text(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001  a broken __str__ of a foreign object must not fail the step
        return f"<{type(value).__name__}>"


def _complex_plain(value: GenericComplexObject, depth: int, seen: frozenset[int]) -> Any:
    if not value.adapted_properties and len(value.property_sets) == 1:
        only = value.property_sets[0]
        if only is None or isinstance(only, bool | int | float | str):
            # A primitive with note properties: Get-Date's DateTime (its DisplayHint
            # note beside a <DT>, which pypsrp reads as text), a string with notes. The
            # value is the primitive; the notes are PowerShell's bookkeeping.
            return _plain(only, depth + 1, seen)
    props: dict[str, Any] = {}
    # Adapted (.NET) first, NoteProperties second: a PSCustomObject's own members win.
    for source in (value.adapted_properties, value.extended_properties):
        for key, item in source.items():
            props[_text(key)] = _plain(item, depth + 1, seen)
    if props:
        return props
    if len(value.property_sets) == 1:
        # A primitive wrapped in an object (e.g. a string with a type name attached).
        return _plain(value.property_sets[0], depth + 1, seen)
    if value.property_sets:
        return [_plain(item, depth + 1, seen) for item in value.property_sets]
    return value.to_string


def _plain(value: Any, depth: int, seen: frozenset[int]) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        # NaN and infinities are not JSON; keep them as the text PowerShell shows.
        return value if math.isfinite(value) else str(value)
    if isinstance(value, Secret):
        return MASK
    if isinstance(value, Element):
        # pypsrp returns an undecryptable SecureString as its raw <SS> element.
        return MASK if value.tag == "SS" else _text(value.text or "")
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, uuid.UUID):
        return str(value)
    if depth > _MAX_DEPTH or id(value) in seen:
        return _text(value)
    inner = seen | {id(value)}
    if is_enum(value):
        return _enum_plain(value)
    if isinstance(value, GenericComplexObject):
        return _complex_plain(value, depth, inner)
    if isinstance(value, Mapping):
        return {
            _text(_plain(k, depth + 1, inner)): _plain(v, depth + 1, inner)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item, depth + 1, inner) for item in value]
    if isinstance(value, Queue):
        return [_plain(item, depth + 1, inner) for item in _drain_copy(value)]
    if isinstance(value, ComplexObject):
        return _text(value)
    return _text(value)


def _drain_copy(queue: Queue[Any]) -> list[Any]:
    """Items of a deserialized Queue, put back so the caller's object is unchanged."""
    items: list[Any] = []
    while True:
        try:
            items.append(queue.get_nowait())
        except Empty:
            break
    for item in items:
        queue.put_nowait(item)
    return items


def plain(value: Any) -> Any:
    """Convert one deserialized PowerShell value to JSON-able Python.

    Objects become dicts of their properties, enums their names, lists and dicts stay,
    GUIDs and byte arrays become text, a SecureString stays masked as ``***``; an object
    that carried no properties (a depth-1 snapshot) becomes its ``ToString()`` text.
    DateTime values arrive from pypsrp as ISO text and stay text, Get-Date's too (a
    ``<DT>`` beside its DisplayHint note: a primitive with notes is its primitive).
    """
    return _plain(value, 0, frozenset())
