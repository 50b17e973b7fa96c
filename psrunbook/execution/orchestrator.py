"""Runs a plan: steps in order, nodes of a step in parallel, every attempt journaled.

The rules that keep a production change safe live here:

* a step starts only when every node finished the previous one successfully, unless it
  says it need not wait (``Step.waits_for_all_nodes``): then it starts on a node as soon
  as that node finished the step before (per-node progress); either way a failure lets
  the nodes already working finish, then no new step starts;
* transport faults are retried only when they are transient and the step is safe to
  repeat (a probe, or a test-then-set script); everything else fails the step at once;
* the journal records an attempt before it starts and after it ends, so a crash leaves
  a "running" row that resume treats as unknown, never as done;
* one canonical ``step.finished`` event per step and node carries everything a SIEM
  needs: who, where, which script hash, what changed, outcome and duration. A check
  (a plan, or resume's re-check) reports what *would* change and is never typed as a
  change; a failed step is logged at ``error``. ``run.started`` and ``run.finished``
  (info) frame them, and every event names the cluster.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import queue
import random
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import msgspec
import structlog
from msgspec.structs import replace

from psrunbook.errors import (
    EngineError,
    JournalError,
    RunInterrupted,
    StepFailed,
    TransportError,
)
from psrunbook.execution.interrupts import StopSignal, get_handling_signals
from psrunbook.execution.left_running import SETTLED, LeftPipeline, journaled_end
from psrunbook.execution.outcome import RunReport, Status, StepOutcome, TargetOutcome
from psrunbook.execution.workers import Delivery, Workers
from psrunbook.logging import get_logger
from psrunbook.results import ParsedOutput, StepError, parse_output
from psrunbook.runbook.model import StepResult, Target
from psrunbook.runbook.planner import Plan, PlannedStep
from psrunbook.transport.base import (
    PipelineRef,
    RawResult,
    ScriptCall,
    Session,
    Settlement,
    Transport,
)
from psrunbook.transport.error_mapping import is_transient

if TYPE_CHECKING:
    from psrunbook.journal_model import OwnPipelineEnd, RunJournal
    from psrunbook.templates import TemplateLibrary

Progress = Callable[[str, PlannedStep, str, TargetOutcome | None], None]
"""Called with ("started" | "finished" | "skipped", step, node, outcome) for live display."""

INTERRUPT_GRACE_S = 5.0
"""After an interrupt, how long running attempts may take to answer the stop request
before they are journaled as interrupted and left behind, unless the run's options say
otherwise (``RunOptions.stop_grace_s``, ``--stop-grace``)."""

_STOP = object()


class _WorkerFailed(msgspec.Struct, frozen=True):
    """A node worker's error that is not an attempt's outcome, carried to the calling thread.

    Any exception, ``SystemExit`` included (a library may raise it from a callback: rich
    does when its output pipe closes): a thread that ended without a word would leave the
    calling thread waiting for its node forever.
    """

    error: BaseException


"""Put on a step's result queue when a stop is requested."""

_CHAIN_END = object()
"""Put on the result queue by a node worker when it has made its last attempt."""


class _KeptOutcomes:
    """Attempts' outcomes, kept by the node workers as they come while the caller collects.

    Only the end of a node's chain wakes the calling thread: a wake for every attempt's
    outcome was a hand-off of the interpreter lock for nothing (issue 16). Once the
    caller stops collecting, a worker left behind keeps its outcome to itself, as its
    message on the result queue was never read.
    """

    def __init__(self) -> None:
        self.outcomes: dict[tuple[int, str], TargetOutcome] = {}
        self._lock = threading.Lock()
        self._collecting = True

    def keep(self, step_index: int, node: str, outcome: TargetOutcome) -> None:
        with self._lock:
            if self._collecting:
                self.outcomes[(step_index, node)] = outcome

    def stop(self) -> None:
        with self._lock:
            self._collecting = False


class _Leg(msgspec.Struct, frozen=True):
    """One attempt in a node worker's chain: a step, in check mode or as the run says.

    ``reported`` is False for a resumed run's re-check: journaled and logged, but neither
    part of the run's report nor a failure that stops the run.
    """

    planned: PlannedStep
    check_only: bool | None
    reported: bool = True


class RunOptions(msgspec.Struct, frozen=True):
    """How a run behaves; the defaults are the safe ones."""

    check_only: bool = False
    parallel: int = 8
    step_timeout_s: float = 600.0
    step_timeout_given: bool = False
    """``step_timeout_s`` was the operator's choice: no step's designed wait lengthens it."""
    retries: int = 2
    backoff_s: float = 1.0
    bundle_sha256: str | None = None
    cluster: str | None = None
    """The cluster's name (the inventory's), named by every event of the run."""
    user: str | None = None
    """The remote account, as configured; a node's session may name it more exactly."""
    stop_grace_s: float | None = None
    """After an interrupt, how long running attempts may take to answer the stop request;
    None: :data:`INTERRUPT_GRACE_S`."""


