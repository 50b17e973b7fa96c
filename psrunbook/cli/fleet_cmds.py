"""Fleet commands: submit, worker, approve, reject, cancel.

``submit`` plans each run exactly as ``run`` would (bad input is refused before anything
is queued), journals it and queues it; ``worker`` executes queued runs; the others
decide or stop a queued run. The durable engine behind them is reached only through
:mod:`psrunbook.fleet.engine` (DBOS, :mod:`psrunbook.fleet.dbos_engine`).
"""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from psrunbook.cli import completion
from psrunbook.cli.context import Settings, open_run_journal, option_given, settings
from psrunbook.cli.display import shown
from psrunbook.cli.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, exits_cleanly, fail
from psrunbook.cli.run_cmds import (
    BundleOption,
    InsecureOption,
    JsonOption,
    ParamOption,
    ParamsFileOption,
    RetriesOption,
    StateDirOption,
    TimeoutOption,
)
from psrunbook.errors import JournalError, ParameterError

if TYPE_CHECKING:
    from psrunbook.fleet.dbos_engine import DbosEngine
    from psrunbook.fleet.spec import Decision, FleetStatus, RunSpec
    from psrunbook.fleet.status import ProgressSource
    from psrunbook.journal_model import DecisionRecord, RunJournal, RunRecord

FINAL_STATES = frozenset({"finished", "failed", "rejected", "cancelled"})
EXIT_WAIT_TIMEOUT = 124
"""``submit --wait --timeout``: time ran out before every run ended (as timeout(1) says);
the runs go on."""

RunIdArgument = Annotated[
    str,
    typer.Argument(
        help="The run: its id, a unique prefix, or `last`.", autocompletion=completion.run_ids
    ),
]


def fleet_statuses(
    ctx: typer.Context, state_dir: Path | None, runs: Sequence[RunRecord]
) -> Mapping[str, FleetStatus]:
    """What the fleet knows of these runs, for ``runs`` and ``runs show`` (nothing: no fleet,
    or no run a fleet may know); a decision no worker has taken up yet counts (a rejected
    run is shown rejected)."""
    from psrunbook.fleet.status import first_decision
    from psrunbook.fleet.status import fleet_statuses as read
    from psrunbook.journal import default_state_dir

    with contextlib.ExitStack() as stack:
        opened: list[RunJournal] = []  # the journal, opened only for a run awaiting approval

        def decided(run_id: str) -> DecisionRecord | None:
            if not opened:
                opened.append(stack.enter_context(_journal(ctx, state_dir)))
            return first_decision(opened[0])(run_id)

        return read(state_dir or default_state_dir(), settings(ctx).journal, runs, decided)


@contextlib.contextmanager
def _fleet(ctx: typer.Context, state_dir: Path | None) -> Iterator[tuple[RunJournal, DbosEngine]]:
    """The journal and the fleet engine beside it, closed afterwards."""
    with _journal(ctx, state_dir) as journal, _engine(ctx, state_dir) as engine:
        yield journal, engine


@contextlib.contextmanager
def _journal(ctx: typer.Context, state_dir: Path | None) -> Iterator[RunJournal]:
    from psrunbook.journal import default_state_dir

    journal = open_run_journal(ctx, state_dir or default_state_dir())
    try:
        yield journal
    finally:
        journal.close()


@contextlib.contextmanager
def _engine(ctx: typer.Context, state_dir: Path | None) -> Iterator[DbosEngine]:
    """The fleet engine of this journal (its database is created on first use)."""
    from psrunbook.fleet.dbos_engine import DbosEngine
    from psrunbook.fleet.location import fleet_database_url
    from psrunbook.journal import default_state_dir

    engine = DbosEngine(fleet_database_url(state_dir or default_state_dir(), settings(ctx).journal))
    try:
        yield engine
    finally:
        engine.close()


