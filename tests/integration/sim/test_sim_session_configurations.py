"""The session configurations a lab node serves, through real pypsrp clients.

A Windows Server node registers ``Microsoft.PowerShell`` and, being 64-bit,
``Microsoft.PowerShell32``, whose sessions WinRM hosts in a 32-bit (WOW64) process
(about_Session_Configurations, about_Remote_Troubleshooting). The lab serves both; it
refuses by name the defaults it does not model, answers any other name with Windows'
fault (ERROR_WSMAN_INVALID_RESOURCE_URI, as pypsrp users report it from Windows), and in
a 32-bit session refuses what WOW64 would redirect (HKLM\\SOFTWARE, C:\\Windows\\System32)
instead of answering it from the 64-bit view.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from pypsrp.exceptions import WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.wsman import SelectorSet

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import dump, sample_lab, without_history
from psrunbook.transport import left_pipelines
from tests.integration.sim.simclient import PASSWORD, USER, client_for, invoke_script

pytestmark = pytest.mark.integration

PREFIX = "http://schemas.microsoft.com/powershell/"
SSIS_KEY = "HKLM:\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile"

PROCESS_FACTS = """
[Environment]::Is64BitProcess
[Environment]::Is64BitOperatingSystem
[string]$env:PROCESSOR_ARCHITECTURE
[string]$env:PROCESSOR_ARCHITEW6432
$env:ProgramFiles
$env:ProgramW6432
$PSHOME
$PSSenderInfo.ConfigurationName
"""


@pytest.fixture
def lab() -> SimCluster:
    return sample_lab()


@pytest.fixture
def node(lab: SimCluster) -> Iterator[SimEndpoint]:
    with SimEndpoint(
        cluster_executor(lab, time_scale=0.0), node="NODE1", users={USER: PASSWORD}
    ) as endpoint:
        yield endpoint


def _state(lab: SimCluster) -> dict[str, Any]:
    """The lab's state but its history and its count of pipelines run (every script
    bumps it; it only schedules faults)."""
    state = without_history(dump(lab))
    state["faults"].pop("pipelines_finished")
    return state


def _refusal(pool: RunspacePool, script: str) -> str:
    """The one error a script the lab refuses ends with (the pipeline Failed)."""
    ps = PowerShell(pool)
    ps.add_script(script)
    ps.invoke()
    assert ps.had_errors
    assert 1 == len(ps.streams.error)
    return str(ps.streams.error[0])


def test_the_default_configuration_is_a_64bit_process(node: SimEndpoint) -> None:
    """Microsoft.PowerShell: a 64-bit wsmprovhost on the 64-bit OS."""
    with RunspacePool(client_for(node)) as pool:
        assert [
            True,
            True,
            "AMD64",
            "",
            "C:\\Program Files",
            "C:\\Program Files",
            "C:\\Windows\\System32\\WindowsPowerShell\\v1.0",
            "Microsoft.PowerShell",
        ] == invoke_script(pool, PROCESS_FACTS)


def test_microsoft_powershell32_is_a_32bit_process_on_the_64bit_os(node: SimEndpoint) -> None:
    """WOW64's environment (WOW64 Implementation Details) and Environment's answers."""
    with RunspacePool(client_for(node), configuration_name="Microsoft.PowerShell32") as pool:
        assert [
            False,
            True,
            "x86",
            "AMD64",
            "C:\\Program Files (x86)",
            "C:\\Program Files",
            "C:\\Windows\\SysWOW64\\WindowsPowerShell\\v1.0",
            "Microsoft.PowerShell32",
        ] == invoke_script(pool, PROCESS_FACTS)


def test_configuration_names_match_without_regard_to_case(node: SimEndpoint) -> None:
    """WinRM's plugin names are case-insensitive (Get-PSSessionConfiguration lists
    ``microsoft.powershell32``)."""
    with RunspacePool(client_for(node), configuration_name="microsoft.powershell32") as pool:
        assert [False] == invoke_script(pool, "[Environment]::Is64BitProcess")


def test_an_unregistered_configuration_gets_windows_invalid_resource_uri_fault(
    node: SimEndpoint,
) -> None:
    """What pypsrp reports from Windows for a configuration the node lacks (pypsrp
    issues 41 and 47), never a session served as Microsoft.PowerShell."""
    with pytest.raises(WSManFaultError) as raised:
        RunspacePool(client_for(node), configuration_name="PowerShell.7").open()
    assert 2150858811 == raised.value.code
    assert (
        "The WS-Management service cannot process the request. The resource URI "
        f"({PREFIX}PowerShell.7) was not found in the WS-Management catalog. The catalog "
        "contains the metadata that describes resources, or logical endpoints."
    ) == raised.value.reason
    assert 0 == node.counters.snapshot().shells_created


@pytest.mark.parametrize(
    "name", ["Microsoft.PowerShell.Workflow", "microsoft.windows.servermanagerworkflows"]
)
def test_a_default_configuration_the_lab_does_not_model_is_refused_by_name(
    node: SimEndpoint, name: str
) -> None:
    """Windows registers it; the lab neither serves it as another nor calls it unknown."""
    with pytest.raises(WSManFaultError) as raised:
        RunspacePool(client_for(node), configuration_name=name).open()
    assert f"unsupported construct: the {name} session configuration" in str(raised.value.reason)
    assert 2150858811 != raised.value.code


def test_a_32bit_session_reading_hklm_software_is_refused_by_name(node: SimEndpoint) -> None:
    """The Registry Redirector would read HKLM\\SOFTWARE\\WOW6432Node: refused, even under
    -ErrorAction SilentlyContinue and inside try/catch, never answered from the 64-bit view."""
    with RunspacePool(client_for(node), configuration_name="Microsoft.PowerShell32") as pool:
        error = _refusal(
            pool,
            f"try {{ Get-ItemProperty -LiteralPath '{SSIS_KEY}' -ErrorAction SilentlyContinue }}"
            " catch { 'caught' }",
        )
    assert error.startswith("unsupported construct at line 1: Get-ItemProperty of HKLM:\\SOFTWARE")
    assert "the Registry Redirector sends HKLM\\SOFTWARE to HKLM\\SOFTWARE\\WOW6432Node" in error


def test_a_32bit_session_writing_hklm_software_is_refused_and_changes_nothing(
    node: SimEndpoint, lab: SimCluster
) -> None:
    """The write SSIS's runbooks make (ServiceConfigFile) would land in WOW6432Node."""
    before = _state(lab)
    with RunspacePool(client_for(node), configuration_name="Microsoft.PowerShell32") as pool:
        error = _refusal(
            pool, f"Set-ItemProperty -LiteralPath '{SSIS_KEY}' -Name '(default)' -Value 'S:\\x'"
        )
    assert "Set-ItemProperty of HKLM:\\SOFTWARE" in error
    assert before == _state(lab)


