"""The catalog of commands every Windows Server 2019 cluster node has
(:mod:`psrunbook.sim.lab.windows_commands`), and the lab node refusing by name the ones it
does not model: a cmdlet, an alias, a program with or without ``.exe``, through the
node's real executor. A name Windows does not know either stays CommandNotFoundException,
and no command the lab models is ever refused."""

from __future__ import annotations

import pytest

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineFailed,
    PipelineRequest,
)
from psrunbook.sim.lab.cluster_executor import ClusterExecutor
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.windows_commands import (
    UnmodelledCommands,
    cmd_commands,
    powershell_commands,
)
from psrunbook.sim.ps.builtins import BUILTINS, COMMAND_ALIASES
from psrunbook.sim.ps.natives import NATIVES
from tests.unit.sim.ps.helpers import Result, Sink

_NOT_MODELLED = "every Windows Server 2019 node has; the simulator does not model it"


@pytest.fixture(scope="module")
def lab() -> tuple[ClusterExecutor, str]:
    cluster = sample_lab()
    return ClusterExecutor(cluster, time_scale=0.0), next(iter(cluster.nodes))


def _on_node(lab: tuple[ClusterExecutor, str], script: str) -> Result:
    executor, node = lab
    sink = Sink()
    request = PipelineRequest((CommandRequest(script, True, ()),), ())
    try:
        executor.execute(request, ExecutionContext(node, "LAB\\admin"), sink)
    except PipelineFailed as failed:
        sink.result.failed = failed.record
    return sink.result


def _refused(result: Result) -> str:
    assert result.output == []
    assert result.failed is not None
    assert result.failed.error_id == "UnsupportedConstruct"
    return result.failed.message.split(": ", 1)[1]


@pytest.mark.parametrize(
    ("script", "module"),
    [
        ("Get-PSDrive C", "Microsoft.PowerShell.Management"),
        ("Get-HotFix", "Microsoft.PowerShell.Management"),
        ("Get-ExecutionPolicy", "Microsoft.PowerShell.Security"),
        ("Get-NetIPAddress", "NetTCPIP"),
        ("Get-Volume", "Storage"),
        ("Get-Disk", "Storage"),
        ("Get-ClusterNetwork", "FailoverClusters"),
    ],
)
def test_a_cmdlet_the_lab_does_not_model_is_refused_with_its_module(lab, script, module):
    name = script.split()[0]
    assert _refused(_on_node(lab, script)) == (
        f"command {name} (a {module} command {_NOT_MODELLED}) '{script}'"
    )


@pytest.mark.parametrize("script", ["netstat -an", "netstat.exe -an", "NETSTAT.EXE -an"])
def test_a_program_is_refused_with_or_without_its_extension(lab, script):
    name = script.split()[0]
    assert _refused(_on_node(lab, script)) == (
        f"command {name} (the program netstat.exe {_NOT_MODELLED}) '{script}'"
    )


def test_a_program_named_by_its_system32_path_is_refused(lab):
    script = "& 'C:\\Windows\\System32\\PING.EXE' localhost"
    assert "(the program ping.exe every Windows Server 2019" in _refused(_on_node(lab, script))


def test_an_alias_the_lab_does_not_have_is_refused_with_its_target(lab):
    assert _refused(_on_node(lab, "gdr C")).startswith(
        "command gdr (Windows PowerShell 5.1's alias of Get-PSDrive; the simulator does not"
        " model it)"
    )
    assert "Get-Command of gdr (Windows PowerShell 5.1's alias of Get-PSDrive;" in _refused(
        _on_node(lab, "Get-Command gdr")
    )


def test_an_alias_of_a_command_the_lab_has_runs_that_command(lab):
    """An alias resolves before a cmdlet (about_Command_Precedence): 5.1's ``gwmi``,
    ``gcim``, ``gps`` run the lab's Get-WmiObject, Get-CimInstance, Get-Process (they
    were refused, naming the command to write), and Get-Command shows the alias; a
    function of that name still comes first, as the lab orders its lookups."""
    result = _on_node(
        lab,
        "(gwmi Win32_OperatingSystem).Version; (gcim Win32_OperatingSystem).Caption;"
        " @(gps).Count -gt 0; $c = Get-Command GWMI;"
        " $c.CommandType.ToString(); $c.Name; $c.ResolvedCommandName",
    )
    assert result.failed is None
    assert [
        "10.0.17763",
        "Microsoft Windows Server 2019 Datacenter",
        True,
        "Alias",
        "gwmi",
        "Get-WmiObject",
    ] == result.output
    assert ["mine"] == _on_node(lab, "function gwmi { 'mine' }; gwmi").output
    # An alias is no cmdlet: Get-Command of it as one finds nothing, as on Windows.
    typed = _on_node(lab, "Get-Command gwmi -CommandType Cmdlet")
    assert (typed.failed, typed.output) == (None, [])
    assert ["CommandNotFoundException"] == [e.error_id for e in typed.errors]


def test_names_powershell_resolves_as_aliases_never_reach_the_program(lab):
    """In 5.1 ``sc`` is Set-Content and ``md`` the ``mkdir`` function; ``sc.exe`` is the
    program: ``sc`` writes a file with the lab's Set-Content."""
    assert ["y"] == _on_node(lab, "sc C:\\sc-alias.txt y; gc C:\\sc-alias.txt").output
    assert "(the program sc.exe " in _refused(_on_node(lab, "sc.exe query"))
    assert "(Windows PowerShell 5.1's alias of mkdir;" in _refused(_on_node(lab, "md C:\\x"))
    assert "(a built-in function of Windows PowerShell 5.1 (it calls New-Item);" in _refused(
        _on_node(lab, "mkdir C:\\x")
    )


