"""HKLM values through the *-ItemProperty cmdlets, and the service cmdlets."""

from __future__ import annotations

from typing import Any

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.objects import PSEnum
from tests.unit.sim.lab.scripts import run_on

from .conftest import Caller, reg_key, reg_value, service

KEY = "HKLM:\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile"
CONFIG = "C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MsDtsSrvr.ini.xml"


def test_get_item_property_default_value(call: Caller) -> None:
    """Get-ItemProperty -Name '(default)' gives an object with a '(default)' property."""
    item = call("Get-ItemProperty", Path=[KEY], Name=["(default)"]).output[0]
    assert CONFIG == item.properties["(default)"]
    assert "ServiceConfigFile" == item.properties["PSChildName"]
    assert item.properties["PSPath"].startswith(
        "Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\"
    )


def test_registry_provider_path_forms(call: Caller) -> None:
    """Registry::HKEY_LOCAL_MACHINE\\... addresses the same key as HKLM:\\..."""
    long_form = KEY.replace("HKLM:", "Registry::HKEY_LOCAL_MACHINE")
    item = call("Get-ItemProperty", Path=[long_form]).output[0]
    assert CONFIG == item.properties["(default)"]


def test_get_item_property_missing_value_and_key(call: Caller) -> None:
    """A missing value is PSArgumentException; a missing key is PathNotFound."""
    ctx = call("Get-ItemProperty", Path=[KEY], Name=["Nope"])
    assert [] == ctx.output
    assert (
        "System.Management.Automation.PSArgumentException,"
        "Microsoft.PowerShell.Commands.GetItemPropertyCommand"
    ) == ctx.error_ids[0]
    assert "InvalidArgument" == ctx.errors[0].category
    ctx = call("Get-ItemProperty", Path=["HKLM:\\SOFTWARE\\Nope"])
    assert "PathNotFound" == ctx.errors[0].error_id


def test_set_item_property_default_and_idempotence(call: Caller, lab: SimCluster) -> None:
    """Set-ItemProperty '(default)' changes the default value; the same value is no change."""
    for _ in range(2):
        call("Set-ItemProperty", Path=[KEY], Name="(default)", Value="S:\\SSIS\\MsDtsSrvr.ini.xml")
    assert ["S:\\SSIS\\MsDtsSrvr.ini.xml"] == call(
        "Get-ItemPropertyValue", Path=[KEY], Name=["(default)"]
    ).output
    assert 1 == lab.changes["Set-ItemProperty"]
    assert CONFIG == reg_value(lab, "NODE2", KEY[6:], "").data


def test_set_item_property_missing_key(call: Caller) -> None:
    """Set-ItemProperty needs the key to exist."""
    ctx = call("Set-ItemProperty", Path=["HKLM:\\SOFTWARE\\Nope"], Name="x", Value=1)
    assert "ItemNotFoundException" in ctx.errors[0].exception_type


@pytest.mark.parametrize(
    ("value", "kind_arg", "kind", "stored"),
    [
        (5, None, "DWord", 5),
        ("5", "DWord", "DWord", 5),
        ("a", None, "String", "a"),
        (["a", "b"], None, "MultiString", ["a", "b"]),
        ("%x%", "ExpandString", "ExpandString", "%x%"),
    ],
)
def test_value_kinds(
    call: Caller, lab: SimCluster, value: Any, kind_arg: Any, kind: Any, stored: Any
) -> None:
    """Kinds are inferred from the value, or taken from -Type."""
    args = {"Path": ["HKLM:\\SOFTWARE\\Microsoft"], "Name": "v", "Value": value}
    if kind_arg:
        args["Type"] = kind_arg
    call("Set-ItemProperty", **args)
    found = reg_value(lab, "NODE1", "SOFTWARE\\Microsoft", "v")
    assert (kind, stored) == (found.kind, found.data)


def test_new_item_property(call: Caller, lab: SimCluster) -> None:
    """New-ItemProperty creates a value; again it fails unless -Force."""
    created = call("New-ItemProperty", Path=[KEY], Name="Extra", Value="1", PropertyType="String")
    assert "1" == created.output[0].properties["Extra"]
    again = call("New-ItemProperty", Path=[KEY], Name="Extra", Value="2")
    assert "ResourceExists" == again.errors[0].category
    call("New-ItemProperty", Path=[KEY], Name="Extra", Value="2", Force=True)
    assert "2" == reg_value(lab, "NODE1", KEY[6:], "Extra").data


