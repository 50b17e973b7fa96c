"""Which pipelines earlier runs may have left running on the nodes.

An apply attempt journals the pipeline it sends (:class:`~psrunbook.transport.base.PipelineRef`)
before sending it, and, when it ends, whether its process saw the pipeline end (its
result arrived) or never sent it. When the process that sent it died (the attempt is
still ``running``), or lost the node or was interrupted while it ran (the attempt
``failed`` without its pipeline's end), the pipeline may still be going: WinRM does not
stop a pipeline whose client vanished. No run sends a step there before that pipeline
has ended (the Runner's ``_settle_left``), and the journal then records how it ended, so
each is asked about once.
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
    not done, the latest apply attempt's, when its script may still be running there
    (:attr:`~psrunbook.journal_model.AttemptRecord.may_be_left_running`). An attempt
    whose script reported its own failure is not asked about: its process received the
    pipeline's end."""
    latest: dict[tuple[int, str], AttemptRecord] = {}
    for attempt in attempts:
        if not attempt.check_only:
            latest[(attempt.step_index, attempt.node)] = attempt  # attempts come in order
    return [
        _left(attempt, attempt.pipeline, any_step=False)
        for (step, node), attempt in sorted(latest.items())
        if attempt.pipeline is not None
        and attempt.may_be_left_running
        and node not in done.get(step, frozenset())
    ]


def left_by_other_runs(open_pipelines: Iterable[AttemptRecord]) -> list[LeftPipeline]:
    """Other runs' apply attempts whose script may still be running on a node, as
    :meth:`~psrunbook.journal_model.RunJournal.open_pipelines` lists them, to settle
    before this run sends anything, whatever the step: a new run started after a crash,
    a lost connection or an interrupt, instead of a resume, must not change the cluster
    beside a script of the earlier run either. (Their runs are over: a live run holds
    the cluster, so this one could not have started.)"""
    return [
        _left(attempt, attempt.pipeline, any_step=True)
        for attempt in open_pipelines
        if attempt.pipeline is not None
    ]
