"""Merge flags and ``Client.execute_ps``, driven through real pypsrp against the lab over HTTP.

The client calls are those of pypsrp's own tests (``PowerShell.merge_*``,
``Client.execute_ps`` with and without an environment); the expected answers are what
Windows returns: ``test_client_execute_ps_failure`` in pypsrp's tests replays responses
recorded from Windows, and a merged stream arrives as the record object in the output
stream (PowerShell's ``Command.MergeMyResults``; UNVERIFIED against a recording here).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pypsrp.client import Client
from pypsrp.messages import ErrorRecordMessage, VerboseRecord, WarningRecord
from pypsrp.powershell import PowerShell, PSInvocationState, RunspacePool

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration

NOT_RECOGNIZED = (
    "The term 'Get-ServiceTypo' is not recognized as the name of a cmdlet, function, script "
    "file, or operable program. Check the spelling of the name, or if a path was included, "
    "verify that the path is correct and try again."
)


@pytest.fixture
def endpoint() -> Iterator[SimEndpoint]:
    executor = cluster_executor(sample_lab(), time_scale=0.0)
    with SimEndpoint(executor, node="NODE1", users={USER: PASSWORD}) as opened:
        yield opened


@pytest.fixture
def pool(endpoint: SimEndpoint) -> Iterator[RunspacePool]:
    with RunspacePool(client_for(endpoint)) as opened:
        yield opened


@pytest.fixture
def client(endpoint: SimEndpoint) -> Client:
    return Client(
        endpoint.host,
        port=endpoint.port,
        username=USER,
        password=PASSWORD,
        ssl=False,
        auth="basic",
        encryption="never",
    )


# -- merge flags -----------------------------------------------------------------------


def test_merge_error_sends_error_records_in_the_output_stream(pool):
    """merge_error('output'): the ErrorRecord arrives in order in the output, not as an error."""
    ps = PowerShell(pool)
    ps.add_script("Write-Error 'bad'; 'after'").merge_error("output")
    output = ps.invoke()
    assert [ErrorRecordMessage, str] == [type(o) for o in output]
    assert ["bad", "after"] == [str(o) for o in output]
    assert ([], False, PSInvocationState.COMPLETED) == (ps.streams.error, ps.had_errors, ps.state)


def test_merged_errors_of_a_middle_command_are_piped_to_the_next(pool):
    """A command's merged errors are part of its output, so the next command gets them."""
    ps = PowerShell(pool)
    ps.add_script("Write-Error 'bad'; 'x'").merge_error("output")
    ps.add_script("@($input).Count; $input | ForEach-Object { $_.GetType().Name }")
    assert [2, "ErrorRecord", "String"] == ps.invoke()
    assert [] == ps.streams.error


def test_merge_all_sends_warning_and_verbose_records_as_records(pool):
    """merge_all('output'): warning and verbose records come in the output, in order."""
    ps = PowerShell(pool)
    ps.add_script("Write-Warning 'w'; Write-Verbose 'v' -Verbose; 'o'").merge_all("output")
    output = ps.invoke()
    assert [WarningRecord, VerboseRecord, str] == [type(o) for o in output]
    assert ["w", "v", "o"] == [str(o) for o in output]
    assert ([], []) == (ps.streams.warning, ps.streams.verbose)


def test_merge_to_null_discards_the_stream(pool):
    """merge_warning('null') drops the warnings of that command."""
    ps = PowerShell(pool)
    ps.add_script("Write-Warning 'w'; 'o'").merge_warning("null")
    assert ["o"] == ps.invoke()
    assert [] == ps.streams.warning


def test_merge_previous_is_refused_before_anything_runs(pool):
    """MergeUnclaimedPreviousCommandResults is not simulated: refused by name, nothing runs."""
    ps = PowerShell(pool)
    ps.add_cmdlet("Set-Variable").add_parameter("Name", "ran").add_parameter("Value", 1)
    ps.add_statement()
    ps.add_script("'x'").merge_previous(True)
    assert [] == ps.invoke()
    assert PSInvocationState.FAILED == ps.state
    [error] = ps.streams.error
    assert "MergeUnclaimedPreviousCommandResults" in str(error)
    ps = PowerShell(pool)
    ps.add_script("$null -eq $ran")
    assert [True] == ps.invoke()


# -- Client.execute_ps ----------------------------------------------------------------


