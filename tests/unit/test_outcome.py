"""The run report keeps typed values: the validated result model and StepError failures."""

from __future__ import annotations

import pytest

from psrunbook.execution.outcome import RunReport, Status, StepOutcome, TargetOutcome
from psrunbook.results import StepError
from psrunbook.runbook.model import Step, StepResult, Target
from psrunbook.runbook.planner import PlannedStep
from psrunbook.templates.script import RenderedScript

BOOM = StepError(message="boom", exception_type="System.Exception")


def planned(name: str, index: int = 1) -> PlannedStep:
    script = RenderedScript(template_id="t.ps1.j2", text="", sha256="0" * 64, parameters=())
    return PlannedStep(index, Step(name, name, "t.ps1.j2", Target.EVERY_NODE), script)


def test_failed_outcome_without_errors_is_refused() -> None:
    """Every failure names at least one StepError, so there is always a message to show."""
    with pytest.raises(ValueError, match="must carry errors"):
        TargetOutcome("NODE1", Status.FAILED)


def test_successful_outcome_with_errors_is_refused() -> None:
    """Errors belong to failures only; a success carrying some would hide them."""
    with pytest.raises(ValueError, match="must carry no errors"):
        TargetOutcome("NODE1", Status.CHANGED, errors=(BOOM,))


def test_message_is_the_first_errors_message() -> None:
    """The console's one line about a failure is its first error's message."""
    second = StepError(message="later")
    assert "boom" == TargetOutcome("NODE1", Status.FAILED, errors=(BOOM, second)).message


def test_results_map_step_and_node_to_the_result_model() -> None:
    """results() gives each step's models by node; failures and earlier runs give none."""
    seen = StepResult.model_validate({"Seen": 1})
    step = StepOutcome(
        planned("probe"),
        [
            TargetOutcome("NODE1", Status.UNCHANGED, result=seen),
            TargetOutcome("NODE2", Status.FAILED, errors=(BOOM,)),
            TargetOutcome("NODE3", Status.DONE_EARLIER, attempts=0),
        ],
    )
    report = RunReport("r1", check_only=False, steps=[step])
    assert {"probe": {"NODE1": seen}} == report.results()


def test_changed_count_counts_changed_step_node_pairs() -> None:
    """Only CHANGED targets count as changes, across every step."""
    steps = [
        StepOutcome(
            planned("a", 1),
            [TargetOutcome("N1", Status.CHANGED), TargetOutcome("N2", Status.UNCHANGED)],
        ),
        StepOutcome(planned("b", 2), [TargetOutcome("N1", Status.CHANGED)]),
    ]
    assert 2 == RunReport("r1", check_only=True, steps=steps).changed_count
