"""Get-Command over a lab node's real commands, and GET_COMMAND_METADATA answered from
it, through real pypsrp 0.9.1 over HTTP.

Evidence: Windows PowerShell 5.1's Get-Command reference and about_Command_Precedence;
pypsrp 0.9.1's recorded ``responses/test_psrp_get_command_metadata.yml`` (a count, then
``Selected.System.Management.Automation.CmdletInfo`` objects with Name, Namespace (the
module), CommandType, Parameters); pypsrp 1.0's ``test_run_get_command_meta`` (passes on
Windows). The unknown-command error is PowerShell 5.1's CommandNotFoundException.
"""

from __future__ import annotations

import pytest
from pypsrp.complex_objects import CommandType, ParameterMetadata
from pypsrp.powershell import PowerShell, RunspacePool

pytestmark = pytest.mark.integration


def _run(pool: RunspacePool, script: str) -> tuple[list[object], list[object]]:
    ps = PowerShell(pool)
    ps.add_script(script)
    output = ps.invoke()
    assert not ps.had_errors
    return output, ps.streams.error


def test_the_admin_idiom_finds_the_failover_clusters_cmdlet(lab_pool):
    output, errors = _run(
        lab_pool,
        "if (Get-Command Get-ClusterResource -ErrorAction SilentlyContinue) { 'has it' }\n"
        "(Get-Command Get-ClusterResource).Source\n"
        "(Get-Command Get-ClusterResource).Module.Name\n"
        "(gcm Get-ClusterResource).CommandType.ToString()",
    )
    assert (output, errors) == (["has it", "FailoverClusters", "FailoverClusters", "Cmdlet"], [])


def test_an_unknown_command_is_command_not_found_and_silent_when_asked(lab_pool):
    output, errors = _run(
        lab_pool,
        "if (-not (Get-Command Get-Nothing -ErrorAction SilentlyContinue)) { 'none' }\n"
        "Get-Command Get-Nothing\n"
        "Get-Command Get-Noth* ",
    )
    assert output == ["none"]
    (error,) = errors
    assert str(error) == (
        "The term 'Get-Nothing' is not recognized as the name of a cmdlet, function, script "
        "file, or operable program. Check the spelling of the name, or if a path was "
        "included, verify that the path is correct and try again."
    )
    assert (
        error.fq_error == "CommandNotFoundException,Microsoft.PowerShell.Commands.GetCommandCommand"
    )


def test_command_precedence_and_kinds(lab_pool):
    output, _ = _run(
        lab_pool,
        "function Get-Item { 'mine' }\n"
        "(Get-Command Get-Item).CommandType.ToString()\n"
        "(Get-Command Get-Item -CommandType Cmdlet).Source\n"
        "(Get-Command select).ResolvedCommandName\n"
        "(Get-Command hostname).CommandType.ToString()\n"
        "(Get-Command -Verb Start -Noun Cluster*).Name",
    )
    assert output == [
        "Function",
        "Microsoft.PowerShell.Management",
        "Select-Object",
        "Application",
        "Start-ClusterResource",
    ]


def test_command_metadata_is_answered_from_the_node_commands(lab_pool):
    """pypsrp 1.0's ``test_run_get_command_meta`` query: the lab's Get-*Item cmdlets of
    Microsoft.PowerShell.Management."""
    found = lab_pool.get_command_metadata(
        "Get-*Item",
        command_types=CommandType.CMDLET,
        namespace=["Microsoft.PowerShell.Management"],
        arguments=["env:"],
    )
    assert [(m.name, m.namespace) for m in found] == [
        ("Get-ChildItem", "Microsoft.PowerShell.Management"),
        ("Get-Item", "Microsoft.PowerShell.Management"),
    ]
    # Each parameter arrives as a ParameterMetadata with its properties, as from Windows.
    path = found[1].parameters["Path"]
    assert isinstance(path, ParameterMetadata)
    assert (path.name, path.parameter_type, path.switch_parameter) == (
        "Path",
        "System.String[]",
        False,
    )


def test_a_refused_get_command_parameter_by_name_is_refused_not_a_crash(lab_pool):
    """``Get-Command -All`` added by name (no script text to point at) is refused by name,
    as the same call in a script is."""
    ps = PowerShell(lab_pool)
    ps.add_cmdlet("Get-Command").add_parameter("Name", "Get-Service").add_parameter("All")
    assert [] == ps.invoke()
    assert ps.had_errors
    (error,) = ps.streams.error
    assert "unsupported construct at line 1: Get-Command -All" in str(error)
