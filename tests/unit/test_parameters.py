"""Runbook parameters from -p options and parameter files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, ConfigDict, Field

from psrunbook.errors import ParameterError
from psrunbook.runbook.parameters import (
    load_params_file,
    parse_assignments,
    public_parameters,
    validate_parameters,
)
from psrunbook.secrets import MASK, Secret


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    group: str = Field(min_length=1)
    owners: list[str] = Field(default_factory=list)
    timeout_s: int = 300
    password: Secret | None = None


def test_list_items_come_one_per_option() -> None:
    """Repeated -p for a list field accumulates items and never splits on commas."""
    values = parse_assignments(Params, ["owners=A, B", "owners=C", "group=G=1"])
    assert {"owners": ["A, B", "C"], "group": "G=1"} == values


def test_scalar_given_twice_is_refused() -> None:
    """A scalar given twice is ambiguous and refused, naming the key."""
    with pytest.raises(ParameterError, match="-p group is given twice"):
        parse_assignments(Params, ["group=a", "group=b"])


def test_assignment_without_equals_is_refused() -> None:
    """-p without key=value form is refused with an example of the right form."""
    with pytest.raises(ParameterError, match="not of the form key=value"):
        parse_assignments(Params, ["group"])


def test_command_line_overrides_file() -> None:
    """-p values win over the parameter file, and text converts to the field type."""
    params = validate_parameters(
        Params, file_values={"group": "file", "timeout_s": 10}, assignments=["timeout_s=20"]
    )
    assert ("file", 20) == (params.group, params.timeout_s)  # type: ignore[attr-defined]


def test_validation_errors_name_every_field() -> None:
    """All problems are reported at once, each with its field and a fix."""
    with pytest.raises(ParameterError) as caught:
        validate_parameters(Params, assignments=["timeout_s=soon", "colour=red"])
    message = str(caught.value)
    assert "group: required; give it with -p group=VALUE" in message
    assert "timeout_s: Input should be a valid integer" in message
    assert "colour: unknown parameter" in message


def test_secret_value_never_in_error_message() -> None:
    """A rejected value is not echoed back, so a mistyped secret does not leak."""
    with pytest.raises(ParameterError) as caught:
        validate_parameters(Params, assignments=["group=g", "timeout_s=hunter2-secret"])
    assert "hunter2-secret" not in str(caught.value)


def test_secret_on_command_line_is_refused() -> None:
    """A secret given with -p is refused, naming the environment variable to use."""
    with pytest.raises(
        ParameterError, match="set the environment variable PSRUNBOOK_PARAM_PASSWORD"
    ):
        validate_parameters(Params, assignments=["group=g", "password=hunter2"])


def test_public_parameters_mask_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secrets come from the environment and are masked in the public view."""
    monkeypatch.setenv("PSRUNBOOK_PARAM_PASSWORD", "hunter2")
    params = validate_parameters(Params, assignments=["group=g"])
    assert isinstance(params.password, Secret)  # type: ignore[attr-defined]
    assert MASK == public_parameters(params)["password"]


def test_params_file_errors_are_user_errors(tmp_path: Path) -> None:
    """A missing or malformed parameter file is a clear ParameterError naming it."""
    with pytest.raises(ParameterError, match="does not exist"):
        load_params_file(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("group = \n")
    with pytest.raises(ParameterError, match=r"bad\.toml is not valid TOML"):
        load_params_file(bad)
