"""Which earlier attempts a resume must settle on the node before it sends a step again."""

from __future__ import annotations

from datetime import UTC, datetime

from psrunbook.execution.left_running import LeftPipeline, left_by_other_runs, left_running
from psrunbook.journal_model import AttemptRecord, PipelineEnd
from psrunbook.transport.base import PipelineRef

_ids = iter(range(1, 1000))


def _attempt(
    step: int,
    node: str,
    status: str,
    *,
    check_only: bool = False,
    sent: bool = True,
    end: PipelineEnd | None = None,
) -> AttemptRecord:
    attempt_id = next(_ids)
    return AttemptRecord(
        attempt_id=attempt_id,
        run_id="r1",
        step_index=step,
        step_name=f"step-{step}",
        node=node,
        script_sha256="s" * 64,
        check_only=check_only,
        status=status,
        changed=None,
        result=None,
        errors=(),
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
        finished_at=None,
        duration_ns=None,
        pipeline=PipelineRef("CLIENT", f"P{attempt_id}") if sent and not check_only else None,
        pipeline_end=end,
    )


def test_a_running_or_failed_latest_apply_attempt_is_left_the_rest_are_not() -> None:
    crashed = _attempt(2, "n1", "running")
    lost = _attempt(2, "n2", "failed")
    attempts = [
        _attempt(1, "n1", "succeeded"),
        _attempt(1, "n2", "running"),  # done since: a later attempt succeeded
        _attempt(1, "n2", "succeeded"),
        crashed,
        _attempt(2, "n1", "running", check_only=True),  # a re-check is not an apply
        lost,
        _attempt(3, "n1", "running", sent=False),  # journaled before pipelines were
        _attempt(4, "n1", "failed", end="seen"),  # its script's own error came back
        _attempt(4, "n2", "failed", end="unsent"),  # interrupted before it was sent
        _attempt(5, "n1", "failed", end="finished"),  # a later run waited for it
    ]
    assert [
        (crashed.attempt_id, 2, "n1", crashed.pipeline, "r1", "step-2", True),
        (lost.attempt_id, 2, "n2", lost.pipeline, "r1", "step-2", False),
    ] == [_fields(left) for left in left_running(attempts, {1: frozenset({"n1", "n2"})})]


def _fields(left: LeftPipeline) -> tuple[object, ...]:
    return (
        left.attempt_id,
        left.step_index,
        left.node,
        left.pipeline,
        left.run_id,
        left.step_name,
        left.journaled_running,
    )


def test_another_runs_open_apply_attempts_block_every_step_on_their_node() -> None:
    """Of another run, what its dead process left ``running`` and what failed without its
    end (a lost connection, an interrupt) count, and for every step of this run: the two
    runs' steps need not be the same."""
    crashed = _attempt(4, "n1", "running")
    cut_off = _attempt(5, "n2", "failed")
    found = [crashed, cut_off, _attempt(4, "n2", "running", sent=False)]
    assert [
        (crashed.attempt_id, None, "n1", crashed.pipeline, "r1", "step-4", True),
        (cut_off.attempt_id, None, "n2", cut_off.pipeline, "r1", "step-5", False),
    ] == [_fields(left) for left in left_by_other_runs(found)]


def test_a_node_done_has_nothing_left() -> None:
    attempts = [_attempt(1, "n1", "running")]
    assert [] == left_running(attempts, {1: frozenset({"n1"})})
