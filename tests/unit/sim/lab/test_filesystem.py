"""Items and content: local disks, the shared disk's visibility, and bytes as 5.1 writes them."""

from __future__ import annotations

import codecs
from typing import Any

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.paths import BadDrive, FsPath, RegPath, parse
from psrunbook.sim.ps.cmdlet_api import CmdletError
from tests.unit.sim.lab.scripts import run_on

from .conftest import Caller, reg_key

GROUP = "SQL Server (MSSQLSERVER)"
BINN = "C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("c:/Program Files//x/./y/../z", FsPath("C", ("Program Files", "x", "z"))),
        ("FileSystem::S:\\SSIS", FsPath("S", ("SSIS",))),
        ("Microsoft.PowerShell.Core\\FileSystem::S:\\", FsPath("S", ())),
        ("HKLM:\\SOFTWARE\\X", RegPath(("SOFTWARE", "X"))),
        ("Registry::HKEY_LOCAL_MACHINE\\SOFTWARE\\X", RegPath(("SOFTWARE", "X"))),
        (
            "Microsoft.PowerShell.Core\\Registry::HKEY_LOCAL_MACHINE\\SOFTWARE",
            RegPath(("SOFTWARE",)),
        ),
        ("notes.txt", FsPath("C", ("Users", "admin", "Documents", "notes.txt"))),
        ("..\\Desktop\\.\\x", FsPath("C", ("Users", "admin", "Desktop", "x"))),
    ],
)
def test_paths_normalise(raw: Any, expected: Any) -> None:
    """Provider prefixes, / separators, . and .. all normalise; relative is below the location."""
    assert expected == parse(raw, "C:\\Users\\admin\\Documents")


@pytest.mark.parametrize("raw", ["HKCU:\\Software", "Cert:\\LocalMachine", "\\\\server\\share"])
def test_unsupported_drives(raw: Any) -> None:
    """Other drives are refused as unknown drives, loudly."""
    with pytest.raises(BadDrive):
        parse(raw, "C:\\")


# -- shared disk visibility ----------------------------------------------------------------


def test_shared_disk_visible_only_on_owner(call: Caller) -> None:
    """S: exists on NODE1 (owner of its group) and not on NODE2."""
    assert [True] == call("Test-Path", "NODE1", Path=["S:\\"]).output
    assert [False] == call("Test-Path", "NODE2", Path=["S:\\"]).output
    assert [False] == call("Test-Path", "NODE2", Path=["S:\\MSSQL"]).output


def test_shared_disk_item_not_found_elsewhere(call: Caller) -> None:
    """On a non-owner, Get-Item on the shared disk is ItemNotFoundException (PathNotFound)."""
    ctx = call("Get-Item", "NODE2", Path=["S:\\MSSQL"])
    record = ctx.errors[0]
    assert (
        "PathNotFound,Microsoft.PowerShell.Commands.GetItemCommand"
        == record.fully_qualified_error_id
    )
    assert "System.Management.Automation.ItemNotFoundException" == record.exception_type
    assert "Cannot find path 'S:\\MSSQL' because it does not exist." == record.message


def test_unknown_drive_is_drive_not_found(call: Caller) -> None:
    """A drive that exists nowhere in the lab is DriveNotFound."""
    ctx = call("Get-Item", Path=["Q:\\x"])
    assert "DriveNotFound" == ctx.errors[0].error_id


def test_move_group_moves_disk_visibility(call: Caller) -> None:
    """After Move-ClusterGroup the files follow the disk to the new owner."""
    call("New-Item", Path=["S:\\SSIS"], ItemType="Directory")
    call("Move-ClusterGroup", Name=GROUP, Node="NODE2")
    assert [False] == call("Test-Path", "NODE1", Path=["S:\\SSIS"]).output
    assert [True] == call("Test-Path", "NODE2", Path=["S:\\SSIS"]).output


def test_offline_disk_is_not_mounted(call: Caller) -> None:
    """A Physical Disk resource that is Offline is not mounted even on the owner."""
    call("Stop-ClusterResource", Name="Cluster Disk 1")
    assert [False] == call("Test-Path", Path=["S:\\"]).output


