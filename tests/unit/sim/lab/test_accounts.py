"""Accounts by SID (issue 12): every spelling of one account translates to one SID, Get-Acl
rules give SIDs on request, icacls takes any spelling and stores the account's name."""

from __future__ import annotations

import pytest

from psrunbook.sim.executor_protocol import PipelineFailed
from psrunbook.sim.lab.lab_files import sample_lab

from .test_cluster_executor import Runner

SID = (
    "param($Name)\n"
    "([Security.Principal.NTAccount]$Name).Translate([Security.Principal.SecurityIdentifier]).Value"
)
OPS = "SIMLAB\\SSIS Package Admins"
FOLDER = "C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Packages"


@pytest.mark.parametrize(
    "spelling",
    [
        "SIMLAB\\SSIS Package Admins",
        "simlab\\ssis package admins",
        "simlab.local\\SSIS Package Admins",
        "SSIS Package Admins@simlab.local",
    ],
)
def test_every_spelling_of_an_account_is_one_sid(spelling: str) -> None:
    run = Runner(sample_lab())
    assert run(SID, Name=OPS).outputs == run(SID, Name=spelling).outputs
    assert run(SID, Name=OPS).outputs[0].startswith("S-1-5-21-")


def test_well_known_and_service_accounts_have_their_sids() -> None:
    run = Runner(sample_lab())
    assert ["S-1-5-32-544"] == run(SID, Name="BUILTIN\\Administrators").outputs
    assert run(SID, Name="NT SERVICE\\MsDtsServer150").outputs[0].startswith("S-1-5-80-")


def test_an_unknown_account_is_not_mapped() -> None:
    with pytest.raises(PipelineFailed, match="could not be translated"):
        Runner(sample_lab())(
            SID.replace("\n", "\n$ErrorActionPreference = 'Stop'\n", 1), Name="SIMLAB\\nobody"
        )


def test_icacls_takes_any_spelling_and_get_acl_gives_sids() -> None:
    run = Runner(sample_lab())
    grant = "param($P, $F) $null = & icacls $F /grant ($P + ':(OI)(CI)(RD)')"
    run(grant, P="simlab.local\\SSIS Package Admins", F=FOLDER)
    names = run(
        "param($F) @((Get-Acl -LiteralPath $F).Access |"
        " ForEach-Object { [string]$_.IdentityReference }) -join '|'",
        F=FOLDER,
    ).outputs[0]
    assert OPS in names.split("|")
    sids = run(
        "param($F) @((Get-Acl -LiteralPath $F).GetAccessRules($true, $true,"
        " [Security.Principal.SecurityIdentifier]) |"
        " ForEach-Object { $_.IdentityReference.Value }) -join '|'",
        F=FOLDER,
    ).outputs[0]
    assert run(SID, Name=OPS).outputs[0] in sids.split("|")
    assert "S-1-5-32-544" in sids.split("|")
