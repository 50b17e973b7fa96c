"""The work of a fleet run, done through the run session exactly as ``run`` does it.

``submit`` resolves and prepares the run as ``run`` would (so bad input is refused
before anything is queued) and records it in the journal; a worker then continues the
journaled run as ``resume`` would: the runbook, version and parameters come from the
journal (secrets from the worker's environment), the inventory from the spec, and the
session proves nothing changed since submit. Each step is one
:meth:`~psrunbook.execution.session.RunSession.execute` ``through`` that step. What is
done is read from the journal once, when this process takes the run up (a new run, a
restart, a takeover), and then kept from the steps it executes itself (nothing else
writes a run's attempts while its execution is this one's); a step interrupted by a
crash is re-checked in check mode before it is applied again, never blindly re-applied.
"""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import msgspec
from msgspec.structs import replace

from psrunbook.bundle import review_sha256
from psrunbook.errors import InventoryError, ParameterError
from psrunbook.execution.session import (
    ExecutionLimits,
    PreparedRun,
    RunFrame,
    RunRequest,
    RunSession,
    StartedRun,
    done_after,
    done_from_status,
)
from psrunbook.fleet.kept_sessions import KeptSessions
from psrunbook.fleet.partition_holds import FleetHolds, PartitionHolds
from psrunbook.fleet.spec import Decision, RunSpec
from psrunbook.input_files import MAX_INPUT_BYTES, InputFileRefused, read_input_file
from psrunbook.inventory import inventory_from_toml
from psrunbook.logging import get_logger, os_user

if TYPE_CHECKING:
    from psrunbook.inventory import Inventory
    from psrunbook.journal import RunOutcome
    from psrunbook.journal_model import DecisionRecord, RunJournal
    from psrunbook.runbook.registry import RunbookRegistry
    from psrunbook.templates import TemplateLibrary


class _Live(msgspec.Struct):
    """A run this worker is executing: its plan, its sessions and its frame (one
    ``run.started``, one ``run.finished``), kept between steps."""

    prepared: PreparedRun
    transport: KeptSessions
    inventory: Inventory
    frame: RunFrame
    attempted: frozenset[int]
    """Steps attempted before this worker took the run up (a crash or a takeover): each
    is re-checked before it is applied. Steps this worker attempts itself need not be:
    a step interrupted here is continued by the next process, which reads the journal."""
    done: dict[int, frozenset[str]]
    """The nodes each step is done on: read from the journal when this worker took the
    run up, then kept from its own steps' reports (one journal read less a step)."""
    _review: str | None = None

    def review_sha256(self) -> str:
        """What a reviewer approves for this plan; computed (every script rendered into
        a bundle manifest) only for a run that was approved, when its hash is checked."""
        if self._review is None:
            self._review = _review_sha256(self.prepared, self.inventory)
        return self._review


class Submission(msgspec.Struct, frozen=True):
    """A run ``submit`` planned and has not recorded yet: its plan, and its spec less the
    run id the journal gives it."""

    prepared: PreparedRun
    spec: RunSpec


def read_inventory(path: Path) -> tuple[str, str]:
    """The inventory's text and the sha256 of its bytes (what the journal records).

    Read as every command reads a file an operator names (:mod:`psrunbook.input_files`):
    a FIFO, a device, a directory or a file over the size limit is refused, never waited
    on or read without end.
    """
    try:
        raw = read_input_file(path)
    except FileNotFoundError as exc:
        raise InventoryError(
            f"{path}: no such inventory file; check the path given with -i or --inventory-dir"
        ) from exc
    except IsADirectoryError:
        raise InventoryError(f"{path}: is a directory; give the inventory TOML file") from None
    except InputFileRefused as exc:
        raise InventoryError(
            f"{path}: inventory {exc.reason}; give the inventory TOML file "
            f"(a regular file of at most {MAX_INPUT_BYTES} bytes)"
        ) from None
    except OSError as exc:
        raise InventoryError(
            f"{path}: cannot read the inventory ({exc.strerror or exc}); "
            "check the path and its permissions"
        ) from None
    try:
        # utf-8-sig, as `run -i` reads it: Windows editors often save a byte-order mark.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InventoryError(
            f"{path}: is not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from None
    return text, hashlib.sha256(raw).hexdigest()


def _inventory(spec: RunSpec) -> Inventory:
    return inventory_from_toml(
        spec.inventory_text, path=Path(spec.inventory_name), digest=spec.inventory_sha256
    )


