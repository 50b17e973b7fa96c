"""RESET_RUNSPACE_STATE (MS-PSRP 2.2.2.31) resets the runspace as Windows does, through
real pypsrp 0.9.1 (``RunspacePool.reset_runspace_state``) over HTTP.

Evidence: ``ServerRunspacePoolDriver.ResetRunspaceState`` (false when the pool may hold
more than one runspace or a pipeline is running), ``InitialSessionState.
ResetRunspaceState`` (global variables rebuilt, location reset) and ``LocalRunspace.
ResetRunspaceState`` (new History); pypsrp 0.9.1's ``responses/test_psrp_reset_runspace_
state.yml``; pypsrp 1.0's ``tests_psrp/test_sync.py::test_runspace_reset_state``.
"""

from __future__ import annotations

import pytest
from pypsrp.exceptions import InvalidPSRPOperation
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool

from psrunbook.sim.endpoint.http_server import SimEndpoint
from tests.integration.sim.simclient import client_for

pytestmark = pytest.mark.integration


def _run(pool: RunspacePool, script: str, *, history: bool = False) -> list[object]:
    ps = PowerShell(pool)
    ps.add_script(script)
    return list(ps.invoke(add_to_history=history))


def test_reset_clears_global_variables_and_keeps_functions(lab_pool):
    _run(lab_pool, "$global:TestVar = 'foo'; $ErrorActionPreference = 'Stop'")
    _run(lab_pool, "function Get-Kept { 'kept' }; $env:PSRP1_RESET = 'env'")
    assert _run(lab_pool, "$global:TestVar") == ["foo"]

    lab_pool.reset_runspace_state()

    assert _run(lab_pool, "$global:TestVar") == [None]
    assert _run(lab_pool, "$ErrorActionPreference") == ["Continue"]
    # Functions and the process environment are not part of the reset.
    assert _run(lab_pool, "Get-Kept") == ["kept"]
    assert _run(lab_pool, "$env:PSRP1_RESET") == ["env"]


def test_reset_starts_a_new_history(lab_pool):
    _run(lab_pool, "echo hi", history=True)
    assert len(_run(lab_pool, "Get-History")) == 1

    lab_pool.reset_runspace_state()

    assert _run(lab_pool, "Get-History") == []
    _run(lab_pool, "echo again", history=True)
    assert _run(lab_pool, "(Get-History).Id") == [1]


def test_reset_is_refused_for_a_pool_of_several_runspaces(lab_endpoint: SimEndpoint):
    with RunspacePool(client_for(lab_endpoint), max_runspaces=2) as pool:
        _run(pool, "$global:TestVar = 'foo'")
        with pytest.raises(InvalidPSRPOperation, match="Failed to reset runspace state"):
            pool.reset_runspace_state()
        assert _run(pool, "$global:TestVar") == ["foo"]


def test_reset_is_refused_while_a_pipeline_runs(lab_pool):
    _run(lab_pool, "$global:TestVar = 'foo'")
    ps = PowerShell(lab_pool)
    ps.add_script("while ($true) {}")
    ps.begin_invoke()
    try:
        with pytest.raises(InvalidPSRPOperation, match="Failed to reset runspace state"):
            lab_pool.reset_runspace_state()
    finally:
        ps.stop()
    assert ps.state == PSInvocationState.STOPPED
    assert _run(lab_pool, "$global:TestVar") == ["foo"]