def test_the_64bit_session_reads_the_same_key(node: SimEndpoint) -> None:
    """The refusal is the 32-bit session's alone."""
    with RunspacePool(client_for(node)) as pool:
        assert 1 == len(invoke_script(pool, f"Get-ItemProperty -LiteralPath '{SSIS_KEY}'"))


@pytest.mark.parametrize(
    "script",
    [
        "Get-ChildItem -LiteralPath C:\\Windows\\System32",
        "Test-Path -LiteralPath C:\\Windows\\System32\\drivers",
        "Get-ChildItem -Path C:\\Windows\\Sys*",
        "Test-Path -LiteralPath C:\\Windows\\Sysnative",
        "[System.IO.File]::Exists('C:\\Windows\\System32\\cmd.exe')",
    ],
)
def test_a_32bit_session_reaching_system32_is_refused_by_name(
    node: SimEndpoint, script: str
) -> None:
    """The File System Redirector would show SysWOW64 (or Sysnative, WOW64's alias of
    the real System32): refused, whether named, matched by a wildcard or reached through
    .NET."""
    with RunspacePool(client_for(node), configuration_name="Microsoft.PowerShell32") as pool:
        error = _refusal(pool, script)
    assert error.startswith("unsupported construct at line 1: ")
    assert "in a 32-bit session" in error


def test_a_32bit_session_reaches_what_wow64_does_not_redirect(node: SimEndpoint) -> None:
    """drivers\\etc is exempt from the File System Redirector; C:\\Windows itself is not
    redirected: answered as the 64-bit session answers them."""
    script = (
        "Test-Path -LiteralPath C:\\Windows\\System32\\drivers\\etc\\hosts; "
        "@(Get-ChildItem -LiteralPath C:\\Windows).Count"
    )
    with RunspacePool(client_for(node)) as pool:
        native = invoke_script(pool, script)
    with RunspacePool(client_for(node), configuration_name="Microsoft.PowerShell32") as pool:
        assert native == invoke_script(pool, script)


def test_each_shell_is_listed_with_its_own_configuration(node: SimEndpoint) -> None:
    """Enumerate reports the ResourceUri a shell was created under, which the
    left-pipeline lookup then addresses it by."""
    wsman = client_for(node)
    with (
        RunspacePool(client_for(node)) as native,
        RunspacePool(client_for(node), configuration_name="Microsoft.PowerShell32") as wow64,
    ):
        listed = {s.shell_id: s.resource_uri for s in left_pipelines.powershell_shells(wsman)}
        assert {
            str(native.shell.id).upper(): f"{PREFIX}Microsoft.PowerShell",
            str(wow64.shell.id).upper(): f"{PREFIX}Microsoft.PowerShell32",
        } == {key.upper(): value for key, value in listed.items()}


def test_a_shell_is_not_found_under_another_configuration(node: SimEndpoint) -> None:
    """WinRM finds a shell through the plugin its resource URI names (UNVERIFIED: the
    stricter choice): a Get of a 32-bit shell under Microsoft.PowerShell does not find it."""
    wsman = client_for(node)
    with RunspacePool(client_for(node), configuration_name="Microsoft.PowerShell32") as pool:
        selectors = SelectorSet()
        selectors.add_option("ShellId", str(pool.shell.id))
        wsman.get(f"{PREFIX}Microsoft.PowerShell32", selector_set=selectors)
        with pytest.raises(WSManFaultError) as raised:
            wsman.get(f"{PREFIX}Microsoft.PowerShell", selector_set=selectors)
    assert 2150858843 == raised.value.code
