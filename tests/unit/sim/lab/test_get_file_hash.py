"""``Get-FileHash`` on a lab node: a file's hash as 5.1's function answers it."""

from __future__ import annotations

import hashlib

from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import run_on

WRITE = (
    "$p = Join-Path ([System.IO.Path]::GetTempPath()) 'hashed.txt'\n"
    "[System.IO.File]::WriteAllText($p, 'test')\n"
)


def test_sha256_by_default_and_the_algorithm_named() -> None:
    script = WRITE + (
        "$h = Get-FileHash -LiteralPath $p\n"
        "$h.Algorithm; $h.Hash; $h.Path -eq $p; $h.PSObject.TypeNames[0]\n"
        "(Get-FileHash $p -Algorithm sha1).Hash; (Get-FileHash $p -Algorithm MD5).Algorithm"
    )
    result = run_on(sample_lab(), script)
    assert result.failed is None, result.failed
    assert [
        "SHA256",
        hashlib.sha256(b"test").hexdigest().upper(),
        True,
        "Microsoft.Powershell.Utility.FileHash",
        hashlib.sha1(b"test").hexdigest().upper(),
        "MD5",
    ] == result.output


def test_a_folder_is_skipped_and_a_missing_file_is_resolve_paths_error() -> None:
    result = run_on(sample_lab(), "Get-FileHash C:\\Windows; Get-FileHash C:\\nope.txt; 'after'")
    assert ["after"] == result.output
    (error,) = result.errors
    assert (
        "Cannot find path 'C:\\nope.txt' because it does not exist.",
        "PathNotFound,Microsoft.PowerShell.Commands.ResolvePathCommand",
    ) == (error.message, error.fully_qualified_error_id)


def test_an_algorithm_outside_the_set_fails_validation_and_two_are_refused_by_name() -> None:
    result = run_on(sample_lab(), "Get-FileHash C:\\Windows -Algorithm CRC32")
    (error,) = result.errors or [result.failed]
    assert "ParameterArgumentValidationError,Get-FileHash" == error.fully_qualified_error_id
    assert '"SHA1,SHA256,SHA384,SHA512,MACTripleDES,MD5,RIPEMD160"' in error.message
    refused = run_on(sample_lab(), "Get-FileHash C:\\Windows -Algorithm MACTripleDES").failed
    assert refused is not None and "MACTripleDES (not simulated)" in refused.message
