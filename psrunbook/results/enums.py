"""FailoverClusters state enums by name and number, from ``psrunbook/data/failoverclusters.json``.

A cluster object's ``State`` may reach us as a name (``[string]$r.State``), a number
(``[int]$r.State``) or a deserialized enum. Whatever arrives is mapped to the canonical
name; a value this table does not know (a newer Windows build) is kept as text, such as
``Unknown(42)``, so a report never fails on a state it has not seen before.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from typing import Annotated, Any, Final

from pydantic import BeforeValidator

from psrunbook.catalog import catalog_document
from psrunbook.results.plain import is_enum

__all__ = [
    "ClusterGroupStateName",
    "ClusterNodeStateName",
    "ClusterResourceStateName",
    "cluster_enum",
    "cluster_enum_types",
]

_FLAGS_SUFFIX: Final = " (flags)"
_INTEGER: Final = re.compile(r"[+-]?\d+")


class _EnumTable:
    """One enum: name -> number, and the reverse (first name wins for shared numbers)."""

    def __init__(self, members: dict[str, int], *, flags: bool) -> None:
        self.flags = flags
        self.by_folded_name = {name.casefold(): name for name in members}
        self.by_number: dict[int, str] = {}
        for name, number in members.items():
            self.by_number.setdefault(number, name)

    def name_of(self, number: int) -> str:
        if number in self.by_number:
            return self.by_number[number]
        if self.flags and number > 0:
            bits = [
                (bit, n)
                for bit, n in sorted(self.by_number.items())
                if bit > 0 and number & bit == bit
            ]
            covered = 0
            for bit, _ in bits:
                covered |= bit
            if bits and covered == number:
                return ", ".join(n for _, n in bits)  # .NET's [Flags] ToString format
        return f"Unknown({number})"

    def name_of_text(self, text: str) -> str:
        stripped = text.strip()
        if _INTEGER.fullmatch(stripped):
            return self.name_of(int(stripped))
        if self.flags and "," in stripped:
            parts = [p.strip().casefold() for p in stripped.split(",")]
            if all(p in self.by_folded_name for p in parts):
                return ", ".join(self.by_folded_name[p] for p in parts)
        return self.by_folded_name.get(stripped.casefold(), text)


@cache
def _tables() -> dict[str, _EnumTable]:
    enums: Mapping[str, Any] = catalog_document()["enums"]
    tables: dict[str, _EnumTable] = {}
    for key, members in enums.items():
        if key.startswith("_") or not isinstance(members, dict):
            continue  # "_notes" and similar metadata
        flags = key.endswith(_FLAGS_SUFFIX)
        name = key.removesuffix(_FLAGS_SUFFIX)
        tables[name] = _EnumTable({str(k): int(v) for k, v in members.items()}, flags=flags)
    return tables


def _enum_value_name(table: _EnumTable, value: Any) -> str:
    """A deserialized enum carries both its number and its name; trust whichever is known."""
    text = getattr(value, "to_string", None)
    number = getattr(value, "value", None)  # pypsrp's own Enum classes
    numbers = [
        v
        for v in getattr(value, "property_sets", [])
        if isinstance(v, int) and not isinstance(v, bool)
    ]
    if numbers:
        number = numbers[0]
    by_number = table.name_of(number) if isinstance(number, int) else None
    if by_number is not None and number in table.by_number:
        return by_number
    if isinstance(text, str) and text:
        by_text = table.name_of_text(text)
        if by_text.casefold() in table.by_folded_name or by_number is None:
            return by_text
    return by_number if by_number is not None else f"Unknown({text})"


def cluster_enum_types() -> tuple[str, ...]:
    """The enum type names :func:`cluster_enum` knows (short names, e.g. ClusterGroupState)."""
    return tuple(sorted(_tables()))


def cluster_enum(type_name: str, value: Any) -> str:
    """The canonical member name for ``value`` of the FailoverClusters enum ``type_name``.

    ``type_name`` may be short (``ClusterResourceState``) or namespace-qualified. ``value``
    may be a number, a numeric or named string (any case), or a deserialized enum. Unknown
    numbers give ``Unknown(<n>)``, unknown names come back unchanged; this never raises for
    a value. An unknown ``type_name`` is a programming error and raises ``ValueError``.
    """
    table = _tables().get(type_name.rsplit(".", 1)[-1])
    if table is None:
        raise ValueError(
            f"unknown FailoverClusters enum {type_name!r}; known: {', '.join(cluster_enum_types())}"
        )
    if is_enum(value):
        return _enum_value_name(table, value)
    if isinstance(value, bool):
        return f"Unknown({value})"
    if isinstance(value, int):
        return table.name_of(value)
    if isinstance(value, str):
        return table.name_of_text(value)
    return f"Unknown({value})"


def _validator(type_name: str) -> BeforeValidator:
    return BeforeValidator(lambda value: cluster_enum(type_name, value))


ClusterResourceStateName = Annotated[str, _validator("ClusterResourceState")]
"""A result-model field type: any resource state representation -> its canonical name."""
ClusterGroupStateName = Annotated[str, _validator("ClusterGroupState")]
"""A result-model field type: any group state representation -> its canonical name."""
ClusterNodeStateName = Annotated[str, _validator("ClusterNodeState")]
"""A result-model field type: any node state representation -> its canonical name."""
