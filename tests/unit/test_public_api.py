"""The ``psrunbook`` package is the one import name: its public API and ``python -m``."""

from __future__ import annotations

import subprocess
import sys

import pytest

import psrunbook
from psrunbook.inventory import Inventory
from psrunbook.runbook import lab, model
from psrunbook.secrets import Secret

LAB_NAMES = {"LabFacts", "LabVariant"}


@pytest.mark.parametrize(
    "name", sorted(set(psrunbook.__all__) - {"Inventory", "Secret"} - LAB_NAMES)
)
def test_runbook_api_names_are_the_model_objects(name: str) -> None:
    """Every name of the public API is the object its home module defines."""
    assert getattr(model, name) is getattr(psrunbook, name)


def test_inventory_and_secret_are_exported() -> None:
    """Runbook authors type their step builders and secret parameters from ``psrunbook``."""
    assert (Inventory, Secret) == (psrunbook.Inventory, psrunbook.Secret)


@pytest.mark.parametrize("name", sorted(LAB_NAMES))
def test_lab_hook_types_are_exported(name: str) -> None:
    """Runbook authors type their ``--sim`` hooks from ``psrunbook``."""
    assert getattr(lab, name) is getattr(psrunbook, name)


def test_unknown_name_is_an_attribute_error() -> None:
    """A name outside the API fails as any missing module attribute does."""
    with pytest.raises(AttributeError, match="NoSuchThing"):
        _ = psrunbook.NoSuchThing  # type: ignore[attr-defined]


def test_importing_the_package_loads_no_model() -> None:
    """``import psrunbook`` stays light: pydantic loads only when the API is used."""
    code = "import sys, psrunbook; print('pydantic' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "False" == done.stdout.strip()


def test_python_m_psrunbook_runs_the_cli() -> None:
    """``python -m psrunbook`` is the same command line as the ``psrunbook`` script."""
    done = subprocess.run(
        [sys.executable, "-m", "psrunbook", "list"], capture_output=True, text=True, check=False
    )
    assert 0 == done.returncode, done.stderr
    assert "ssis-clustered" in done.stdout
