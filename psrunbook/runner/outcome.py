"""What happened to each step on each node, as the run report and summary show it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Literal

from psrunbook.runbook.planner import PlannedStep


class Status(enum.Enum):
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"
    DONE_EARLIER = "done earlier"

    @property
    def succeeded(self) -> bool:
        return self in (Status.CHANGED, Status.UNCHANGED, Status.DONE_EARLIER)


@dataclass(frozen=True)
class TargetOutcome:
    """One step on one node."""

    node: str
    status: Status
    data: dict[str, Any] | None = None
    errors: tuple[dict[str, Any], ...] = ()
    message: str = ""
    duration_ns: int = 0
    attempts: int = 1


@dataclass
class StepOutcome:
    planned: PlannedStep
    targets: list[TargetOutcome] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(t.status is Status.FAILED for t in self.targets)


@dataclass
class RunReport:
    run_id: str
    check_only: bool
    steps: list[StepOutcome] = field(default_factory=list)
    interrupted: bool = False

    @property
    def failed(self) -> bool:
        return self.interrupted or any(s.failed for s in self.steps)

    @property
    def outcome(self) -> Literal["succeeded", "failed", "interrupted"]:
        if self.interrupted:
            return "interrupted"
        return "failed" if self.failed else "succeeded"

    def first_failure(self) -> tuple[StepOutcome, TargetOutcome] | None:
        for step in self.steps:
            for target in step.targets:
                if target.status is Status.FAILED:
                    return step, target
        return None
