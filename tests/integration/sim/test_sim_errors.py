"""Error records and informational streams as pypsrp sees them from the simulator."""

from __future__ import annotations

import pytest
from pypsrp.powershell import PowerShell, PSInvocationState

pytestmark = pytest.mark.integration


def test_non_terminating_error_keeps_the_pipeline_completed(pool):
    """Write-Error-like errors land in streams.error while the pipeline completes."""
    ps = PowerShell(pool)
    ps.add_script("output before\nerror the disk is gone\noutput after")
    assert ["before", "after"] == ps.invoke()
    assert (PSInvocationState.COMPLETED, False) == (ps.state, ps.had_errors)
    [record] = ps.streams.error
    assert "the disk is gone" == str(record)
    assert "Microsoft.PowerShell.Commands.WriteErrorException" == record.fq_error
    assert 0 == record.category
    assert "NotSpecified: (:) [Write-Error], WriteErrorException" == record.message
    assert ("Write-Error", "WriteErrorException") == (record.activity, record.reason)
    assert 2 == record.invocation_script_line_number
    assert "error the disk is gone" == record.invocation_line


def test_non_terminating_error_with_category_and_target(pool):
    """Category number, target and a command-qualified FullyQualifiedErrorId arrive intact."""
    ps = PowerShell(pool)
    ps.add_script("notfound SQL Server (MSSQLSERVER)")
    ps.invoke()
    [record] = ps.streams.error
    assert "ObjectNotFound,Sim.Commands.GetSimItemCommand" == record.fq_error
    assert 13 == record.category
    assert ("SQL Server (MSSQLSERVER)", "String") == (record.target_name, record.target_type)
    assert "SQL Server (MSSQLSERVER)" == record.target_object
    assert (
        "ObjectNotFound: (SQL Server (MSSQLSERVER):String) [Get-SimItem], ItemNotFoundException"
        == record.message
    )
    assert "System.Management.Automation.ItemNotFoundException" == record.exception.types[0]
    assert (
        "Cannot find an object with the name 'SQL Server (MSSQLSERVER)'."
        == (record.exception.adapted_properties["Message"])
    )


def test_terminating_error_fails_the_pipeline(pool):
    """A throw ends the pipeline Failed with ExceptionAsErrorRecord in streams.error."""
    ps = PowerShell(pool)
    ps.add_script("output before\nfail resource group is offline\noutput never")
    assert ["before"] == ps.invoke()
    assert (PSInvocationState.FAILED, True) == (ps.state, ps.had_errors)
    [record] = ps.streams.error
    assert "resource group is offline" == str(record)
    assert "resource group is offline" == record.fq_error
    assert 14 == record.category
    assert "resource group is offline" == record.target_name
    assert "RuntimeException" == record.reason
    assert 2 == record.invocation_script_line_number
    assert record.invocation_position_message.startswith("At line:2 char:1")


def test_unknown_command_fails_like_powershell(pool):
    """An unknown command fails the pipeline with CommandNotFoundException, ObjectNotFound."""
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-Nothing")
    ps.invoke()
    [record] = ps.streams.error
    assert (PSInvocationState.FAILED, "CommandNotFoundException", 13, "Get-Nothing") == (
        ps.state,
        record.fq_error,
        record.category,
        record.target_name,
    )


def test_warning_verbose_and_information_streams(pool):
    """Warning, verbose and information records reach their pypsrp streams."""
    ps = PowerShell(pool)
    ps.add_script("warning careful\nverbose details\ninformation note\noutput done")
    assert ["done"] == ps.invoke()
    assert ["careful"] == [w.message for w in ps.streams.warning]
    assert ["details"] == [v.message for v in ps.streams.verbose]
    assert ["note"] == [i.message_data for i in ps.streams.information]
    assert [] == ps.streams.error
