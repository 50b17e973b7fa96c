"""``psrunbook ping``: every node of an inventory (or the lab), reachable or not, in seconds."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer

from psrunbook.cli.context import settings
from psrunbook.cli.exit_codes import EXIT_FAILED, exits_cleanly, fail
from psrunbook.cli.run_cmds import (
    AskPassOption,
    InsecureOption,
    InventoryOption,
    SimOption,
    StateDirOption,
)

if TYPE_CHECKING:
    from psrunbook.execution.ping import NodeAnswer
    from psrunbook.inventory import Inventory

DeadlineOption = Annotated[
    int,
    typer.Option(
        "--deadline",
        min=1,
        max=300,
        help="Seconds each node may take to connect and answer (all nodes are asked at once).",
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print one JSON document on stdout instead of a table.")
]


def ping(
    ctx: typer.Context,
    inventory: InventoryOption = None,
    sim: SimOption = False,
    deadline: DeadlineOption = 5,
    insecure: InsecureOption = False,
    ask_pass: AskPassOption = False,
    json_output: JsonOption = False,
    state_dir: StateDirOption = None,
) -> None:
    """Reach every node, sign in, and report its PowerShell and FailoverClusters versions.

    Exit 0 when every node answered, 1 otherwise. Runs one read-only probe per node and
    journals nothing.
    """
    from psrunbook.cli.inputs import asked_password, open_target
    from psrunbook.execution.ping import ping_nodes, quick_inventory
    from psrunbook.journal import default_state_dir
    from psrunbook.runbook.lab import LabVariant
    from psrunbook.transport.psrp import PsrpTransport

    library = settings(ctx).library()
    with open_target(inventory, sim, state_dir or default_state_dir(), LabVariant) as (inv, lab):
        quick = quick_inventory(inv, deadline)
        transport = PsrpTransport(
            quick,
            insecure=insecure,
            password=asked_password(ask_pass, inv) or (lab.password if lab is not None else None),
        )
        for warning in transport.warnings:
            typer.echo(f"warning: {warning}", err=True)
        answers = ping_nodes(quick, transport, library, deadline_s=deadline)
    if json_output:
        typer.echo(json.dumps(_document(inv, answers), indent=2, ensure_ascii=False))
    else:
        _table(inv, answers)
    silent = [a.node for a in answers if not a.answered]
    if silent:
        raise fail(
            f"{len(silent)} of {len(answers)} node(s) did not answer: {', '.join(silent)}",
            EXIT_FAILED,
        )


def _document(inventory: Inventory, answers: list[NodeAnswer]) -> dict[str, object]:
    return {
        "cluster": inventory.cluster.name,
        "inventory": str(inventory.path),
        "all_answered": all(a.answered for a in answers),
        "nodes": [a.as_json() for a in answers],
    }


def _table(inventory: Inventory, answers: list[NodeAnswer]) -> None:
    from rich.console import Console
    from rich.table import Table

    width = None if sys.stdout.isatty() else 200
    console = Console(highlight=False, soft_wrap=True, width=width)
    table = Table(title=f"ping {inventory.cluster.name}")
    for column in ("node", "address", "status", "PowerShell", "FailoverClusters", "time", "detail"):
        table.add_column(column)
    for a in answers:
        module = a.failover_clusters or ("not installed" if a.answered else "-")
        table.add_row(
            a.node,
            a.address,
            a.status,
            a.powershell or "-",
            module,
            f"{a.seconds:.2f}s",
            a.detail,
        )
    console.print(table)


def register(app: typer.Typer) -> None:
    app.command()(exits_cleanly(ping))
