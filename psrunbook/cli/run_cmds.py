"""Commands that touch nodes or the journal: run, plan, resume, runs, sim reset.

``run``, ``plan`` and ``resume`` share one path: the options parsed into a
:class:`RunCommand`, then :func:`execute`, which sets up the target and the transport,
asks for confirmation and presents what the engine's
:class:`~psrunbook.execution.session.RunSession` did. Every decision about the run itself
(resume rules, parameters, what is done) is the session's.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from psrunbook.cli import run_view
from psrunbook.cli.context import Settings, settings
from psrunbook.cli.display import cell, shown
from psrunbook.cli.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, exits_cleanly, fail
from psrunbook.cli.inputs import open_target

if TYPE_CHECKING:
    from rich.console import Console

    from psrunbook.execution.outcome import RunReport
    from psrunbook.execution.session import ExecutionLimits, RunRequest
    from psrunbook.runbook.planner import Plan

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
# A bound above, not only below: inf passes min=1 and would wait forever (NaN fails both).
TimeoutOption = Annotated[
    float,
    typer.Option(
        "--step-timeout", min=1, max=86_400, help="Seconds one step may take on one node."
    ),
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
ExpectSha256Option = Annotated[
    str | None,
    typer.Option(
        "--expect-sha256",
        help="With --bundle: the approved manifest sha256 (printed by export); refuse any other.",
    ),
]


@dataclass(frozen=True)
class RunCommand:
    """What the operator typed for ``run``, ``plan`` or ``resume``.

    The field names are the commands' parameter names: :meth:`parsed` reads them once
    from the click context, so no command restates the request. A field a command does
    not offer keeps its default here (``plan`` never applies, so it has no ``--yes``).
    """

    runbook: str | None = None
    run_id: str | None = None
    inventory: Path | None = None
    sim: bool = False
    param: list[str] | None = None
    params_file: Path | None = None
    bundle: Path | None = None
    expect_sha256: str | None = None
    yes: bool = False
    parallel: int = 8
    step_timeout: float = 600.0
    retries: int = 2
    insecure: bool = False
    state_dir: Path | None = None
    check_only: bool = False

    @classmethod
    def parsed(cls, ctx: typer.Context, *, check_only: bool = False) -> RunCommand:
        """The command's options as typer parsed them; ``plan`` adds ``check_only``."""
        return cls(**ctx.params, check_only=check_only)

    def request(self) -> RunRequest:
        from psrunbook.execution.session import RunRequest

        return RunRequest(
            runbook=self.runbook,
            assignments=tuple(self.param or ()),
            params_file=self.params_file,
            bundle=self.bundle,
            expect_sha256=self.expect_sha256,
            resume=self.run_id,
            check_only=self.check_only,
        )

    def limits(self) -> ExecutionLimits:
        from psrunbook.execution.session import ExecutionLimits

        return ExecutionLimits(
            parallel=self.parallel, step_timeout_s=self.step_timeout, retries=self.retries
        )


def run(
    ctx: typer.Context,
    runbook: Annotated[str | None, typer.Argument(help="Runbook name; omit with --bundle.")] = None,
    inventory: InventoryOption = None,
    sim: SimOption = False,
    param: ParamOption = None,
    params_file: ParamsFileOption = None,
    bundle: BundleOption = None,
    expect_sha256: ExpectSha256Option = None,
    yes: YesOption = False,
    parallel: ParallelOption = 8,
    step_timeout: TimeoutOption = 600.0,
    retries: RetriesOption = 2,
    insecure: InsecureOption = False,
    state_dir: StateDirOption = None,
) -> None:
    """Run a runbook on every node it targets, journaling and logging every step."""
    execute(settings(ctx), RunCommand.parsed(ctx))


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
    execute(settings(ctx), RunCommand.parsed(ctx, check_only=True))


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
    execute(settings(ctx), RunCommand.parsed(ctx))


