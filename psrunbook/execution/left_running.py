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
    step_index: int
    node: str
    pipeline: PipelineRef


SETTLED: Final[Mapping[Settlement, str]] = {
    "absent": "not on the node any more (it ended, or its shell is gone)",
    "finished": "it ended on the node",
    "stopped": "it outlived the wait and was stopped",
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
        LeftPipeline(attempt.attempt_id, attempt.step_index, attempt.node, attempt.pipeline)
        for (step, node), attempt in sorted(latest.items())
        if attempt.pipeline is not None
        and attempt.status in ("running", "failed")
        and node not in done.get(step, frozenset())
    ]
