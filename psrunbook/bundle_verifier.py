"""``Verify-Bundle.ps1``: checks a review bundle on Windows without psrunbook.

A change board often reviews on a Windows workstation where psrunbook is not installed.
This script, written into every bundle (and pinned by the manifest like every other
file), needs only Windows PowerShell 5.1: it reads ``SHA256SUMS``, hashes every file with
``Get-FileHash``, cross-checks the list against ``manifest.json`` and, given the approved
hash, the manifest itself. It prints one line per missing, extra or changed file and
exits 0 when the bundle is intact, 1 otherwise.

The text is a constant of psrunbook (not a template) so that no ``--templates`` folder
can replace it, and it takes no value from the bundle's inputs: it is byte-identical in
every bundle a psrunbook version writes.
"""

from __future__ import annotations

from typing import Final

__all__ = ["verify_script_text"]

_SCRIPT: Final = r"""<#
.SYNOPSIS
    Checks this psrunbook review bundle: every file against SHA256SUMS and manifest.json.
.DESCRIPTION
    Needs only Windows PowerShell 5.1 (no psrunbook). Prints MISSING, EXTRA or CHANGED
    for each file that differs, and exits 0 when the bundle is exactly as exported,
    1 otherwise. Give the manifest sha256 that was approved (printed by psrunbook export)
    to also prove this is the approved bundle.
.PARAMETER ExpectedManifestSha256
    The approved sha256 of manifest.json (64 hex digits).
.EXAMPLE
    powershell -NoProfile -File .\Verify-Bundle.ps1 -ExpectedManifestSha256 0123...cdef
#>
[CmdletBinding()]
param(
    [Parameter()]
    [string] $ExpectedManifestSha256 = ''
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3
$ProgressPreference = 'SilentlyContinue'

$bundle = $PSScriptRoot
$sumsName = 'SHA256SUMS'
$problems = 0
$expected = @{}

function Get-Sha256 {
    param([Parameter(Mandatory = $true)] [string] $LiteralPath)
    (Get-FileHash -LiteralPath $LiteralPath -Algorithm SHA256).Hash.ToLowerInvariant()
}

$sumsPath = Join-Path -Path $bundle -ChildPath $sumsName
if (-not (Test-Path -LiteralPath $sumsPath -PathType Leaf)) {
    Write-Output "MISSING $sumsName"
    exit 1
}
foreach ($line in [System.IO.File]::ReadAllLines($sumsPath)) {
    if ($line -cnotmatch '^([0-9a-f]{64})  ([A-Za-z0-9][A-Za-z0-9 ._()-]*)$') {
        Write-Output "MALFORMED $sumsName line: $line"
        exit 1
    }
    $expected[$Matches[2]] = $Matches[1]
}

if ($ExpectedManifestSha256 -ne '') {
    if (-not $expected.ContainsKey('manifest.json')) {
        Write-Output 'MISSING manifest.json in SHA256SUMS'
        exit 1
    }
    if ($expected['manifest.json'] -ne $ExpectedManifestSha256.Trim().ToLowerInvariant()) {
        Write-Output 'NOT APPROVED manifest.json sha256 differs from -ExpectedManifestSha256'
        exit 1
    }
}

foreach ($name in @($expected.Keys | Sort-Object)) {
    $path = Join-Path -Path $bundle -ChildPath $name
    if (-not (Test-Path -LiteralPath $path -PathType Leaf)) {
        Write-Output "MISSING $name"
        $problems++
        continue
    }
    $item = Get-Item -LiteralPath $path -Force
    if ($item.Attributes -band [System.IO.FileAttributes]::ReparsePoint) {
        Write-Output "CHANGED $name (a link, not a file)"
        $problems++
        continue
    }
    if ((Get-Sha256 -LiteralPath $path) -ne $expected[$name]) {
        Write-Output "CHANGED $name"
        $problems++
    }
}

foreach ($item in @(Get-ChildItem -LiteralPath $bundle -Force)) {
    if ($item.Name -ne $sumsName -and -not $expected.ContainsKey($item.Name)) {
        Write-Output "EXTRA $($item.Name)"
        $problems++
    }
}

$manifestPath = Join-Path -Path $bundle -ChildPath 'manifest.json'
if ($problems -eq 0 -and (Test-Path -LiteralPath $manifestPath -PathType Leaf)) {
    $manifestText = [System.IO.File]::ReadAllText($manifestPath, [System.Text.Encoding]::UTF8)
    $manifest = ConvertFrom-Json -InputObject $manifestText
    $listed = @($manifest.files.PSObject.Properties)
    foreach ($entry in $listed) {
        if (-not $expected.ContainsKey($entry.Name) -or $expected[$entry.Name] -ne $entry.Value) {
            Write-Output "CHANGED $sumsName (does not match manifest.json for $($entry.Name))"
            $problems++
        }
    }
    if ($expected.Count -ne $listed.Count + 1) {
        Write-Output "CHANGED $sumsName (lists files manifest.json does not)"
        $problems++
    }
}

if ($problems -gt 0) {
    Write-Output "FAILED: $problems problem(s); do not run this bundle"
    exit 1
}
Write-Output "OK: $($expected.Count) files match $sumsName and manifest.json"
exit 0
"""


def verify_script_text() -> str:
    """The text of ``Verify-Bundle.ps1`` (LF line ends, as every bundle file)."""
    return _SCRIPT