class SessionCache:
    """One session per node for the whole run, opened on first use, closed at the end."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def get(self, node: str) -> Session:
        with self._lock:
            session = self._sessions.get(node)
        if session is None:
            session = self._transport.open(node)
            with self._lock:
                self._sessions[node] = session
        return session

    def interrupt(self, node: str) -> None:
        """Ask the node's running pipeline to stop (PSRP Signal); never raises."""
        with self._lock:
            session = self._sessions.get(node)
        if session is not None:
            try:
                session.interrupt()
            except Exception:  # noqa: BLE001 (a stop request is best effort: the run is ending)
                return

    def forget(self, node: str) -> None:
        with self._lock:
            session = self._sessions.pop(node, None)
        if session is not None:
            session.close()

    def close(self, workers: Workers | None = None) -> None:
        """Close every session, all at once: each close is a round trip (WSMan Delete).

        The closes run on ``workers``, the run's node threads, idle by now: a thread
        started for each (the way it was done before) cost every node a thread's start,
        which waits until the thread runs, and its end (issue 16).
        """
        with self._lock:
            sessions, self._sessions = list(self._sessions.items()), {}
        errors: list[BaseException] = []
        closed: queue.SimpleQueue[None] = queue.SimpleQueue()
        pool = workers or Workers()

        def close_one(session: Session) -> Delivery:
            # Whatever it raises, the caller must hear that it ended (as from a thread of
            # its own, which ended silently on SystemExit).
            with contextlib.suppress(BaseException):
                _close_quietly(session, errors)
            return lambda: closed.put(None)

        try:
            for node, session in sessions[1:]:
                pool.submit(functools.partial(close_one, session), label=node)
            for _, session in sessions[:1]:
                _close_quietly(session, errors)
            for _ in sessions[1:]:
                closed.get()
        finally:
            if workers is None:
                pool.close()
        if errors:
            raise errors[0]


def _close_quietly(session: Session, errors: list[BaseException]) -> None:
    """Close one session; an engine error is the node's and ends nothing, others are kept."""
    try:
        session.close()
    except EngineError:
        return
    except Exception as exc:  # noqa: BLE001 (re-raised by the thread that closes the run)
        errors.append(exc)


