"""A command every Windows Server 2019 node has but the lab does not model is refused by
name through real pypsrp 0.9.1 over HTTP, not reported as CommandNotFoundException (which
would tell a script the command does not exist on Windows); a name Windows does not know
either is still CommandNotFoundException (PowerShell 5.1's wording)."""

from __future__ import annotations

import pytest
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool

pytestmark = pytest.mark.integration


def _failed(pool: RunspacePool, script: str) -> str:
    ps = PowerShell(pool)
    ps.add_script(script)
    assert ps.invoke() == []
    assert ps.state == PSInvocationState.FAILED
    [error] = ps.streams.error
    return str(error)


def test_an_unmodelled_cmdlet_alias_and_program_are_refused_by_name(lab_pool):
    assert _failed(lab_pool, "try { Get-HotFix } catch { 'caught' }") == (
        "unsupported construct at line 1: command Get-HotFix (a Microsoft.PowerShell."
        "Management command every Windows Server 2019 node has; the simulator does not "
        "model it) 'Get-HotFix'"
    )
    assert "command gdr (Windows PowerShell 5.1's alias of Get-PSDrive;" in _failed(
        lab_pool, "gdr C"
    )
    assert "command netstat.exe (the program netstat.exe every Windows" in _failed(
        lab_pool, "netstat.exe -an"
    )


def test_a_cmdlet_called_by_name_is_refused_too(lab_pool):
    ps = PowerShell(lab_pool)
    ps.add_cmdlet("Get-Volume")
    ps.invoke()
    assert ps.state == PSInvocationState.FAILED
    [error] = ps.streams.error
    assert str(error).startswith("unsupported construct at line 1: command Get-Volume (a Storage")


def test_an_unknown_name_is_still_command_not_found(lab_pool):
    ps = PowerShell(lab_pool)
    ps.add_script("Get-Nothing; 'after'")
    assert ps.invoke() == ["after"]
    [error] = ps.streams.error
    assert str(error).startswith("The term 'Get-Nothing' is not recognized")
