"""The DBOS Transact adapter of the fleet seam (:mod:`psrunbook.fleet.engine`).

How the seam maps onto DBOS (``dbos`` on PyPI; the source read is version 3.4):

* a run is the workflow ``psrunbook.run`` whose id is the journal's run id, queued on
  ``psrunbook-runs``: a partitioned queue with ``partition_concurrency=1``. A run that
  changes its cluster is queued under the partition ``cluster:<name>``, so one such run
  per cluster is PENDING fleet-wide and the next waits in submit order; a read-only run
  gets a partition of its own and is never held back. ``worker_concurrency`` and
  ``global_concurrency`` are that queue's per-worker and fleet-wide caps;
* a runbook step is one ``DBOS.run_step``: checkpointed, replayed from its record after
  a recovery, executed again only when a crash interrupted it (then re-checked first);
* an approval is the workflow ``psrunbook.gate`` (id ``<run id>.gate``) on the unlimited
  queue ``psrunbook-approvals``: it waits in ``DBOS.recv`` for the ``decision`` message
  (``DBOS.send``) and, once approved, enqueues the run; a run awaiting approval therefore
  holds neither its cluster's place nor a worker's slot;
* state is the workflow's status plus the ``state`` event (``DBOS.set_event``);
* cancel is ``cancel_workflow``: DBOS refuses to start the cancelled workflow's next step;
* recovery: a worker is a DBOS executor whose ``executor_id`` is the worker id, so a
  restarted worker recovers its own PENDING runs at launch; ``--recover-from`` and the
  takeover of a silent worker call DBOS's recovery (``_recover_pending_workflows``, the
  only entry point DBOS has for another executor's workflows: its name is private).
  DBOS (without its commercial Conductor) knows no liveness, so workers write a
  heartbeat row (:mod:`psrunbook.fleet.heartbeats`) and take over a worker silent for
  longer than the takeover timeout.

Every operator command uses a :class:`dbos.DBOSClient` (no launch: it never recovers or
executes anything); only ``psrunbook worker`` launches DBOS.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final, TypeVar

import msgspec
import sqlalchemy as sa
from dbos import DBOS, DBOSClient, DBOSConfig, EnqueueOptions, SetEnqueueOptions, SetWorkflowID
from dbos._dbos import _get_dbos_instance
from dbos._error import (
    DBOSAwaitedWorkflowCancelledError,
    DBOSException,
    DBOSWorkflowCancelledError,
    DBOSWorkflowConflictIDError,
)
from sqlalchemy.exc import SQLAlchemyError

from psrunbook.errors import JournalError
from psrunbook.execution.interrupts import wait_handling_signals
from psrunbook.fleet.body import Pause, approved, gate_body, run_body
from psrunbook.fleet.engine import StopReason, WorkerOptions
from psrunbook.fleet.heartbeats import Heartbeats, engine_url
from psrunbook.fleet.spec import STATES, Decision, FleetStatus, RunSpec, RunState
from psrunbook.fleet.work import FleetWork
from psrunbook.logging import get_logger
from psrunbook.version import VERSION

T = TypeVar("T")

APP: Final = "psrunbook"
RUNS_QUEUE: Final = "psrunbook-runs"
GATE_QUEUE: Final = "psrunbook-approvals"
RUN_WORKFLOW: Final = "psrunbook.run"
GATE_WORKFLOW: Final = "psrunbook.gate"
DECISION_TOPIC: Final = "decision"
STATE_EVENT: Final = "state"
POLL_S: Final = 0.1
"""How often a worker looks for queued runs; DBOS's default (1 s) would add a second per run."""
GATE_POLL_S: Final = 1.0
"""How often a worker looks for runs to gate (DBOS's default). A gate only starts a wait
for a human's decision, so a second does not matter; polled as often as the runs, the
approvals queue was the largest part of a busy worker's CPU (one dequeue transaction,
with DBOS's application-version check, ten times a second) and of PostgreSQL's."""
NOTIFY_COALESCE_S: Final = 0.05
"""How often DBOS sends the notifications a worker's writes owe to waiting readers (its
default, 0.01 s, wakes a thread a hundred times a second in every worker). Only a reader
waiting for one of a run's events waits up to this much longer."""
DECISION_WAIT_S: Final = 86_400.0
"""One wait for a decision; the gate waits again after each (approvals have no deadline)."""
APP_VERSION: Final = f"psrunbook-{VERSION}"
"""Every worker and submitter of one fleet runs the same psrunbook: DBOS dequeues and
recovers only the workflows of its own application version."""


def gate_id(run_id: str) -> str:
    return f"{run_id}.gate"


# --------------------------------------------------------------------------- workflows


class _Binding(msgspec.Struct):
    """The worker's FleetWork: DBOS workflows are module functions registered by name."""

    work: FleetWork
    pause: Pause