def test_execute_ps_returns_each_output_line(client):
    """Invoke-Expression | Out-String -Stream: one line per object, joined with LF."""
    output, streams, had_errors = client.execute_ps("'a'; 1 + 1; Write-Output (3, 4)")
    assert ("a\n2\n3\n4", False, []) == (output, had_errors, streams.error)


def test_execute_ps_of_an_unknown_command_fails_with_its_error(client):
    """pypsrp's test_client_execute_ps_failure: no output, one error, had_errors."""
    output, streams, had_errors = client.execute_ps("Get-ServiceTypo -Name winrm")
    assert "" == output
    assert [NOT_RECOGNIZED] == [str(e) for e in streams.error]
    assert had_errors is True


def test_execute_ps_sets_the_environment_through_the_env_drive(client):
    """environment=...: New-Item -Path env: per variable, read back with $env:."""
    env = {"string": "string value", "int": 1234, "bool": True, "hyphen - var": "abc @ 123"}
    output, streams, had_errors = client.execute_ps(
        "$env:string; $env:int; $env:bool; ${env:hyphen - var}", environment=env
    )
    assert ("string value\n1234\nTrue\nabc @ 123", False, []) == (
        output,
        had_errors,
        streams.error,
    )


def test_execute_ps_formats_a_service_as_windows_does(client):
    """pypsrp's test_client_execute_ps: the name, the status, then the service's table view.

    The text is Windows' (shared/recordings/test_client_execute_ps.yml): a blank line,
    Status/Name/DisplayName in 8/18/38 columns, the display name cut to 38 characters,
    two blank lines. The service is asked for as ``WinRM`` because Windows echoes the
    name as typed and the lab's service is named so.
    """
    output, streams, had_errors = client.execute_ps(
        "$serv = Get-Service -Name WinRM; $serv.Name; $serv.Status; $serv"
    )
    expected = (
        "WinRM\nRunning\n\nStatus   Name               DisplayName                           \n"
        "------   ----               -----------                           \n"
        "Running  WinRM              Windows Remote Management (WS-Manag...\n\n"
    )
    assert (expected, False, []) == (output, had_errors, streams.error)


def test_execute_ps_formats_custom_objects_and_hashtables(client):
    """A PSCustomObject of up to four properties is a table, of more a list; a hashtable
    is the Name/Value table."""
    output, _, had_errors = client.execute_ps(
        "[pscustomobject]@{Name='a'; Size=5}, [pscustomobject]@{Name='bb'; Size=10}"
    )
    assert "\nName Size\n---- ----\na       5\nbb     10\n\n" == output
    output, _, _ = client.execute_ps("[pscustomobject]@{A=1; B=2; C=3; D=4; Eee=5}")
    assert "\nA   : 1\nB   : 2\nC   : 3\nD   : 4\nEee : 5\n\n" == output
    output, _, _ = client.execute_ps("@{k='v'}")
    assert ["", "Name" + " " * 27 + "Value", "----" + " " * 27 + "-----", "k" + " " * 30 + "v"] == [
        line.rstrip() for line in output.split("\n")[:4]
    ]
    assert not had_errors


def test_execute_ps_refuses_an_object_without_a_format_view(client):
    """The cluster objects' format views are not modelled: refused, naming the type."""
    output, streams, had_errors = client.execute_ps("Get-ClusterNode -Name NODE1")
    assert ("", True) == (output, had_errors)
    [error] = streams.error
    assert "Out-String of a Microsoft.FailoverClusters.PowerShell.ClusterNode" in str(error)


# -- aliases and redirections ----------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("echo a", ["a"]),
        ("1, 2 | % { $_ * 2 }", [2, 4]),
        ("1, 2 | ? { $_ -gt 1 }", [2]),
        ("1, 2 | where { $_ -gt 1 }", [2]),
        ("3, 1, 2 | sort | select -First 1", [1]),
        ("@(gci C:\\).Count -eq @(ls C:\\).Count", [True]),
    ],
)
def test_windows_powershell_aliases_run_their_commands(pool, script, expected):
    """The aliases a fresh Windows PowerShell 5.1 session defines name the same commands."""
    ps = PowerShell(pool)
    ps.add_script(script)
    assert expected == ps.invoke()
    assert [] == ps.streams.error


def test_error_merged_with_2_to_1_arrives_in_the_output_stream(pool):
    """``2>&1``: the ErrorRecord is output, in order, and not on the error stream."""
    ps = PowerShell(pool)
    ps.add_script("Write-Output before; Write-Error bad 2>&1; Write-Output after")
    output = ps.invoke()
    assert [str, ErrorRecordMessage, str] == [type(o) for o in output]
    assert ["before", "bad", "after"] == [str(o) for o in output]
    assert ([], False, PSInvocationState.COMPLETED) == (ps.streams.error, ps.had_errors, ps.state)


