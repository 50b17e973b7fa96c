"""What a run journal stores and promises, whatever holds it (SQLite file or PostgreSQL).

The engine talks to a journal only through :class:`RunJournal`: the local SQLite file
(:mod:`psrunbook.journal`) and the shared PostgreSQL database
(:mod:`psrunbook.journal_postgres`) implement it with the same schema versions, the same
records and the same rules, so a run, its steps, ``resume`` and ``runs`` mean the same
locally and in a fleet. :func:`psrunbook.journal_open.open_journal` picks one.

The rules every implementation keeps:

- every write is its own transaction, committed durably before the call returns, except
  the end of an attempt (losing it leaves the attempt ``running``: re-checked, not
  re-applied), which may be committed without waiting for the disk;
- an attempt is recorded ``running`` *before* its script is sent;
- every text written passes through the log redactor, so a registered secret can never
  reach the journal;
- holds (:class:`psrunbook.holds.HoldStore`) are taken all or none, atomically, even
  between processes on different machines.

This module holds the records and the conversions both implementations share.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Literal, Protocol, Self, cast, get_args

import msgspec

from psrunbook.errors import JournalError
from psrunbook.holds import Holder, HoldStore
from psrunbook.secrets import redact_text
from psrunbook.transport.base import PipelineRef, Settlement

if TYPE_CHECKING:
    from psrunbook.results.step_error import StepError
    from psrunbook.runbook.model import StepResult

RunMode = Literal["run", "plan"]
RunOutcome = Literal["succeeded", "failed", "interrupted"]
# Schema version 1 also allows 'skipped', which no version ever wrote; the CHECK stays, as
# migrations are never edited, and a later migration may drop it.
AttemptStatus = Literal["running", "succeeded", "failed"]
FinalAttemptStatus = Literal["succeeded", "failed"]
OwnPipelineEnd = Literal["seen", "unsent"]
"""How an attempt's own process knows its pipeline is not on the node: it received the
pipeline's end (its result), or it never sent the script."""
PipelineEnd = OwnPipelineEnd | Settlement
"""What is known of an attempt's pipeline ending on the node (``attempts.pipeline_end``):
its own process saw it end or never sent it; or a later run settled it
(:mod:`psrunbook.transport.left_pipelines`): ``absent``, ``finished``, ``stopped``."""
Verdict = Literal["approved", "rejected"]

RUN_MODES: Final = frozenset({"run", "plan"})
OUTCOMES: Final = frozenset({"succeeded", "failed", "interrupted"})
FINAL_STATUSES: Final = frozenset({"succeeded", "failed"})
VERDICTS: Final = frozenset({"approved", "rejected"})
SCHEMA_VERSION: Final = 9
"""The journal schema both implementations migrate to (their MIGRATIONS end here)."""


class Row(Protocol):
    """A database row read by column name (``sqlite3.Row``, a psycopg dict row)."""

    def __getitem__(self, key: str, /) -> Any: ...


# --------------------------------------------------------------------------- values


def new_run_id() -> str:
    """A run id that sorts by start time: ``YYYYMMDDTHHMMSSZ-<6 hex>`` (UTC)."""
    return f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso_text(moment: datetime) -> str:
    """A time as the SQLite journal stores it: ISO 8601, microseconds, ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def parse_time(value: str | datetime | None, run_id: str, column: str, fix: str) -> datetime | None:
    """A stored time (text in SQLite, a timestamp in PostgreSQL), in UTC.

    A value that is not a time (an edited journal) is a JournalError saying ``fix``.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except (ValueError, AttributeError):
        raise JournalError(
            f"journal row of run {run_id}: {column} is {value!r}, not an ISO 8601 "
            f"time; the journal was changed outside psrunbook: restore it from a backup, or "
            f"{fix}"
        ) from None


def _redact_tree(value: Any) -> Any:
    """Redact every string (keys included) in a JSON-able tree before it is serialised.

    Redacting values one by one keeps the stored JSON valid whatever the secret's
    characters are; the whole text is redacted once more afterwards as a second net.
    """
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, Mapping):
        return {redact_text(str(k)): _redact_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_redact_tree(v) for v in value]
    return value


