"""StepResult reports Before, After and Actions alike for every way a model is written."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_pascal

from psrunbook.runbook.model import ChangeKey, StepResult


class Aliased(StepResult):
    """The shipped runbooks' style: snake_case fields, PascalCase keys on the wire."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True)

    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None
    actions: list[str] = Field(default_factory=list)
    config_file: str = ""


class Named(StepResult):
    """The writing-runbooks guide's style: fields named as the script's keys."""

    Before: str | None
    After: str


def test_aliased_model_reports_its_change_under_the_script_keys() -> None:
    """snake_case fields come back as Before, After and Actions, in that order."""
    result = Aliased.model_validate({"Before": {"a": 1}, "After": {"a": 2}, "Actions": ["x"]})
    expected: dict[ChangeKey, Any] = {
        ChangeKey.BEFORE: {"a": 1},
        ChangeKey.AFTER: {"a": 2},
        ChangeKey.ACTIONS: ["x"],
    }
    assert expected == result.reported_change()


def test_named_model_keeps_a_reported_null() -> None:
    """A Before the script reported as null is shown as null, not dropped."""
    result = Named(Before=None, After="world")
    assert {ChangeKey.BEFORE: None, ChangeKey.AFTER: "world"} == result.reported_change()


def test_plain_result_reports_change_keys_it_received_as_extras() -> None:
    """A user runbook without a model still gets its Before and After shown."""
    result = StepResult.model_validate({"After": "x", "Other": 1})
    assert {ChangeKey.AFTER: "x"} == result.reported_change()


def test_reported_is_json_under_the_script_keys() -> None:
    """reported() is what the journal stores: JSON values under the keys the script wrote."""
    result = Aliased.model_validate({"After": {"n": 1}, "ConfigFile": "S:\\SSIS\\a.xml"})
    expected = {"Before": None, "After": {"n": 1}, "Actions": [], "ConfigFile": "S:\\SSIS\\a.xml"}
    assert expected == result.reported()
