"""Commands that touch nodes or the journal: run, plan, resume, runs, sim reset.

``run``, ``plan`` and ``resume`` share one path: the options parsed into a
:class:`RunCommand`, then :func:`execute`, which sets up the target and the transport,
asks for confirmation and presents what the engine's
:class:`~psrunbook.execution.session.RunSession` did. Every decision about the run itself
(resume rules, parameters, what is done) is the session's.
"""

from __future__ import annotations

import contextlib
import shlex
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from psrunbook.cli import completion, run_view
from psrunbook.cli.collector import collector_held_off
from psrunbook.cli.context import Settings, open_run_journal, option_given, settings
from psrunbook.cli.display import cell, shown
from psrunbook.cli.exit_codes import (
    EXIT_CHANGES_PENDING,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_USAGE,
    exits_cleanly,
    fail,
)
from psrunbook.cli.inputs import open_target
from psrunbook.errors import JournalError

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console

    from psrunbook.execution.outcome import RunReport
    from psrunbook.execution.session import ExecutionLimits, PreparedRun, RunRequest
    from psrunbook.journal import AttemptRecord, RunRecord
    from psrunbook.journal_model import DecisionRecord, RunJournal
    from psrunbook.plan_file import PlanFile
    from psrunbook.runbook.planner import Plan
    from psrunbook.transport.base import Transport

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
# Bounded both ways as --step-timeout is: inf would wait forever, NaN fails both bounds.
StopGraceOption = Annotated[
    float,
    typer.Option(
        "--stop-grace",
        min=0,
        max=3600,
        help="After Ctrl-C (or SIGTERM/SIGHUP), seconds running scripts may take to stop "
        "before they are journaled as interrupted and left behind; a second Ctrl-C "
        "exits at once.",
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
AskPassOption = Annotated[
    bool,
    typer.Option(
        "--ask-pass",
        help="Ask for the remote user's password on the terminal (never echoed); "
        "refused without a terminal.",
    ),
]
YesOption = Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")]
JsonOption = Annotated[
    bool,
    typer.Option(
        "--json",
        help="Print one JSON document on stdout (progress and prompts go to stderr); "
        "see docs/execution.md.",
    ),
]
DetailedExitcodeOption = Annotated[
    bool,
    typer.Option(
        "--detailed-exitcode",
        help="Exit 0 when nothing would change, 2 when changes are pending, 1 on any error.",
    ),
]
BundleOption = Annotated[
    Path | None,
    typer.Option("--bundle", help="Run exactly this approved review bundle, or refuse."),
]
PlanFileOption = Annotated[
    Path | None,
    typer.Option(
        "--plan",
        help="Run exactly this saved plan (`plan -o FILE`), or refuse naming what changed.",
    ),
]
PlanOutputOption = Annotated[
    Path | None,
    typer.Option(
        "--output",
        "-o",
        help="Save the plan to this file, for `run --plan FILE` (see docs/execution.md).",
    ),
]
ExpectSha256Option = Annotated[
    str | None,
    typer.Option(
        "--expect-sha256",
        help="With --bundle: the approved manifest sha256 (printed by export); refuse any other.",
    ),
]


@dataclass(frozen=True)  # a dataclass: --help imports this module (docs/development.md)
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
    plan_file: Path | None = None
    output: Path | None = None
    yes: bool = False
    parallel: int = 8
    step_timeout: float = 600.0
    stop_grace: float = 5.0
    retries: int = 2
    insecure: bool = False
    ask_pass: bool = False
    state_dir: Path | None = None
    as_json: bool = False
    detailed_exitcode: bool = False
    check_only: bool = False
    shared_journal: str | None = None
    """The shared journal's location (no password) for the resume hint; None when local."""

    step_timeout_given: bool = False
    """``--step-timeout`` was typed: it then caps every step, designed waits too."""

    @classmethod
    def parsed(cls, ctx: typer.Context, *, check_only: bool = False) -> RunCommand:
        """The command's options as typer parsed them; ``plan`` adds ``check_only``."""
        given = option_given(ctx, "step_timeout")
        return cls(**ctx.params, check_only=check_only, step_timeout_given=given)

    def request(self, saved: PlanFile | None = None) -> RunRequest:
        from psrunbook.execution.session import RunRequest

        return RunRequest(
            plan=saved,
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
            parallel=self.parallel,
            step_timeout_s=self.step_timeout,
            step_timeout_given=self.step_timeout_given,
            retries=self.retries,
            stop_grace_s=self.stop_grace,
        )


def run(
    ctx: typer.Context,
    runbook: Annotated[
        str | None,
        typer.Argument(
            help="Runbook name; omit with --bundle or --plan.",
            autocompletion=completion.runbook_names,
        ),
    ] = None,
    inventory: InventoryOption = None,
    sim: SimOption = False,
    param: ParamOption = None,
    params_file: ParamsFileOption = None,
    bundle: BundleOption = None,
    expect_sha256: ExpectSha256Option = None,
    plan_file: PlanFileOption = None,
    yes: YesOption = False,
    parallel: ParallelOption = 8,
    step_timeout: TimeoutOption = 600.0,
    stop_grace: StopGraceOption = 5.0,
    retries: RetriesOption = 2,
    insecure: InsecureOption = False,
    ask_pass: AskPassOption = False,
    state_dir: StateDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a runbook on every node it targets, journaling and logging every step."""
    execute(settings(ctx), RunCommand.parsed(ctx))


def plan(
    ctx: typer.Context,
    runbook: Annotated[
        str, typer.Argument(help="Runbook name.", autocompletion=completion.runbook_names)
    ],
    inventory: InventoryOption = None,
    sim: SimOption = False,
    param: ParamOption = None,
    params_file: ParamsFileOption = None,
    parallel: ParallelOption = 8,
    step_timeout: TimeoutOption = 600.0,
    stop_grace: StopGraceOption = 5.0,
    insecure: InsecureOption = False,
    ask_pass: AskPassOption = False,
    state_dir: StateDirOption = None,
    as_json: JsonOption = False,
    detailed_exitcode: DetailedExitcodeOption = False,
    output: PlanOutputOption = None,
) -> None:
    """Show what a run would change, per step and node, changing nothing."""
    from psrunbook.errors import UserError

    command = RunCommand.parsed(ctx, check_only=True)
    try:
        if command.output is not None:
            from psrunbook.plan_file import check_output

            # Before anything is planned or journaled: a plan that cannot be saved is
            # refused now, not after it ran (docs/execution.md, "Saved plans").
            check_output(command.output)
        report = execute(settings(ctx), command)
    except UserError as exc:
        if not command.detailed_exitcode:
            raise
        # Terraform's convention: 2 means "changes pending", so bad input must be 1.
        raise fail(str(exc), EXIT_FAILED) from None
    if command.detailed_exitcode and report.changed_count:
        raise typer.Exit(EXIT_CHANGES_PENDING)


def resume(
    ctx: typer.Context,
    run_id: Annotated[
        str,
        typer.Argument(
            help="The run to continue: its id, a unique prefix, or `last`.",
            autocompletion=completion.run_ids,
        ),
    ],
    inventory: InventoryOption = None,
    sim: SimOption = False,
    param: ParamOption = None,
    params_file: ParamsFileOption = None,
    bundle: BundleOption = None,
    yes: YesOption = False,
    parallel: ParallelOption = 8,
    step_timeout: TimeoutOption = 600.0,
    stop_grace: StopGraceOption = 5.0,
    retries: RetriesOption = 2,
    insecure: InsecureOption = False,
    ask_pass: AskPassOption = False,
    state_dir: StateDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Continue a failed run: re-check the first unfinished step, never repeat a done one."""
    execute(settings(ctx), RunCommand.parsed(ctx))


def execute(settings: Settings, command: RunCommand) -> RunReport:
    """Plan, confirm, run and report; raises typer.Exit when the run did not succeed.

    Everything that can be refused is refused before the first script runs (unknown
    runbook, bad parameters, lint findings, a tampered bundle, an unsafe connection, a
    resume whose inputs changed); only then is the journal written and a node touched.

    The garbage collector is held off until the steps start
    (:mod:`psrunbook.cli.collector`): what is built before them lives on.
    """
    with collector_held_off() as start_collecting:
        return _execute(settings, command, start_collecting)


def _execute(
    settings: Settings, command: RunCommand, start_collecting: Callable[[], None]
) -> RunReport:
    from rich.markup import escape

    from psrunbook.cli.inputs import asked_password
    from psrunbook.execution.interrupts import StopSignal, handling_signals
    from psrunbook.execution.session import RunSession, timeout_notices
    from psrunbook.free_space import ensure_room_for_run
    from psrunbook.journal import default_state_dir
    from psrunbook.journal_open import open_journal
    from psrunbook.transport.psrp import PsrpTransport

    state_dir = command.state_dir or default_state_dir()
    ensure_room_for_run(state_dir)
    # With --json stdout holds the document alone: everything for people goes to stderr.
    console = run_view.console(stderr=command.as_json)
    saved = None
    if command.plan_file is not None:
        from psrunbook.plan_file import read_plan

        saved = read_plan(command.plan_file)
        command = saved_target(command, saved)
    with open_journal(settings.journal, state_dir=state_dir) as journal:
        if settings.journal:
            command = replace(command, shared_journal=journal.location)
        if command.run_id is not None:
            command = _resumed(settings, state_dir, journal, command)
        session = RunSession(journal, settings.registry(), settings.library())
        intent = session.resolve(command.request(saved))
        target = open_target(command.inventory, command.sim, state_dir, intent.lab_variant)
        with target as (inventory, lab):
            prepared = session.prepare(intent, inventory, lab.facts if lab is not None else None)
            transport = PsrpTransport(
                inventory,
                insecure=command.insecure,
                password=asked_password(command.ask_pass, inventory)
                or (lab.password if lab is not None else None),
            )
            for warning in transport.warnings:
                console.print(f"[yellow]warning[/yellow]: {escape(shown(warning))}")
            for notice in timeout_notices(prepared, command.limits()):
                console.print(f"note: {escape(shown(notice))}")
            if saved is not None:
                _check_saved_state(console, saved, prepared, transport)
            # Confirmation protects real clusters; the embedded simulated lab is a sandbox.
            ask = not (command.yes or command.check_only or command.sim)
            run_view.confirm(console, prepared.plan, ask=ask)
            # From here Ctrl-C, SIGTERM and SIGHUP stop the run the same way: at once,
            # journaled truthfully, exit 130 (a second one exits without waiting).
            stop = StopSignal()
            start_collecting()
            with handling_signals(
                stop,
                notice=lambda text: typer.echo(text, err=True),
                grace_s=command.stop_grace,
            ):
                started = session.start(prepared)
                try:
                    console.print(f"run {started.run_id}")
                    progress = run_view.progress(
                        console, check_only=command.check_only, steps=len(prepared.plan.steps)
                    )
                    with progress:
                        report = session.execute(
                            started,
                            transport,
                            limits=command.limits(),
                            progress=progress,
                            stop=stop,
                        )
                except BaseException:
                    # The error that ended the run is the one to report: a release that
                    # fails too (the same full state directory) must not replace it. A
                    # hold left behind is stale once this process is gone.
                    with contextlib.suppress(JournalError):
                        session.release(started)
                    raise
                session.finish(started, report)
            if command.output is not None and not report.failed:
                _save_plan(console, command, prepared, report, transport)
    _report(console, report, prepared.plan, command)
    return report


def _resumed(
    settings: Settings, state_dir: Path, journal: RunJournal, command: RunCommand
) -> RunCommand:
    """``resume RUN_ID``: the journaled run and its target (:func:`journaled_target`).

    A run submitted to a fleet that the fleet still owns (queued, awaiting approval,
    running under a worker) or that ended without running (rejected, cancelled) is
    refused first, exit 2 naming its state and what to do, before any target is set up:
    only a fleet run that ended without succeeding is the operator's to resume.
    """
    from psrunbook.fleet.status import first_decision, fleet_statuses, not_resumable

    assert command.run_id is not None
    record = journal.find_run(command.run_id)
    # A run the journal says `run` started is in no fleet: the fleet is not asked.
    found = fleet_statuses(state_dir, settings.journal, [record], first_decision(journal))
    status = found.get(record.run_id)
    if status is None and record.submitted and not journal.attempts(record.run_id):
        # Journaled by `submit`, then never queued (the fleet's database failed, or was
        # replaced since) and never executed: no worker took it and nobody approved it,
        # so it is not the operator's to execute by hand.
        problem: str | None = (
            f"run {record.run_id} was submitted to a fleet that does not know it and no "
            "worker executed it (it was never queued, or the fleet's database was replaced "
            "since): nobody approved or queued it, so resume will not execute it; submit "
            "it again (`psrunbook submit`)"
        )
    else:
        problem = None if status is None else not_resumable(record.run_id, status)
    if problem is not None:
        raise fail(problem, EXIT_USAGE)
    return journaled_target(command, record)


def journaled_target(command: RunCommand, record: RunRecord) -> RunCommand:
    """``resume RUN_ID``: the full run id, and without ``-i``/``--sim`` the run's own target.

    The journal records the inventory file's path (or that it ran on ``--sim``); a file
    gone since is refused naming it, and one whose content changed is refused by the
    session's hash check, naming it too.
    """
    command = replace(command, run_id=record.run_id)
    if command.inventory is not None or command.sim:
        return command
    if record.sim:
        return replace(command, sim=True)
    if record.inventory_path is None:
        return command  # journaled before targets were: open_target asks for one
    path = Path(record.inventory_path)
    if not path.is_file():
        raise fail(
            f"run {record.run_id} ran with inventory {path}, which is gone: restore it, "
            f"or give the same cluster's inventory with -i FILE",
            EXIT_USAGE,
        )
    return replace(command, inventory=path)


def saved_target(command: RunCommand, saved: PlanFile) -> RunCommand:
    """Without ``-i``/``--sim``, ``run --plan`` targets what the plan was made against."""
    if command.inventory is not None or command.sim:
        return command
    target = saved.saved.target
    if target.sim:
        return replace(command, sim=True)
    return replace(command, inventory=Path(target.inventory_path or ""))


def _check_saved_state(
    console: Console, saved: PlanFile, prepared: PreparedRun, transport: Transport
) -> None:
    """Before the journal or any step: the cluster must still be as the plan saw it."""
    from psrunbook.plan_file import check_state, read_probes

    check_state(saved.saved, read_probes(prepared.plan, transport), saved.path)
    expected = sum(
        1
        for step in saved.saved.steps
        for status in step.expected.values()
        if status == "would change"
    )
    console.print(
        shown(
            f"running saved plan {saved.path} (made by plan run {saved.saved.plan_run_id}): "
            f"{expected} step/node pair(s) expected to change; the cluster is as it was planned"
        ),
        markup=False,
        highlight=False,
    )


def _save_plan(
    console: Console,
    command: RunCommand,
    prepared: PreparedRun,
    report: RunReport,
    transport: Transport,
) -> None:
    """``plan -o FILE``: the plan with the probes' answers now, for ``run --plan FILE``."""
    from psrunbook.plan_file import read_probes, saved_plan, write_plan

    assert command.output is not None
    answers = read_probes(prepared.plan, transport)
    write_plan(command.output, saved_plan(prepared, report, answers, command.inventory))
    console.print(
        shown(
            f"plan saved to {command.output}; run exactly it with "
            f"`psrunbook run --plan {command.output}`"
        ),
        markup=False,
        highlight=False,
    )


def _report(console: Console, report: RunReport, plan: Plan, command: RunCommand) -> None:
    tables = []
    if plan.runbook.present is not None and not report.failed:
        tables = list(plan.runbook.present(report.results()))
    if command.as_json:
        from psrunbook.cli import documents

        documents.emit(documents.run_report(report, plan, tables))
    else:
        run_view.summary(console, report, plan)
        run_view.present(console, tables)
        if command.check_only:
            from psrunbook.cli.plan_view import plan_details

            plan_details(console, report)
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
    parts = ["psrunbook"]
    if command.shared_journal is not None:
        parts += ["--journal", command.shared_journal]
    parts += ["resume", run_id]
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
_GROUP_OPTIONS = "psrunbook.runs.options"
"""``ctx.meta`` key of the ``--state-dir`` and ``--json`` given to ``runs`` itself."""
MAX_RUNS_LISTED = 1_000_000
"""``runs --limit``'s largest value: more runs than a journal holds, small enough to bind."""


def _with_group(
    ctx: typer.Context, state_dir: Path | None, as_json: bool | None = None
) -> tuple[Path | None, bool]:
    """A ``runs`` command's ``--state-dir`` and ``--json``, with those given before its
    name (``runs --state-dir D show last``); one folder named twice differently, or
    ``--json`` for a command without it, is exit 2 naming the fix."""
    group_dir, group_json = ctx.meta.get(_GROUP_OPTIONS, (None, False))
    if group_dir is not None:
        if option_given(ctx, "state_dir", environment=False) and state_dir != group_dir:
            raise fail(
                f"--state-dir is given twice ({group_dir} and {state_dir}); give it once",
                EXIT_USAGE,
            )
        state_dir = group_dir  # before PSRUNBOOK_STATE_DIR, as any option is
    if group_json and as_json is None:
        raise fail(f"--json does not apply to `runs {ctx.info_name}`; leave it out", EXIT_USAGE)
    return state_dir, bool(as_json) or group_json


@runs_app.callback(invoke_without_command=True)
@exits_cleanly
def runs_list(
    ctx: typer.Context,
    limit: Annotated[
        int, typer.Option(min=1, max=MAX_RUNS_LISTED, help="How many recent runs.")
    ] = 20,
    state_dir: StateDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """List recent runs, newest first."""
    if ctx.invoked_subcommand is not None:
        # `runs --state-dir D show last`: the group's options reach its commands.
        given = option_given(ctx, "state_dir", environment=False)
        ctx.meta[_GROUP_OPTIONS] = (state_dir if given else None, as_json)
        return
    with open_run_journal(ctx, state_dir) as journal:
        records = journal.runs(limit)
    from psrunbook.cli.fleet_cmds import fleet_statuses
    from psrunbook.fleet.status import shown_outcome

    statuses = fleet_statuses(ctx, state_dir, records)
    if as_json:
        from psrunbook.cli import documents

        documents.emit(
            documents.run_list(records, {r: status.state for r, status in statuses.items()})
        )
        return
    from rich.table import Column, Table

    # The run id is what `runs show` and `resume` take: never shortened with an ellipsis.
    run_column = Column("run", no_wrap=True, overflow="ignore")
    table = Table(run_column, "runbook", "mode", "started", "outcome", "resumes", box=None)
    for record in records:
        table.add_row(
            *map(
                cell,
                (
                    record.run_id,
                    record.runbook,
                    record.mode,
                    record.started_at.isoformat(timespec="seconds"),
                    shown_outcome(record.outcome, statuses.get(record.run_id)),
                    str(record.resumes),
                ),
            )
        )
    run_view.console().print(table)


@runs_app.command("show")
@exits_cleanly
def runs_show(
    ctx: typer.Context,
    run_id: Annotated[
        str,
        typer.Argument(
            help="Run id, a unique prefix of one, or `last` (see `psrunbook runs`).",
            autocompletion=completion.run_ids,
        ),
    ],
    state_dir: StateDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Show one run: who ran it where and when, and every attempt with its before and after."""
    state_dir, as_json = _with_group(ctx, state_dir, as_json)
    with open_run_journal(ctx, state_dir) as journal:
        record = journal.find_run(run_id)
        attempts = journal.attempts(record.run_id)
        decisions = journal.decisions(record.run_id)
    from psrunbook.cli.fleet_cmds import fleet_statuses
    from psrunbook.fleet.status import status_lines

    status = fleet_statuses(ctx, state_dir, [record]).get(record.run_id)
    if as_json:
        from psrunbook.cli import documents

        state = None if status is None else status.state
        documents.emit(documents.run_detail(record, attempts, decisions, state))
        return
    _show_run(run_view.console(), record, attempts)
    for decision in decisions:
        run_view.console().print(shown(decision_line(decision)), markup=False)
    for line in status_lines(record.run_id, status) if status is not None else ():
        run_view.console().print(shown(line), markup=False)


def decision_line(decision: DecisionRecord) -> str:
    """``runs show``'s line about an approval or a rejection, as the journal keeps it."""
    line = f"{decision.verdict} by {decision.decided_by} at {decision.decided_at.isoformat()}"
    if decision.bundle_sha256:
        line += f", review bundle sha256 {decision.bundle_sha256}"
    return line + (f": {decision.reason}" if decision.reason else "")


def _show_run(console: Console, record: RunRecord, attempts: list[AttemptRecord]) -> None:
    from rich.table import Table

    console.print(
        shown(
            f"run {record.run_id}: {record.runbook} (version {record.runbook_version}), "
            f"{record.mode}, outcome {record.outcome or 'unfinished'}, resumes {record.resumes}"
        ),
        markup=False,
    )
    remote = f" as {record.user}" if record.user else ""
    console.print(
        shown(
            f"cluster {record.cluster or '(not journaled)'}; operator "
            f"{record.os_user or '(not journaled)'}{remote}"
        ),
        markup=False,
    )
    finished = record.finished_at.isoformat() if record.finished_at else "not finished"
    console.print(f"started {record.started_at.isoformat()}, finished {finished}", markup=False)
    from psrunbook.cli.runbook_cmds import toml_value

    # As a params file spells them, so they paste into one (secrets are journaled redacted).
    console.print("parameters:", markup=False)
    for key, value in sorted(record.parameters.items()):
        console.print(shown(f"    {key} = {toml_value(value)}"), markup=False)
    if record.bundle_sha256:
        console.print(shown(f"approved bundle manifest sha256: {record.bundle_sha256}"))
    for node, setting in sorted(record.insecure.items()):
        console.print(shown(f"insecure on {node}: {setting}"), markup=False)
    table = Table("step", "node", "mode", "status", "changed", "seconds", "started", box=None)
    for attempt in attempts:
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
                    attempt.started_at.isoformat(timespec="seconds"),
                ),
            )
        )
    console.print(table)
    _attempt_details(console, attempts)
    _left_running(console, record, attempts)


def _left_running(console: Console, record: RunRecord, attempts: list[AttemptRecord]) -> None:
    """Say where a script of the run may still be running: an apply attempt whose
    pipeline's end nobody saw (a crash, a lost connection, an interrupt), which WinRM
    does not stop when its client is gone; and which of them a later run found still
    there. The operator reading this learns what resume (or a new run) will wait for, and
    on which node to look (Get-PSSession) before changing anything by hand."""
    for attempt in attempts:
        if attempt.pipeline is None:
            continue
        step = f"{attempt.step_index:02d}-{attempt.step_name} on {attempt.node}"
        if attempt.may_be_left_running:
            why = (
                "if its process is gone"
                if attempt.status == "running"
                else "it ended without its script's end (the connection was lost or the run "
                "interrupted)"
            )
            line = (
                f"{step} (apply, {attempt.status}): {why}, its script may still be running "
                f"on the node (pipeline {attempt.pipeline.pipeline_id}); `psrunbook resume "
                f"{record.run_id}` or a new run on the cluster waits for it to end first"
            )
        elif attempt.pipeline_end in ("finished", "stopped"):
            what = "waited for it to end" if attempt.pipeline_end == "finished" else "stopped it"
            line = (
                f"{step} (apply, {attempt.status}): its script outlived the attempt; run "
                f"{attempt.pipeline_end_run} found it still on the node and {what}"
            )
        else:
            continue
        console.print(shown(line), markup=False)


def _attempt_details(console: Console, attempts: list[AttemptRecord]) -> None:
    """Before/after of every change and every error in full, as the journal holds them.

    Values are spelled as TOML (``'S:\\SSIS'`` as typed, not JSON's ``"S:\\\\SSIS"``);
    nothing is cut, because this is the record of what happened.
    """
    from psrunbook.cli.runbook_cmds import toml_value

    def text(value: object) -> str:
        return "(none)" if value is None else toml_value(value)

    for attempt in attempts:
        reported = attempt.result or {}
        change = {k: reported[k] for k in ("Before", "After", "Actions") if k in reported}
        if not change and not attempt.errors:
            continue
        mode = "check" if attempt.check_only else "apply"
        console.print(
            shown(
                f"{attempt.step_index:02d}-{attempt.step_name} on {attempt.node} ({mode}, "
                f"{attempt.status}):"
            ),
            markup=False,
        )
        for key, value in change.items():
            console.print(shown(f"    {key.lower():<8} {text(value)}"), markup=False)
        for error in attempt.errors:
            console.print(shown(f"    error    {error.get('message', '')}"), markup=False)
            for name in (
                "exception_type",
                "category",
                "fully_qualified_error_id",
                "target",
                "script_line",
            ):
                if error.get(name) not in (None, ""):
                    console.print(shown(f"             {name}: {error[name]}"), markup=False)


@runs_app.command("report")
@exits_cleanly
def runs_report(
    ctx: typer.Context,
    run_id: Annotated[
        str,
        typer.Argument(
            help="Run id, a unique prefix of one, or `last`.", autocompletion=completion.run_ids
        ),
    ],
    report_format: Annotated[
        Literal["md", "html"],
        typer.Option("--format", "-f", help="md (Markdown) or html."),
    ] = "md",
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file, not stdout.")
    ] = None,
    state_dir: StateDirOption = None,
) -> None:
    """A change record of one run for a change board: who, when, where, every step."""
    from psrunbook.cli.run_report import RENDERERS
    from psrunbook.output_files import OutputRefused, check_output_file, write_output_file

    state_dir, _ = _with_group(ctx, state_dir)
    try:
        if output is not None:  # refused before the journal is opened
            check_output_file(output)
    except OutputRefused as exc:
        raise fail(f"--output {output}: {exc.reason}", EXIT_USAGE) from None
    with open_run_journal(ctx, state_dir) as journal:
        record = journal.find_run(run_id)
        attempts = journal.attempts(record.run_id)
    text = RENDERERS[report_format](record, attempts)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        write_output_file(output, text.encode("utf-8"))
    except OutputRefused as exc:
        raise fail(f"--output {output}: {exc.reason}", EXIT_USAGE) from None
    except OSError as exc:
        raise fail(f"--output {output}: cannot write ({exc.strerror or exc})", EXIT_USAGE) from None


@runs_app.command("unhold")
@exits_cleanly
def runs_unhold(
    ctx: typer.Context,
    run_id: Annotated[
        str,
        typer.Argument(
            help="The run whose stale hold to break: its id, a unique prefix, or `last`.",
            autocompletion=completion.run_ids,
        ),
    ],
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

    state_dir, _ = _with_group(ctx, state_dir)
    with open_run_journal(ctx, state_dir) as journal:
        run_id = journal.find_run(run_id).run_id
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