class FleetWork:
    """Queues and executes fleet runs against one journal; thread-safe for a worker."""

    def __init__(
        self,
        journal: RunJournal,
        registry: RunbookRegistry,
        library: TemplateLibrary,
        *,
        limits: ExecutionLimits | None = None,
        worker_id: str = "",
    ) -> None:
        self.journal = journal
        self.worker_id = worker_id
        """Names this worker where it decides itself (a refused approval)."""
        self.session = RunSession(journal, registry, library, holds=PartitionHolds())
        self.holds = FleetHolds(journal, worker_id)
        """The journal holds of the runs this worker executes (the session's are not used:
        a fleet run's hold outlives the worker process)."""
        self.limits = limits or ExecutionLimits()
        self._live: dict[str, _Live] = {}
        self._lock = threading.Lock()
        self._log = get_logger("psrunbook.fleet")

    # ------------------------------------------------------------------ submit

    def plan_runs(
        self,
        request: RunRequest,
        inventory_paths: list[Path],
        *,
        require_approval: bool = False,
        insecure: bool = False,
    ) -> list[Submission]:
        """Plan one run per inventory, recording nothing: the caller records them all
        (:meth:`record`) only once every one is planned.

        Everything ``run`` refuses before touching a node is refused here (exit 2), for
        every inventory before any run is journaled or queued: one bad inventory among
        many queues none.
        """
        intent = self.session.resolve(request)
        bundle = None if request.bundle is None else str(request.bundle.resolve())
        planned = []
        clusters: dict[str, Path] = {}
        for path in inventory_paths:
            text, digest = read_inventory(path)
            inventory = inventory_from_toml(text, path=path, digest=digest)
            # Two runs of one runbook on one cluster would change it twice, the second
            # after the first released its hold: a repeated -i, or two files naming it.
            name = inventory.cluster.name.casefold()
            if name in clusters:
                raise ParameterError(
                    f"{clusters[name]} and {path} both name cluster "
                    f"{inventory.cluster.name}: give each cluster once"
                )
            clusters[name] = path
            prepared = self.session.prepare(intent, inventory)
            planned.append(
                Submission(
                    prepared,
                    RunSpec(
                        run_id="",
                        cluster=inventory.cluster.name,
                        inventory_name=str(path),
                        inventory_text=text,
                        inventory_sha256=digest,
                        changes=prepared.changes,
                        bundle=bundle,
                        review_sha256=_review_sha256(prepared, inventory),
                        require_approval=require_approval,
                        insecure=insecure,
                    ),
                )
            )
        return planned

    def record(self, planned: Submission) -> RunSpec:
        """Journal a planned run as submitted; the caller hands the spec to the engine.

        Journaled submitted in the run's own write, before it is queued: a run the journal
        says was never submitted is one no fleet knows, so ``resume`` and ``runs`` do not
        ask the fleet about it. A failure before the run is queued leaves a submitted run
        the fleet does not know, which ``resume`` refuses (nobody approved it).
        """
        started = self.session.start(planned.prepared, submitted=True)
        return replace(planned.spec, run_id=started.run_id)

    # ------------------------------------------------------------------ worker

    def _prepared(self, spec: RunSpec) -> _Live:
        """The run as this worker would execute it: planned again, proven unchanged."""
        with self._lock:
            live = self._live.get(spec.run_id)
        if live is not None:
            return live
        from psrunbook.transport.psrp import PsrpTransport  # noqa: PLC0415 (pypsrp: workers only)

        inventory = _inventory(spec)
        intent = self.session.resolve(RunRequest(resume=spec.run_id, bundle=spec.bundle_dir))
        prepared = self.session.prepare(intent, inventory)
        transport = KeptSessions(PsrpTransport(inventory, insecure=spec.insecure))
        statuses = self.journal.step_status(spec.run_id)
        live = _Live(
            prepared,
            transport,
            inventory,
            RunFrame(resumed=bool(statuses)),
            frozenset(statuses),
            done_from_status(statuses),
        )
        with self._lock:
            self._live.setdefault(spec.run_id, live)
            return self._live[spec.run_id]

    def hold(self, spec: RunSpec) -> str | None:
        """Hold the run and the cluster it changes, waiting a little: None once held, else
        who holds it (the run stays queued meanwhile)."""
        return self.holds.wait(spec)

    def step_indices(self, spec: RunSpec) -> list[int]:
        """The steps of the run, in order, as this worker planned them."""
        return [step.index for step in self._prepared(spec).prepared.plan.steps]

    def check_hash(self, spec: RunSpec, sha256: str | None) -> str | None:
        """Why the approved hash is not what this worker would execute (None when it is)."""
        actual = self._prepared(spec).review_sha256()
        if sha256 == actual:
            return None
        return (
            f"run {spec.run_id} was approved for review bundle sha256 {sha256}, "
            f"but what it would execute has sha256 {actual}"
        )

    def execute_step(self, spec: RunSpec, index: int) -> dict[str, Any]:
        """Execute one step (and any earlier one not done); re-check it first if it was
        attempted before (an interrupted attempt, journaled ``running``)."""
        live = self._prepared(spec)
        started = StartedRun(spec.run_id, live.prepared, resumed=index in live.attempted)
        report = self.session.execute(
            started,
            live.transport,
            limits=self.limits,
            through=index,
            frame=live.frame,
            done=live.done,
        )
        live.done = done_after(live.done, report)
        return {"failed": report.failed, "changed": report.changed_count}

    def finish(self, spec: RunSpec, outcome: RunOutcome) -> None:
        """Give the run's holds back, then record how it ended (logging its
        ``run.finished`` when this worker executed steps of it) and close its sessions;
        safe to repeat.

        Holds first: whoever reads the outcome (``runs show``, a script polling the
        journal) may change the cluster by hand at once. A worker that dies between the
        two leaves the run without an outcome; the worker continuing it holds it again
        (:meth:`FleetHolds.keep`) before it records the end.
        """
        recorded = self.journal.run(spec.run_id).outcome
        if recorded is not None:
            # Ended already: by an earlier execution of this very step (a crash before the
            # engine recorded it), or outside the fleet. Its outcome stands.
            if recorded != outcome:
                self._log_ended_elsewhere(spec, recorded)
            self.holds.release(spec.run_id)
            self.release(spec.run_id)
            return
        with self._lock:
            live = self._live.get(spec.run_id)
        if live is None and self.journal.step_status(spec.run_id):
            live = self._taken_up_to_end(spec)
        self.holds.release(spec.run_id)
        if live is None:
            self.journal.finish_run(spec.run_id, outcome)
        else:
            started = StartedRun(spec.run_id, live.prepared, resumed=live.frame.resumed)
            self.session.end_frame(started, live.transport, live.frame, outcome)
        self.release(spec.run_id)

    def ended(self, spec: RunSpec) -> str | None:
        """How the run ended, if the journal says it did before this worker executed it
        (a ``resume`` by hand of a run still queued, from before ``resume`` refused
        that): None while it is unfinished, as every run the fleet owns is."""
        return self.journal.run(spec.run_id).outcome

    def leave_ended(self, spec: RunSpec, outcome: str) -> None:
        """Leave a run that ended outside the fleet as it ended: nothing executed, its
        outcome kept, its holds given back, a ``run.ended_elsewhere`` warning logged."""
        self._log_ended_elsewhere(spec, outcome)
        self.holds.release(spec.run_id)
        self.release(spec.run_id)

    def _log_ended_elsewhere(self, spec: RunSpec, outcome: str) -> None:
        self._log.warning(
            "run.ended_elsewhere",
            action="run.ended_elsewhere",
            run_id=spec.run_id,
            cluster=spec.cluster,
            runbook=self.runbook_of(spec),
            run_outcome=outcome,
            reason=ended_elsewhere(outcome),
        )

    def _taken_up_to_end(self, spec: RunSpec) -> _Live | None:
        """A run continued after a crash between its last step and its end: taken up as
        ``resume`` would (``run.started`` resumed, cluster verified), so that its end is
        logged as ``resume`` logs it. Its end is recorded even when that fails."""
        try:
            live = self._prepared(spec)
            started = StartedRun(spec.run_id, live.prepared, resumed=True)
            self.session.execute(
                started, live.transport, limits=self.limits, through=0, frame=live.frame
            )
        except Exception as exc:  # noqa: BLE001 (the end is recorded whatever failed)
            self._log.warning(
                "run.unframed",
                action="run.unframed",
                run_id=spec.run_id,
                cluster=spec.cluster,
                runbook=self.runbook_of(spec),
                reason=str(exc),
            )
            self.release(spec.run_id)
            return None
        return live

    def release(self, run_id: str) -> None:
        """Forget a run this worker no longer executes, closing its sessions."""
        with self._lock:
            live = self._live.pop(run_id, None)
        self.holds.forget(run_id)
        if live is not None:
            live.transport.close()

    def log_decision(self, spec: RunSpec, decision: Decision) -> None:
        """Journal and log a reviewer's decision (the command that sent it did too:
        journaling it again is a no-op, and makes sure it is there)."""
        journal_decision(self.journal, spec.run_id, decision)
        log_decision(spec.run_id, spec.cluster, self.runbook_of(spec), decision)

    def refuse(self, spec: RunSpec, problem: str) -> None:
        """The approved hash is not what this worker would run: journal the refusal, end
        the run as failed without touching its cluster."""
        refusal = replace(
            decision_now("reject", None, problem), by=f"psrunbook worker {self.worker_id}"
        )
        journal_decision(self.journal, spec.run_id, refusal)
        log_decision(spec.run_id, spec.cluster, self.runbook_of(spec), refusal)
        self.finish(spec, "failed")

    def log_cancelled(self, spec: RunSpec) -> None:
        self._log.warning(
            "run.cancelled",
            action="run.cancelled",
            run_id=spec.run_id,
            cluster=spec.cluster,
            runbook=self.runbook_of(spec),
        )

    def runbook_of(self, spec: RunSpec) -> str:
        """The run's runbook, as the journal has it: every ``run.*`` event names it."""
        return self.journal.run(spec.run_id).runbook