_bound: _Binding | None = None


def _binding() -> _Binding:
    if _bound is None:
        raise RuntimeError("a fleet workflow ran outside `psrunbook worker`")
    return _bound


class _DbosDurable:
    """:class:`~psrunbook.fleet.engine.Durable` on DBOS, inside one workflow."""

    def step(self, name: str, fn: Callable[..., T], *args: Any) -> T:
        return DBOS.run_step({"name": name}, fn, *args)

    def wait_decision(self) -> Decision:
        while True:
            message = DBOS.recv(DECISION_TOPIC, timeout_seconds=DECISION_WAIT_S)
            if isinstance(message, dict):
                return Decision.from_json(message)

    def report(self, state: RunState, **details: str) -> None:
        DBOS.set_event(STATE_EVENT, {"state": state, **details})

    def why_stopped(self, error: BaseException) -> StopReason:
        """DBOS says "cancelled" two ways: at the start of the next step, or, when a step
        ends after the cancel, by refusing its result as no longer this execution's
        (the cancel cleared the owner), which is also how it says "recovered elsewhere"."""
        if isinstance(error, DBOSWorkflowCancelledError | DBOSAwaitedWorkflowCancelledError):
            return "cancelled"
        if isinstance(error, DBOSWorkflowConflictIDError):
            workflow_id = DBOS.workflow_id
            cancelled = workflow_id is not None and _status_now(workflow_id) == "CANCELLED"
            return "cancelled" if cancelled else "superseded"
        # DBOS's own signals derive from BaseException; any other is the process ending.
        return "failed" if isinstance(error, Exception) else "superseded"


def _status_now(workflow_id: str) -> str | None:
    """The workflow's status in the system database, read directly: through the public
    ``DBOS.get_workflow_status`` the read would be checkpointed as a step of a workflow
    this execution no longer owns, and fail."""
    status = _get_dbos_instance()._sys_db.get_workflow_status(workflow_id)
    return None if status is None else str(status["status"])


@DBOS.workflow(name=RUN_WORKFLOW)
def _run_workflow(spec: dict[str, Any]) -> str:
    binding = _binding()
    return run_body(_DbosDurable(), RunSpec.from_json(spec), binding.work, binding.pause)


@DBOS.workflow(name=GATE_WORKFLOW)
def _gate_workflow(spec_json: dict[str, Any]) -> str:
    spec = RunSpec.from_json(spec_json)
    durable = _DbosDurable()
    outcome, sha256 = gate_body(durable, spec, _binding().work)
    if outcome == "approved" and sha256 is not None:
        queue = DBOS.retrieve_queue(RUNS_QUEUE)
        if queue is None:
            raise RuntimeError(f"queue {RUNS_QUEUE} is not registered")
        with SetWorkflowID(spec.run_id), SetEnqueueOptions(queue_partition_key=spec.partition):
            queue.enqueue(_run_workflow, approved(spec, sha256).to_json())
    return outcome


# --------------------------------------------------------------------------- client


def fleet_error(url: str, doing: str, exc: Exception) -> JournalError:
    """The fleet's database failed ``doing`` something: named, with the fix, as a journal
    that cannot be opened is (exit 2), never a traceback.

    Only the first line of the driver's own reason is quoted (SQLAlchemy appends the
    statement and its parameters); never the URL, which may hold a password.
    """
    cause = getattr(exc, "orig", None) or exc
    detail = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    if url.startswith("sqlite:"):
        where = f"fleet database {url.removeprefix('sqlite:///')}"
        fix = "restore it from a backup, or move it aside if no fleet uses this state directory"
    else:
        where = "the fleet's tables (schema dbos) of the journal database"
        fix = (
            "check that the database server is up and that the journal's user may create "
            "the schema dbos in that database (or owns it)"
        )
    return JournalError(f"cannot {doing} {where} ({detail}); {fix}")


@contextlib.contextmanager
def reaching(url: str, doing: str) -> Iterator[None]:
    """DBOS's and SQLAlchemy's errors, raised while ``doing``, as :func:`fleet_error`."""
    try:
        yield
    except (SQLAlchemyError, DBOSException) as exc:
        raise fleet_error(url, doing, exc) from None


def _quiet_dbos() -> None:
    """DBOS logs every launch and poll at INFO; psrunbook's own events say what matters."""
    logging.getLogger("dbos").setLevel(logging.WARNING)


def migrate(url: str) -> None:
    """Create or upgrade DBOS's tables in the system database (idempotent)."""
    _quiet_dbos()
    DBOS.migrate(url)


SYSTEM_SCHEMA: Final = "dbos"


