"""A plain (non-administrator) user cannot write under HKLM, Program Files or a cluster disk.

Windows answers the registry provider's SecurityException ("Requested registry access is
not allowed.") and the file system's UnauthorizedAccessException ("Access to the path ...
is denied."), as non-terminating PermissionDenied errors; nothing changes. An
administrator writes as before, and a plain user still writes in its own profile.
"""

from __future__ import annotations

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster
from tests.unit.sim.lab.conftest import Caller, reg_value

KEY = "SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile"
PROGRAM_FILES = "C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn"


@pytest.fixture
def plain_user(lab: SimCluster) -> SimCluster:
    lab.remote_user_is_administrator = False
    return lab


def _only_denied(ctx: object, error_id: str, category: str = "PermissionDenied") -> None:
    errors = ctx.errors  # type: ignore[attr-defined]
    assert [e.error_id for e in errors] == [error_id]
    assert errors[0].category == category


def test_set_item_property_on_hklm_is_refused(plain_user: SimCluster, call: Caller) -> None:
    before = reg_value(plain_user, "NODE1", KEY, "").data
    ctx = call("Set-ItemProperty", LiteralPath=f"HKLM:\\{KEY}", Name="(default)", Value="S:\\x")
    _only_denied(ctx, "System.Security.SecurityException")
    assert ctx.errors[0].message == "Requested registry access is not allowed."
    assert ctx.errors[0].exception_type == "System.Security.SecurityException"
    assert ctx.errors[0].fully_qualified_error_id == (
        "System.Security.SecurityException,Microsoft.PowerShell.Commands.SetItemPropertyCommand"
    )
    assert reg_value(plain_user, "NODE1", KEY, "").data == before
    assert not plain_user.changes


@pytest.mark.parametrize(
    ("cmdlet", "args"),
    [
        ("New-Item", {"Path": "HKLM:\\SOFTWARE\\Psrunbook"}),
        ("New-ItemProperty", {"LiteralPath": f"HKLM:\\{KEY}", "Name": "x", "Value": "1"}),
        ("Remove-ItemProperty", {"LiteralPath": f"HKLM:\\{KEY}", "Name": "(default)"}),
        ("Remove-Item", {"LiteralPath": f"HKLM:\\{KEY}"}),
    ],
)
def test_every_registry_write_is_refused(
    plain_user: SimCluster, call: Caller, cmdlet: str, args: dict[str, str]
) -> None:
    ctx = call(cmdlet, **args)
    _only_denied(ctx, "System.Security.SecurityException")
    assert not plain_user.changes


def test_reading_hklm_is_still_allowed(plain_user: SimCluster, call: Caller) -> None:
    ctx = call("Get-ItemProperty", LiteralPath=f"HKLM:\\{KEY}", Name="(default)")
    assert ctx.errors == []
    assert len(ctx.output) == 1


@pytest.mark.parametrize(
    ("cmdlet", "args", "error_id"),
    [
        (
            "New-Item",
            {"Path": f"{PROGRAM_FILES}\\x.xml", "ItemType": "File"},
            "NewItemUnauthorizedAccessError",
        ),
        (
            "New-Item",
            {"Path": "S:\\SSIS", "ItemType": "Directory"},
            "CreateDirectoryUnauthorizedAccessError",
        ),
        (
            "Set-Content",
            {"LiteralPath": f"{PROGRAM_FILES}\\MsDtsSrvr.ini.xml", "Value": ["x"]},
            "GetContentWriterUnauthorizedAccessError",
        ),
        (
            "Copy-Item",
            {
                "LiteralPath": f"{PROGRAM_FILES}\\MsDtsSrvr.ini.xml",
                "Destination": "S:\\MsDtsSrvr.ini.xml",
            },
            "CopyFileInfoItemUnauthorizedAccessError",
        ),
        (
            "Remove-Item",
            {"LiteralPath": f"{PROGRAM_FILES}\\MsDtsSrvr.ini.xml"},
            "RemoveFileSystemItemUnAuthorizedAccess",
        ),
    ],
)
def test_file_writes_outside_the_profile_are_refused(
    plain_user: SimCluster, call: Caller, cmdlet: str, args: dict[str, object], error_id: str
) -> None:
    ctx = call(cmdlet, **args)
    _only_denied(ctx, error_id)
    assert ctx.errors[0].exception_type == "System.UnauthorizedAccessException"
    assert ctx.errors[0].message.startswith("Access to the path '")
    assert ctx.errors[0].message.endswith("' is denied.")
    assert not plain_user.changes


def test_icacls_grant_is_refused(plain_user: SimCluster, call: Caller) -> None:
    ctx = call.native("icacls", "S:\\", "/grant", "SIMLAB\\svc_ssis:(RD)")
    assert ctx.exit_code == 5
    assert [("S:\\: Access is denied.", "NativeCommandError")] == [
        (e.message, e.error_id) for e in ctx.errors
    ]
    assert not plain_user.changes


def test_a_plain_user_writes_in_its_own_profile(plain_user: SimCluster, call: Caller) -> None:
    ctx = call("New-Item", Path="C:\\Users\\operator\\notes.txt", ItemType="File", Force=True)
    assert ctx.errors == []


def test_an_administrator_writes_everywhere(lab: SimCluster, call: Caller) -> None:
    ctx = call("Set-ItemProperty", LiteralPath=f"HKLM:\\{KEY}", Name="(default)", Value="S:\\x")
    assert ctx.errors == []
    ctx = call("New-Item", Path="S:\\SSIS", ItemType="Directory")
    assert ctx.errors == []
