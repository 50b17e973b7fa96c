"""A nested pipeline reads a running pipeline's variable, over real pypsrp 0.9.1.

pypsrp 0.9.1's ``test_psrp_nested_command`` runs ``$i = 0; while ($true) { $i++ }`` and,
while it runs, a nested ``Get-Variable -Name i``; Windows PowerShell 5.1 answers a
System.Management.Automation.PSVariable (recorded in ``tests/tests_pypsrp/responses/
test_psrp_nested_command.yml``): ToString is the type name, and Name, Description, Value,
Visibility, Module, ModuleName, Options, Attributes are all adapted properties
(``<Props>``), none in ``<MS>``.
"""

from __future__ import annotations

import pytest
from pypsrp.powershell import PowerShell, RunspacePool

pytestmark = pytest.mark.integration

_PROPERTIES = [
    "Name", "Description", "Value", "Visibility", "Module", "ModuleName", "Options", "Attributes",
]  # fmt: skip


def _nested_get_variable(pool: RunspacePool) -> object:
    """Start the counting loop, wait until it has counted, read `$i` from a nested pipeline."""
    ps = PowerShell(pool)
    ps.add_script("$i = 0; while ($true) { $i++; if ($i -eq 1) { Write-Output started } }")
    ps.begin_invoke()
    while not ps.output:  # the loop's first output says $i exists and counts
        ps.poll_invoke()
    nested = ps.create_nested_power_shell()
    nested.add_cmdlet("Get-Variable").add_parameter("Name", "i")
    [variable] = nested.invoke()
    ps.stop()
    return variable


def test_nested_get_variable_is_a_psvariable(lab_pool: RunspacePool) -> None:
    """The nested pipeline sees the running `$i`; ToString is the type name."""
    variable = _nested_get_variable(lab_pool)
    assert "System.Management.Automation.PSVariable" == str(variable)
    assert "System.Management.Automation.PSVariable" == variable.types[0]  # type: ignore[attr-defined]
    properties = {**variable.adapted_properties, **variable.extended_properties}  # type: ignore[attr-defined]
    assert _PROPERTIES == list(properties)
    assert properties["Value"] > 0


def test_nested_get_variable_value_is_adapted(lab_pool: RunspacePool) -> None:
    """pypsrp's assertion: `adapted_properties["Value"] > 0`, nothing extended."""
    variable = _nested_get_variable(lab_pool)
    assert {} == variable.extended_properties  # type: ignore[attr-defined]
    assert variable.adapted_properties["Value"] > 0  # type: ignore[attr-defined]
