"""A runspace's first command outside the Core snap-in: the progress record Windows sends.

Windows PowerShell prepares its modules for autoloading the first time a runspace runs a
command of one (``Write-Output`` is Microsoft.PowerShell.Utility's) and writes one
progress record, "Preparing modules for first use.", before the command's output. The
recordings of real Windows traffic in ``tests/fixtures/recordings/`` hold it on the first
pipeline of a pool and never for ``1+1``, which runs no command; pypsrp 1.0's tests
expect it on a pool's first invocation only. Before, the lab never sent it, so a client
written against Windows (dropping that first record) lost a record of its own.
"""

from __future__ import annotations

import pytest
from pypsrp.powershell import PowerShell, RunspacePool

from tests.unit.recordings import decode_pipelines, progress_fields

pytestmark = pytest.mark.integration

PREPARING = ("Preparing modules for first use.", 0, " ", None, -1, -1, "Completed", -1)


def _progress_of(pool: RunspacePool, script: str) -> list[tuple[object, ...]]:
    ps = PowerShell(pool)
    ps.add_script(script)
    ps.invoke()
    return [progress_fields(record) for record in ps.streams.progress]


@pytest.mark.parametrize(
    "recording",
    [
        "test_psrp_error_failed.yml",
        "test_psrp_stream_output_invocation.yml",
        "test_psrp_multiple_invocations.yml",
    ],
)
def test_each_recorded_pipeline_gets_the_progress_records_windows_sent(
    lab_pool: RunspacePool, recording: str
) -> None:
    """The recording's pipelines, in order, on one new pool: the same progress records."""
    pipelines = decode_pipelines(recording)
    assert pipelines
    for pipeline in pipelines:
        assert pipeline.script is not None
        assert pipeline.progress == _progress_of(lab_pool, pipeline.script), pipeline.script


def test_only_the_first_command_of_a_module_in_a_pool_writes_it(lab_pool: RunspacePool) -> None:
    """Language alone and Core cmdlets do not; the first Utility cmdlet does, once; a
    later first use of another module does not (UNVERIFIED: one per runspace)."""
    assert [] == _progress_of(
        lab_pool, "$x = 1 + 1; Set-StrictMode -Version 3; 1..3 | ForEach-Object { $_ }"
    )
    assert [PREPARING] == _progress_of(lab_pool, "Write-Output 1; Write-Output 2")
    assert [] == _progress_of(lab_pool, "Write-Output 3; Get-Service -Name MsDtsServer150")


def test_progress_preference_keeps_it_from_the_client(lab_pool: RunspacePool) -> None:
    """$ProgressPreference applies to it as to any progress record (the shipped scripts
    set SilentlyContinue first): silenced, it does not come later either."""
    assert [] == _progress_of(lab_pool, "$ProgressPreference = 'SilentlyContinue'; Get-Date")
    assert [] == _progress_of(lab_pool, "$ProgressPreference = 'Continue'; Get-Date")