def ended_elsewhere(outcome: str) -> str:
    """Why a worker left a run alone: the journal says it ended (``outcome``) outside the
    fleet."""
    return (
        f"the run had already ended outside the fleet (journal outcome {outcome}); the "
        "worker did not execute it again and kept that outcome"
    )


def _review_sha256(prepared: PreparedRun, inventory: Inventory) -> str:
    """What a reviewer approves: the approved bundle's hash, or the bundle this plan exports."""
    if prepared.bundle_sha256 is not None:
        return prepared.bundle_sha256
    return review_sha256(prepared.plan, inventory)


def journal_decision(journal: RunJournal, run_id: str, decision: Decision) -> None:
    """Who approved or rejected the run, when, and the sha256 approved, in the journal."""
    journal.record_decision(
        run_id,
        verdict="approved" if decision.verdict == "approve" else "rejected",
        decided_by=decision.by,
        decided_at=datetime.fromisoformat(decision.at.replace("Z", "+00:00")),
        bundle_sha256=decision.sha256,
        reason=decision.reason,
    )


def claim_decision(journal: RunJournal, run_id: str, decision: Decision) -> DecisionRecord:
    """Journal a reviewer's decision unless the run has one already; the one that stands
    (:meth:`~psrunbook.journal_model.RunJournal.record_first_decision`)."""
    return journal.record_first_decision(
        run_id,
        verdict="approved" if decision.verdict == "approve" else "rejected",
        decided_by=decision.by,
        decided_at=datetime.fromisoformat(decision.at.replace("Z", "+00:00")),
        bundle_sha256=decision.sha256,
        reason=decision.reason,
    )


def journaled_decision(record: DecisionRecord) -> Decision:
    """The decision as the journal keeps it, to send (again) to the run's gate: with its
    first time, so the worker that receives it journals nothing new."""
    at = record.decided_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Decision(
        verdict="approve" if record.verdict == "approved" else "reject",
        sha256=record.bundle_sha256,
        by=record.decided_by,
        at=at,
        reason=record.reason,
    )


def log_decision(run_id: str, cluster: str | None, runbook: str, decision: Decision) -> None:
    """One ``run.approved`` or ``run.rejected`` event: who decided, when, for which hash."""
    action = "run.approved" if decision.verdict == "approve" else "run.rejected"
    get_logger("psrunbook.fleet").info(
        action,
        action=action,
        run_id=run_id,
        cluster=cluster,
        runbook=runbook,
        decided_by=decision.by,
        decided_at=decision.at,
        bundle_sha256=decision.sha256,
        reason=decision.reason or None,
    )


def decision_now(
    verdict: Literal["approve", "reject"], sha256: str | None, reason: str = ""
) -> Decision:
    """A decision taken now by the operator running this process."""
    at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return Decision(verdict=verdict, sha256=sha256, by=os_user() or "unknown", at=at, reason=reason)