class Runner:
    """Executes one plan against one transport, recording everything in the journal."""

    def __init__(
        self,
        plan: Plan,
        transport: Transport,
        journal: RunJournal,
        library: TemplateLibrary,
        options: RunOptions = RunOptions(),
        *,
        progress: Progress | None = None,
        stop: StopSignal | None = None,
    ) -> None:
        self.plan = plan
        self.journal = journal
        self.library = library
        self.options = options
        self._sessions = SessionCache(transport)
        self._progress = progress
        self._log = get_logger("psrunbook.run")
        self._random = random.Random()  # noqa: S311 (jitter, not cryptography)
        self._stop = stop or StopSignal()
        # Attempts journaled as started and not yet finished (with when they went in
        # flight: an interrupted one's event has a duration), and those the main thread
        # finished as interrupted: one lock decides who writes an attempt's end, once.
        self._claims = threading.Lock()
        self._inflight: dict[tuple[int, str], tuple[int, int]] = {}
        self._abandoned: set[int] = set()
        # Attempts' starts and ends node workers are writing outside the lock (a start not
        # yet in flight, an end claimed out of it): the calling thread leaves an
        # interrupted step only when none is left, so no start or end is written after
        # the run has moved on, and none is left "running" in the journal.
        self._writing = 0
        self._ends_written = threading.Condition(self._claims)
        # (step, node) whose script was sent at least once: after an interrupt, only
        # these have an unknown effect; the others certainly did not run.
        self._sent: set[tuple[int, str]] = set()
        self._workers = Workers()
        # Pipelines an interrupted process left on a node, per (step, node): settled
        # before the first script of that step is sent there (_settle_left).
        self._left: dict[tuple[int | None, str], list[LeftPipeline]] = {}
        self._left_locks: dict[int, threading.Lock] = {}
        """One per left pipeline: the node threads that need it ended settle it once."""
        self._settling_on: Counter[str] = Counter()
        """Nodes whose session waits for a left pipeline now: an interrupt reaches them
        too, although the attempt that waits may be another node's (_interrupt_all)."""
        self._run_id = ""

    # ------------------------------------------------------------------ public

    def run(
        self,
        run_id: str,
        *,
        done: Mapping[int, frozenset[str]] | None = None,
        recheck_first: bool = False,
        left: Sequence[LeftPipeline] = (),
    ) -> RunReport:
        """Run every step not already done; ``done`` maps step index to finished nodes.

        ``left`` are pipelines an interrupted run may have left running on the nodes: no
        script of that step is sent to that node before its left pipeline has ended
        (waited for up to the step timeout, then stopped).
        """
        report = RunReport(run_id=run_id, check_only=self.options.check_only)
        self._run_id = run_id
        self._left = {}
        nodes = {n.casefold(): n for n in self.plan.nodes}
        for pipeline in left:
            node = nodes.get(pipeline.node.casefold())
            if node is None:
                continue  # not a node of this inventory: this run cannot reach it
            key = (pipeline.step_index, node)
            self._left.setdefault(key, []).append(replace(pipeline, node=node))
        self._left_locks = {
            pipeline.attempt_id: threading.Lock()
            for pipelines in self._left.values()
            for pipeline in pipelines
        }
        done = done or {}
        recheck = recheck_first
        started = time.monotonic_ns()
        # Bound for the whole run, so records the transport logs (connection.retry) and
        # the libraries' records (on this thread and, copied, on the node workers) name
        # the run, the cluster, the runbook and the remote account too.
        bound = {**self._fields(run_id), "user": self.options.user}
        with structlog.contextvars.bound_contextvars(**bound):
            self._log_started(run_id, resumed=recheck_first)
            self._workers = Workers()  # idle workers are kept for this call's steps only
            try:
                self._run_steps(run_id, report, done, recheck)
            finally:
                self._workers.close()
            self._log_run_finished(run_id, report, time.monotonic_ns() - started)
        return report

    def _run_steps(
        self,
        run_id: str,
        report: RunReport,
        done: Mapping[int, frozenset[str]],
        recheck: bool,
    ) -> None:
        try:
            for segment in _segments(self.plan.steps):
                if self._stop.is_set():
                    break
                if all(self._step_done(p, done.get(p.index, frozenset())) for p in segment):
                    report.steps.extend(
                        self._done_earlier(p, done.get(p.index, frozenset())) for p in segment
                    )
                    continue
                if len(segment) > 1:
                    outcomes = self._run_node_by_node(run_id, segment, done, recheck=recheck)
                    recheck = False
                    report.steps.extend(outcomes)
                    if any(o.failed and not o.planned.step.continue_on_error for o in outcomes):
                        break
                    continue
                planned = segment[0]
                finished = done.get(planned.index, frozenset())
                if recheck:
                    recheck = False
                    self._recheck(run_id, planned, finished)
                    if self._stop.is_set():
                        break
                outcome = self._run_step(run_id, planned, finished)
                report.steps.append(outcome)
                if outcome.failed and not planned.step.continue_on_error:
                    break
        except KeyboardInterrupt:
            self._stop.request("SIGINT")
        finally:
            report.interrupted = self._stop.is_set()
            self._sessions.close(self._workers)

    # ------------------------------------------------------------------ run events

    def _fields(self, run_id: str) -> dict[str, Any]:
        """What every event of this run names: the run, the cluster and the runbook."""
        return {
            "run_id": run_id,
            "cluster": self.options.cluster,
            "runbook": self.plan.runbook.name,
        }

    def _log_started(self, run_id: str, *, resumed: bool) -> None:
        self._log.info(
            "run.started",
            action="run.started",
            **self._fields(run_id),
            user=self.options.user,
            runbook_version=self.plan.runbook.version,
            mode="plan" if self.options.check_only else "run",
            check_only=self.options.check_only,
            resumed=resumed,
            nodes=list(self.plan.nodes),
            steps=len(self.plan.steps),
            bundle_sha256=self.options.bundle_sha256,
        )

    def _log_run_finished(self, run_id: str, report: RunReport, duration_ns: int) -> None:
        """The run's end: how it ended, how long it took, how many step/node pairs changed.

        A plan counts what *would* change (``would_change_count``); only an applying run
        has a ``changed_count``, so no dashboard can add a dry run's findings to changes.
        """
        counts = {
            "would_change_count" if report.check_only else "changed_count": report.changed_count
        }
        failed = sum(1 for step in report.steps for t in step.targets if t.status is Status.FAILED)
        log = self._log.error if report.failed else self._log.info
        log(
            "run.finished",
            action="run.finished",
            **self._fields(run_id),
            user=self.options.user,
            mode="plan" if report.check_only else "run",
            check_only=report.check_only,
            outcome="failure" if report.failed else "success",
            run_outcome=report.outcome,
            duration_ns=duration_ns,
            failed_count=failed,
            **counts,
        )

    # ------------------------------------------------------------------ steps

    def _step_done(self, planned: PlannedStep, finished: frozenset[str]) -> bool:
        if planned.step.target is Target.EVERY_NODE:
            return bool(finished) and set(self.plan.nodes) <= finished
        return bool(finished)

    def _done_earlier(self, planned: PlannedStep, finished: frozenset[str]) -> StepOutcome:
        return StepOutcome(
            planned,
            [TargetOutcome(node, Status.DONE_EARLIER, attempts=0) for node in sorted(finished)],
        )

    def _recheck(self, run_id: str, planned: PlannedStep, finished: frozenset[str]) -> None:
        """Before resuming a step, look at its targets in check mode and journal what is seen."""
        try:
            nodes, _ = self._targets(run_id, planned, finished)
        except EngineError:
            return
        self._attempt_all(run_id, planned, nodes, check_only=True)

    def _run_step(self, run_id: str, planned: PlannedStep, finished: frozenset[str]) -> StepOutcome:
        outcome = StepOutcome(planned)
        try:
            nodes, skipped = self._targets(run_id, planned, finished)
        except EngineError as exc:
            error = StepError.from_exception(exc)
            error = replace(error, message=f"choosing the node failed: {error.message}")
            outcome.targets.append(TargetOutcome("-", Status.FAILED, errors=(error,)))
            return outcome
        outcome.targets.extend(skipped)
        if planned.step.serial:
            outcome.targets.extend(self._roll(run_id, planned, nodes))
        else:
            outcome.targets.extend(self._attempt_all(run_id, planned, nodes, check_only=None))
        outcome.targets.extend(
            TargetOutcome(node, Status.DONE_EARLIER, attempts=0) for node in sorted(finished)
        )
        return outcome

    def _roll(self, run_id: str, planned: PlannedStep, nodes: list[str]) -> list[TargetOutcome]:
        """A rolling step (``Step.serial``): changes on one node at a time, in inventory order.

        What must never happen on every node at once is the *change* (a restart), not the
        reading. So with several nodes the step is first checked on all of them at once
        (``-CheckOnly``, journaled and logged as a check): a node with nothing to change is
        done there, unchanged, without waiting for the others; only the nodes that would
        change are then applied, one at a time. A failed check stops the roll before any
        change; after a failed change or an interrupt the remaining nodes are not touched
        (they show as not run, and a resume checks them again). In a check-only run the
        checks are the whole step, so they all run at once.
        """
        if self.options.check_only:
            return self._attempt_all(run_id, planned, nodes, check_only=None)
        if len(nodes) == 1:
            return self._roll_changes(run_id, planned, nodes, {})
        checks = self._attempt_all(run_id, planned, nodes, check_only=True)
        return self._roll_changes(run_id, planned, nodes, {t.node: t for t in checks})

    def _roll_changes(
        self,
        run_id: str,
        planned: PlannedStep,
        nodes: list[str],
        checked: Mapping[str, TargetOutcome],
    ) -> list[TargetOutcome]:
        """The changes of a rolling step once it was checked on ``nodes`` (a single node is
        not checked: it is changed at once): one node at a time, in inventory order, only
        where the check found a difference; the first failure ends the roll.

        A failed or missing check (a failure elsewhere stopped the node first) or a stop
        changes nothing at all. A node whose check would change and that is not changed
        is left out of the outcome (not run: resume checks it again), never reported as
        changed; a node with nothing to change is done, unchanged.
        """
        to_change = list(nodes)
        if checked or len(nodes) > 1:
            to_change = [n for n in nodes if n in checked and checked[n].status is Status.CHANGED]
            if (
                self._stop.is_set()
                or any(n not in checked for n in nodes)
                or any(t.status is Status.FAILED for t in checked.values())
            ):
                to_change = []
        changed: dict[str, TargetOutcome] = {}
        for node in to_change:
            done = self._attempt_all(run_id, planned, [node], check_only=None)
            changed.update((t.node, t) for t in done)
            if self._stop.is_set() or not done or done[0].status is Status.FAILED:
                break
        return [
            changed[node] if node in changed else checked[node]
            for node in nodes
            if node in changed or (node in checked and checked[node].status is not Status.CHANGED)
        ]

    def _run_node_by_node(
        self,
        run_id: str,
        segment: list[PlannedStep],
        done: Mapping[int, frozenset[str]],
        *,
        recheck: bool,
    ) -> list[StepOutcome]:
        """Steps that need not wait for every node: each node goes through them on its own.

        A node starts the next step as soon as it finished the one before, so a slow node
        holds back only itself; at most ``parallel`` nodes work at once, each for the
        whole segment. A failure (not ``continue_on_error``) lets the nodes already
        working finish their step, then none starts another (nodes not yet started still
        run the segment's first step, as they would in a step that waits for all). A
        resumed run first re-checks each node's first unfinished step, as a step that
        waits for all nodes re-checks its own.
        """
        last = segment[-1]
        rolling = [n for n in self.plan.nodes if n not in done.get(last.index, frozenset())]
        # A rolling last step is checked node by node here; its changes wait for every
        # node's check and go one node at a time (_roll_changes), as its own would.
        roll = last.step.serial and not self.options.check_only and len(rolling) > 1
        chains: dict[str, list[_Leg]] = {}
        for node in self.plan.nodes:
            pending = [p for p in segment if node not in done.get(p.index, frozenset())]
            if not pending:
                continue
            legs = [_Leg(p, check_only=True if roll and p is last else None) for p in pending]
            if recheck:
                legs.insert(0, _Leg(pending[0], check_only=True, reported=False))
            chains[node] = legs
        outcomes = self._attempt_chains(run_id, chains, first_index=segment[0].index)
        if roll:
            checked = {
                n: outcomes.pop((last.index, n)) for n in rolling if (last.index, n) in outcomes
            }
            rolled = self._roll_changes(run_id, last, rolling, checked)
            outcomes.update(((last.index, t.node), t) for t in rolled)
        steps: list[StepOutcome] = []
        for planned in segment:
            finished = done.get(planned.index, frozenset())
            outcome = StepOutcome(planned)
            outcome.targets.extend(
                outcomes[(planned.index, node)]
                for node in self.plan.nodes
                if (planned.index, node) in outcomes
            )
            outcome.targets.extend(
                TargetOutcome(node, Status.DONE_EARLIER, attempts=0) for node in sorted(finished)
            )
            if outcome.targets:
                steps.append(outcome)
        return steps

    def _attempt_all(
        self, run_id: str, planned: PlannedStep, nodes: list[str], *, check_only: bool | None
    ) -> list[TargetOutcome]:
        """Attempt the step on ``nodes``, at most ``parallel`` at once (:meth:`_attempt_chains`)."""
        leg = _Leg(planned, check_only)
        outcomes = self._attempt_chains(
            run_id, {node: [leg] for node in nodes}, first_index=planned.index
        )
        return [
            outcomes[(planned.index, node)] for node in nodes if (planned.index, node) in outcomes
        ]

    def _attempt_chains(
        self, run_id: str, chains: Mapping[str, list[_Leg]], *, first_index: int
    ) -> dict[tuple[int, str], TargetOutcome]:
        """Make each node's attempts in order, at most ``parallel`` nodes at once, each on
        its own thread (an idle one from an earlier attempt when there is one: :mod:`.workers`).

        Outcomes are keyed by (step index, node). After a reported failure no node starts
        an attempt of a step other than ``first_index`` (the one every node starts with).
        The calling thread only waits, so an interrupt is seen at once: no node starts
        after it, running pipelines are asked to stop, and attempts that have not answered
        within the stop grace (:attr:`RunOptions.stop_grace_s`) are journaled as interrupted
        and left behind (daemon threads: a node that never answers cannot keep the process
        alive).
        """
        results: queue.SimpleQueue[object] = queue.SimpleQueue()
        pending = list(chains)
        running: set[str] = set()
        kept = _KeptOutcomes()
        # The leg each node works on now (guarded by the claims lock, which also guards
        # the attempts in flight): what an interrupt journals for a node still running.
        current: dict[str, _Leg] = {}
        failed = threading.Event()
        workers = max(1, min(self.options.parallel, len(chains)))

        def work(node: str) -> Delivery:
            # An error no attempt can turn into an outcome (the journal could not record
            # the attempt: a full state directory) must reach the calling thread, which
            # would otherwise wait for this node forever.
            try:
                for leg in chains[node]:
                    if failed.is_set() and leg.planned.index != first_index:
                        break
                    with self._claims:
                        current[node] = leg
                    outcome = self._attempt(run_id, leg.planned, node, check_only=leg.check_only)
                    if outcome is None:
                        break
                    if not leg.reported:
                        continue
                    kept.keep(leg.planned.index, node, outcome)
                    if outcome.status is Status.FAILED and not leg.planned.step.continue_on_error:
                        failed.set()
                        break
            except BaseException as exc:  # noqa: BLE001 (re-raised by the calling thread)
                error = _WorkerFailed(exc)
                return lambda: results.put((node, error))
            return lambda: results.put((node, _CHAIN_END))

        failure: _WorkerFailed | None = None

        with self._stop.listening(lambda: results.put(_STOP)):
            while pending or running:
                while pending and len(running) < workers and not self._stop.is_set():
                    node = pending.pop(0)
                    running.add(node)
                    # Each worker runs in a copy of this thread's context: the run's bound
                    # log fields reach the records logged there.
                    context = contextvars.copy_context()
                    self._workers.submit(functools.partial(context.run, work, node), label=node)
                if not running:
                    break
                try:
                    item = get_handling_signals(results)
                except KeyboardInterrupt:
                    self._stop.request("SIGINT")
                    continue
                if item is _STOP:
                    break
                failure = self._delivered(item, running)
                if failure is not None:
                    break
        if failure is not None:
            # No further node starts; pipelines still running are asked to stop (best
            # effort) and left behind: their ends cannot be journaled either, and resume
            # checks them again. (The outcomes, which a late worker may still add to,
            # are thrown away with the error.)
            self._interrupt_all(running)
            raise failure.error
        if running:
            self._stop_running(run_id, running, current, results, kept)
        return kept.outcomes

    def _interrupt_all(self, running: set[str]) -> None:
        """Ask each running node's pipeline to stop (best effort, never raises), and end
        each wait for a left pipeline, which may be on another node (:meth:`_settle_left`)."""
        with self._claims:
            settling = {node for node, waits in self._settling_on.items() if waits}
        for node in sorted(running | settling):
            self._sessions.interrupt(node)

    @staticmethod
    def _delivered(item: object, running: set[str]) -> _WorkerFailed | None:
        """Take a node worker's last word from the result queue; its error, if it failed.

        The node's outcomes are already kept (:class:`_KeptOutcomes`).
        """
        node, result = cast("tuple[str, object]", item)
        running.discard(node)
        return result if isinstance(result, _WorkerFailed) else None

    def _stop_running(
        self,
        run_id: str,
        running: set[str],
        current: Mapping[str, _Leg],
        results: queue.SimpleQueue[object],
        kept: _KeptOutcomes,
    ) -> None:
        """After an interrupt: stop the running pipelines, keep what answers in time.

        Workers that have not answered are left behind: from then on, what they finish
        is no longer kept.
        """
        outcomes = kept.outcomes
        self._abandon(run_id, running, current, outcomes, unsent_only=True)
        self._interrupt_all(running)
        grace = self.options.stop_grace_s
        deadline = time.monotonic() + (INTERRUPT_GRACE_S if grace is None else grace)
        while running:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                item = get_handling_signals(results, timeout=remaining)
            except queue.Empty:
                break
            except KeyboardInterrupt:
                continue
            if item is _STOP:
                continue
            failure = self._delivered(item, running)
            if failure is not None:
                raise failure.error
        self._abandon(run_id, running, current, outcomes)
        kept.stop()
        with self._claims:
            # An end claimed by its worker is not left half-way: the run's own end, and
            # what resume reads, come after it (the attempts' ends, then the run's).
            self._ends_written.wait_for(lambda: not self._writing)

    def _abandon(
        self,
        run_id: str,
        running: set[str],
        current: Mapping[str, _Leg],
        outcomes: dict[tuple[int, str], TargetOutcome],
        *,
        unsent_only: bool = False,
    ) -> None:
        """Journal the attempts still in flight as interrupted, and leave them behind.

        An attempt whose script was never sent (its pool was still opening) did not run:
        it is journaled so at once, without waiting for the node. The stop is set, so no
        such attempt can send its script any more (:meth:`_execute` checks under the lock),
        and no node starts another.
        """
        for node in sorted(running):
            with self._claims:
                leg = current.get(node)
                if leg is None:
                    continue  # its worker has not started an attempt, and never will
                planned = leg.planned
                sent = (planned.index, node) in self._sent
                if unsent_only and sent:
                    continue
                inflight = self._inflight.pop((planned.index, node), None)
                if inflight is None:
                    continue  # it never started, or already ended: its worker reports it
                attempt_id, began = inflight
                self._abandoned.add(attempt_id)
                outcome = self._interrupted(node, attempts=1, started=began, sent=sent)
                # Sent, its pipeline may run on after the run (it was asked to stop).
                self._finish(attempt_id, outcome, None if sent else "unsent")
            running.discard(node)
            if leg.reported:
                outcomes[(planned.index, node)] = outcome
            check = self.options.check_only if leg.check_only is None else leg.check_only
            self._log_finished(run_id, planned, outcome, None, check)
            if self._progress:
                self._progress("finished", planned, node, outcome)

    def _interrupted(
        self, node: str, *, attempts: int, started: int | None = None, sent: bool = True
    ) -> TargetOutcome:
        reason = self._stop.reason or "a stop request"
        what = (
            "before the node answered; the step's effect there is unknown"
            if sent
            else "before its script was sent; the step did not run there"
        )
        error = StepError.from_exception(
            RunInterrupted(f"{node}: interrupted ({reason}) {what}, resume re-checks it")
        )
        duration = 0 if started is None else time.monotonic_ns() - started
        return TargetOutcome(
            node, Status.FAILED, errors=(error,), duration_ns=duration, attempts=attempts
        )

    def _targets(
        self, run_id: str, planned: PlannedStep, finished: frozenset[str]
    ) -> tuple[list[str], list[TargetOutcome]]:
        """The nodes the step runs on now, and the nodes an "any node" step passed over."""
        target = planned.step.target
        if target is Target.EVERY_NODE:
            return [n for n in self.plan.nodes if n not in finished], []
        if target is Target.GROUP_OWNER:
            return [self._group_owner(run_id, planned)], []
        node, skipped = self._any_node(run_id, planned)
        return [node], skipped

    def _any_node(self, run_id: str, planned: PlannedStep) -> tuple[str, list[TargetOutcome]]:
        """The first node, in inventory order, that can be reached; and those passed over.

        Sessions are lazy, so having one proves nothing: each node is connected to here,
        before the step is journaled on it. Every node but the last gets one attempt,
        because another node can serve the step at once; the last is retried within the
        connect deadline, as the only node of any step would be. A node passed over is
        logged (``step.node_skipped``), shown on the console and kept in the outcome.
        """
        skipped: list[TargetOutcome] = []
        errors: list[str] = []
        nodes = self.plan.nodes
        for position, node in enumerate(nodes):
            last = position == len(nodes) - 1
            try:
                self._sessions.get(node).connect(retry=last)
            except TransportError as exc:
                self._sessions.forget(node)
                errors.append(str(exc))
                if not last:
                    skipped.append(self._skip(run_id, planned, node, exc))
                continue
            return node, skipped
        raise TransportError("no node is reachable: " + "; ".join(errors))

    def _skip(
        self, run_id: str, planned: PlannedStep, node: str, exc: TransportError
    ) -> TargetOutcome:
        outcome = TargetOutcome(
            node, Status.SKIPPED, errors=(StepError.from_exception(exc),), attempts=0
        )
        self._log.warning(
            f"{planned.step.name}: skipped {node} ({exc}); trying the next node",
            action="step.node_skipped",
            **self._fields(run_id),
            user=self.options.user,
            step=planned.step.name,
            node=node,
            reason=str(exc),
        )
        if self._progress:
            self._progress("skipped", planned, node, outcome)
        return outcome

    def _group_owner(self, run_id: str, planned: PlannedStep) -> str:
        """Ask the cluster which node owns the step's group, with the planned probe.

        The probe is the one the plan rendered, linted and a bundle exported and hashed:
        nothing is rendered here, so a run never executes a script nobody reviewed.
        """
        group = planned.step.group or ""
        script = planned.owner_probe
        if script is None:
            raise StepFailed(f"step {planned.slug} targets the owner of '{group}' but has no probe")
        errors: list[str] = []
        for node in self.plan.nodes:
            try:
                session = self._sessions.get(node)
                raw = session.run(ScriptCall(script.text, planned.owner_arguments, 60.0))
            except TransportError as exc:
                errors.append(str(exc))
                self._sessions.forget(node)
                continue
            parsed = _parse(raw, StepResult)
            if parsed.failed or parsed.data is None:
                detail = "; ".join(e.message for e in parsed.errors) or "no result"
                raise StepFailed(f"finding the owner of group '{group}' on {node}: {detail}")
            owner = str(parsed.data.model_dump().get("OwnerNode", ""))
            match = next((n for n in self.plan.nodes if n.casefold() == owner.casefold()), None)
            if match is None:
                raise StepFailed(
                    f"group '{group}' is owned by {owner!r}, which is not in the inventory"
                )
            self._log.debug(
                "step.target",
                action="step.target",
                **self._fields(run_id),
                user=self.options.user,
                node=match,
                step=planned.step.name,
                group=group,
            )
            return match
        raise TransportError(f"no node answered the owner query for '{group}': {'; '.join(errors)}")

    # ------------------------------------------------------------------ one node

    def _attempt(
        self, run_id: str, planned: PlannedStep, node: str, *, check_only: bool | None
    ) -> TargetOutcome | None:
        """One step on one node, journaled before and after; None if a stop came first."""
        check = self.options.check_only if check_only is None else check_only
        arguments: dict[str, Any] = dict(planned.arguments)
        if check:
            arguments["CheckOnly"] = True
        pipeline = None if check or not planned.step.changes else self._pipeline_for(node)
        with self._claims:
            if self._stop.is_set():
                return None
            self._writing += 1
        try:
            # Outside the claims lock, so the nodes of a step starting together share one
            # synced journal commit (the journal's group commit) instead of queueing for
            # one each; counted as being written, so an interrupted step waits for it:
            # until it is in flight, the calling thread cannot see it to end it.
            attempt_id = self.journal.begin_attempt(
                run_id=run_id,
                step_index=planned.index,
                step_name=planned.step.name,
                node=node,
                script_sha256=planned.script.sha256,
                check_only=check,
                pipeline=pipeline,
            )
            with self._claims:
                if self._stop.is_set():
                    # The stop came while the start was being recorded: the script is
                    # never sent; the attempt is ended as interrupted, as one still
                    # running would be, before the calling thread moves on.
                    unsent: OwnPipelineEnd | None = None if pipeline is None else "unsent"
                    outcome = self._interrupted(node, attempts=0, sent=False)
                    self._finish(attempt_id, outcome, unsent)
                    return None
                self._inflight[(planned.index, node)] = (attempt_id, time.monotonic_ns())
        finally:
            self._written()
        if self._progress:
            self._progress("started", planned, node, None)
        self._log.debug(
            "step.started",
            action="step.started",
            **self._fields(run_id),
            user=self.options.user,
            step=planned.step.name,
            step_index=planned.index,
            node=node,
            check_only=check,
            script_sha256=planned.script.sha256,
        )
        started = time.monotonic_ns()
        outcome, user, pipeline_end = self._execute(
            planned, node, arguments, check, started, pipeline, attempt_id
        )
        with self._claims:
            if attempt_id in self._abandoned:
                return None  # the main thread recorded it as interrupted and moved on
            self._inflight.pop((planned.index, node), None)
            self._writing += 1
        # Claimed above, written here: once out of the attempts in flight, this end is
        # this thread's alone to write, and the other nodes need not wait for the
        # journal's write to take the claims lock (issue 16: 64 threads queued on it).
        # An interrupted step waits for it (_stop_running).
        try:
            self._finish(attempt_id, outcome, pipeline_end)
        finally:
            self._written()
        self._log_finished(run_id, planned, outcome, user, check)
        if self._progress:
            self._progress("finished", planned, node, outcome)
        return outcome

    def _pipeline_for(self, node: str) -> PipelineRef | None:
        """A new pipeline id, with the client session id of the node's session, for an
        apply attempt of a step that changes: journaled before the script is sent, so a
        resume can find the pipeline if this process dies (:meth:`RunSession.execute`).
        None when the node's session cannot even be made: the attempt then fails on it."""
        try:
            client_id = self._sessions.get(node).client_id
        except Exception:  # noqa: BLE001 (the same error ends the attempt in _execute)
            return None
        return PipelineRef(client_id=client_id, pipeline_id=str(uuid.uuid4()).upper())

    def _settle_left(self, session: Session, planned: PlannedStep, node: str) -> None:
        """Let the pipelines interrupted runs left that this attempt must not run beside
        end first (:meth:`_settle`), so a step never runs twice at once.

        Which: this step's on this node; for a step done by one node chosen at run time
        (any node, the group's owner) this step's on every node too (the group may have
        moved since, and a cluster cmdlet acts on the same cluster objects from any
        node); and every pipeline another run left (another runbook's step may change
        what this one does), on whichever node. Each is settled once: the node threads
        that need one wait for the first to settle it.
        """
        with self._claims:
            keys = [k for k in self._left if k[0] is None]
            keys.append((planned.index, node))
            if planned.step.target is not Target.EVERY_NODE:
                keys += [k for k in self._left if k[0] == planned.index and k[1] != node]
            waiting = [left for key in dict.fromkeys(keys) for left in self._left.get(key, ())]
        for left in waiting:
            with self._left_locks[left.attempt_id]:
                with self._claims:
                    if left not in self._left.get((left.step_index, left.node), ()):
                        continue  # another node's thread settled it meanwhile
                on = session if left.node == node else self._sessions.get(left.node)
                with self._claims:
                    self._settling_on[left.node] += 1
                try:
                    settled = self._settle(on, planned, left, "its run ended without its result")
                finally:
                    with self._claims:
                        self._settling_on[left.node] -= 1
                self._journal_settled(left, settled)
                with self._claims:
                    self._left[(left.step_index, left.node)].remove(left)

    def _journal_settled(self, left: LeftPipeline, settled: Settlement) -> None:
        """Tell the journal how ``left`` ended, so no later run asks its node again; a
        ``running`` attempt is also finished (its process never could)."""
        with contextlib.suppress(JournalError):  # another process recorded it first
            if left.journaled_running:
                self.journal.finish_attempt(
                    left.attempt_id,
                    status="failed",
                    changed=None,
                    result=None,
                    errors=(StepError(message=journaled_end(settled, self._run_id, left.node)),),
                    duration_ns=0,
                )
        self.journal.record_pipeline_end(left.attempt_id, settled, by_run=self._run_id)

    def _timeout_s(self, planned: PlannedStep) -> float:
        """The step's time on one node: ``--step-timeout``, or the step's designed wait
        plus its margin when that is longer and the timeout was not the operator's."""
        cap = self.options.step_timeout_s
        return cap if self.options.step_timeout_given else planned.step.timeout_s(cap)

    def _settle(
        self, session: Session, planned: PlannedStep, left: LeftPipeline, why: str
    ) -> Settlement:
        """Wait up to the step timeout for ``left`` to end on its node, then stop it (see
        :mod:`psrunbook.transport.left_pipelines`).

        A pipeline the node cannot account for raises the transport's error: the attempt
        fails with it (or is retried, as a connection error is), and nothing is sent. The
        wait is announced only when there is one: most left attempts failed by their
        script's own error, and their pipeline is gone.
        """
        node = left.node
        fields = {
            **self._fields(self._run_id),
            "user": self.options.user,
            "step": planned.step.name,
            "step_index": planned.index,
            "node": node,
            "left_attempt_id": left.attempt_id,
        }
        what = f"the script of attempt {left.attempt_id} of {left.step_name or planned.step.name}"
        if left.run_id and left.run_id != self._run_id:
            what += f" (run {left.run_id})"
        wait_s = self._timeout_s(planned)

        def announce() -> None:
            self._log.warning(
                f"{node}: {what} is still on the node ({why}); waiting up to {wait_s:g} s "
                "for it to end before the step runs there again",
                action="step.left_running",
                **fields,
                wait_s=wait_s,
            )

        started = time.monotonic()
        try:
            settled = session.settle(left.pipeline, wait_s, announce)
        except TransportError as exc:
            then = (
                "the step is not sent to the node until it can: resume again once the node answers"
                if left.step_index is not None
                else f"no step of this run is sent until it can: resume it once {node} "
                f"answers, or, if {node} is gone for good, start a new run from an "
                "inventory that leaves it out"
            )
            self._log.warning(
                f"{node}: cannot tell whether {what} has ended there ({exc}); {then}",
                action="step.left_unsettled",
                **fields,
                reason=str(exc),
            )
            raise
        log = self._log.debug if settled == "absent" else self._log.info
        log(
            f"{node}: {what}: {SETTLED[settled]}",
            action="step.left_settled",
            **fields,
            settlement=settled,
            waited_s=round(time.monotonic() - started, 3),
        )
        return settled

    def _written(self) -> None:
        """A start or an end counted in ``_writing`` is in the journal (or failed to be)."""
        with self._claims:
            self._writing -= 1
            if not self._writing:
                self._ends_written.notify_all()

    def _finish(
        self, attempt_id: int, outcome: TargetOutcome, pipeline_end: OwnPipelineEnd | None
    ) -> None:
        self.journal.finish_attempt(
            attempt_id,
            status="failed" if outcome.status is Status.FAILED else "succeeded",
            changed=None if outcome.status is Status.FAILED else outcome.status is Status.CHANGED,
            result=outcome.result,
            errors=outcome.errors,
            duration_ns=outcome.duration_ns,
            pipeline_end=pipeline_end,
        )

    def _execute(
        self,
        planned: PlannedStep,
        node: str,
        arguments: dict[str, Any],
        check: bool,
        started: int,
        pipeline: PipelineRef | None = None,
        attempt_id: int = 0,
    ) -> tuple[TargetOutcome, str | None, OwnPipelineEnd | None]:
        """Run the attempt's script on the node, retrying what may be retried: the
        outcome, the remote user, and what is known of the pipeline's end there (for
        the journal: None when it was sent and its end never came back)."""
        call = ScriptCall(
            planned.script.text,
            arguments,
            self._timeout_s(planned),
            pipeline_id=None if pipeline is None else pipeline.pipeline_id,
        )
        repeatable = check or planned.step.safe_to_repeat or not planned.step.changes
        attempts = 0
        user: str | None = None
        tried = False

        def unseen() -> OwnPipelineEnd | None:
            """The pipeline's end for the journal when no result came back."""
            return None if tried or pipeline is None else "unsent"

        def stopped(sent: bool) -> tuple[TargetOutcome, str | None, OwnPipelineEnd | None]:
            outcome = self._interrupted(node, attempts=attempts, started=started, sent=sent)
            return outcome, user, unseen()

        while True:
            attempts += 1
            tried_before = tried
            try:
                session = self._sessions.get(node)
                user = session.user
                session.connect()  # opening the pool sends no script: see _abandon
                self._settle_left(session, planned, node)
                if tried and pipeline is not None:
                    # A try that failed by the transport may have left its script running
                    # (a dropped connection stops nothing on the node): not twice at once.
                    earlier = LeftPipeline(attempt_id, planned.index, node, pipeline)
                    self._settle(session, planned, earlier, "the connection failed before its end")
                with self._claims:
                    sent = (planned.index, node) in self._sent
                    if self._stop.is_set():
                        return stopped(sent)
                    self._sent.add((planned.index, node))
                tried = True
                raw = session.run(call)
            except RunInterrupted as exc:
                if not exc.script_sent:  # the session knows no part of this try reached it
                    tried = tried_before
                return stopped(tried)
            except TransportError as exc:
                if not exc.script_sent:
                    tried = tried_before
                self._sessions.forget(node)
                if self._stop.is_set():
                    return stopped(tried)
                if repeatable and is_transient(exc) and attempts <= self.options.retries:
                    if self._backoff(attempts):
                        return stopped(tried)
                    continue
                return (
                    TargetOutcome(
                        node,
                        Status.FAILED,
                        errors=(StepError.from_exception(exc),),
                        duration_ns=time.monotonic_ns() - started,
                        attempts=attempts,
                    ),
                    user,
                    unseen(),
                )
            break
        ended: OwnPipelineEnd | None = None if pipeline is None else "seen"
        parsed = _parse(raw, planned.step.result)
        duration = time.monotonic_ns() - started
        if parsed.failed:
            # A pipeline can end Failed without a single error record; say so rather
            # than fail with nothing to show.
            errors = parsed.errors or (StepError(message="the script reported a failure"),)
            return (
                TargetOutcome(
                    node, Status.FAILED, errors=errors, duration_ns=duration, attempts=attempts
                ),
                user,
                ended,
            )
        status = Status.CHANGED if parsed.changed else Status.UNCHANGED
        return (
            TargetOutcome(
                node, status, result=parsed.data, duration_ns=duration, attempts=attempts
            ),
            user,
            ended,
        )

    def _backoff(self, attempt: int) -> bool:
        """Wait before a retry; True when a stop request ended the wait (do not retry)."""
        delay = self.options.backoff_s * (2 ** (attempt - 1))
        return self._stop.wait(delay * (0.5 + self._random.random()))

    def _log_finished(
        self,
        run_id: str,
        planned: PlannedStep,
        outcome: TargetOutcome,
        user: str | None,
        check: bool,
    ) -> None:
        failed = outcome.status is Status.FAILED
        # A failed attempt's effect is unknown (the journal records no `changed` either);
        # a check reports what it would change, never that it changed anything.
        found = None if failed else outcome.status is Status.CHANGED
        log = self._log.error if failed else self._log.info
        log(
            "step.finished",
            action="step.finished",
            **self._fields(run_id),
            step=planned.step.name,
            step_index=planned.index,
            node=outcome.node,
            user=user or self.options.user,
            changed=None if check else found,
            would_change=found if check else None,
            check_only=check,
            outcome="failure" if failed else "success",
            duration_ns=outcome.duration_ns,
            script_sha256=planned.script.sha256,
            bundle_sha256=self.options.bundle_sha256,
            attempts=outcome.attempts,
            error=_logged_error(outcome.errors[0]) if failed else None,
        )


