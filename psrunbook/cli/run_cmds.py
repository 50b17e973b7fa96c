"""Commands that touch nodes or the journal: run, plan, resume, runs, sim reset."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from psrunbook.cli.context import settings
from psrunbook.cli.errors import exits_cleanly
from psrunbook.cli.execution import ExecutionRequest, execute

InventoryOption = Annotated[
    Path | None,
    typer.Option("--inventory", "-i", help="Inventory TOML file of a real cluster."),
]
SimOption = Annotated[
    bool,
    typer.Option("--sim", help="Use the embedded simulated lab (kept in the state directory)."),
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option("--param", "-p", help="Runbook parameter key=value; repeat for list items."),
]
ParamsFileOption = Annotated[
    Path | None, typer.Option("--params-file", help="TOML file of runbook parameters.")
]
StateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        envvar="PSRUNBOOK_STATE_DIR",
        help="Journal and simulated lab folder (default: per-user state directory).",
    ),
]
ParallelOption = Annotated[
    int, typer.Option("--parallel", min=1, max=256, help="Nodes worked on at once.")
]
TimeoutOption = Annotated[
    float, typer.Option("--step-timeout", min=1, help="Seconds one step may take on one node.")
]
RetriesOption = Annotated[
    int,
    typer.Option(
        "--retries", min=0, max=10, help="Retries of transient faults, repeatable steps only."
    ),
]
InsecureOption = Annotated[
    bool,
    typer.Option("--insecure", help="Accept unencrypted or unverified connections (warned)."),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
BundleOption = Annotated[
    Path | None,
    typer.Option("--bundle", help="Run exactly this approved review bundle, or refuse."),
]


def run(
    ctx: typer.Context,
    runbook: Annotated[str | None, typer.Argument(help="Runbook name; omit with --bundle.")] = None,
    inventory: InventoryOption = None,
    sim: SimOption = False,
    param: ParamOption = None,
    params_file: ParamsFileOption = None,
    bundle: BundleOption = None,
    yes: YesOption = False,
    parallel: ParallelOption = 8,
    step_timeout: TimeoutOption = 600.0,
    retries: RetriesOption = 2,
    insecure: InsecureOption = False,
    state_dir: StateDirOption = None,
) -> None:
    """Run a runbook on every node it targets, journaling and logging every step."""
    execute(
        settings(ctx),
        ExecutionRequest(
            runbook=runbook,
            inventory=inventory,
            sim=sim,
            assignments=param or [],
            params_file=params_file,
            bundle=bundle,
            yes=yes,
            parallel=parallel,
            step_timeout_s=step_timeout,
            retries=retries,
            insecure=insecure,
            state_dir=state_dir,
        ),
    )


def plan(
    ctx: typer.Context,
    runbook: Annotated[str, typer.Argument(help="Runbook name.")],
    inventory: InventoryOption = None,
    sim: SimOption = False,
    param: ParamOption = None,
    params_file: ParamsFileOption = None,
    parallel: ParallelOption = 8,
    step_timeout: TimeoutOption = 600.0,
    insecure: InsecureOption = False,
    state_dir: StateDirOption = None,
) -> None:
    """Show what a run would change, per step and node, changing nothing."""
    execute(
        settings(ctx),
        ExecutionRequest(
            runbook=runbook,
            inventory=inventory,
            sim=sim,
            assignments=param or [],
            params_file=params_file,
            check_only=True,
            parallel=parallel,
            step_timeout_s=step_timeout,
            insecure=insecure,
            state_dir=state_dir,
        ),
    )


def resume(
    ctx: typer.Context,
    run_id: Annotated[str, typer.Argument(help="The run to continue (see `psrunbook runs`).")],
    inventory: InventoryOption = None,
    sim: SimOption = False,
    param: ParamOption = None,
    params_file: ParamsFileOption = None,
    bundle: BundleOption = None,
    yes: YesOption = False,
    parallel: ParallelOption = 8,
    step_timeout: TimeoutOption = 600.0,
    retries: RetriesOption = 2,
    insecure: InsecureOption = False,
    state_dir: StateDirOption = None,
) -> None:
    """Continue a failed run: re-check the first unfinished step, never repeat a done one."""
    execute(
        settings(ctx),
        ExecutionRequest(
            runbook=None,
            inventory=inventory,
            sim=sim,
            assignments=param or [],
            params_file=params_file,
            bundle=bundle,
            yes=yes,
            parallel=parallel,
            step_timeout_s=step_timeout,
            retries=retries,
            insecure=insecure,
            state_dir=state_dir,
            resume=run_id,
        ),
    )


runs_app = typer.Typer(help="The run journal: every run and its attempts.", no_args_is_help=False)


@runs_app.callback(invoke_without_command=True)
@exits_cleanly
def runs_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option(min=1, help="How many recent runs.")] = 20,
    state_dir: StateDirOption = None,
) -> None:
    """List recent runs, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    from rich.table import Column, Table  # noqa: PLC0415 (lazy)

    from psrunbook.cli import run_view  # noqa: PLC0415 (lazy)
    from psrunbook.journal import Journal, default_state_dir  # noqa: PLC0415 (lazy)

    # The run id is what `runs show` and `resume` take: never shortened with an ellipsis.
    run_column = Column("run", no_wrap=True, overflow="ignore")
    table = Table(run_column, "runbook", "mode", "started", "outcome", "resumes", box=None)
    with Journal.open(state_dir or default_state_dir()) as journal:
        for record in journal.runs(limit):
            table.add_row(
                record.run_id,
                record.runbook,
                record.mode,
                record.started_at.isoformat(timespec="seconds"),
                record.outcome or "unfinished",
                str(record.resumes),
            )
    run_view.console().print(table)