def test_writing_to_unowned_shared_disk_fails(call: Caller, lab: SimCluster) -> None:
    """Set-Content and New-Item on a non-owner fail and change nothing."""
    ctx = call("Set-Content", "NODE2", Path=["S:\\a.txt"], Value=["x"])
    assert "ItemNotFoundException" in ctx.errors[0].exception_type
    ctx = call("New-Item", "NODE2", Path=["S:\\SSIS"], ItemType="Directory")
    assert 1 == len(ctx.errors)
    assert 0 == sum(lab.changes.values())


def test_local_disks_are_per_node(call: Caller) -> None:
    """A file written on NODE1's C: does not exist on NODE2's C:."""
    call("Set-Content", Path=["C:\\only1.txt"], Value=["x"])
    assert [True] == call("Test-Path", "NODE1", Path=["c:\\ONLY1.TXT"]).output
    assert [False] == call("Test-Path", "NODE2", Path=["C:\\only1.txt"]).output


# -- Test-Path / Get-Item / Get-ChildItem -----------------------------------------------


def test_test_path_types_and_wildcards(call: Caller) -> None:
    """-PathType Container/Leaf, wildcards in -Path, literal -LiteralPath."""
    assert [True, False] == call("Test-Path", Path=[BINN, BINN + "\\nope"]).output
    assert [True] == call("Test-Path", Path=[BINN], PathType="Container").output
    assert [False] == call("Test-Path", Path=[BINN], PathType="Leaf").output
    assert [True] == call("Test-Path", Path=[BINN + "\\*.xml"]).output
    assert [False] == call("Test-Path", LiteralPath=[BINN + "\\*.xml"]).output


def test_get_item_file_shape(call: Caller) -> None:
    """Get-Item gives a FileInfo with Name, FullName, Length, Extension, spelled as the
    path was given (PowerShell issue 21646: ``gci -Path fileNAME.txt`` has the Name
    ``fileNAME.txt``; issue 13190)."""
    item = call("Get-Item", Path=[BINN + "\\msdtssrvr.ini.xml"]).output[0]
    assert "System.IO.FileInfo" == item.type_names[0]
    props = item.properties
    assert ("msdtssrvr.ini.xml", BINN + "\\msdtssrvr.ini.xml", ".xml") == (
        props["Name"],
        props["FullName"],
        props["Extension"],
    )
    assert props["Length"] > 100
    assert props["PSIsContainer"] is False


def test_get_child_item_filter_and_recurse(call: Caller) -> None:
    """Get-ChildItem lists children; -Filter, -Recurse, -Directory and -Name work."""
    base = "C:\\Program Files\\Microsoft SQL Server\\150\\DTS"
    names = [str(i.properties["Name"]) for i in call("Get-ChildItem", Path=[base]).output]
    assert ["Binn", "Packages"] == names
    found = call("Get-ChildItem", Path=[base], Filter="*.xml", Recurse=True).output
    assert ["MsDtsSrvr.ini.xml"] == [i.properties["Name"] for i in found]
    assert ["Binn", "Packages"] == call(
        "Get-ChildItem", Path=[base], Directory=True, Name=True
    ).output


def test_get_child_item_registry(call: Caller) -> None:
    """Get-ChildItem on HKLM: lists subkeys as RegistryKey objects."""
    keys = call("Get-ChildItem", Path=["HKLM:\\SOFTWARE\\Microsoft\\Microsoft SQL Server"]).output
    assert {"150", "Instance Names"} == {k.properties["PSChildName"] for k in keys}


# -- New-Item ----------------------------------------------------------------------------


def test_new_item_directory_and_exists(call: Caller, lab: SimCluster) -> None:
    """New-Item -ItemType Directory creates parents; again fails, with -Force returns it."""
    created = call("New-Item", Path=["S:\\SSIS\\Packages"], ItemType="Directory").output[0]
    assert "System.IO.DirectoryInfo" == created.type_names[0]
    assert [True] == call("Test-Path", Path=["S:\\SSIS"]).output
    again = call("New-Item", Path=["S:\\SSIS\\Packages"], ItemType="Directory")
    assert "DirectoryExist,Microsoft.PowerShell.Commands.NewItemCommand" == again.error_ids[0]
    assert "ResourceExists" == again.errors[0].category
    forced = call("New-Item", Path=["S:\\SSIS\\Packages"], ItemType="Directory", Force=True)
    assert ([], 1) == (forced.errors, len(forced.output))
    assert 1 == lab.changes["New-Item"]