def fleet_created(url: str) -> bool:
    """Whether a fleet was ever started in this database (DBOS's schema is there).

    ``runs`` asks before it opens the fleet: opening creates DBOS's schema, which a
    role given only the journal's schema may not do, and a journal no fleet ever used
    must list its runs all the same. A local fleet file exists only once a fleet did.
    """
    if url.startswith("sqlite:"):
        return True
    engine = sa.create_engine(engine_url(url), poolclass=sa.pool.NullPool)
    try:
        with reaching(url, "read"), engine.connect() as conn:
            return bool(sa.inspect(conn).has_schema(SYSTEM_SCHEMA))
    finally:
        engine.dispose()


class DbosEngine:
    """:class:`~psrunbook.fleet.engine.Engine` on DBOS, for operator commands."""

    def __init__(self, url: str, *, doing: str = "open") -> None:
        """``doing``: what the command does with the fleet, for the message should the
        database fail."""
        self._url = url
        with reaching(url, doing):
            migrate(url)
            self._client = DBOSClient(system_database_url=url, application_name=APP)
        self._queues_ready = False

    def _register_queues(self) -> None:
        if self._queues_ready:
            return
        # never_update: the workers' settings (concurrency, caps) are not the submitter's.
        self._client.register_queue(
            RUNS_QUEUE,
            partition_concurrency=1,
            polling_interval_sec=POLL_S,
            on_conflict="never_update",
        )
        self._client.register_queue(
            GATE_QUEUE, polling_interval_sec=GATE_POLL_S, on_conflict="never_update"
        )
        self._queues_ready = True

    def start(self, spec: RunSpec) -> None:
        with reaching(self._url, "queue a run in"):
            self._start(spec)

    def _start(self, spec: RunSpec) -> None:
        self._register_queues()
        if spec.require_approval:
            options = EnqueueOptions(
                workflow_name=GATE_WORKFLOW,
                queue_name=GATE_QUEUE,
                workflow_id=gate_id(spec.run_id),
                app_version=APP_VERSION,
            )
        else:
            options = EnqueueOptions(
                workflow_name=RUN_WORKFLOW,
                queue_name=RUNS_QUEUE,
                workflow_id=spec.run_id,
                queue_partition_key=spec.partition,
                app_version=APP_VERSION,
            )
        self._client.enqueue(options, spec.to_json())

    def decide(self, run_id: str, decision: Decision) -> None:
        with reaching(self._url, "send a decision through"):
            self._client.send(gate_id(run_id), decision.to_json(), DECISION_TOPIC)

    def cancel(self, run_id: str) -> None:
        with reaching(self._url, "cancel a run in"):
            found = self._client.list_workflows(workflow_ids=[run_id, gate_id(run_id)])
            self._client.cancel_workflows([w.workflow_id for w in found])

    def status(self, run_ids: Sequence[str]) -> Mapping[str, FleetStatus]:
        with reaching(self._url, "read"):
            return self._status(run_ids)

    def _status(self, run_ids: Sequence[str]) -> Mapping[str, FleetStatus]:
        ids = [*run_ids, *(gate_id(r) for r in run_ids)]
        found = {w.workflow_id: w for w in self._client.list_workflows(workflow_ids=ids)}
        result: dict[str, FleetStatus] = {}
        for run_id in run_ids:
            run, gate = found.get(run_id), found.get(gate_id(run_id))
            if run is None and gate is None:
                continue
            details: dict[str, Any] = {}
            for workflow in (gate, run):  # the run's own reports win over its gate's
                if workflow is not None:
                    details.update(self._reported(workflow.workflow_id))
            if run is not None:
                state = _state(run.status, details.get("state"))
            else:
                assert gate is not None
                state = _gate_state(gate.status, details.get("state"))
                details.setdefault("review_sha256", _spec_of(gate.input).review_sha256)
            decision = None
            if details.get("approved_by"):
                decision = Decision(
                    verdict="approve",
                    sha256=details.get("review_sha256"),
                    by=str(details["approved_by"]),
                    at=str(details.get("approved_at", "")),
                )
            chosen = run if run is not None else gate
            result[run_id] = FleetStatus(
                state=state,
                review_sha256=details.get("review_sha256") or None,
                decision=decision,
                worker=chosen.executor_id if chosen is not None else None,
                reason=str(details.get("reason", "")),
            )
        return result

    def step_progress(self, run_id: str) -> tuple[int, int] | None:
        """Which runbook step a running run is at, as (position, count), from its
        recorded durable steps; None before its worker planned it."""
        with reaching(self._url, "read"):
            recorded = self._client.list_workflow_steps(run_id)
        names = {s["function_name"] for s in recorded if s["completed_at_epoch_ms"] is not None}
        planned = next((s["output"] for s in recorded if s["function_name"] == "plan"), None)
        if not isinstance(planned, list) or not planned:
            return None
        position = next(
            (n for n, index in enumerate(planned, 1) if f"step {index}" not in names),
            len(planned),
        )
        return position, len(planned)

    def _reported(self, workflow_id: str) -> dict[str, Any]:
        event = self._client.get_event(workflow_id, STATE_EVENT, timeout_seconds=0)
        return event if isinstance(event, dict) else {}

    def close(self) -> None:
        with reaching(self._url, "close"):
            self._client.destroy()


