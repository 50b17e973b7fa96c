"""PSRP semantics pypsrp relies on, driven through real pypsrp against the lab over HTTP.

Each test makes the client calls of a pypsrp test scenario and asserts what Windows
returns: the outputs, the streams and the pipeline state.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration


@pytest.fixture
def pool() -> Iterator[RunspacePool]:
    executor = cluster_executor(sample_lab(), time_scale=0.0)
    with (
        SimEndpoint(executor, node="NODE1", users={USER: PASSWORD}) as endpoint,
        RunspacePool(client_for(endpoint)) as opened,
    ):
        yield opened


def test_each_statement_is_its_own_pipeline_and_all_output_arrives_in_order(pool):
    """add_statement(): 'a', 'b' and Write-Output c all reach the client, in order."""
    ps = PowerShell(pool)
    ps.add_script("'a'").add_statement()
    ps.add_script("'b'").add_statement()
    ps.add_cmdlet("Write-Output").add_argument("c")
    assert ["a", "b", "c"] == ps.invoke()
    assert PSInvocationState.COMPLETED == ps.state
    assert not ps.had_errors


def test_statements_each_get_their_own_pipeline_of_commands(pool):
    """Commands before add_statement() pipe into each other; the next statement starts anew."""
    ps = PowerShell(pool)
    ps.add_cmdlet("Write-Output").add_argument([3, 1, 2]).add_cmdlet("Sort-Object")
    ps.add_statement()
    ps.add_cmdlet("Write-Output").add_argument("last")
    assert [1, 2, 3, "last"] == ps.invoke()


def test_variables_live_in_the_runspace_pool_across_pipelines(pool):
    """Set-Variable, plain assignment and $global: in one pipeline are there in the next."""
    ps = PowerShell(pool)
    ps.add_cmdlet("Set-Variable").add_parameter("Name", "fromCmdlet").add_parameter("Value", 1)
    ps.invoke()
    ps = PowerShell(pool)
    ps.add_script("$plain = 'two'; $global:explicit = 3")
    ps.invoke()
    ps = PowerShell(pool)
    ps.add_script("$fromCmdlet; $plain; $explicit; (Get-Variable -Name plain).Value")
    assert [1, "two", 3, "two"] == ps.invoke()
    assert not ps.had_errors


def test_a_local_scope_script_leaves_no_variables_behind(pool):
    """add_script(use_local_scope=True) runs in a child scope: its variables end with it."""
    ps = PowerShell(pool)
    ps.add_script("$gone = 1", use_local_scope=True)
    ps.invoke()
    ps = PowerShell(pool)
    ps.add_script("$null -eq $gone")
    assert [True] == ps.invoke()


def test_every_stream_reaches_the_client_as_windows_sends_it(pool):
    """pypsrp's test_psrp_stream_output_invocation script: one record on each stream.

    Windows (shared/recordings/test_psrp_stream_output_invocation.yml) sends the debug
    and verbose records under the Continue preferences, and the information record
    although $InformationPreference is SilentlyContinue.
    """
    ps = PowerShell(pool)
    ps.add_script(
        "$DebugPreference = 'Continue'\n"
        "$VerbosePreference = 'Continue'\n"
        "Write-Debug 'debug stream'\n"
        "Write-Verbose 'verbose stream'\n"
        "Write-Error 'error stream'\n"
        "Write-Output 'output stream'\n"
        "Write-Warning 'warning stream'\n"
        "Write-Information 'information stream'\n"
        "Write-Progress -Activity 'the activity' -Status 'half way' -PercentComplete 50\n"
    )
    assert ["output stream"] == ps.invoke()
    assert PSInvocationState.COMPLETED == ps.state
    assert not ps.had_errors  # pypsrp sets it only for a Failed pipeline
    assert ["error stream"] == [str(e) for e in ps.streams.error]
    assert ["debug stream"] == [r.message for r in ps.streams.debug]
    assert ["verbose stream"] == [r.message for r in ps.streams.verbose]
    assert ["warning stream"] == [r.message for r in ps.streams.warning]
    assert ["information stream"] == [r.message_data for r in ps.streams.information]
    # The first record is the runspace's first module command's (Write-Debug), as in
    # the recording: "Preparing modules for first use."
    [preparing, progress] = ps.streams.progress
    assert "Preparing modules for first use." == preparing.activity
    assert ("the activity", "half way", 50, 0, -1) == (
        progress.activity,
        progress.description,
        progress.percent_complete,
        progress.activity_id,
        progress.parent_activity_id,
    )


def test_debug_and_progress_follow_their_preferences(pool):
    """Without $DebugPreference Write-Debug sends nothing; SilentlyContinue drops progress
    from then on (Write-Debug, the runspace's first module command, came before it: its
    "Preparing modules for first use." record is sent)."""
    ps = PowerShell(pool)
    ps.add_script(
        "Write-Debug 'hidden'\n"
        "$ProgressPreference = 'SilentlyContinue'\n"
        "Write-Progress -Activity quiet\n"
        "Write-Information 'dropped' -InformationAction Ignore\n"
        "'done'"
    )
    assert ["done"] == ps.invoke()
    assert ([], [], []) == (ps.streams.debug, ps.streams.progress[1:], ps.streams.information)
    assert ["Preparing modules for first use."] == [p.activity for p in ps.streams.progress]


def test_get_variable_of_a_missing_name_is_a_non_terminating_error(pool):
    """Get-Variable nope: ObjectNotFound, VariableNotFound,...GetVariableCommand; Completed."""
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-Variable").add_parameter("Name", "nope").add_statement()
    ps.add_script("'after'")
    assert ["after"] == ps.invoke()
    assert PSInvocationState.COMPLETED == ps.state
    [error] = ps.streams.error
    assert "Cannot find a variable with the name 'nope'." == str(error)
    assert "VariableNotFound,Microsoft.PowerShell.Commands.GetVariableCommand" == error.fq_error


def test_piped_input_reaches_a_script_as_dollar_input(pool):
    """invoke(input=...) with a script: $input holds every object, as in an end block."""
    ps = PowerShell(pool)
    ps.add_script("$input | ForEach-Object { $_ * 2 }")
    assert [2, 4, 6] == ps.invoke([1, 2, 3])
    assert PSInvocationState.COMPLETED == ps.state


def test_pipeline_input_to_a_script_with_begin_process_end_blocks(pool):
    """pypsrp's test_psrp_with_input: begin once, process per object ($input is that
    object), end once; each object comes back as sent, the debug records in order."""
    ps = PowerShell(pool)
    ps.add_script(
        """begin {
            $DebugPreference = 'Continue'
            Write-Debug "Start Block"
        }
        process {
            $input
        }
        end {
            Write-Debug "End Block"
        }"""
    )
    actual = ps.invoke(["1", 2, {"a": "b"}, ["a", "b"]])
    assert ["1", 2, {"a": "b"}, ["a", "b"]] == actual
    assert ["Start Block", "End Block"] == [str(d) for d in ps.streams.debug]
    assert (PSInvocationState.COMPLETED, False) == (ps.state, ps.had_errors)


def test_small_message_size_scenario_with_named_blocks(pool):
    """pypsrp's test_psrp_small_msg_size script: a 30,000 character variable set in
    begin, input echoed in process, the variable cut by ranges in end."""
    ps = PowerShell(pool)
    ps.add_script(
        """begin {
    $big_var = '%s'
} process {
    $input
} end {
    $big_var[0..19999] -join ""
    $big_var[20000..30000] -join ""
}"""
        % ("a" * 30000)
    )
    assert ["input", "a" * 20000, "a" * 10000] == ps.invoke("input")


def test_functions_bind_pipeline_input_by_value_and_by_property_name(pool):
    """A function defined in one pipeline is a command of the pool in the next, and
    binds ValueFromPipeline / ValueFromPipelineByPropertyName per object."""
    define = PowerShell(pool)
    define.add_script(
        """function Get-Double {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory = $true, ValueFromPipeline = $true)][int]$Number
    )
    begin { $count = 0 }
    process { $count++; $Number * 2 }
    end { "count=$count" }
}
filter Get-Name { $_.Name }"""
    )
    define.invoke()
    ps = PowerShell(pool)
    ps.add_cmdlet("Get-Double")
    assert [2, 4, 6, "count=3"] == ps.invoke(["1", 2, 3])
    by_name = PowerShell(pool)
    by_name.add_script("[pscustomobject]@{ Name = 'n1' }, [pscustomobject]@{ Name = 'n2' }")
    by_name.add_cmdlet("Get-Name")
    assert ["n1", "n2"] == by_name.invoke()
