"""FailoverClusters cmdlet specs, generated from the packaged facts at import.

``psrunbook/data/failoverclusters.json`` is a copy of ``facts/failoverclusters.json``
(its source fields kept); building the specs from it means the simulator's parameter
names, positions, aliases, sets and pipeline binding cannot drift from the facts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from psrunbook.catalog import catalog_document
from psrunbook.sim.lab.error_records import implementing_type
from psrunbook.sim.ps.cmdlet_api import CmdletSpec, ParamSpec
from psrunbook.sim.ps.validation import ValidateNotNull, ValidateNotNullOrEmpty

# Types in the facts that the evaluator's conversion list (ParamSpec.type) spells differently.
_TYPE_MAP = {
    "Microsoft.FailoverClusters.PowerShell.GroupType": "string",
    "ciminstance": "object",
    "System.Object[]": "object[]",
}


def facts() -> Mapping[str, Any]:
    """The packaged failoverclusters.json, parsed once by the catalog (read-only)."""
    return catalog_document()


_VALIDATORS: dict[str, Callable[[Any], None]] = {
    "ValidateNotNullOrEmpty()": ValidateNotNullOrEmpty(),
    "ValidateNotNull()": ValidateNotNull(),
}
"""The validation attributes the facts record (FailoverClusters' module metadata)."""


def _param(name: str, raw: dict[str, Any]) -> ParamSpec:
    raw_set = raw.get("parameter_set") or "(All)"
    sets = tuple(raw_set) if isinstance(raw_set, list) else (str(raw_set),)
    pipeline = raw.get("pipeline_input") or []
    return ParamSpec(
        name=name,
        type=_TYPE_MAP.get(raw["type"], raw["type"]),
        mandatory=bool(raw.get("mandatory")),
        position=raw.get("position"),
        aliases=tuple(raw.get("aliases", ())),
        parameter_sets=sets,
        from_pipeline="ByValue" in pipeline,
        from_pipeline_by_property_name="ByPropertyName" in pipeline,
        from_remaining_arguments=bool(raw.get("value_from_remaining_arguments")),
        validators=tuple(_VALIDATORS[v] for v in raw.get("validation", ())),
    )


@cache
def fc_spec(cmdlet: str) -> CmdletSpec:
    """The spec of one FailoverClusters cmdlet exactly as the facts describe it."""
    raw = facts()["cmdlets"][cmdlet]
    params = tuple(_param(name, p) for name, p in raw["parameters"].items())
    return CmdletSpec(name=cmdlet, implementing_type=implementing_type(cmdlet), parameters=params)


def enum_value(enum: str, name: str) -> int:
    """The number of a FailoverClusters enum member, from the facts."""
    value: int = facts()["enums"][enum][name]
    return value