def test_the_default_verb_refuses_the_get_command_it_names(lab):
    assert _refused(_on_node(lab, "HotFix")).startswith("command Get-HotFix (a Microsoft")


@pytest.mark.parametrize("name", ["Get-Nothing", "mklink", "ver"])
def test_a_name_powershell_does_not_know_is_still_command_not_found(lab, name):
    """``mklink`` and ``ver`` are internal to cmd.exe: PowerShell does not find them."""
    result = _on_node(lab, f"{name}; 'after'")
    assert (result.output, result.failed) == (["after"], None)
    assert [(e.error_id, e.target_object) for e in result.errors] == [
        ("CommandNotFoundException", name)
    ]


def test_get_command_refuses_an_unmodelled_name_whatever_error_action_says(lab):
    script = "if (Get-Command netstat -ErrorAction SilentlyContinue) { 'has it' }"
    assert _refused(_on_node(lab, script)).startswith(
        f"Get-Command of netstat (the program netstat.exe {_NOT_MODELLED})"
    )


def test_modelled_commands_are_never_in_the_refused_set(lab):
    executor, node = lab
    modelled = [
        *executor.node_table(node),
        *(b.spec.name for b in BUILTINS.values()),
        *COMMAND_ALIASES,
        *NATIVES,
    ]
    refused = executor.unmodelled_for(node)
    assert refused.names().isdisjoint(name.casefold() for name in modelled)
    assert [name for name in modelled if refused.reason(name) is not None] == []
    assert [n for n in ("icacls.exe", "hostname.exe", "whoami.exe", "cmd.exe")
            if refused.reason(n) is not None] == []  # fmt: skip
    # What the lab runs, it still runs.
    result = _on_node(lab, "(Get-Service | Select-Object -First 1) -ne $null; hostname.exe")
    assert (result.output, result.failed) == ([True, node], None)


def test_powershell_precedence_is_alias_then_function_then_cmdlet_then_program():
    found = powershell_commands()
    assert (found["sc"].kind, found["sc"].target) == ("alias", "Set-Content")
    assert (found["where"].kind, found["where"].target) == ("alias", "Where-Object")
    assert (found["mkdir"].kind, found["mkdir"].target) == ("function", "New-Item")
    assert (found["get-hotfix"].kind, found["get-hotfix"].module) == (
        "cmdlet",
        "Microsoft.PowerShell.Management",
    )
    assert found["tree"].name == found["tree.com"].name == "tree.com"
    assert "mklink" not in found


def test_an_unknown_catalog_name_stays_unknown_and_modelled_ones_are_left_out():
    refused = UnmodelledCommands(["Get-Process", "icacls"])
    assert refused.reason("Get-Nothing") is None
    assert refused.reason("C:\\Tools\\netstat.exe") is None  # not System32
    assert refused.reason("icacls.exe") is None
    assert refused.reason("Get-Process") is None
    assert refused.reason("Get-HotFix") is not None


def test_cmd_commands_hold_programs_and_cmd_internals_not_powershell_names():
    names = cmd_commands()
    assert {"mklink", "ver", "mkdir", "copy", "netstat", "netstat.exe", "tree", "tree.com"} <= names
    assert {"get-hotfix", "gdr", "gps"}.isdisjoint(names)  # PowerShell's own commands


def test_a_module_every_node_has_but_the_lab_does_not_model_is_refused(
    lab: tuple[ClusterExecutor, str],
) -> None:
    """``Import-Module Storage`` and ``Get-Module -ListAvailable -Name NetTCPIP`` are
    refused by name: Modules_ModuleNotFound or an empty list would tell a script the node
    lacks a module every Windows Server 2019 node has."""
    imported = _on_node(lab, "'before'; Import-Module Storage; 'after'")
    assert imported.failed is not None
    assert "module Storage (the module Storage every Windows Server 2019 node has" in (
        imported.failed.message
    )
    listed = _on_node(
        lab, "try { Get-Module -ListAvailable -Name NetTCPIP -ErrorAction Stop } catch { 'no' }"
    )
    assert ([], []) == (listed.output, listed.errors)  # no catch block sees a refusal
    assert listed.failed is not None
    assert "Get-Module -ListAvailable of NetTCPIP (the module NetTCPIP every" in (
        listed.failed.message
    )


def test_modules_the_lab_answers_for_are_not_refused(lab: tuple[ClusterExecutor, str]) -> None:
    """The modules Import-Module loads import silently (CimCmdlets too, as on every 5.1);
    the Core snap-in and an unknown name are Windows' own Modules_ModuleNotFound; a
    pattern lists what the lab has."""
    result = _on_node(
        lab,
        "Import-Module CimCmdlets, FailoverClusters, Microsoft.PowerShell.Utility; 'loaded'\n"
        "Import-Module Microsoft.PowerShell.Core, NoSuchModule\n"
        "(Get-Module -ListAvailable -Name Fail*, Nope).Name",
    )
    assert (result.failed, result.output) == (None, ["loaded", "FailoverClusters"])
    assert [e.error_id for e in result.errors] == ["Modules_ModuleNotFound"] * 2