def _inventories(inventory: list[Path] | None, inventory_dir: Path | None) -> list[Path]:
    if bool(inventory) == (inventory_dir is not None):
        raise ParameterError(
            "give the clusters with -i INVENTORY (repeatable) or --inventory-dir DIR, "
            "one of the two"
        )
    if inventory:
        return list(inventory)
    assert inventory_dir is not None
    if not inventory_dir.is_dir():
        raise ParameterError(f"--inventory-dir {inventory_dir}: not a directory; give a folder")
    found = sorted(inventory_dir.glob("*.toml"))
    if not found:
        raise ParameterError(
            f"--inventory-dir {inventory_dir}: no *.toml inventory in it; "
            "`psrunbook sim serve --clusters N --inventory-dir DIR` writes some"
        )
    return found


def submit(
    ctx: typer.Context,
    runbook: Annotated[
        str | None,
        typer.Argument(
            help="Runbook name; omit with --bundle.", autocompletion=completion.runbook_names
        ),
    ] = None,
    inventory: Annotated[
        list[Path] | None,
        typer.Option("--inventory", "-i", help="Inventory of one cluster (repeatable)."),
    ] = None,
    inventory_dir: Annotated[
        Path | None,
        typer.Option("--inventory-dir", help="Every *.toml inventory in this folder."),
    ] = None,
    param: ParamOption = None,
    params_file: ParamsFileOption = None,
    bundle: BundleOption = None,
    require_approval: Annotated[
        bool,
        typer.Option(
            "--require-approval",
            help="Each run waits for `psrunbook approve RUN_ID --sha256 HASH` first.",
        ),
    ] = False,
    wait: Annotated[
        bool,
        typer.Option(
            "--wait",
            help="Show each run's state on stderr as it changes until every run has ended; "
            "exit 0 when all succeeded, 1 when one did not.",
        ),
    ] = False,
    wait_timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            min=0,
            help=f"With --wait: stop waiting after SECONDS (exit {EXIT_WAIT_TIMEOUT}); "
            "the runs go on.",
        ),
    ] = None,
    insecure: InsecureOption = False,
    state_dir: StateDirOption = None,
    as_json: JsonOption = False,
) -> None:
    """Queue one run per cluster for `psrunbook worker` processes, and print the run ids."""
    from psrunbook.execution.session import RunRequest
    from psrunbook.fleet.work import FleetWork

    paths = _inventories(inventory, inventory_dir)
    if wait_timeout is not None and not wait:
        raise ParameterError("--timeout applies to --wait: add --wait, or leave --timeout out")
    ctx_settings = settings(ctx)
    request = RunRequest(
        runbook=runbook, assignments=tuple(param or ()), params_file=params_file, bundle=bundle
    )
    with _journal(ctx, state_dir) as journal:
        work = FleetWork(journal, ctx_settings.registry(), ctx_settings.library())
        # Every inventory is read and planned before the first run is recorded: a refusal
        # (exit 2) queues nothing, and leaves no fleet database behind.
        planned = work.plan_runs(
            request, paths, require_approval=require_approval, insecure=insecure
        )
        with _engine(ctx, state_dir) as engine:
            specs: list[RunSpec] = []
            for index, run in enumerate(planned):
                spec = work.record(run)
                try:
                    engine.start(spec)
                except JournalError as exc:
                    raise _not_queued(journal, exc, specs, spec, planned[index + 1 :]) from None
                specs.append(spec)
            if not wait:
                _print_queued(specs, as_json=as_json)
                return
            if not as_json:
                _print_queued(specs, as_json=False)
            from psrunbook.fleet.status import DecidedProgress, first_decision

            source = DecidedProgress(engine, first_decision(journal))
            _wait(source, {s.run_id: s.cluster for s in specs}, wait_timeout, as_json=as_json)