def test_new_item_name_parameter_and_file_value(call: Caller) -> None:
    """-Path + -Name build the path; a file gets -Value as its content."""
    call("New-Item", Path=["C:\\"], Name="hello.txt", ItemType="File", Value="hi")
    assert ["hi"] == call("Get-Content", Path=["C:\\hello.txt"]).output


def test_new_item_file_missing_folder(call: Caller) -> None:
    """A file in a missing folder fails without -Force and creates the folder with it."""
    ctx = call("New-Item", Path=["C:\\a\\b.txt"], ItemType="File")
    assert "System.IO.DirectoryNotFoundException" == ctx.errors[0].exception_type
    call("New-Item", Path=["C:\\a\\b.txt"], ItemType="File", Force=True)
    assert [True] == call("Test-Path", Path=["C:\\a\\b.txt"]).output


def test_new_item_registry_key(call: Caller, lab: SimCluster) -> None:
    """New-Item on HKLM: creates a key; on an existing key it fails without -Force."""
    created = call("New-Item", Path=["HKLM:\\SOFTWARE\\Test"]).output[0]
    assert "Microsoft.Win32.RegistryKey" == created.type_names[0]
    assert "HKEY_LOCAL_MACHINE\\SOFTWARE\\Test" == created.properties["Name"]
    again = call("New-Item", Path=["HKLM:\\SOFTWARE\\Test"])
    assert "A key at this path already exists." == again.errors[0].message
    assert lab.node("NODE1").registry.key("software\\test") is not None


def test_new_item_force_on_existing_key_loses_values(call: Caller, lab: SimCluster) -> None:
    """New-Item -Force recreates an existing key: its values are gone, as on Windows."""
    call("New-Item", Path=["HKLM:\\SOFTWARE\\Test"])
    call("Set-ItemProperty", Path=["HKLM:\\SOFTWARE\\Test"], Name="a", Value="1")
    call("New-Item", Path=["HKLM:\\SOFTWARE\\Test"], Force=True)
    assert {} == reg_key(lab, "NODE1", "SOFTWARE\\Test").values


def test_new_item_key_missing_parent(call: Caller) -> None:
    """A key under a missing parent needs -Force."""
    assert 1 == len(call("New-Item", Path=["HKLM:\\SOFTWARE\\A\\B"]).errors)
    assert [] == call("New-Item", Path=["HKLM:\\SOFTWARE\\A\\B"], Force=True).errors


# -- content -----------------------------------------------------------------------------


def test_set_content_default_is_ansi_with_crlf(call: Caller, lab: SimCluster) -> None:
    """Without -Encoding, Set-Content writes the ANSI code page, every line ending CRLF."""
    call("Set-Content", Path=["C:\\a.txt"], Value=["é", "b"])
    assert b"\xe9\r\nb\r\n" == lab.node("NODE1").volumes["C"].entries["a.txt"].data


def test_set_content_utf8_writes_bom(call: Caller, lab: SimCluster) -> None:
    """-Encoding UTF8 writes a BOM (Windows PowerShell 5.1); -NoNewline adds no CRLF."""
    call("Set-Content", Path=["S:\\c.xml"], Value=["<a>é</a>"], Encoding="UTF8", NoNewline=True)
    data = lab.shared_volumes["S"].entries["c.xml"].data
    assert codecs.BOM_UTF8 + "<a>é</a>".encode() == data


def test_set_content_unicode_is_utf16le(call: Caller, lab: SimCluster) -> None:
    """-Encoding Unicode writes UTF-16LE with its BOM."""
    call("Set-Content", Path=["C:\\u.txt"], Value=["A"], Encoding="Unicode")
    assert b"\xff\xfeA\x00\r\x00\n\x00" == lab.node("NODE1").volumes["C"].entries["u.txt"].data


def test_set_content_same_bytes_is_no_change(call: Caller, lab: SimCluster) -> None:
    """Writing identical bytes again counts no second change."""
    for _ in range(2):
        call("Set-Content", Path=["C:\\a.txt"], Value=["x"], Encoding="UTF8")
    assert 1 == lab.changes["Set-Content"]


def test_set_content_missing_folder(call: Caller) -> None:
    """A missing folder is DirectoryNotFound with Set-Content's error id."""
    ctx = call("Set-Content", Path=["C:\\nope\\a.txt"], Value=["x"])
    assert (
        "GetContentWriterDirectoryNotFoundError,Microsoft.PowerShell.Commands.SetContentCommand"
        == ctx.error_ids[0]
    )
    assert "Could not find a part of the path 'C:\\nope\\a.txt'." == ctx.errors[0].message


