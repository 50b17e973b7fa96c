"""Which pipelines an interrupted run may have left running on its nodes.

An apply attempt journals the pipeline it sends (:class:`~psrunbook.transport.base.PipelineRef`)
before sending it. When the process that sent it died (the attempt is still ``running``)
or lost the node while it ran (the attempt ``failed``, perhaps with the pipeline still
going: WinRM does not stop a pipeline whose client vanished), a resume must not send the
step there again before that pipeline has ended (the Runner's ``_settle_left``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

import msgspec

from psrunbook.journal_model import AttemptRecord
from psrunbook.transport.base import PipelineRef, Settlement


class LeftPipeline(msgspec.Struct, frozen=True):
    """A pipeline of an earlier attempt whose end on the node nobody saw."""

    attempt_id: int
    step_index: int | None
    """The step it blocks on its node; None: every step (another run's attempt)."""
    node: str
    pipeline: PipelineRef
    run_id: str = ""
    step_name: str = ""
    journaled_running: bool = False
    """The attempt is still ``running`` in the journal: once its pipeline is settled, the
    journal is told how (its process never could)."""


def _left(attempt: AttemptRecord, pipeline: PipelineRef, *, any_step: bool) -> LeftPipeline:
    return LeftPipeline(
        attempt.attempt_id,
        None if any_step else attempt.step_index,
        attempt.node,
        pipeline,
        run_id=attempt.run_id,
        step_name=attempt.step_name,
        journaled_running=attempt.status == "running",
    )


def journaled_end(settled: Settlement, run_id: str, node: str) -> str:
    """What the journal records as the end of a ``running`` attempt once its pipeline is
    settled: how it ended, and that its effect is still unknown (its output was not read)."""
    found = {
        "absent": f"run {run_id} found its script no longer on {node} (it had ended, or "
        "its shell was gone)",
        "finished": f"run {run_id} found its script still on {node} and waited for it to end",
        "stopped": f"run {run_id} found its script still on {node} and stopped it after the "
        "wait",
    }[settled]
    return (
        f"its process ended before its result; {found} (whether it changed the node is "
        "unknown: the step is checked again)"
    )


SETTLED: Final[Mapping[Settlement, str]] = {
    "absent": "not on the node any more (it had ended, or its shell was gone)",
    "finished": "waited for until it ended",
    "stopped": "stopped after it outlived the wait",
}
"""How each settlement reads in the run's log."""


def left_running(
    attempts: Iterable[AttemptRecord], done: Mapping[int, frozenset[str]]
) -> list[LeftPipeline]:
    """The pipelines to settle before a resume sends scripts again: of each step and node
    not done, the latest apply attempt's, when it is ``running`` or ``failed`` and
    journaled its pipeline. An attempt whose script reported its own failure ended
    too; asking costs the node two requests, and guessing from the error would trust
    that the connection did not drop after the failure was sent."""
    latest: dict[tuple[int, str], AttemptRecord] = {}
    for attempt in attempts:
        if not attempt.check_only:
            latest[(attempt.step_index, attempt.node)] = attempt  # attempts come in order
    return [
        _left(attempt, attempt.pipeline, any_step=False)
        for (step, node), attempt in sorted(latest.items())
        if attempt.pipeline is not None
        and attempt.status in ("running", "failed")
        and node not in done.get(step, frozenset())
    ]


def left_by_other_runs(running: Iterable[AttemptRecord]) -> list[LeftPipeline]:
    """Another run's apply attempts still ``running``, as
    :meth:`~psrunbook.journal_model.RunJournal.running_pipelines` lists them (their
    process died: a live run holds the cluster, so this one could not have started), to
    settle before this run sends anything, whatever the step: a new run after a crash,
    instead of its resume, must not change the cluster beside the crashed run's script
    either."""
    return [
        _left(attempt, attempt.pipeline, any_step=True)
        for attempt in running
        if attempt.pipeline is not None
    ]
