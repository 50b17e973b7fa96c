"""Loads what a command needs from the operator: runbook, inventory, parameters, plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from psrunbook.cli.context import Settings

if TYPE_CHECKING:
    from pydantic import BaseModel

    from psrunbook.inventory import Inventory
    from psrunbook.runbook.model import Runbook
    from psrunbook.runbook.planner import Plan


@dataclass(frozen=True)
class PlanInputs:
    runbook: Runbook
    inventory: Inventory
    params: BaseModel
    plan: Plan


def load_params(
    runbook: Runbook, assignments: list[str] | None, params_file: Path | None
) -> BaseModel:
    from psrunbook.runbook.parameters import (  # noqa: PLC0415 (lazy: keeps --help fast)
        load_params_file,
        validate_parameters,
    )

    file_values = load_params_file(params_file) if params_file else None
    return validate_parameters(
        runbook.parameters,
        file_values=file_values,
        assignments=assignments or (),
        source=f"parameters for {runbook.name}",
    )


def load_plan_inputs(
    settings: Settings,
    runbook_name: str,
    inventory_path: Path,
    assignments: list[str] | None,
    params_file: Path | None,
) -> PlanInputs:
    """Everything up to a rendered, linted plan; any bad input raises a UserError."""
    from psrunbook.inventory import load_inventory  # noqa: PLC0415 (lazy: keeps --help fast)
    from psrunbook.runbook.planner import build_plan  # noqa: PLC0415 (lazy: keeps --help fast)

    runbook = settings.registry().get(runbook_name)
    inventory = load_inventory(inventory_path)
    params = load_params(runbook, assignments, params_file)
    plan = build_plan(runbook, params, inventory, settings.library())
    return PlanInputs(runbook=runbook, inventory=inventory, params=params, plan=plan)