def _logged_error(error: StepError) -> StepError:
    """The first error as the canonical ``step.finished`` event reports it.

    A SIEM groups failures by type and code: an error that names no exception type is
    logged as a ``StepFailed``, and the code of ``throw 'text'``, which PowerShell makes
    the text itself (followed, from a script, by ``,ScriptName``), is replaced by the
    exception type. Any other code that is not an identifier is replaced when the
    event is shaped (:mod:`psrunbook.logging`).
    """
    kind = error.exception_type or StepFailed.__name__
    code = error.fully_qualified_error_id
    if code is not None and (code == error.message or code.startswith(error.message + ",")):
        code = kind
    return replace(error, exception_type=kind, fully_qualified_error_id=code)


def _segments(steps: Sequence[PlannedStep]) -> list[list[PlannedStep]]:
    """The plan's steps in runs that go node by node: a step that waits for all nodes
    starts a new run; one that does not joins the run of the step before it (which the
    runbook's own check guarantees is an every-node step on each node alone)."""
    segments: list[list[PlannedStep]] = []
    for planned in steps:
        if segments and not planned.step.waits_for_all_nodes:
            segments[-1].append(planned)
        else:
            segments.append([planned])
    return segments


def _parse(raw: RawResult, result_model: type[StepResult]) -> ParsedOutput:
    return parse_output(raw.output, raw.errors, raw.had_errors, result_model)
