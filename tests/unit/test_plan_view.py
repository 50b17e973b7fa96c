"""The plan view: what would change, read from the typed results the run report carries."""

from __future__ import annotations

from io import StringIO

from rich.console import Console

from psrunbook.cli.plan_view import plan_details
from psrunbook.execution.outcome import RunReport, Status, StepOutcome, TargetOutcome
from psrunbook.runbook.model import Step, StepResult, Target
from psrunbook.runbook.planner import PlannedStep
from psrunbook.secrets import clear_secrets, register_secret
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


def test_plan_details_show_each_differing_key_as_now_to_planned_in_toml() -> None:
    """Only keys that differ, ~ changed / + new / - gone, values as a params file spells them."""
    data = {
        "Before": {"Path": "S:\\SSIS", "Same": 1, "Gone": True},
        "After": {"Path": "T:\\SSIS", "Same": 1, "New": ["a"]},
        "Actions": ["create"],
    }
    report = RunReport("r1", check_only=True, steps=[outcome(1, "full", Status.CHANGED, data)])
    assert [
        "01-full on NODE1: would change",
        "    ~ Path: 'S:\\SSIS' → 'T:\\SSIS'",
        "    - Gone: true",
        "    + New: ['a']",
        "    actions: create",
    ] == shown(report)


def test_plan_details_diff_a_file_and_name_what_restarts() -> None:
    data = {
        "Restarts": ["MsDtsServer150"],
        "FileChanges": [{"Path": "C:\\x.xml", "Before": "<a>\n<b/>\n", "After": "<a>\n<c/>\n"}],
    }
    lines = shown(RunReport("r1", True, [outcome(2, "cfg", Status.CHANGED, data)]))
    assert "    restarts MsDtsServer150" in lines
    assert "    --- C:\\x.xml on NODE1 (now)" in lines
    assert ["    -<b/>", "    +<c/>"] == [line for line in lines if line[4:6] in {"-<", "+<"}]
    assert "would restart MsDtsServer150 on NODE1" == lines[-1]


def test_plan_details_mask_secrets_in_values_and_files() -> None:
    register_secret("hunter2-secret")
    try:
        data = {
            "Before": {"Conn": "pwd=hunter2-secret"},
            "After": {"Conn": "pwd=other"},
            "FileChanges": [{"Path": "f", "Before": "hunter2-secret\n", "After": "x\n"}],
        }
        text = "\n".join(shown(RunReport("r1", True, [outcome(1, "s", Status.CHANGED, data)])))
    finally:
        clear_secrets()
    assert "hunter2-secret" not in text
    assert "***" in text


def test_plan_details_skip_unchanged_steps_and_results_without_data() -> None:
    """Nothing is shown for a step that would not change or that reported no data."""
    steps = [
        outcome(1, "same", Status.UNCHANGED, {"Before": 1, "After": 1}),
        outcome(2, "empty", Status.CHANGED, {}),
    ]
    assert [] == shown(RunReport("r1", True, steps))
