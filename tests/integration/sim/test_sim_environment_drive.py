"""The ``Env:`` drive over PSRP: a client sees the Environment provider's items, and a
variable set through the drive lives on in the runspace for the pool's next pipeline."""

from __future__ import annotations

import pytest
from pypsrp.complex_objects import GenericComplexObject
from pypsrp.powershell import PowerShell, RunspacePool

from tests.integration.sim.simclient import invoke_script

pytestmark = pytest.mark.integration


def test_a_client_gets_the_dictionary_entry_with_the_providers_properties(
    lab_pool: RunspacePool,
) -> None:
    [item] = invoke_script(lab_pool, "Get-Item -Path Env:COMPUTERNAME")
    assert isinstance(item, GenericComplexObject)
    assert "System.Collections.DictionaryEntry" == item.types[0]
    properties = {**item.adapted_properties, **item.extended_properties}
    assert "COMPUTERNAME" == properties["Key"]
    assert "NODE1" == properties["Value"]
    assert "Microsoft.PowerShell.Core\\Environment::COMPUTERNAME" == properties["PSPath"]
    assert properties["PSIsContainer"] is False


def test_a_variable_set_through_the_drive_is_there_in_the_next_pipeline(
    lab_pool: RunspacePool,
) -> None:
    assert [] == invoke_script(lab_pool, "Set-Item -Path Env:PSRB_POOL -Value kept")
    assert [True, "kept"] == invoke_script(
        lab_pool, "Test-Path -Path Env:PSRB_POOL; Get-Content -Path Env:PSRB_POOL"
    )
    assert [] == invoke_script(lab_pool, "Remove-Item -Path Env:PSRB_POOL")
    assert [False] == invoke_script(lab_pool, "Test-Path -Path Env:PSRB_POOL")


def test_a_command_added_by_name_reaches_the_drive(lab_pool: RunspacePool) -> None:
    """pypsrp's ``add_cmdlet`` sends the command without script text: routed the same."""
    ps = PowerShell(lab_pool)
    ps.add_cmdlet("Test-Path").add_parameter("Path", "Env:Path")
    assert [True] == ps.invoke()
    assert not ps.had_errors