def _not_queued(
    journal: RunJournal,
    error: JournalError,
    queued: list[RunSpec],
    failed: RunSpec,
    unsubmitted: Sequence[object],
) -> JournalError:
    """The fleet's database failed while ``failed`` was being queued: say which runs are
    queued (a worker executes them), which one is journaled but in no queue, and how many
    were not submitted at all, so the operator neither loses nor doubles a change.

    The journaled one is ended ``failed`` (best effort: the journal may be the database
    that just failed); ``resume`` refuses it either way, as nobody queued or approved it.
    """
    with contextlib.suppress(JournalError):
        journal.finish_run(failed.run_id, "failed")
    parts = [str(error)]
    if queued:
        names = ", ".join(f"{s.run_id} ({s.cluster})" for s in queued)
        parts.append(f"queued before the failure, and left queued: {names}")
    parts.append(
        f"run {failed.run_id} ({failed.cluster}) is journaled but was not queued: "
        "submit that cluster again once the fleet's database is back"
    )
    if unsubmitted:
        parts.append(f"{len(unsubmitted)} more inventories were not submitted")
    return JournalError("; ".join(parts))


def _print_queued(specs: list[RunSpec], *, as_json: bool) -> None:
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "runs": [
                        {
                            "run_id": s.run_id,
                            "cluster": s.cluster,
                            "state": "awaiting approval" if s.require_approval else "queued",
                            "review_sha256": s.review_sha256,
                        }
                        for s in specs
                    ]
                },
                indent=2,
            )
        )
        return
    for spec in specs:
        state = "awaiting approval" if spec.require_approval else "queued"
        sha = f" sha256 {spec.review_sha256}" if spec.require_approval else ""
        typer.echo(shown(f"{spec.run_id} {spec.cluster} {state}{sha}"))


def _wait(
    source: ProgressSource, clusters: dict[str, str], timeout: float | None, *, as_json: bool
) -> None:
    """Show each run's state as it changes (stderr: plain lines, JSON lines with
    ``--json``), until every run has ended, ``timeout``, or Ctrl-C; the runs go on after
    the last two. With ``--json`` the final document goes to stdout."""
    from psrunbook.fleet.status import RunProgress, wait_for_runs

    def changed(run: RunProgress) -> None:
        text = json.dumps(run.to_json()) if as_json else shown(run.line())
        typer.echo(text, err=True)

    last: dict[str, RunProgress] = {}

    def remember(run: RunProgress) -> None:
        last[run.run_id] = run
        changed(run)

    try:
        last = wait_for_runs(source, clusters, timeout=timeout, changed=remember)
        waited = "ended" if all(r.ended for r in last.values()) else "timed out"
    except KeyboardInterrupt:
        waited = "interrupted"
    if as_json:
        runs = [last[r].to_json() if r in last else {"run_id": r} for r in clusters]
        typer.echo(json.dumps({"runs": runs, "wait": waited}, indent=2))
    going = [r for r in clusters if r not in last or not last[r].ended]
    if going:
        follow = (
            f"{len(going)} run(s) go on without this command: follow them with "
            f"`psrunbook runs` or `psrunbook runs show {going[0]}`; "
            f"stop one with `psrunbook cancel RUN_ID`"
        )
        if waited == "interrupted":
            typer.echo(f"stopped waiting (Ctrl-C); {follow}", err=True)
            raise typer.Exit(EXIT_INTERRUPTED)
        typer.echo(f"stopped waiting after {timeout:g} s; {follow}", err=True)
        raise typer.Exit(EXIT_WAIT_TIMEOUT)
    bad = [r for r in clusters if last[r].state != "succeeded"]
    if bad:
        raise fail(
            f"{len(bad)} of {len(clusters)} run(s) did not succeed: "
            + ", ".join(f"{r} {last[r].state}" for r in bad),
            EXIT_FAILED,
        )