def json_text(value: Any) -> str:
    """``value`` as redacted JSON text, the form both journals store."""
    text = json.dumps(_redact_tree(value), ensure_ascii=False, sort_keys=True, default=str)
    return redact_text(text)


def load_json(text: str | None) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        # Only possible when redaction had to cut through JSON syntax: keep the text.
        return {"unparsable_redacted_text": text}


def opt_text(value: str | None) -> str | None:
    return None if value is None else redact_text(value)


# --------------------------------------------------------------------------- records


class RunRecord(msgspec.Struct, frozen=True):
    """One run as journaled; ``outcome`` is None while it runs or after a crash."""

    run_id: str
    runbook: str
    runbook_version: str
    mode: str
    parameters: dict[str, Any]
    parameters_sha256: str
    inventory_sha256: str
    bundle_sha256: str | None
    user: str | None
    started_at: datetime
    finished_at: datetime | None
    outcome: str | None
    resumes: int
    cluster: str | None = None
    """The inventory's cluster name; None in runs journaled before schema version 2."""
    os_user: str | None = None
    """The operator's login on the control node (the remote account is ``user``)."""
    insecure: dict[str, str] = msgspec.field(default_factory=dict)
    """Node -> the unsafe setting accepted with ``--insecure`` (by the run or a resume)."""
    inventory_path: str | None = None
    """The inventory file the run was started with (absolute); None for ``--sim``."""
    sim: bool | None = None
    """Whether it ran against the embedded simulated lab; None before schema version 4."""
    cluster_id: str | None = None
    """The id the cluster itself gave when the run first asked (``Get-Cluster``), which a
    resume must find again; None when the run never asked (see execution/identity.py)."""
    submitted: bool | None = None
    """Whether ``submit`` queued the run in a fleet. False: ``run`` started it, no fleet
    knows it, and ``resume``/``runs`` need not ask one (nor load DBOS). None in runs
    journaled before schema version 9: unknown, so they ask the fleet as they always did."""

    @property
    def maybe_in_fleet(self) -> bool:
        """Whether a fleet may know this run: submitted, or journaled before that was kept."""
        return self.submitted is not False


class AttemptRecord(msgspec.Struct, frozen=True):
    """One execution of one step's script on one node (``running`` until finished)."""

    attempt_id: int
    run_id: str
    step_index: int
    step_name: str
    node: str
    script_sha256: str
    check_only: bool
    status: str
    changed: bool | None
    result: dict[str, Any] | None
    errors: tuple[dict[str, Any], ...]
    started_at: datetime
    finished_at: datetime | None
    duration_ns: int | None
    pipeline: PipelineRef | None = None
    """The pipeline the attempt sent, as a later process finds it on the node (apply
    attempts of steps that change; None for checks and journals before version 7)."""
    pipeline_end: PipelineEnd | None = None
    """How the pipeline is known to have ended on the node; None while nobody knows
    (a crash, a lost connection, an interrupt): it may still be running there."""
    pipeline_end_run: str | None = None
    """The run that settled the pipeline (``absent``, ``finished``, ``stopped``)."""

    @property
    def may_be_left_running(self) -> bool:
        """An apply attempt whose script may still be running on its node: it sent a
        pipeline whose end nobody has seen (a resume or a new run waits for it first)."""
        return (
            self.pipeline is not None
            and self.pipeline_end is None
            and self.status in ("running", "failed")
        )


class DecisionRecord(msgspec.Struct, frozen=True):
    """A reviewer's approval or rejection of a run, as the journal keeps it for auditors."""

    run_id: str
    verdict: str
    """``approved`` or ``rejected``."""
    decided_by: str
    """The reviewer's login (a worker that refused an approved hash names itself)."""
    decided_at: datetime
    bundle_sha256: str | None
    """The review bundle's manifest sha256 approved (None for most rejections)."""
    reason: str = ""

    def repeats(self, verdict: str, decided_by: str, bundle_sha256: str | None) -> bool:
        """Whether a decision with these is this one taken again by the same reviewer (the
        same verdict for the same hash): it is sent again, never refused as another's."""
        return (self.verdict, self.decided_by, self.bundle_sha256) == (
            verdict,
            redact_text(decided_by),
            bundle_sha256,
        )


