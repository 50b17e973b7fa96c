"""The plan view: what would change, read from the typed results the run report carries."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from psrunbook.cli.run_view import plan_details
from psrunbook.execution.outcome import RunReport, Status, StepOutcome, TargetOutcome
from psrunbook.runbook.model import Step, StepResult, Target
from psrunbook.runbook.planner import PlannedStep
from psrunbook.templates.script import RenderedScript


def outcome(index: int, name: str, status: Status, data: dict[str, object]) -> StepOutcome:
    script = RenderedScript(template_id="t.ps1.j2", text="", sha256="0" * 64, parameters=())
    step = PlannedStep(index, Step(name, name, "t.ps1.j2", Target.ANY_NODE), script)
    result = StepResult.model_validate(data)
    return StepOutcome(step, [TargetOutcome("NODE1", status, result=result)])


def shown(report: RunReport) -> list[str]:
    out = StringIO()
    plan_details(Console(file=out, width=200, highlight=False), report)
    return out.getvalue().splitlines()


def test_plan_details_show_before_after_and_actions_as_json() -> None:
    """Each change key the result has is a line, in Before, After, Actions order."""
    data = {"Actions": ["create"], "After": "x", "Before": None, "Other": 1}
    report = RunReport("r1", check_only=True, steps=[outcome(1, "full", Status.CHANGED, data)])
    assert [
        "01-full on NODE1: would change",
        "    before   null",
        '    after    "x"',
        '    actions  ["create"]',
    ] == shown(report)


def test_plan_details_name_a_change_without_change_keys() -> None:
    """A result with data but no change keys still says that the step would change."""
    steps = [outcome(2, "other", Status.CHANGED, {"Other": 1})]
    assert ["02-other on NODE1: would change"] == shown(RunReport("r1", True, steps))


def test_plan_details_skip_unchanged_steps_and_results_without_data() -> None:
    """Nothing is shown for a step that would not change or that reported no data."""
    steps = [
        outcome(1, "same", Status.UNCHANGED, {"Before": 1, "After": 1}),
        outcome(2, "empty", Status.CHANGED, {}),
    ]
    assert [] == shown(RunReport("r1", True, steps))
