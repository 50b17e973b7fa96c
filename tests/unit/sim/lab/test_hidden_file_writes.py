"""Writing onto an existing Hidden, System or ReadOnly file, as Windows PowerShell 5.1
refuses it: CreateFile's CREATE_ALWAYS fails on a Hidden or System file, a ReadOnly file
cannot be opened for writing, and ``-Force`` clears Hidden and ReadOnly for the write."""

from __future__ import annotations

from typing import Any

import pytest

from psrunbook.sim.lab.cluster_model import ARCHIVE, HIDDEN, READ_ONLY, SYSTEM, SimCluster, fold
from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import run_on

FILE = "S:\\Work\\conf.xml"


def _lab(attributes: str) -> SimCluster:
    lab = sample_lab()
    made = run_on(
        lab,
        "$null = New-Item -ItemType Directory -Path S:\\Work; "
        f"Set-Content -LiteralPath {FILE} -Value old -NoNewline; "
        "Set-Content -LiteralPath S:\\Work\\src.xml -Value new -NoNewline; "
        f"(Get-Item -LiteralPath {FILE} -Force).Attributes = '{attributes}'",
    )
    assert made.failed is None and [] == made.errors, made.errors
    return lab


def _entry(lab: SimCluster) -> Any:
    return lab.shared_volumes["S"].entries[fold("Work\\conf.xml")]


def _denied(lab: SimCluster, script: str) -> tuple[str, str, str]:
    result = run_on(lab, script)
    assert result.failed is None, result.failed
    assert 1 == len(result.errors), result.errors
    error = result.errors[0]
    return error.error_id, error.category, error.message


WRITER = "GetContentWriterUnauthorizedAccessError"
WRITES = [
    ("Set-Content", f"Set-Content -LiteralPath {FILE} -Value x", WRITER),
    ("redirection", f"'x' > {FILE}", WRITER),
    ("New-Item", f"$null = New-Item -ItemType File -Path {FILE} -Force",
     "NewItemUnauthorizedAccessError"),
    ("Copy-Item", f"Copy-Item -LiteralPath S:\\Work\\src.xml -Destination {FILE}",
     "CopyFileInfoItemUnauthorizedAccessError"),
]  # fmt: skip


@pytest.mark.parametrize("attributes", ["Hidden", "System", "ReadOnly", "ReadOnly, Hidden"])
@pytest.mark.parametrize(("name", "script", "error_id"), WRITES, ids=[w[0] for w in WRITES])
def test_replacing_a_protected_file_is_denied(
    attributes: str, name: str, script: str, error_id: str
) -> None:
    lab = _lab(attributes)
    before = _entry(lab).attributes
    assert (error_id, "PermissionDenied", f"Access to the path '{FILE}' is denied.") == _denied(
        lab, script
    ), name
    assert b"old" == _entry(lab).data
    assert before == _entry(lab).attributes


def test_add_content_appends_to_a_hidden_or_system_file_but_not_a_readonly_one() -> None:
    for attributes, bits in (("Hidden", HIDDEN), ("System", SYSTEM)):
        lab = _lab(attributes)
        result = run_on(lab, f"Add-Content -LiteralPath {FILE} -Value x -NoNewline")
        assert result.failed is None and [] == result.errors, result.errors
        assert b"oldx" == _entry(lab).data
        assert bits | ARCHIVE == _entry(lab).attributes
    lab = _lab("ReadOnly")
    denied = _denied(lab, f"Add-Content -LiteralPath {FILE} -Value x")
    assert "GetContentWriterUnauthorizedAccessError" == denied[0]
    assert b"old" == _entry(lab).data


@pytest.mark.parametrize("cmdlet", ["Set-Content", "Add-Content"])
def test_force_writes_and_puts_the_attributes_back(cmdlet: str) -> None:
    lab = _lab("ReadOnly, Hidden")
    result = run_on(lab, f"{cmdlet} -LiteralPath {FILE} -Value x -NoNewline -Force")
    assert result.failed is None and [] == result.errors, result.errors
    assert (b"x" if cmdlet == "Set-Content" else b"oldx") == _entry(lab).data
    assert READ_ONLY | HIDDEN == _entry(lab).attributes


def test_force_does_not_clear_system_for_set_content() -> None:
    lab = _lab("System")
    denied = _denied(lab, f"Set-Content -LiteralPath {FILE} -Value x -Force")
    assert "GetContentWriterUnauthorizedAccessError" == denied[0]
    assert b"old" == _entry(lab).data


def test_copy_item_force_replaces_a_readonly_hidden_destination() -> None:
    lab = _lab("ReadOnly, Hidden")
    result = run_on(lab, f"Copy-Item -LiteralPath S:\\Work\\src.xml -Destination {FILE} -Force")
    assert result.failed is None and [] == result.errors, result.errors
    assert b"new" == _entry(lab).data
    assert _entry(lab).attributes is None  # the source's (default) attributes


def test_new_item_force_still_refuses_a_readonly_file() -> None:
    lab = _lab("ReadOnly")
    denied = _denied(lab, f"$null = New-Item -ItemType File -Path {FILE} -Force -Value x")
    assert "NewItemUnauthorizedAccessError" == denied[0]


@pytest.mark.parametrize("attributes", ["Hidden", "System", "ReadOnly"])
@pytest.mark.parametrize(
    "write",
    [
        f"[System.IO.File]::WriteAllText('{FILE}', 'new')",
        f"[System.IO.File]::WriteAllBytes('{FILE}', [byte[]](65, 66))",
        f"[System.IO.File]::Create('{FILE}')",
    ],
)
def test_dotnet_writes_onto_a_protected_file_are_denied(attributes: str, write: str) -> None:
    """.NET's writes open with FileMode.Create (CREATE_ALWAYS): a Hidden, System or
    ReadOnly file is not replaced (UnauthorizedAccessException, which PowerShell reports
    as the method call's exception), the file unchanged."""
    lab = _lab(attributes)
    result = run_on(lab, f"try {{ {write} }} catch {{ $_.Exception.Message }}")
    assert result.failed is None and [] == result.errors, result.errors
    [message] = result.output
    assert str(message).endswith(f"argument(s): \"Access to the path '{FILE}' is denied.\""), (
        message
    )
    assert b"old" == _entry(lab).data


def test_dotnet_delete_of_a_read_only_file_is_denied_and_of_a_hidden_one_done() -> None:
    """File.Delete refuses a ReadOnly file (UnauthorizedAccessException) and deletes a
    Hidden one: deleting needs no write open of the file."""
    lab = _lab("ReadOnly")
    denied = run_on(
        lab, f"try {{ [System.IO.File]::Delete('{FILE}') }} catch {{ $_.Exception.Message }}"
    )
    assert [
        f'Exception calling "Delete" with "1" argument(s): "Access to the path \'{FILE}\' is '
        'denied."'
    ] == denied.output
    assert b"old" == _entry(lab).data
    hidden = _lab("Hidden")
    done = run_on(hidden, f"[System.IO.File]::Delete('{FILE}'); Test-Path -LiteralPath {FILE}")
    assert [False] == done.output