def decision_record(row: Row, fix: str) -> DecisionRecord:
    run_id = row["run_id"]
    decided = parse_time(row["decided_at"], run_id, "decided_at", fix)
    assert decided is not None  # NOT NULL column
    return DecisionRecord(
        run_id=run_id,
        verdict=row["verdict"],
        decided_by=row["decided_by"],
        decided_at=decided,
        bundle_sha256=row["bundle_sha256"],
        reason=row["reason"],
    )


def run_record(row: Row, fix: str) -> RunRecord:
    """A ``runs`` row as a record; ``fix`` is what to say if a time was tampered with."""
    run_id = row["run_id"]
    started = parse_time(row["started_at"], run_id, "started_at", fix)
    assert started is not None  # NOT NULL column
    params = load_json(row["parameters_json"])
    return RunRecord(
        run_id=run_id,
        runbook=row["runbook"],
        runbook_version=row["runbook_version"],
        mode=row["mode"],
        parameters=params if isinstance(params, dict) else {},
        parameters_sha256=row["parameters_sha256"],
        inventory_sha256=row["inventory_sha256"],
        bundle_sha256=row["bundle_sha256"],
        user=row["user"],
        started_at=started,
        finished_at=parse_time(row["finished_at"], run_id, "finished_at", fix),
        outcome=row["outcome"],
        resumes=row["resumes"],
        cluster=row["cluster"],
        os_user=row["os_user"],
        insecure=insecure_map(row["insecure_json"]),
        inventory_path=row["inventory_path"],
        sim=None if row["sim"] is None else bool(row["sim"]),
        cluster_id=row["cluster_id"],
        submitted=None if row["submitted"] is None else bool(row["submitted"]),
    )


def insecure_map(text: str | None) -> dict[str, str]:
    value = load_json(text)
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def holder_record(row: Row, fix: str) -> Holder:
    since = parse_time(row["since"], row["run_id"], "since", fix)
    assert since is not None  # NOT NULL column
    return Holder(
        run_id=row["run_id"], host=row["host"], pid=row["pid"], since=since, token=row["token"]
    )


def attempt_record(row: Row, fix: str) -> AttemptRecord:
    run_id = row["run_id"]
    started = parse_time(row["started_at"], run_id, "started_at", fix)
    assert started is not None  # NOT NULL column
    result = load_json(row["result_json"])
    errors = load_json(row["errors_json"])
    return AttemptRecord(
        attempt_id=row["attempt_id"],
        run_id=run_id,
        step_index=row["step_index"],
        step_name=row["step_name"],
        node=row["node"],
        script_sha256=row["script_sha256"],
        check_only=bool(row["check_only"]),
        status=row["status"],
        changed=None if row["changed"] is None else bool(row["changed"]),
        result=result if isinstance(result, dict) else None,
        errors=tuple(e for e in errors if isinstance(e, dict)) if isinstance(errors, list) else (),
        started_at=started,
        finished_at=parse_time(row["finished_at"], run_id, "finished_at", fix),
        duration_ns=row["duration_ns"],
        pipeline=_pipeline(row),
        pipeline_end=_pipeline_end(row["pipeline_end"]),
        pipeline_end_run=row["pipeline_end_run"],
    )


_PIPELINE_ENDS: Final = frozenset(get_args(OwnPipelineEnd) + get_args(Settlement))


def _pipeline_end(value: str | None) -> PipelineEnd | None:
    """The column as the record's type; an unknown text (a newer writer) reads as unknown,
    the cautious reading: a later run then asks the node."""
    return cast("PipelineEnd", value) if value in _PIPELINE_ENDS else None