def test_get_item_registry_key_methods(call: Caller) -> None:
    """A RegistryKey from Get-Item has GetValue and GetValueNames that read the key."""
    key = call("Get-Item", Path=[KEY]).output[0]
    assert CONFIG == key.methods["GetValue"]("")
    assert "fallback" == key.methods["GetValue"]("missing", "fallback")
    assert [""] == key.methods["GetValueNames"]()
    assert ["(default)"] == key.properties["Property"]


def test_remove_item_property(call: Caller, lab: SimCluster) -> None:
    """Remove-ItemProperty deletes a value; a missing one is an error."""
    call("Remove-ItemProperty", Path=[KEY], Name=["(default)"])
    assert {} == reg_key(lab, "NODE1", KEY[6:]).values
    assert 1 == len(call("Remove-ItemProperty", Path=[KEY], Name=["(default)"]).errors)


def test_test_path_on_registry(call: Caller) -> None:
    """Test-Path on HKLM: keys."""
    assert [True, False] == call("Test-Path", Path=[KEY, "HKLM:\\SOFTWARE\\Nope"]).output


# -- services ----------------------------------------------------------------------------


def test_get_service_shape(call: Caller) -> None:
    """Get-Service gives a ServiceController with Status and StartType enums."""
    service = call("Get-Service", Name=["MsDtsServer150"]).output[0]
    assert "System.ServiceProcess.ServiceController" == service.type_names[0]
    props = service.properties
    assert ("MsDtsServer150", "SQL Server Integration Services 15.0") == (
        props["Name"],
        props["DisplayName"],
    )
    assert PSEnum("System.ServiceProcess.ServiceControllerStatus", "Running", 4) == props["Status"]
    assert PSEnum("System.ServiceProcess.ServiceStartMode", "Automatic", 2) == props["StartType"]


def test_each_controller_is_its_own_object_reading_the_model_now(
    call: Caller, lab: SimCluster
) -> None:
    """Every Get-Service builds its controllers from the model as it is then (a change
    between two calls shows), each its own object (changing one changes no other), named
    as given: ``winrm`` shows as typed, the SCM's ``WinRM`` only when enumerated."""
    first = call("Get-Service", Name=["winrm"]).output[0]
    service(lab, "NODE1", "WinRM").status = "Stopped"
    second = call("Get-Service", Name=["winrm"]).output[0]
    assert ("Running", "Stopped") == (
        str(first.properties["Status"]),
        str(second.properties["Status"]),
    )
    assert first is not second and first.properties is not second.properties
    second.properties["Name"] = "changed"
    assert "winrm" == call("Get-Service", Name=["winrm"]).output[0].properties["ServiceName"]
    assert ["winrm", "winrm"] == [first.properties["Name"], str(first)]
    # winr*, not win*: Windows' WinDefend, Winmgmt... match win* and the lab refuses that.
    listed = call("Get-Service", Name=["winr*"]).output[0]
    assert ["Name", "ServiceName", "DisplayName"] == list(listed.properties)[:3]
    assert ["WinRM", "WinRM", "WinRM"] == [
        listed.properties["Name"], listed.properties["ServiceName"], str(listed)
    ]


def test_get_service_missing(call: Caller) -> None:
    """A missing service is NoServiceFoundForGivenName (ObjectNotFound)."""
    ctx = call("Get-Service", Name=["MsDtsServer160"])
    assert (
        "NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.GetServiceCommand"
        == ctx.error_ids[0]
    )
    assert "Cannot find any service with service name 'MsDtsServer160'." == ctx.errors[0].message
    assert "ObjectNotFound" == ctx.errors[0].category


@pytest.mark.parametrize(
    ("script", "named"),
    [
        ("Get-Service W32Time", "Get-Service of the service W32Time"),
        ("Stop-Service -Name spooler", "Stop-Service of the service spooler"),
        ("Get-Service 'W32*'", "Get-Service of W32* (it matches W32Time"),
    ],
)
def test_a_service_windows_has_but_the_lab_does_not_model_refuses_the_script(
    lab: SimCluster, script: str, named: str
) -> None:
    """Every Windows Server node has W32Time and the Spooler (Microsoft's service guidance,
    "Always installed"): "Cannot find any service" would tell a script they do not exist,
    and a wildcard would list fewer services than Windows, so the script is refused by
    name, which no ``-ErrorAction`` or ``catch`` sees."""
    _assert_refused(lab, script, named, "a service every Windows Server node has")