def worker(
    ctx: typer.Context,
    concurrency: Annotated[
        int, typer.Option("--concurrency", min=1, max=256, help="Runs executed at once here.")
    ] = 4,
    worker_id: Annotated[
        str | None,
        typer.Option(
            "--id",
            help="This worker's stable id (default: the host name); "
            "restarted with it, the worker continues its unfinished runs.",
        ),
    ] = None,
    fleet_cap: Annotated[
        int | None,
        typer.Option("--fleet-cap", min=1, help="Runs executed at once by all workers together."),
    ] = None,
    recover_from: Annotated[
        list[str] | None,
        typer.Option(
            "--recover-from",
            help="Continue the unfinished runs of this worker, which you know is gone "
            "(repeatable).",
        ),
    ] = None,
    takeover_after: Annotated[
        float,
        typer.Option(
            "--takeover-after",
            min=0,
            max=86_400,
            help="Take over the runs of a worker silent this many seconds (0: never).",
        ),
    ] = 120.0,
    step_timeout: TimeoutOption = 600.0,
    retries: RetriesOption = 2,
    state_dir: StateDirOption = None,
) -> None:
    """Execute queued runs until Ctrl-C or SIGTERM, then stop at the next step boundary."""
    import os
    import signal
    import threading

    from psrunbook.execution.interrupts import catch
    from psrunbook.execution.session import ExecutionLimits
    from psrunbook.fleet.dbos_engine import DbosWorker
    from psrunbook.fleet.engine import WorkerOptions
    from psrunbook.fleet.location import fleet_database_url
    from psrunbook.fleet.work import FleetWork
    from psrunbook.journal import default_state_dir

    ctx_settings: Settings = settings(ctx)
    options = WorkerOptions(
        worker_id=worker_id or socket.gethostname(),
        concurrency=concurrency,
        fleet_cap=fleet_cap,
        recover_from=tuple(recover_from or ()),
        takeover_after_s=takeover_after,
        heartbeat_s=min(5.0, max(0.2, takeover_after / 10)) if takeover_after else 5.0,
    )
    if fleet_cap is not None and fleet_cap < concurrency:
        raise ParameterError(
            f"--fleet-cap {fleet_cap} is below --concurrency {concurrency}; "
            "raise the cap or lower the concurrency"
        )
    directory = state_dir or default_state_dir()
    stop = threading.Event()
    catch((signal.SIGINT, signal.SIGTERM), lambda *_: stop.set())
    location = ctx_settings.journal
    journal = open_run_journal(ctx, directory)
    work = FleetWork(
        journal,
        ctx_settings.registry(),
        ctx_settings.library(),
        limits=ExecutionLimits(
            step_timeout_s=step_timeout,
            step_timeout_given=option_given(ctx, "step_timeout"),
            retries=retries,
        ),
        worker_id=options.worker_id,
    )
    DbosWorker(fleet_database_url(directory, location), work, options).serve(
        stop,
        lambda: typer.echo(f"worker {options.worker_id} serving (Ctrl-C stops it)", err=True),
    )
    typer.echo(f"worker {options.worker_id} stopped", err=True)
    # Runs paused between two steps wait on DBOS's threads, which would keep the process
    # alive: they end with it, unfinished, and continue after recovery.
    import logging

    logging.shutdown()
    os._exit(0)


def _status(engine: DbosEngine, journal: RunJournal, reference: str) -> tuple[str, FleetStatus]:
    from psrunbook.fleet.status import first_decision, with_decisions

    run_id = journal.find_run(reference).run_id
    found = with_decisions(engine.status([run_id]), first_decision(journal)).get(run_id)
    if found is None:
        raise ParameterError(f"run {run_id} was not submitted to a fleet (`psrunbook submit`)")
    return run_id, found