def _spec_of(inputs: Any) -> RunSpec:
    """The spec a workflow was started with (its one argument)."""
    return RunSpec.from_json(inputs["args"][0])


def _gate_state(status: str, reported: object) -> RunState:
    """A run not yet queued for execution awaits approval until its gate decides."""
    if status in ("ENQUEUED", "PENDING") and reported in (None, "awaiting approval"):
        return "awaiting approval"
    return _state(status, reported)


def _state(status: str, reported: object) -> RunState:
    """The run's state from DBOS's workflow status and the last state the run reported."""
    if status == "ENQUEUED":
        return "queued"
    if status == "CANCELLED":
        return "cancelled"
    if status in ("ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"):
        return "failed"
    if isinstance(reported, str) and reported in STATES:
        state: RunState = next(s for s in STATES if s == reported)
        return state
    return "running" if status == "PENDING" else "finished"


# --------------------------------------------------------------------------- worker


class DbosWorker:
    """``psrunbook worker``: one DBOS executor serving the fleet's queues."""

    def __init__(self, url: str, work: FleetWork, options: WorkerOptions) -> None:
        self.url = url
        self.work = work
        self.options = options
        self.pause = Pause()
        self._log = get_logger("psrunbook.fleet")

    def serve(self, stop: threading.Event, serving: Callable[[], None] = lambda: None) -> None:
        """Execute queued runs until ``stop``; then wait for running steps to end.

        Runs this worker was executing stay unfinished (PENDING) and continue after a
        restart with the same id, or on the worker that takes them over. A live worker
        of the same id is refused before anything is recovered
        (:meth:`~psrunbook.fleet.heartbeats.Heartbeats.claim`); ``serving`` is called
        once this worker is started.
        """
        global _bound  # noqa: PLW0603 (DBOS workflows find the worker's FleetWork here)
        _quiet_dbos()
        with reaching(self.url, "open"):
            migrate(self.url)
            heartbeats = Heartbeats(self.url, self.options, self.take_over)
        try:
            with reaching(self.url, "register this worker in"):
                heartbeats.claim()
        except BaseException:
            heartbeats.close()
            raise
        _bound = _Binding(self.work, self.pause)
        config: DBOSConfig = {
            "name": APP,
            "system_database_url": self.url,
            "executor_id": self.options.worker_id,
            "application_version": APP_VERSION,
            "notification_listener_polling_interval_sec": POLL_S,
            "notification_coalesce_sec": NOTIFY_COALESCE_S,
            "log_level": "WARNING",
            # No ping before every use of a pooled connection: a round trip per DBOS
            # step's check and per record. A connection a server restart dropped fails
            # its first use instead, and DBOS retries that (db_retry: invalidated
            # connections are retriable), so only the first step after a restart waits.
            "db_engine_kwargs": {"pool_pre_ping": False},
        }
        try:
            with reaching(self.url, "start a worker on"):
                DBOS(config=config)
                DBOS.launch()
                DBOS.register_queue(
                    RUNS_QUEUE,
                    partition_concurrency=1,
                    worker_concurrency=self.options.concurrency,
                    global_concurrency=self.options.fleet_cap,
                    polling_interval_sec=POLL_S,
                    on_conflict="always_update",
                )
                DBOS.register_queue(
                    GATE_QUEUE, polling_interval_sec=GATE_POLL_S, on_conflict="always_update"
                )
            serving()
            self._log.info(
                "worker.started",
                action="worker.started",
                worker=self.options.worker_id,
                concurrency=self.options.concurrency,
                fleet_cap=self.options.fleet_cap,
                takeover_after_s=self.options.takeover_after_s,
            )
            for gone in self.options.recover_from:
                self.take_over(gone, reason="--recover-from")
            with heartbeats:
                wait_handling_signals(stop)
            self.pause.requested.set()
            self.pause.wait_idle(self.work.limits.step_timeout_s)
            self._log.info("worker.stopped", action="worker.stopped", worker=self.options.worker_id)
        finally:
            _bound = None

    def take_over(self, worker_id: str, *, reason: str) -> int:
        """Continue the runs ``worker_id`` left unfinished; returns how many."""
        handles = DBOS._recover_pending_workflows([worker_id])
        if handles:
            self._log.warning(
                "worker.takeover",
                action="worker.takeover",
                worker=self.options.worker_id,
                from_worker=worker_id,
                runs=[h.get_workflow_id() for h in handles],
                reason=reason,
            )
        return len(handles)
