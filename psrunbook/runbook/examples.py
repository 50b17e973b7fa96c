"""Example values taken from the runbooks' own parameter documentation.

``show`` and ``lint`` build every runbook's steps without a real inventory or
parameter file, from the ``examples`` each field documents, so the examples are
proven valid by the same validation a real run uses.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError

from psrunbook.inventory import inventory_from_toml

if TYPE_CHECKING:
    from psrunbook.inventory import Inventory

EXAMPLE_CLUSTER = "SQLCLUSTER01"
EXAMPLE_NODES = ("SQLNODE1", "SQLNODE2")


def example_values(model: type[BaseModel]) -> dict[str, Any]:
    """The first documented example of every field that has one."""
    return {name: field.examples[0] for name, field in model.model_fields.items() if field.examples}


def example_parameters(model: type[BaseModel]) -> BaseModel | None:
    """The model filled from its examples, or None when they do not make a valid set."""
    try:
        return model.model_validate(example_values(model))
    except ValidationError:
        return None


def example_inventory() -> Inventory:
    """A two-node inventory matching ``examples/inventory.toml``, never connected to."""

    nodes = "".join(
        f'[[nodes]]\nname = "{name}"\naddress = "{name.lower()}.contoso.com"\n\n'
        for name in EXAMPLE_NODES
    )
    text = f'[cluster]\nname = "{EXAMPLE_CLUSTER}"\n\n{nodes}'
    return inventory_from_toml(text, path=Path("<example inventory>"))