def _decide(
    ctx: typer.Context,
    reference: str,
    state_dir: Path | None,
    verdict: Literal["approve", "reject"],
    *,
    sha256: str | None = None,
    reason: str = "",
) -> tuple[str, Decision]:
    """Deliver a reviewer's decision to a run awaiting approval; log who and when.

    The journal is the arbiter between reviewers: the decision is recorded only if the
    run has none yet (atomically, :func:`~psrunbook.fleet.work.claim_decision`), and only
    the decision recorded is sent to the run's gate, which acts on the first message it
    receives. A second reviewer who read "awaiting approval" at the same moment is
    refused (exit 2) naming who decided what and when. The same reviewer's same decision
    taken again is sent again, as first journaled: that is how a command that died
    between journaling and sending is recovered (the gate, waiting for one message,
    ignores a second).
    """
    from psrunbook.fleet.status import first_decision
    from psrunbook.fleet.work import claim_decision, decision_now, journaled_decision, log_decision

    with _fleet(ctx, state_dir) as (journal, engine):
        record = journal.find_run(reference)
        run_id = record.run_id
        status = engine.status([run_id]).get(run_id)
        if status is None:
            raise ParameterError(f"run {run_id} was not submitted to a fleet (`psrunbook submit`)")
        standing = first_decision(journal)(run_id)
        if status.state != "awaiting approval":
            raise _not_awaiting(run_id, status, standing)
        expected = status.review_sha256
        given = (sha256 or "").strip().lower() if verdict == "approve" else None
        decision = decision_now(verdict, expected if verdict == "approve" else None, reason)
        verdict_word = "approved" if verdict == "approve" else "rejected"
        if standing is not None and not standing.repeats(verdict_word, decision.by, given):
            raise _lost(record, status, standing, decision)
        if verdict == "approve" and given != expected:
            # Approving what was not reviewed may be a mistake or an attempt to slip a
            # change through: the SIEM sees it, not only the reviewer's terminal.
            from psrunbook.logging import get_logger

            get_logger("psrunbook.fleet").error(
                "run.approval_refused",
                action="run.approval_refused",
                outcome="failure",
                run_id=run_id,
                cluster=record.cluster,
                runbook=record.runbook,
                given_sha256=sha256,
                bundle_sha256=expected,
            )
            raise ParameterError(
                f"--sha256 {sha256} is not what run {run_id} would execute: its review bundle "
                f"has sha256 {expected}; review that bundle, then approve its hash"
            )
        # Recorded first, sent after: what the gate receives is always what the journal
        # says was decided, whoever else decides at this moment.
        standing = claim_decision(journal, run_id, decision)
        if not standing.repeats(verdict_word, decision.by, decision.sha256):
            raise _lost(record, status, standing, decision)
        decision = journaled_decision(standing)
        engine.decide(run_id, decision)
    log_decision(run_id, record.cluster, record.runbook, decision)
    return run_id, decision


def _not_awaiting(
    run_id: str, status: FleetStatus, standing: DecisionRecord | None
) -> ParameterError:
    """The refusal of a decision on a run whose gate decided already (or never waited)."""
    decided = "" if standing is None else f": {_decided_by(standing)}"
    return ParameterError(f"run {run_id} is {status.state}, not awaiting approval{decided}")


def _lost(
    record: RunRecord, status: FleetStatus, standing: DecisionRecord, refused: Decision
) -> ParameterError:
    """The refusal of a decision that came second: another stands, and this one was
    neither journaled nor sent. Logged, so the SIEM sees the reviewers disagreed."""
    from psrunbook.fleet.status import with_decisions
    from psrunbook.logging import get_logger

    run_id = record.run_id
    state = with_decisions({run_id: status}, lambda _: standing)[run_id].state
    get_logger("psrunbook.fleet").warning(
        "run.decision_refused",
        action="run.decision_refused",
        outcome="failure",
        run_id=run_id,
        cluster=record.cluster,
        runbook=record.runbook,
        given_verdict=refused.verdict,
        given_sha256=refused.sha256,
        decision=standing.verdict,
        decided_by=standing.decided_by,
        decided_at=standing.decided_at.isoformat(),
        bundle_sha256=standing.bundle_sha256,
    )
    return ParameterError(
        f"run {run_id} is {state}, not awaiting approval: {_decided_by(standing)}; "
        f"your {'approval' if refused.verdict == 'approve' else 'rejection'} was neither "
        "journaled nor sent (`psrunbook runs show "
        f"{run_id}` shows the decision)"
    )


def _decided_by(decision: DecisionRecord) -> str:
    """``it was already approved by A at T`` (with the hash approved)."""
    text = f"it was already {decision.verdict} by {decision.decided_by} at "
    text += decision.decided_at.isoformat()
    if decision.verdict == "approved" and decision.bundle_sha256:
        text += f" (review bundle sha256 {decision.bundle_sha256})"
    return text


