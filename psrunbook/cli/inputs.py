"""Loads what a command needs from the operator: target, runbook, parameters, plan."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psrunbook.cli.context import Settings
from psrunbook.errors import ParameterError, UserError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from psrunbook.inventory import Inventory
    from psrunbook.runbook.lab import LabVariant
    from psrunbook.runbook.model import Runbook
    from psrunbook.runbook.planner import Plan
    from psrunbook.sim.lab.embedded import EmbeddedLab


@dataclass(frozen=True)  # a dataclass: --help imports this module (docs/development.md)
class PlanInputs:
    runbook: Runbook
    inventory: Inventory
    params: BaseModel
    plan: Plan


def load_params(
    runbook: Runbook,
    assignments: list[str] | None,
    params_file: Path | None,
    history: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> BaseModel:
    """Validated parameters: ``history``'s answers (given what the operator gave) < file
    < ``-p``."""
    from psrunbook.runbook.parameters import (
        load_params_file,
        parse_assignments,
        validate_parameters,
    )

    file_values = load_params_file(params_file) if params_file else None
    given = {**(file_values or {}), **parse_assignments(runbook.parameters, assignments or ())}
    return validate_parameters(
        runbook.parameters,
        defaults=history(given) if history is not None else None,
        file_values=file_values,
        assignments=assignments or (),
        source=f"parameters for {runbook.name}",
        file_name=str(params_file) if params_file else None,
    )


def load_plan_inputs(
    settings: Settings,
    runbook_name: str,
    inventory_path: Path,
    assignments: list[str] | None,
    params_file: Path | None,
) -> PlanInputs:
    """Everything up to a rendered, linted plan; any bad input raises a UserError."""
    from psrunbook.inventory import load_inventory
    from psrunbook.runbook.planner import build_plan

    runbook = settings.registry().get(runbook_name)
    inventory = load_inventory(inventory_path)
    params = load_params(
        runbook, assignments, params_file, _journal_history(settings, runbook, inventory)
    )
    plan = build_plan(runbook, params, inventory, settings.library())
    return PlanInputs(runbook=runbook, inventory=inventory, params=params, plan=plan)


def _journal_history(
    settings: Settings, runbook: Runbook, inventory: Inventory
) -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """The runbook's ``history_defaults`` read from the journal, as ``run`` and ``plan``
    read them, so an exported bundle restores what a run would (an undo's recorded values)."""
    if runbook.history_defaults is None:
        return None

    def read(given: dict[str, Any]) -> dict[str, Any]:
        from psrunbook.journal_open import open_journal

        with open_journal(settings.journal) as journal:
            return runbook.history_defaults_for(journal, inventory.cluster.name, given)

    return read


@contextlib.contextmanager
def open_target(
    inventory: Path | None, sim: bool, state_dir: Path, variant: Callable[[], LabVariant]
) -> Iterator[tuple[Inventory, EmbeddedLab | None]]:
    """The cluster a command works on: an inventory's, or the embedded simulated lab.

    ``variant`` is asked only for the lab, and the lab uses it only when it builds a new one.
    """
    if sim and inventory is not None:
        raise ParameterError("give either --inventory or --sim, not both")
    if sim:
        from psrunbook.sim.lab.embedded import EmbeddedLab

        with EmbeddedLab(state_dir, sql_version=variant().sql_version) as lab:
            yield lab.inventory, lab
        return
    if inventory is None:
        raise ParameterError(
            "no target: give --inventory FILE for a real cluster, or --sim for the simulated lab"
        )
    from psrunbook.inventory import load_inventory

    yield load_inventory(inventory), None


def asked_password(ask: bool, inventory: Inventory) -> str | None:
    """With ``--ask-pass``, the password typed on the terminal; otherwise None.

    The prompt goes to the terminal (``/dev/tty``, else stderr), never to stdout, and what
    is typed is not echoed. Without a terminal on stdin the option is refused (exit 2)
    rather than reading a password from a pipe or waiting on nobody: scripts name an
    environment variable (``password_env``) or a secret manager (``password_command``).
    """
    if not ask:
        return None
    import getpass
    import sys

    from psrunbook.secrets import register_secret

    if not sys.stdin.isatty():
        raise UserError(
            "--ask-pass needs a terminal to ask on, and stdin is not one; run it from a "
            "terminal, or give the password with connection.password_env or "
            "connection.password_command in the inventory"
        )
    user = inventory.connection.username or "the remote user"
    password = getpass.getpass(f"Password for {user}: ", stream=sys.stderr)
    if not password:
        raise UserError("--ask-pass: no password was typed; run again and type it")
    register_secret(password)
    return password