def _pipeline(row: Row) -> PipelineRef | None:
    client_id, pipeline_id = row["client_session_id"], row["pipeline_id"]
    if not client_id or not pipeline_id:
        return None
    return PipelineRef(client_id=client_id, pipeline_id=pipeline_id)


def check_own_pipeline_end(end: str | None) -> None:
    if end is not None and end not in get_args(OwnPipelineEnd):
        raise ValueError(f"an attempt's own pipeline end is 'seen', 'unsent' or None, not {end!r}")


def check_mode(mode: str) -> None:
    if mode not in RUN_MODES:
        raise ValueError(f"mode must be 'run' or 'plan', not {mode!r}")


def check_outcome(outcome: str) -> None:
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be succeeded, failed or interrupted, not {outcome!r}")


def check_verdict(verdict: str) -> None:
    if verdict not in VERDICTS:
        raise ValueError(f"verdict must be approved or rejected, not {verdict!r}")


def check_final_status(status: str) -> None:
    if status not in FINAL_STATUSES:
        raise ValueError(f"status must be succeeded or failed, not {status!r}")


def merged_insecure(record: RunRecord, insecure: Mapping[str, str] | None) -> dict[str, str]:
    """A resume adds the unsafe settings it accepted to the run's: none is forgotten."""
    return {**record.insecure, **(insecure or {})}


def resolve_run(
    reference: str,
    *,
    location: str,
    no_run: str,
    newest: Callable[[], list[RunRecord]],
    exact: Callable[[str], RunRecord | None],
    prefixed: Callable[[str], list[RunRecord]],
) -> RunRecord:
    """The run an operator means by ``reference``: ``last``, a run id, or its unique prefix.

    Run ids are long and typed by hand, so a prefix that names exactly one run is
    enough; a prefix that names several is refused with the candidates, never resolved
    by a guess (the newest, say), because ``resume`` acts on the answer. ``prefixed``
    returns at most 11 runs starting with the (non-empty) prefix, newest first.
    """
    if reference == "last":
        latest = newest()
        if not latest:
            raise JournalError(f"no runs in journal {location} yet; `last` names none")
        return latest[0]
    found = exact(reference)
    if found is not None:
        return found
    candidates = prefixed(reference) if reference else []
    if not candidates:
        raise JournalError(no_run)
    if len(candidates) > 1:
        shown = [record.run_id for record in candidates[:10]]
        more = ", ..." if len(candidates) > 10 else ""
        raise JournalError(
            f"run id prefix {reference!r} is ambiguous: it matches "
            f"{', '.join(shown)}{more}; give more characters of the id"
        )
    return candidates[0]


def latest_statuses(rows: Sequence[Row]) -> dict[int, dict[str, str]]:
    """``step_status``'s answer from rows of (step_index, node, status)."""
    status: dict[int, dict[str, str]] = {}
    for row in rows:
        status.setdefault(row["step_index"], {})[row["node"]] = row["status"]
    return status


# --------------------------------------------------------------------------- interface


