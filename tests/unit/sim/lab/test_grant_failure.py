"""When icacls fails, ssis-clustered's shared-config step says so with icacls' exit code
and its whole text. icacls writes its error lines to stderr, which a remote session
makes error records; under the prelude's ``$ErrorActionPreference = 'Stop'`` the first
one ended the step with icacls' bare line, before the exit code was read (Windows
PowerShell 5.1, PowerShell issue 3996). The grant now runs under 'Continue' with stderr
merged (``_lib/grant_access``)."""

from __future__ import annotations

from psrunbook.sim.lab.cluster_model import FsEntry
from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import planned_step
from tests.unit.sim.lab.test_hidden_files import run_on_step


def test_a_failed_grant_reports_icacls_exit_code_and_text() -> None:
    lab = sample_lab(nodes=2)
    volume = lab.shared_volumes["S"]
    volume.entries["ssis"] = FsEntry("SSIS", True)
    volume.entries["ssis\\packages"] = FsEntry("Packages", True)
    lab.remote_user_is_administrator = False  # icacls: Access is denied (exit code 5)
    step = planned_step("ssis-clustered", "shared-config")
    arguments = {**dict(step.arguments), "Principals": ["NT SERVICE\\MsDtsServer150"]}
    result = run_on_step(lab, step.script.text, arguments)
    assert result.failed is not None
    message = result.failed.message
    assert "icacls could not grant 'NT SERVICE\\MsDtsServer150'" in message
    assert "(exit code 5): S:\\SSIS\\Packages: Access is denied." in message
    assert "Failed processing 1 files" in message
    assert not lab.changes
