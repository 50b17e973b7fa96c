"""Get-CimInstance / Get-WmiObject for Win32_OperatingSystem and Win32_ComputerSystem,
simple WQL -Filter, and Windows' "Invalid class" for a class the lab does not model."""

from __future__ import annotations

import pytest

from psrunbook.sim.lab.cluster_faults import node_down, node_up
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.objects import PSObject
from tests.unit.sim.lab.scripts import run_on


def _one(script: str, node: str = "NODE1") -> PSObject:
    result = run_on(sample_lab(), script, node)
    assert (result.errors, result.failed) == ([], None)
    (found,) = result.output
    assert isinstance(found, PSObject)
    return found


def test_operating_system_as_cim_and_as_wmi() -> None:
    cim = _one("Get-CimInstance -ClassName Win32_OperatingSystem", "NODE2")
    assert cim.type_names[0] == (
        "Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_OperatingSystem"
    )
    assert cim.properties["Caption"] == "Microsoft Windows Server 2019 Datacenter"
    assert cim.properties["Version"] == "10.0.17763"
    assert cim.properties["CSName"] == "NODE2"
    assert cim.properties["LastBootUpTime"].type_names[0] == "System.DateTime"
    wmi = _one("Get-WmiObject Win32_OperatingSystem")
    assert (
        wmi.type_names[0] == "System.Management.ManagementObject#root\\cimv2\\Win32_OperatingSystem"
    )
    assert wmi.properties["LastBootUpTime"] == "20260101000000.000000+000"


def test_a_reboot_moves_last_boot_up_time() -> None:
    lab = sample_lab()
    script = "(Get-CimInstance Win32_OperatingSystem).LastBootUpTime.Ticks"
    before = run_on(lab, script, "NODE2").output
    node_down(lab, "NODE2")
    node_up(lab, "NODE2")
    after = run_on(lab, script, "NODE2").output
    assert after[0] > before[0]


def test_computer_system() -> None:
    found = _one("Get-CimInstance Win32_ComputerSystem")
    shown = {k: found.properties[k] for k in ("Name", "Domain", "PartOfDomain")}
    assert shown == {"Name": "NODE1", "Domain": "simlab.local", "PartOfDomain": True}
    assert "lab" in found.properties["Manufacturer"]


def test_filter_with_simple_equality() -> None:
    result = run_on(
        sample_lab(),
        "Get-CimInstance Win32_Service -Filter \"name = 'WINRM'\" | % Name;"
        "(Get-WmiObject Win32_ComputerSystem -Filter 'PartOfDomain = TRUE').Name;"
        '@(Get-CimInstance Win32_OperatingSystem -Filter "OSType = 19").Count',
    )
    assert (result.output, result.errors) == (["WinRM", "NODE1", 0], [])


def test_an_unknown_class_is_windows_invalid_class() -> None:
    result = run_on(sample_lab(), "Get-CimInstance Win32_Nothing; Get-WmiObject Win32_Nothing; 1")
    cim, wmi = result.errors
    assert (cim.message, cim.fully_qualified_error_id, cim.exception_type) == (
        "Invalid class ",
        "HRESULT 0x80041010,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand",
        "Microsoft.Management.Infrastructure.CimException",
    )
    assert cim.target_object == "root\\cimv2:Win32_Nothing"
    assert (wmi.message, wmi.fully_qualified_error_id) == (
        'Invalid class "Win32_Nothing"',
        "GetWMIManagementException,Microsoft.PowerShell.Commands.GetWmiObjectCommand",
    )
    assert result.output == [1]


@pytest.mark.parametrize(
    ("script", "named"),
    [
        ("Get-CimInstance Win32_LogicalDisk", "Get-CimInstance of the class Win32_LogicalDisk"),
        ("Get-WmiObject -Class win32_process", "Get-WmiObject of the class win32_process"),
        ("Get-CimInstance Win32_PerfFormattedData_PerfOS_Memory", "Win32_PerfFormattedData_PerfOS"),
    ],
)
def test_a_class_windows_has_but_the_lab_does_not_model_refuses_the_script(
    script: str, named: str
) -> None:
    """Windows has the class (Microsoft's CIMWin32 reference): "Invalid class" would send
    a script down the "no such class" branch, so the script is refused by name, which no
    ``catch`` sees; a class Windows does not have either stays "Invalid class" (above)."""
    result = run_on(sample_lab(), f"try {{ {script} -ErrorAction Stop }} catch {{ 'caught' }}")
    assert result.output == []
    assert result.failed is not None and result.failed.error_id == "UnsupportedConstruct"
    assert named in result.failed.message
    assert "every Windows Server 2019 node has" in result.failed.message


def test_a_filter_on_a_missing_property_is_invalid_query() -> None:
    result = run_on(sample_lab(), "Get-CimInstance Win32_ComputerSystem -Filter 'Bogus = 1'")
    (record,) = result.errors
    assert record.fully_qualified_error_id.startswith("HRESULT 0x80041017,")
