"""What happened to each step on each node, as the run report and summary show it.

The outcome keeps the typed values the step produced: the validated result model when
it succeeded and :class:`~psrunbook.results.step_error.StepError` records when it failed.
Each consumer turns them into its own form at its own boundary (the journal into JSON,
the log processor into ECS ``error.*`` fields, the console into text).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Literal

import msgspec

from psrunbook.runbook.planner import PlannedStep

if TYPE_CHECKING:
    from psrunbook.results.step_error import StepError
    from psrunbook.runbook.model import StepResult, StepResults


class Status(enum.Enum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    DONE_EARLIER = "done earlier"
    SKIPPED = "skipped"
    """An "any node" step passed this node over: it could not be reached (``errors`` says why)."""


class TargetOutcome(msgspec.Struct, frozen=True):
    """One step on one node.

    ``result`` is the step's validated result (an instance of ``Step.result``) when the
    script succeeded; ``errors`` says why it failed and is never empty for a failure,
    so every failure has a message to show, journal and log. A node an "any node" step
    skipped because it could not be reached carries the reason the same way.
    """

    node: str
    status: Status
    result: StepResult | None = None
    errors: tuple[StepError, ...] = ()
    duration_ns: int = 0
    attempts: int = 1

    def __post_init__(self) -> None:
        needs_errors = self.status in (Status.FAILED, Status.SKIPPED)
        if needs_errors != bool(self.errors):
            raise ValueError(
                f"a {self.status.value} outcome on {self.node} must "
                + ("carry errors" if needs_errors else "carry no errors")
            )

    @property
    def message(self) -> str:
        """The first error's message: what the console says about a failure ("" if none)."""
        return self.errors[0].message if self.errors else ""


class StepOutcome(msgspec.Struct):
    planned: PlannedStep
    targets: list[TargetOutcome] = msgspec.field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(t.status is Status.FAILED for t in self.targets)


class RunReport(msgspec.Struct):
    run_id: str
    check_only: bool
    steps: list[StepOutcome] = msgspec.field(default_factory=list)
    interrupted: bool = False

    @property
    def failed(self) -> bool:
        return self.interrupted or any(s.failed for s in self.steps)

    @property
    def outcome(self) -> Literal["succeeded", "failed", "interrupted"]:
        if self.interrupted:
            return "interrupted"
        return "failed" if self.failed else "succeeded"

    @property
    def changed_count(self) -> int:
        """Step/node pairs that changed (or, in check mode, would change)."""
        return sum(1 for s in self.steps for t in s.targets if t.status is Status.CHANGED)

    def results(self) -> StepResults:
        """The validated result of every step and node that produced one, by step name.

        What a runbook's presenter receives; steps done in an earlier attempt of a
        resumed run have no result here.
        """
        return {
            step.planned.step.name: {t.node: t.result for t in step.targets if t.result is not None}
            for step in self.steps
        }

    def first_failure(self) -> tuple[StepOutcome, TargetOutcome] | None:
        for step in self.steps:
            for target in step.targets:
                if target.status is Status.FAILED:
                    return step, target
        return None