def approve(
    ctx: typer.Context,
    run_id: RunIdArgument,
    sha256: Annotated[
        str,
        typer.Option(
            "--sha256", help="The review bundle's sha256 the run shows (`psrunbook runs show`)."
        ),
    ],
    state_dir: StateDirOption = None,
) -> None:
    """Let a run awaiting approval continue, if it would execute exactly what you reviewed."""
    run_id, decision = _decide(ctx, run_id, state_dir, "approve", sha256=sha256)
    typer.echo(
        f"approved run {run_id} (sha256 {decision.sha256}) as {decision.by} at {decision.at}"
    )


def reject(
    ctx: typer.Context,
    run_id: RunIdArgument,
    reason: Annotated[str, typer.Option("--reason", help="Why, for the journal and logs.")] = "",
    state_dir: StateDirOption = None,
) -> None:
    """End a run awaiting approval without running it."""
    run_id, decision = _decide(ctx, run_id, state_dir, "reject", reason=reason or "rejected")
    typer.echo(f"rejected run {run_id} as {decision.by} at {decision.at}")


def cancel(ctx: typer.Context, run_id: RunIdArgument, state_dir: StateDirOption = None) -> None:
    """Stop a queued run, or a running one when its current step ends."""
    with _fleet(ctx, state_dir) as (journal, engine):
        run_id, status = _status(engine, journal, run_id)
        if status.state in FINAL_STATES:
            raise ParameterError(f"run {run_id} is {status.state} already; nothing to cancel")
        engine.cancel(run_id)
        taken = _taken_meanwhile(ctx, state_dir, journal, run_id, status)
        if taken is not None:
            # A worker took the run between the read above and the cancel: its step runs
            # on the cluster under its holds until it sees the cancel and ends the run.
            import msgspec.structs

            status = msgspec.structs.replace(status, state="running", worker=taken)
        elif status.state in ("queued", "awaiting approval"):
            # No worker executes it: nobody else will give back the holds it kept while
            # waiting to be continued after a crash, or record how it ended (in that
            # order, as a worker does: whoever reads the outcome finds the cluster free).
            from psrunbook.fleet.partition_holds import release_run

            release_run(journal, run_id)
            journal.finish_run(run_id, "interrupted")
            # No worker will log its end either (a running run's worker logs it).
            from psrunbook.logging import get_logger

            record = journal.run(run_id)
            get_logger("psrunbook.fleet").warning(
                "run.cancelled",
                action="run.cancelled",
                run_id=run_id,
                cluster=record.cluster,
                runbook=record.runbook,
            )
    verb = "stops when its current step ends" if status.state == "running" else "will not run"
    typer.echo(f"cancelled run {run_id}: it {verb}")


def _taken_meanwhile(
    ctx: typer.Context,
    state_dir: Path | None,
    journal: RunJournal,
    run_id: str,
    status: FleetStatus,
) -> str | None:
    """The worker executing a run read as queued, when one took it meanwhile (None: none).

    Its holds are the sign: a worker holds the run (and its cluster) when it starts it.
    """
    if status.state != "queued":
        return None
    from psrunbook.fleet.dbos_engine import reaching
    from psrunbook.fleet.heartbeats import executing
    from psrunbook.fleet.location import fleet_database_url
    from psrunbook.journal import default_state_dir

    url = fleet_database_url(state_dir or default_state_dir(), settings(ctx).journal)
    with reaching(url, "read the workers' heartbeats in"):
        holders = executing(url, journal.holds_of(run_id).values())
    return holders[0].worker if holders else None


def register(app: typer.Typer) -> None:
    app.command()(exits_cleanly(submit))
    app.command()(exits_cleanly(worker))
    app.command()(exits_cleanly(approve))
    app.command()(exits_cleanly(reject))
    app.command()(exits_cleanly(cancel))