def test_get_content_lines_raw_and_bom(call: Caller) -> None:
    """Get-Content emits lines; -Raw one string; a BOM is honoured and removed."""
    call("Set-Content", Path=["C:\\a.txt"], Value=["ä1", "b2"], Encoding="UTF8")
    assert ["ä1", "b2"] == call("Get-Content", Path=["C:\\a.txt"]).output
    assert ["ä1\r\nb2\r\n"] == call("Get-Content", Path=["C:\\a.txt"], Raw=True).output
    assert ["ä1"] == call("Get-Content", Path=["C:\\a.txt"], TotalCount=1).output


def test_get_content_missing_file(call: Caller) -> None:
    """A missing file is PathNotFound for Get-Content."""
    ctx = call("Get-Content", Path=["C:\\nope.txt"])
    assert "PathNotFound,Microsoft.PowerShell.Commands.GetContentCommand" == ctx.error_ids[0]


def test_get_content_of_empty_file_emits_nothing(call: Caller) -> None:
    """An empty file gives no output, with or without -Raw."""
    call("New-Item", Path=["C:\\e.txt"], ItemType="File")
    assert [] == call("Get-Content", Path=["C:\\e.txt"]).output
    assert [] == call("Get-Content", Path=["C:\\e.txt"], Raw=True).output


# -- Copy-Item / Remove-Item -------------------------------------------------------------


def test_copy_item_to_shared_disk(call: Caller, lab: SimCluster) -> None:
    """Copy-Item copies the bytes; into an existing folder it keeps the name."""
    call("New-Item", Path=["S:\\SSIS"], ItemType="Directory")
    call("Copy-Item", Path=[BINN + "\\MsDtsSrvr.ini.xml"], Destination="S:\\SSIS")
    source = (
        lab.node("NODE1")
        .volumes["C"]
        .entries["program files\\microsoft sql server\\150\\dts\\binn\\msdtssrvr.ini.xml"]
    )
    assert source.data == lab.shared_volumes["S"].entries["ssis\\msdtssrvr.ini.xml"].data
    call("Copy-Item", Path=[BINN + "\\MsDtsSrvr.ini.xml"], Destination="S:\\SSIS\\copy.xml")
    assert [True] == call("Test-Path", Path=["S:\\SSIS\\copy.xml"]).output
    assert 2 == lab.changes["Copy-Item"]


def test_copy_item_missing_source_and_folder(call: Caller) -> None:
    """A missing source is PathNotFound; a missing destination folder is DirectoryNotFound."""
    assert (
        "PathNotFound"
        == call("Copy-Item", Path=["C:\\nope"], Destination="C:\\x").errors[0].error_id
    )
    ctx = call("Copy-Item", Path=[BINN + "\\MsDtsSrvr.ini.xml"], Destination="C:\\no\\x.xml")
    assert "System.IO.DirectoryNotFoundException" == ctx.errors[0].exception_type


def test_copy_item_recurse(call: Caller) -> None:
    """-Recurse copies a folder tree."""
    call("New-Item", Path=["C:\\src\\sub"], ItemType="Directory")
    call("Set-Content", Path=["C:\\src\\sub\\f.txt"], Value=["x"])
    call("Copy-Item", Path=["C:\\src"], Destination="C:\\dst", Recurse=True)
    assert ["x"] == call("Get-Content", Path=["C:\\dst\\sub\\f.txt"]).output


def test_remove_item(call: Caller) -> None:
    """Remove-Item deletes; a folder with children needs -Recurse (a prompt otherwise)."""
    call("New-Item", Path=["C:\\r\\s"], ItemType="Directory")
    with pytest.raises(CmdletError) as raised:
        call("Remove-Item", Path=["C:\\r"])
    assert "HostFunctionNotImplemented" == raised.value.record.error_id
    call("Remove-Item", Path=["C:\\r"], Recurse=True)
    assert [False] == call("Test-Path", Path=["C:\\r\\s"]).output