@runs_app.command("show")
@exits_cleanly
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id (see `psrunbook runs`).")],
    state_dir: StateDirOption = None,
) -> None:
    """Show one run: its inputs and every attempt, step by node."""
    import json  # noqa: PLC0415 (lazy)

    from rich.table import Table  # noqa: PLC0415 (lazy)

    from psrunbook.cli import run_view  # noqa: PLC0415 (lazy)
    from psrunbook.journal import Journal, default_state_dir  # noqa: PLC0415 (lazy)

    console = run_view.console()
    with Journal.open(state_dir or default_state_dir()) as journal:
        record = journal.run(run_id)
        attempts = journal.attempts(run_id)
    console.print(
        f"run {record.run_id}: {record.runbook} (version {record.runbook_version}), "
        f"{record.mode}, outcome {record.outcome or 'unfinished'}, resumes {record.resumes}"
    )
    parameters = json.dumps(record.parameters, ensure_ascii=False, sort_keys=True)
    console.print(f"parameters: {parameters}", markup=False)
    if record.bundle_sha256:
        console.print(f"approved bundle manifest sha256: {record.bundle_sha256}")
    table = Table("step", "node", "mode", "status", "changed", "seconds", "error", box=None)
    for attempt in attempts:
        error = attempt.errors[0].get("message", "") if attempt.errors else ""
        table.add_row(
            f"{attempt.step_index:02d}-{attempt.step_name}",
            attempt.node,
            "check" if attempt.check_only else "apply",
            attempt.status,
            "" if attempt.changed is None else ("yes" if attempt.changed else "no"),
            "" if attempt.duration_ns is None else f"{attempt.duration_ns / 1e9:.2f}",
            str(error)[:120],
        )
    console.print(table)


def sim_reset(state_dir: StateDirOption = None) -> None:
    """Forget the embedded simulated lab; the next --sim command starts a fresh one."""
    from psrunbook.journal import default_state_dir  # noqa: PLC0415 (lazy)
    from psrunbook.sim.lab.embedded import reset_lab  # noqa: PLC0415 (lazy)

    directory = state_dir or default_state_dir()
    existed = reset_lab(directory)
    typer.echo("simulated lab reset" if existed else "no simulated lab to reset")


def register(app: typer.Typer, sim_app: typer.Typer) -> None:
    app.command()(exits_cleanly(run))
    app.command()(exits_cleanly(plan))
    app.command()(exits_cleanly(resume))
    app.add_typer(runs_app, name="runs")
    sim_app.command("reset")(exits_cleanly(sim_reset))