def test_get_service_wildcard_and_display_name(call: Caller) -> None:
    """Wildcards match names (no error when none match); -DisplayName matches display names."""
    assert ["MsDtsServer150"] == [
        s.properties["Name"] for s in call("Get-Service", Name=["MsDts*"]).output
    ]
    assert [] == call("Get-Service", Name=["Nope*"]).errors
    found = call("Get-Service", DisplayName=["SQL Server Integration*"]).output
    assert ["MsDtsServer150"] == [s.properties["Name"] for s in found]


def test_start_stop_restart_service(call: Caller, lab: SimCluster) -> None:
    """Stop then Start change status and count; starting a running service is no change."""
    call("Stop-Service", Name=["MsDtsServer150"])
    assert "Stopped" == service(lab, "NODE1", "MsDtsServer150").status
    call("Start-Service", Name=["MsDtsServer150"])
    call("Start-Service", Name=["MsDtsServer150"])
    assert (1, 1) == (lab.changes["Stop-Service"], lab.changes["Start-Service"])
    out = call("Restart-Service", Name=["MsDtsServer150"], PassThru=True).output
    assert "Running" == str(out[0].properties["Status"])
    assert 1 == lab.changes["Restart-Service"]


def test_start_service_piped(call: Caller, lab: SimCluster) -> None:
    """A piped ServiceController is started."""
    service(lab, "NODE2", "MsDtsServer150").status = "Stopped"
    controller = call("Get-Service", "NODE2", Name=["MsDtsServer150"]).output[0]
    call("Start-Service", "NODE2", InputObject=[controller])
    assert "Running" == service(lab, "NODE2", "MsDtsServer150").status


def test_start_disabled_service(call: Caller, lab: SimCluster) -> None:
    """A disabled service cannot start: CouldNotStartService (OpenError)."""
    service(lab, "NODE1", "MsDtsServer150").start_type = "Disabled"
    service(lab, "NODE1", "MsDtsServer150").status = "Stopped"
    ctx = call("Start-Service", Name=["MsDtsServer150"])
    assert (
        "CouldNotStartService,Microsoft.PowerShell.Commands.StartServiceCommand" == ctx.error_ids[0]
    )
    assert "OpenError" == ctx.errors[0].category


@pytest.mark.parametrize(
    ("script", "named"),
    [
        (
            "Get-ItemProperty 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion'",
            "Get-ItemProperty of HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion",
        ),
        (
            "Test-Path HKLM:\\SYSTEM\\CurrentControlSet\\Services\\W32Time",
            "Test-Path of HKLM:\\SYSTEM\\CurrentControlSet\\Services\\W32Time",
        ),
    ],
)
def test_a_key_of_windows_own_registry_is_refused_not_missing(
    lab: SimCluster, script: str, named: str
) -> None:
    """Windows fills SYSTEM and Microsoft's branch of SOFTWARE itself; the lab does not
    model them, so "Cannot find path" (or Test-Path False) would tell a script the key is
    missing on Windows: refused by name, which no ``catch`` sees."""
    _assert_refused(lab, script, named, "a key of Windows' own registry")


def test_keys_the_lab_models_or_windows_lacks_are_still_missing(lab: SimCluster) -> None:
    """SQL Server's branch is modelled (a version not installed is missing), another
    vendor's key is no Windows key, and a key a script creates exists."""
    result = run_on(
        lab,
        "Test-Path 'HKLM:\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\160'\n"
        "Test-Path HKLM:\\SOFTWARE\\Contoso\n"
        "$null = New-Item HKLM:\\SOFTWARE\\Microsoft\\PsrunbookTest\n"
        "Test-Path HKLM:\\SOFTWARE\\Microsoft\\PsrunbookTest",
    )
    assert (result.failed, result.output) == (None, [False, False, True])


def _assert_refused(lab: SimCluster, script: str, named: str, why: str) -> None:
    """``script`` in a try/catch, with its errors silenced: refused by name all the same."""
    result = run_on(lab, f"try {{ {script} -ErrorAction SilentlyContinue }} catch {{ 'caught' }}")
    assert result.output == []
    assert result.failed is not None and result.failed.error_id == "UnsupportedConstruct"
    assert named in result.failed.message
    assert why in result.failed.message
