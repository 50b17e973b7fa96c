"""Format-Table / Format-List, Get-Member, Test-Connection and Get-CimInstance through
real pypsrp 0.9.1 against ``psrunbook sim serve`` (a real process on loopback).

``Client.execute_ps`` pipes the script into ``Out-String -Stream``, so a Format-Table
arrives as the text table Windows prints (shared/recordings/test_client_execute_ps.yml
for the service table); a plain PowerShell pipeline receives the formatting objects
themselves, with the type names of Microsoft.PowerShell.Commands.Internal.Format.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pypsrp.powershell import PowerShell, RunspacePool

from tests.integration.sim.simclient import Served, serve_lab

pytestmark = pytest.mark.integration

PASSWORD = "format-pw"
FORMAT = "Microsoft.PowerShell.Commands.Internal.Format."


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with serve_lab(PASSWORD) as lab:
        yield lab


def test_execute_ps_of_format_table_prints_the_service_table(served: Served) -> None:
    output, streams, had_errors = served.client().execute_ps(
        "Get-Service ClusSvc, WinRM | Format-Table"
    )
    assert not had_errors, streams.error
    # Out-String pads each cell to its column width, as on Windows (the recording).
    assert output.split("\n")[1] == "Status   Name               DisplayName" + " " * 27
    assert [line.rstrip() for line in output.split("\n")] == [
        "",
        "Status   Name               DisplayName",
        "------   ----               -----------",
        "Running  ClusSvc            Cluster Service",
        "Running  WinRM              Windows Remote Management (WS-Manag...",
        "",
        "",
    ]


def test_execute_ps_of_format_list_and_get_member(served: Served) -> None:
    output, _, had_errors = served.client().execute_ps(
        "Get-Service WinRM | Format-List Name, Status; "
        "[pscustomobject]@{ a = 1 } | Get-Member -MemberType NoteProperty"
    )
    assert not had_errors
    assert [line.rstrip() for line in output.split("\n")] == [
        "",
        "Name   : WinRM",
        "Status : Running",
        "",
        "",
        "",
        "   TypeName: System.Management.Automation.PSCustomObject",
        "",
        "Name MemberType   Definition",
        "---- ----------   ----------",
        "a    NoteProperty int a=1",
        "",
        "",
    ]


def test_a_pipeline_receives_the_formatting_objects(served: Served) -> None:
    with RunspacePool(served.wsman()) as pool:
        ps = PowerShell(pool)
        ps.add_script("Get-Service WinRM | Format-Table")
        output = ps.invoke()
    assert not ps.had_errors
    assert [o.adapted_properties.get("ClassId2e4f51ef21dd47e99d3c952918aff9cd") or
            o.extended_properties.get("ClassId2e4f51ef21dd47e99d3c952918aff9cd")
            for o in output] == [
        "033ecb2bc07a4d43b5ef94ed5a35d280",
        "9e210fe47d09416682b841769c78b8a3",
        "27c87ef9bbda4f709f6b4002fa4af63c",
        "4ec4f0187cb04f4cb6973460dfe252df",
        "cf522b78d86c486691226b40aa69e95c",
    ]  # fmt: skip
    assert [o.types[0] for o in output] == [
        FORMAT + "FormatStartData",
        FORMAT + "GroupStartData",
        FORMAT + "FormatEntryData",
        FORMAT + "GroupEndData",
        FORMAT + "FormatEndData",
    ]


def test_test_connection_and_cim_over_psrp(served: Served) -> None:
    with RunspacePool(served.wsman("NODE2")) as pool:
        ps = PowerShell(pool)
        ps.add_script(
            "Test-Connection NODE1 -Count 1 -Quiet; Test-Connection nosuch -Quiet -Count 1;"
            "(Test-Connection NODE1 -Count 2).Count;"
            "(Get-CimInstance Win32_OperatingSystem).Version;"
            "(Get-CimInstance Win32_ComputerSystem -Filter \"Name = 'node2'\").Domain;"
            "Get-CimInstance Win32_Nothing"
        )
        output = ps.invoke()
    assert output == [True, False, 2, "10.0.17763", "simlab.local"]
    (error,) = ps.streams.error
    assert error.exception.adapted_properties["Message"] == "Invalid class "
    assert error.message == (
        "MetadataError: (root\\cimv2:Win32_Nothing:String) [Get-CimInstance], CimException"
    )
    assert error.fq_error == (
        "HRESULT 0x80041010,Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand"
    )


def test_an_ambiguous_parameter_over_psrp(served: Served) -> None:
    _, streams, had_errors = served.client().execute_ps("Get-Service -D x")
    assert had_errors
    (error,) = streams.error
    assert "is ambiguous. Possible matches include: -DisplayName -Debug." in str(error)


def test_execute_ps_of_the_service_list_view_grouped_tables_and_pings(served: Served) -> None:
    """``Get-Service | Format-List`` is the ServiceController list view; ``-GroupBy``
    starts each group with its "   Label: value" line; ``-HideTableHeaders`` drops the
    header; Test-Connection's replies print as Windows' ping table."""
    output, streams, had_errors = served.client().execute_ps(
        "Get-Service WinRM | Format-List; "
        "Get-Service ClusSvc | Format-Table -GroupBy Status -HideTableHeaders; "
        "Test-Connection NODE2 -Count 1"
    )
    assert not had_errors, streams.error
    assert [line.rstrip() for line in output.split("\n")] == [
        "",
        "Name                : WinRM",
        "DisplayName         : Windows Remote Management (WS-Management)",
        "Status              : Running",
        "DependentServices   : {}",
        "ServicesDependedOn  : {}",
        "CanPauseAndContinue : False",
        "CanShutdown         : False",
        "CanStop             : True",
        "ServiceType         : Win32OwnProcess",
        "",
        "",
        "",
        "",
        "   Status: Running",
        "",
        "Running  ClusSvc            Cluster Service",
        "",
        "",
        "",
        "Source        Destination     IPV4Address      IPV6Address                    "
        "          Bytes    Time(ms)",
        "------        -----------     -----------      -----------                    "
        "          -----    --------",
        "NODE1         NODE2           10.0.0.11                                       "
        "          32       0",
        "",
        "",
    ]


def test_get_member_of_a_string_and_a_function_binding_error_over_psrp(served: Served) -> None:
    with RunspacePool(served.wsman()) as pool:
        ps = PowerShell(pool)
        ps.add_script(
            "'x' | Get-Member -Name Length, Substring | % Definition; "
            "function f { [CmdletBinding()] param($A) }; f -B 1"
        )
        output = ps.invoke()
    assert output == [  # -Name patterns one after another, as GetMemberCommand does
        "int Length {get;}",
        "string Substring(int startIndex), string Substring(int startIndex, int length)",
    ]
    (error,) = ps.streams.error
    assert error.fq_error == "NamedParameterNotFound,f"


def test_out_default_is_refused_before_anything_runs_and_says_why(served: Served) -> None:
    """On Windows Out-Default writes through the remote host (PIPELINE_HOST_CALL
    WriteLine); the simulated endpoint sends no host calls, so the script is refused."""
    with RunspacePool(served.wsman()) as pool:
        ps = PowerShell(pool)
        ps.add_script("$ran = 'yes'; 'text' | Out-Default")
        ps.invoke()
        assert ps.had_errors
        (error,) = ps.streams.error
        assert "command Out-Default (in a remote session it writes through the host" in str(error)
        check = PowerShell(pool)
        check.add_script("[string]$ran")
        assert check.invoke() == [""]