def test_add_content_appends_lines_after_what_the_file_holds(call: Caller, lab: SimCluster) -> None:
    """Each value and CRLF after the file's bytes, no line break put in between; the
    file's change counted once per call."""
    call("Set-Content", Path=["C:\\log.txt"], Value=["a"], NoNewline=True)
    call("Add-Content", Path=["C:\\log.txt"], Value=["b", "c"])
    assert b"ab\r\nc\r\n" == lab.node("NODE1").volumes["C"].entries["log.txt"].data
    assert 1 == lab.changes["Add-Content"]


def test_add_content_creates_a_missing_file_and_keeps_a_marked_files_encoding(
    call: Caller, lab: SimCluster
) -> None:
    """A new file as Set-Content writes it (ANSI); a file starting with a UTF-8 mark gets
    UTF-8 text and no second mark (UNVERIFIED choice, documented in AddContent)."""
    call("Add-Content", Path=["C:\\new.txt"], Value=["é"])
    assert b"\xe9\r\n" == lab.node("NODE1").volumes["C"].entries["new.txt"].data
    call("Set-Content", Path=["C:\\u.txt"], Value=["a"], Encoding="UTF8")
    call("Add-Content", Path=["C:\\u.txt"], Value=["é"])
    expected = codecs.BOM_UTF8 + "a\r\né\r\n".encode()
    assert expected == lab.node("NODE1").volumes["C"].entries["u.txt"].data


def test_add_content_missing_folder(call: Caller) -> None:
    ctx = call("Add-Content", Path=["C:\\nope\\a.txt"], Value=["x"])
    assert (
        "GetContentWriterDirectoryNotFoundError,Microsoft.PowerShell.Commands.AddContentCommand"
        == ctx.error_ids[0]
    )


@pytest.mark.parametrize(
    ("script", "message"),
    [
        ("Test-Path -Path $null", "Cannot bind argument to parameter 'Path' because it is null."),
        ("Test-Path ''", "Cannot bind argument to parameter 'Path' because it is an empty string."),
        ("Get-Item ''", "Cannot bind argument to parameter 'Path' because it is an empty string."),
        ("Get-Content -LiteralPath ''",
         "Cannot bind argument to parameter 'LiteralPath' because it is an empty string."),
        ("Remove-Item $null", "Cannot bind argument to parameter 'Path' because it is null."),
        ("Get-ItemProperty -Path ''",
         "Cannot bind argument to parameter 'Path' because it is an empty string."),
        ("Set-ItemProperty -Path $null -Name x -Value 1",
         "Cannot bind argument to parameter 'Path' because it is null."),
    ],
)  # fmt: skip
def test_a_null_or_empty_path_is_a_binding_error_not_the_location(
    script: str, message: str
) -> None:
    """``-Path`` and ``-LiteralPath`` are mandatory for these cmdlets (their 5.1 reference:
    "Required: True"; GetPropertyCommand's ``Mandatory = true``); the lab read
    ``Get-Item ''`` as the current folder."""
    result = run_on(sample_lab(), f"{script}; 'on'")
    assert ["on"] == result.output
    assert [message] == [e.message for e in result.errors]


@pytest.mark.parametrize(
    "command", ["Remove-Item", "Test-Path", "Get-FileHash", "Get-ItemProperty"]
)
def test_no_path_at_all_misses_the_default_sets_mandatory_path(command: str) -> None:
    """With neither ``-Path`` nor ``-LiteralPath`` PowerShell's binder takes the default
    parameter set (``Path``), whose ``-Path`` is mandatory: a non-interactive session
    cannot prompt for it. The lab wrote nothing."""
    result = run_on(sample_lab(), f"{command}; 'on'")
    assert ["on"] == result.output
    assert [
        "Cannot process command because of one or more missing mandatory parameters: Path."
    ] == [e.message for e in result.errors]


def test_a_path_from_the_pipeline_satisfies_the_default_set() -> None:
    assert [True, True] == run_on(sample_lab(), "'C:\\Windows', 'C:\\' | Test-Path").output


def test_a_path_type_that_is_not_one_is_refused_not_read_as_any() -> None:
    """``-PathType`` is a TestPathType (Any, Container, Leaf); Windows fails to bind any
    other value. The lab answered as for Any; it refuses by name (the binding error's
    text is not modelled)."""
    failed = run_on(sample_lab(), "Test-Path C:\\Windows -PathType Folder").failed
    assert failed is not None
    assert "Test-Path -PathType Folder" in failed.message
