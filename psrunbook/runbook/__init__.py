"""Runbooks: typed parameters, advisories and an ordered list of steps.

The names below load on first use (PEP 562), as in ``psrunbook`` itself: importing a
module of this package (``psrunbook.runbook.registry`` for ``list``) must not import the
model, and with it pydantic (issue 16).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from psrunbook.runbook.model import Advisory, Runbook, Step, Target

__all__ = ["Advisory", "Runbook", "Step", "Target"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'psrunbook.runbook' has no attribute {name!r}")
    value = getattr(importlib.import_module("psrunbook.runbook.model"), name)
    globals()[name] = value
    return value
