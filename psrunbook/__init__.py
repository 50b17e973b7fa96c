"""psrunbook: reviewable, resumable PowerShell runbooks for Windows Failover Clusters.

This module is the public API for runbook authors; everything a runbook needs is
importable from here (``from psrunbook import Runbook, Step, Target``), and the deep
module paths behind it may move between releases.

The names load on first use (PEP 562): ``psrunbook --help`` imports this package, and
pydantic, which the runbook model needs, would otherwise cost it about a third of its
start-up time. Type checkers see the ordinary imports below.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from psrunbook.inventory import Inventory
    from psrunbook.runbook.lab import LabFacts, LabVariant
    from psrunbook.runbook.model import (
        Advisory,
        ReportTable,
        Runbook,
        Severity,
        Step,
        StepResult,
        StepResults,
        Target,
    )
    from psrunbook.secrets import Secret

__all__ = [
    "Advisory",
    "Inventory",
    "LabFacts",
    "LabVariant",
    "ReportTable",
    "Runbook",
    "Secret",
    "Severity",
    "Step",
    "StepResult",
    "StepResults",
    "Target",
]

_HOMES = {
    "Advisory": "psrunbook.runbook.model",
    "Inventory": "psrunbook.inventory",
    "LabFacts": "psrunbook.runbook.lab",
    "LabVariant": "psrunbook.runbook.lab",
    "ReportTable": "psrunbook.runbook.model",
    "Runbook": "psrunbook.runbook.model",
    "Secret": "psrunbook.secrets",
    "Severity": "psrunbook.runbook.model",
    "Step": "psrunbook.runbook.model",
    "StepResult": "psrunbook.runbook.model",
    "StepResults": "psrunbook.runbook.model",
    "Target": "psrunbook.runbook.model",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'psrunbook' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
