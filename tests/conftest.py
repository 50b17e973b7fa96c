"""Shared fixtures: paths to the test runbooks, templates and inventories."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent


@pytest.fixture
def user_runbooks() -> Path:
    return FIXTURES / "user_runbooks"


@pytest.fixture
def user_templates() -> Path:
    return FIXTURES / "user_templates"


@pytest.fixture
def example_inventory_path() -> Path:
    return REPO / "examples" / "inventory.toml"