def test_every_stream_merged_with_star_to_1_arrives_as_records(pool):
    """``*>&1`` on a script block: warning, verbose and information records become output."""
    ps = PowerShell(pool)
    ps.add_script("& { Write-Warning w; Write-Verbose -Verbose v; Write-Information i; 'o' } *>&1")
    output = ps.invoke()
    assert [WarningRecord, VerboseRecord, str] == [type(o) for o in output[:2]] + [type(output[3])]
    assert ["w", "v", "o"] == [str(output[0]), str(output[1]), output[3]]
    assert ([], [], []) == (ps.streams.warning, ps.streams.verbose, ps.streams.information)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("Write-Error bad 2>$null; 'after'; $Error.Count", ["after", 1]),
        ("Write-Warning w 3>$null; 'after'", ["after"]),
        ("Write-Output x >$null; 'after'", ["after"]),
        ("Write-Output x > $null; 'after'", ["after"]),
        ("$r = Write-Error bad 2>&1; $r.GetType().Name", ["ErrorRecord"]),
        ("& { Write-Error e; 'o' } 2>&1 > $null; 'after'", ["after"]),
        ("'a' > $null; 'after'", ["after"]),
    ],
)
def test_redirections_to_null_and_into_variables(pool, script, expected):
    """``n>$null`` discards (errors are still in $Error); merged records can be assigned."""
    ps = PowerShell(pool)
    ps.add_script(script)
    assert expected == ps.invoke()
    assert ([], [], PSInvocationState.COMPLETED) == (
        ps.streams.error,
        ps.streams.warning,
        ps.state,
    )


def test_file_redirection_writes_the_node_s_file_as_out_file_does(pool):
    """``>`` writes UTF-16LE with a BOM and CRLF line ends, ``>>`` appends."""
    ps = PowerShell(pool)
    ps.add_script(
        "'line1', 'line2' > C:\\out.txt; 'three' >> C:\\out.txt\n"
        "Get-Content C:\\out.txt -Encoding Unicode; (Get-Item C:\\out.txt).Length"
    )
    *lines, length = ps.invoke()
    # Get-Content's lines are Strings with the provider's notes: <Obj><S/><MS/></Obj>,
    # which pypsrp reads as objects whose property set is the text.
    assert ["line1", "line2", "three"] == [line.property_sets[0] for line in lines]
    assert 2 + 2 * (7 + 7 + 7) == length
    assert [] == ps.streams.error


def test_a_merge_windows_does_not_have_is_refused_before_anything_runs(pool):
    """Windows PowerShell 5.1 merges only into stream 1: ``1>&2`` is refused by name."""
    ps = PowerShell(pool)
    ps.add_script("$global:ran = 1; Write-Output x 1>&2")
    assert [] == ps.invoke()
    assert PSInvocationState.FAILED == ps.state
    [error] = ps.streams.error
    assert "redirection other than n>&1 '1>&2'" in str(error)
    ps = PowerShell(pool)
    ps.add_script("$null -eq $ran")
    assert [True] == ps.invoke()


# -- native commands -------------------------------------------------------------------


def test_execute_ps_of_hostname_and_whoami_prints_them_as_windows_does(client):
    """hostname.exe prints the node, whoami.exe ``node\\user`` lower case; both exit 0.
    icacls' error line is on stderr, which a remote session makes a NativeCommandError
    record in the error stream (execute_ps's had_errors reads the pipeline's state,
    which a non-terminating error leaves Completed)."""
    output, streams, had_errors = client.execute_ps(
        "hostname; whoami.exe; $LASTEXITCODE; $?; icacls.exe C:\\nope; $?"
    )
    lines = output.splitlines()
    assert ["NODE1", f"node1\\{USER}", "0", "True"] == lines[:4]
    assert "False" == lines[-1]  # icacls failed: exit code 2
    assert not had_errors
    assert [("C:\\nope: The system cannot find the file specified.", "NativeCommandError")] == [
        (str(e), e.fq_error) for e in streams.error
    ]


def test_whoami_groups_is_refused_by_name(pool):
    ps = PowerShell(pool)
    ps.add_script("whoami /groups")
    assert [] == ps.invoke()
    assert PSInvocationState.FAILED == ps.state
    [error] = ps.streams.error
    assert "unsupported construct at line 1: whoami /groups" in str(error)