class RunJournal(HoldStore, Protocol):
    """A journal the engine records runs in (and holds runs and clusters through).

    Thread-safe: parallel node workers share one instance. ``location`` names it in
    messages and never holds a password.
    """

    @property
    def location(self) -> str: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...

    def start_run(
        self,
        *,
        run_id: str,
        runbook: str,
        runbook_version: str,
        mode: RunMode,
        parameters: Mapping[str, Any],
        parameters_sha256: str,
        inventory_sha256: str,
        bundle_sha256: str | None,
        user: str | None,
        cluster: str | None = None,
        os_user: str | None = None,
        insecure: Mapping[str, str] | None = None,
        inventory_path: str | None = None,
        sim: bool | None = None,
        submitted: bool = False,
    ) -> None:
        """Record a new run before its first step; ``parameters`` must already be public.

        ``inventory_path`` and ``sim`` are its target, so ``resume`` needs neither again.
        ``submitted`` says ``submit`` records it for a fleet, in the same write as the
        run: no crash can leave a submitted run that reads as one ``run`` started, which
        ``resume`` would execute with nobody's approval.
        """
        ...

    def mark_resumed(self, run_id: str, *, insecure: Mapping[str, str] | None = None) -> None:
        """A resume continues ``run_id``: clear its outcome and count the resume."""
        ...

    def record_cluster_id(self, run_id: str, cluster_id: str) -> None:
        """The id the cluster gave when the run first asked; a resume must find it again."""
        ...

    def begin_attempt(
        self,
        *,
        run_id: str,
        step_index: int,
        step_name: str,
        node: str,
        script_sha256: str,
        check_only: bool,
        pipeline: PipelineRef | None = None,
    ) -> int:
        """Record, durably, that a script is about to run on a node (in ``pipeline``, when
        given); the attempt id."""
        ...

    def finish_attempt(
        self,
        attempt_id: int,
        *,
        status: FinalAttemptStatus,
        changed: bool | None,
        result: StepResult | None,
        errors: Sequence[StepError],
        duration_ns: int,
        pipeline_end: OwnPipelineEnd | None = None,
    ) -> None:
        """Record how an attempt ended, and what its process knows of its pipeline's end
        on the node (None: nothing, it may still run there). Finishing an attempt twice
        is refused."""
        ...

    def record_pipeline_end(self, attempt_id: int, end: Settlement, *, by_run: str) -> None:
        """Record that run ``by_run`` settled the pipeline of an earlier attempt whose end
        nobody had seen, and how; an end already known is kept."""
        ...

    def finish_run(self, run_id: str, outcome: RunOutcome) -> None:
        """Record a run's end (again after each resume)."""
        ...

    def record_decision(
        self,
        run_id: str,
        *,
        verdict: Verdict,
        decided_by: str,
        decided_at: datetime,
        bundle_sha256: str | None,
        reason: str = "",
    ) -> None:
        """Record who approved or rejected a run, when, and the sha256 approved.

        Recording the same decision again (same verdict, reviewer and time) changes
        nothing: the worker records the decision it received, which the operator's
        command recorded first (:meth:`record_first_decision`). Unconditional: a worker's
        refusal of an approved hash is recorded after the approval.
        """
        ...

    def record_first_decision(
        self,
        run_id: str,
        *,
        verdict: Verdict,
        decided_by: str,
        decided_at: datetime,
        bundle_sha256: str | None,
        reason: str = "",
    ) -> DecisionRecord:
        """Record a reviewer's decision only if the run has none yet; the decision that
        stands: this one, or the one recorded first (another reviewer's, or the same
        decision taken again, which is kept with its first time).

        Check and insert are one atomic step against every other process (SQLite: one
        write transaction; PostgreSQL: under a lock on the run's row), so of two reviewers
        deciding at the same moment exactly one decision stands: the journal is the
        arbiter, and only what stands is sent to the fleet.
        """
        ...

    def decisions(self, run_id: str) -> list[DecisionRecord]:
        """Every decision on a run, in the order they were taken."""
        ...

    def runs(self, limit: int = 20) -> list[RunRecord]:
        """The most recent runs, newest first."""
        ...

    def run(self, run_id: str) -> RunRecord:
        """One run; :class:`JournalError` if there is none with that id."""
        ...

    def find_run(self, reference: str) -> RunRecord:
        """The run ``reference`` means: ``last``, a run id, or its unique prefix."""
        ...

    def attempts(self, run_id: str) -> list[AttemptRecord]:
        """Every attempt of a run in the order they began."""
        ...

    def open_pipelines(self, cluster: str, *, other_than: str) -> list[AttemptRecord]:
        """Apply attempts whose script may still be running on a node
        (:attr:`AttemptRecord.may_be_left_running`), of the runs on ``cluster`` (its name,
        without regard to case) other than ``other_than``: what a crashed, cut-off or
        interrupted run may have left on the cluster's nodes, oldest first."""
        ...

    def step_status(self, run_id: str) -> dict[int, dict[str, str]]:
        """Latest status per step index and node, from the attempts that count for the run."""
        ...