def execute(settings: Settings, command: RunCommand) -> None:
    """Plan, confirm, run and report; raises typer.Exit with the run's exit code.

    Everything that can be refused is refused before the first script runs (unknown
    runbook, bad parameters, lint findings, a tampered bundle, an unsafe connection, a
    resume whose inputs changed); only then is the journal written and a node touched.
    """
    from rich.markup import escape

    from psrunbook.execution.interrupts import StopSignal, handling_signals
    from psrunbook.execution.session import RunSession
    from psrunbook.journal import Journal, default_state_dir
    from psrunbook.transport.psrp import PsrpTransport

    state_dir = command.state_dir or default_state_dir()
    console = run_view.console()
    with Journal.open(state_dir) as journal:
        session = RunSession(journal, settings.registry(), settings.library())
        intent = session.resolve(command.request())
        target = open_target(command.inventory, command.sim, state_dir, intent.lab_variant)
        with target as (inventory, lab):
            prepared = session.prepare(intent, inventory, lab.facts if lab is not None else None)
            transport = PsrpTransport(
                inventory,
                insecure=command.insecure,
                password=lab.password if lab is not None else None,
            )
            for warning in transport.warnings:
                console.print(f"[yellow]warning[/yellow]: {escape(shown(warning))}")
            # Confirmation protects real clusters; the embedded simulated lab is a sandbox.
            ask = not (command.yes or command.check_only or command.sim)
            run_view.confirm(console, prepared.plan, ask=ask)
            # From here Ctrl-C, SIGTERM and SIGHUP stop the run the same way: at once,
            # journaled truthfully, exit 130 (a second one exits without waiting).
            stop = StopSignal()
            with handling_signals(stop, notice=lambda text: typer.echo(text, err=True)):
                started = session.start(prepared)
                try:
                    console.print(f"run {started.run_id}")
                    report = session.execute(
                        started,
                        transport,
                        limits=command.limits(),
                        progress=run_view.progress(console),
                        stop=stop,
                    )
                except BaseException:
                    session.release(started)
                    raise
                session.finish(started, report)
    _report(console, report, prepared.plan, command)


def _report(console: Console, report: RunReport, plan: Plan, command: RunCommand) -> None:

    run_view.summary(console, report, plan)
    if plan.runbook.present is not None and not report.failed:
        run_view.present(console, plan, report)
    if command.check_only:
        run_view.plan_details(console, report)
    if report.interrupted:
        raise fail(_failure_message(report, command), EXIT_INTERRUPTED)
    if report.failed:
        raise fail(_failure_message(report, command), EXIT_FAILED)
    changed = report.changed_count
    verb = "would change" if command.check_only else "changed"
    console.print(
        f"{report.outcome}: {changed} step/node pair(s) {verb}"
        + ("" if changed else " (nothing to do)")
    )


def _resume_command(run_id: str, command: RunCommand) -> str:
    """The command that continues a run: resume needs the same target and bundle again."""
    parts = ["psrunbook", "resume", run_id]
    parts += ["--sim"] if command.sim else ["-i", str(command.inventory)]
    if command.bundle is not None:
        parts += ["--bundle", str(command.bundle)]
    if command.state_dir is not None:
        parts += ["--state-dir", str(command.state_dir)]
    return shlex.join(parts)


