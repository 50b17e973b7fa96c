"""Secrets are registered for redaction where they enter the process, never as a side effect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel

from psrunbook.inventory import inventory_from_toml
from psrunbook.runbook.parameters import validate_parameters
from psrunbook.secrets import (
    MASK,
    Secret,
    SecretRegistry,
    clear_secrets,
    redact_text,
    register_secret,
)
from psrunbook.transport.psrp import PsrpTransport

VALUE = "s3cret-for-test_secrets"

INVENTORY = """
[cluster]
name = "SQLCLUSTER01"

[connection]
auth = "basic"
username = "CONTOSO\\\\ops"

[[nodes]]
name = "SQLNODE1"
address = "sqlnode1.contoso.com"
"""


class Nested(BaseModel):
    token: Secret


class Params(BaseModel):
    password: Secret | None = None
    nested: list[Nested] = []


@pytest.fixture(autouse=True)
def _no_secrets() -> Iterator[None]:
    """Each test starts with an empty registry and leaves one behind."""
    clear_secrets()
    yield
    clear_secrets()


def test_constructing_a_secret_registers_nothing() -> None:
    """A Secret hides itself, but only register_secret makes its value masked in text."""
    secret = Secret(VALUE)
    assert MASK == str(secret)
    assert VALUE == redact_text(VALUE)
    register_secret(secret)
    assert f"pw={MASK}" == redact_text(f"pw={VALUE}")


def test_a_registry_object_masks_only_its_own_values() -> None:
    """SecretRegistry is a plain object; the process-wide one is just one instance."""
    registry = SecretRegistry()
    registry.add(VALUE)
    assert MASK == registry.redact(VALUE)
    assert VALUE == redact_text(VALUE)


def test_validated_parameters_register_every_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    """Secret parameters, top-level and nested, are registered once validated."""
    monkeypatch.setenv("PSRUNBOOK_PARAM_PASSWORD", VALUE)
    validate_parameters(Params, file_values={"nested": [{"token": "nested-" + VALUE}]})
    assert f"{MASK} {MASK}" == redact_text(f"{VALUE} nested-{VALUE}")


def test_prompted_password_is_registered() -> None:
    """A password typed at the prompt is masked in every later line."""
    inventory = inventory_from_toml(INVENTORY, path=Path("inventory.toml"))
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return VALUE

    PsrpTransport(inventory, prompt=prompt)
    assert ["Password for CONTOSO\\ops: "] == asked
    assert MASK == redact_text(VALUE)


def test_a_text_found_clean_is_masked_once_a_secret_in_it_is_registered() -> None:
    """The texts a registry remembers as holding no secret are forgotten at each
    registration: a text checked before a secret was registered is checked again."""
    registry = SecretRegistry()
    registry.add("first-secret")
    text = f"pw={VALUE}"
    assert text == registry.redact(text)
    assert text == registry.redact(text)  # now remembered as clean
    registry.add(VALUE)
    assert f"pw={MASK}" == registry.redact(text)
    registry.clear()
    assert text == registry.redact(text)
    registry.add(VALUE)
    assert f"pw={MASK}" == registry.redact(text)


def test_a_string_subclass_comes_back_as_re_gives_it() -> None:
    """A clean text's subclass is still matched (``re.sub`` returns a plain str)."""

    class Text(str):
        __slots__ = ()

    registry = SecretRegistry()
    registry.add(VALUE)
    registry.redact("clean")
    assert str is type(registry.redact(Text("clean")))
    assert f"{MASK}!" == registry.redact(Text(f"{VALUE}!"))
