"""The FailoverClusters cmdlet catalog, loaded once from package data.

``psrunbook/data/failoverclusters.json`` is the project's record of what the real module accepts
(parameters, aliases, mandatory flags, positions, parameter sets, pipeline input, enums),
collected from Microsoft's help and from metadata generated from the module itself. The linter
checks every cluster cmdlet call against it, so a template cannot pass review with a parameter
that Windows would reject. The file keeps its ``sources`` fields; :func:`load_catalog` reads
only what the checks need and exposes it as frozen, case-insensitive lookups.

This module is the file's only reader: :func:`catalog_document` parses it once per process,
and the simulator's cmdlet specs and the results' enum tables take their parts from it, so
the three can never read different files or parse the same one three times.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Final

import msgspec

__all__ = [
    "ALL_SETS",
    "COMMON_PARAMETERS",
    "Catalog",
    "Cmdlet",
    "Parameter",
    "catalog_document",
    "load_catalog",
]

ALL_SETS: Final = "(All)"
"""The catalog's name for "this parameter belongs to every parameter set"."""

_SWITCH_TYPES: Final = frozenset({"switch", "switchparameter"})


class Parameter(msgspec.Struct, frozen=True):
    """One parameter of a cmdlet as the catalog records it."""

    name: str
    type: str
    mandatory: bool
    position: int | None
    parameter_set: str
    pipeline_input: tuple[str, ...]
    aliases: tuple[str, ...]

    @property
    def is_switch(self) -> bool:
        """A switch takes no argument unless written ``-Name:$value``."""
        return self.type.lower() in _SWITCH_TYPES

    @property
    def in_all_sets(self) -> bool:
        """True when the parameter belongs to every parameter set of its cmdlet."""
        return self.parameter_set == ALL_SETS


COMMON_PARAMETERS: Final = (
    Parameter("Verbose", "switch", False, None, ALL_SETS, (), ("vb",)),
    Parameter("Debug", "switch", False, None, ALL_SETS, (), ("db",)),
    Parameter("ErrorAction", "ActionPreference", False, None, ALL_SETS, (), ("ea",)),
    Parameter("WarningAction", "ActionPreference", False, None, ALL_SETS, (), ("wa",)),
    Parameter("InformationAction", "ActionPreference", False, None, ALL_SETS, (), ("infa",)),
    Parameter("ErrorVariable", "string", False, None, ALL_SETS, (), ("ev",)),
    Parameter("WarningVariable", "string", False, None, ALL_SETS, (), ("wv",)),
    Parameter("InformationVariable", "string", False, None, ALL_SETS, (), ("iv",)),
    Parameter("OutVariable", "string", False, None, ALL_SETS, (), ("ov",)),
    Parameter("OutBuffer", "int", False, None, ALL_SETS, (), ("ob",)),
    Parameter("PipelineVariable", "string", False, None, ALL_SETS, (), ("pv",)),
)
"""Windows PowerShell 5.1's common parameters (about_CommonParameters), every cmdlet has them.

``-WhatIf`` and ``-Confirm`` are not here: the catalog lists them on the cmdlets that support
ShouldProcess. ``-ProgressAction`` is PowerShell 7.4+ and would fail on 5.1, so it is absent.
"""


class Cmdlet(msgspec.Struct, frozen=True):
    """One FailoverClusters cmdlet: its own parameters plus the common parameters."""

    name: str
    parameters: tuple[Parameter, ...]
    default_parameter_set: str | None
    supports_should_process: bool
    sources: tuple[str, ...]

    @property
    def all_parameters(self) -> tuple[Parameter, ...]:
        """Own parameters followed by the common parameters, as PowerShell binds them."""
        return self.parameters + COMMON_PARAMETERS

    @property
    def parameter_sets(self) -> frozenset[str]:
        """The named parameter sets (``(All)`` excluded)."""
        return frozenset(p.parameter_set for p in self.parameters if not p.in_all_sets)

    def parameter(self, name: str) -> Parameter | None:
        """The parameter whose full name is ``name`` (case-insensitive), if any."""
        wanted = name.lower()
        for parameter in self.all_parameters:
            if parameter.name.lower() == wanted:
                return parameter
        return None


class Catalog(msgspec.Struct, frozen=True):
    """Every cmdlet the project knows from the FailoverClusters module."""

    cmdlets: Mapping[str, Cmdlet]
    """Keyed by the cmdlet's name in lower case; use :meth:`get` for lookups."""

    def get(self, name: str) -> Cmdlet | None:
        """The cmdlet called ``name`` (case-insensitive, as PowerShell resolves commands)."""
        return self.cmdlets.get(name.lower())

    @property
    def names(self) -> tuple[str, ...]:
        """Cmdlet names in their documented spelling, sorted."""
        return tuple(sorted(cmdlet.name for cmdlet in self.cmdlets.values()))


@cache
def catalog_document() -> Mapping[str, Any]:
    """The packaged ``failoverclusters.json`` as parsed JSON, read once per process.

    Shared by every caller, so it is read-only: take what you need, never change it.
    """
    raw = resources.files("psrunbook").joinpath("data", "failoverclusters.json").read_text("utf-8")
    document: dict[str, Any] = json.loads(raw)
    return MappingProxyType(document)


@cache
def load_catalog() -> Catalog:
    """The cmdlets of the packaged catalog as typed, case-insensitive lookups, built once."""
    entries: Mapping[str, Any] = catalog_document()["cmdlets"]
    cmdlets = {name.lower(): _cmdlet(name, entry) for name, entry in entries.items()}
    return Catalog(cmdlets=MappingProxyType(cmdlets))


def _cmdlet(name: str, entry: Mapping[str, Any]) -> Cmdlet:
    parameters = tuple(
        _parameter(parameter_name, spec) for parameter_name, spec in entry["parameters"].items()
    )
    return Cmdlet(
        name=name,
        parameters=parameters,
        default_parameter_set=entry.get("default_parameter_set"),
        supports_should_process=bool(entry.get("supports_should_process", False)),
        sources=tuple(entry.get("sources", ())),
    )


def _parameter(name: str, spec: Mapping[str, Any]) -> Parameter:
    # Aliases sit at the top level for module metadata and under "doc" for help-only ones
    # (the ShouldProcess parameters' -cf and -wi); PowerShell accepts both.
    doc: Mapping[str, Any] = spec.get("doc") or {}
    aliases = dict.fromkeys([*(spec.get("aliases") or ()), *(doc.get("aliases") or ())])
    return Parameter(
        name=name,
        type=str(spec.get("type", "object")),
        mandatory=bool(spec.get("mandatory", False)),
        position=spec.get("position"),
        parameter_set=str(spec.get("parameter_set", ALL_SETS)),
        pipeline_input=tuple(spec.get("pipeline_input") or ()),
        aliases=tuple(aliases),
    )
