"""When icacls fails, ssis-clustered's shared-config step says so with icacls' exit code
and its whole text. icacls writes its error lines to stderr, which a remote session
makes error records; under the prelude's ``$ErrorActionPreference = 'Stop'`` the first
one ended the step with icacls' bare line, before the exit code was read (Windows
PowerShell 5.1, PowerShell issue 3996). The grant now runs under 'Continue' with stderr
merged (``_lib/grant_access``)."""

from __future__ import annotations

from typing import Any

from psrunbook.runbook.examples import example_inventory, example_parameters
from psrunbook.runbook.planner import build_plan
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.sim.lab.cluster_model import FsEntry
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.templates import TemplateLibrary
from tests.unit.sim.lab.test_hidden_files import run_on_step


def _shared_config_step() -> Any:
    runbook = RunbookRegistry.discover([]).get("ssis-clustered")
    params = example_parameters(runbook.parameters)
    assert params is not None
    plan = build_plan(runbook, params, example_inventory(), TemplateLibrary([]), lint=False)
    (step,) = [s for s in plan.steps if s.step.name == "shared-config"]
    return step


def test_a_failed_grant_reports_icacls_exit_code_and_text() -> None:
    lab = sample_lab(nodes=2)
    volume = lab.shared_volumes["S"]
    volume.entries["ssis"] = FsEntry("SSIS", True)
    volume.entries["ssis\\packages"] = FsEntry("Packages", True)
    lab.remote_user_is_administrator = False  # icacls: Access is denied (exit code 5)
    step = _shared_config_step()
    arguments = {**dict(step.arguments), "Principals": ["NT SERVICE\\MsDtsServer150"]}
    result = run_on_step(lab, step.script.text, arguments)
    assert result.failed is not None
    message = result.failed.message
    assert "icacls could not grant 'NT SERVICE\\MsDtsServer150'" in message
    assert "(exit code 5): S:\\SSIS\\Packages: Access is denied." in message
    assert "Failed processing 1 files" in message
    assert not lab.changes