def _failure_message(report: RunReport, command: RunCommand) -> str:
    # A plan is not resumable (resume refuses it): after a fix, it is simply run again.
    next_step = (
        "plan again" if report.check_only else f"`{_resume_command(report.run_id, command)}`"
    )
    if report.interrupted:
        return f"run {report.run_id} interrupted; continue with {next_step}"
    first = report.first_failure()
    if first is None:
        return f"run {report.run_id} failed"
    step, target = first
    return (
        f"step {step.planned.slug} failed on {target.node}: {target.message}; "
        f"fix the cause, then {next_step}"
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
    from rich.table import Column, Table

    from psrunbook.journal import Journal, default_state_dir

    # The run id is what `runs show` and `resume` take: never shortened with an ellipsis.
    run_column = Column("run", no_wrap=True, overflow="ignore")
    table = Table(run_column, "runbook", "mode", "started", "outcome", "resumes", box=None)
    with Journal.open(state_dir or default_state_dir()) as journal:
        for record in journal.runs(limit):
            table.add_row(
                *map(
                    cell,
                    (
                        record.run_id,
                        record.runbook,
                        record.mode,
                        record.started_at.isoformat(timespec="seconds"),
                        record.outcome or "unfinished",
                        record.resumes,
                    ),
                )
            )
    run_view.console().print(table)


@runs_app.command("show")
@exits_cleanly
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id (see `psrunbook runs`).")],
    state_dir: StateDirOption = None,
) -> None:
    """Show one run: its inputs and every attempt, step by node."""

    from rich.table import Table

    from psrunbook.journal import Journal, default_state_dir

    console = run_view.console()
    with Journal.open(state_dir or default_state_dir()) as journal:
        record = journal.run(run_id)
        attempts = journal.attempts(run_id)
    console.print(
        shown(
            f"run {record.run_id}: {record.runbook} (version {record.runbook_version}), "
            f"{record.mode}, outcome {record.outcome or 'unfinished'}, resumes {record.resumes}"
        ),
        markup=False,
    )
    parameters = json.dumps(record.parameters, ensure_ascii=False, sort_keys=True)
    console.print(shown(f"parameters: {parameters}"), markup=False)
    if record.bundle_sha256:
        console.print(shown(f"approved bundle manifest sha256: {record.bundle_sha256}"))
    table = Table("step", "node", "mode", "status", "changed", "seconds", "error", box=None)
    for attempt in attempts:
        error = attempt.errors[0].get("message", "") if attempt.errors else ""
        table.add_row(
            *map(
                cell,
                (
                    f"{attempt.step_index:02d}-{attempt.step_name}",
                    attempt.node,
                    "check" if attempt.check_only else "apply",
                    attempt.status,
                    "" if attempt.changed is None else ("yes" if attempt.changed else "no"),
                    "" if attempt.duration_ns is None else f"{attempt.duration_ns / 1e9:.2f}",
                    str(error)[:120],
                ),
            )
        )
    console.print(table)


@runs_app.command("unhold")
@exits_cleanly
def runs_unhold(
    run_id: Annotated[str, typer.Argument(help="The run whose stale hold to break.")],
    holder_gone: Annotated[
        bool,
        typer.Option(
            "--holder-gone",
            help="The holder runs on another host: you made sure that process is gone.",
        ),
    ] = False,
    state_dir: StateDirOption = None,
) -> None:
    """Break a run's stale hold: only when its process is proven gone (or --holder-gone)."""
    from psrunbook.holds import break_run_holds
    from psrunbook.journal import Journal, default_state_dir

    with Journal.open(state_dir or default_state_dir()) as journal:
        journal.run(run_id)
        broken = break_run_holds(journal, run_id, holder_gone=holder_gone)
    typer.echo(
        f"broke the hold on {', '.join(broken)}" if broken else f"run {run_id} holds nothing"
    )


def sim_reset(state_dir: StateDirOption = None) -> None:
    """Forget the embedded simulated lab; the next --sim command starts a fresh one."""
    from psrunbook.journal import default_state_dir
    from psrunbook.sim.lab.embedded import reset_lab

    directory = state_dir or default_state_dir()
    existed = reset_lab(directory)
    typer.echo("simulated lab reset" if existed else "no simulated lab to reset")


def register(app: typer.Typer, sim_app: typer.Typer) -> None:
    app.command()(exits_cleanly(run))
    app.command()(exits_cleanly(plan))
    app.command()(exits_cleanly(resume))
    app.add_typer(runs_app, name="runs")
    sim_app.command("reset")(exits_cleanly(sim_reset))
