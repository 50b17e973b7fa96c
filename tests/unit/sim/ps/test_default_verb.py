"""A command name that finds nothing is tried again with ``Get-`` before it, as Windows
PowerShell does (about_Parsing: "If a command name does not have an exact match,
PowerShell prepends `Get-` to the command as a default verb"; CommandDiscovery's
TryNormalSearch: only for a name with neither ``-`` nor ``\\``, and an error that still
names the command as written)."""

from __future__ import annotations

from psrunbook.sim.executor_protocol import CommandRequest, ExecutionContext, PipelineRequest
from psrunbook.sim.lab.cluster_executor import ClusterExecutor
from psrunbook.sim.lab.cmdlets.cim_classes import LAB_MEMORY_BYTES
from psrunbook.sim.lab.lab_files import sample_lab

from .helpers import Result, Sink, run

_NOT_FOUND = (
    "The term '{}' is not recognized as the name of a cmdlet, function, script file, or "
    "operable program. Check the spelling of the name, or if a path was included, verify "
    "that the path is correct and try again."
)


def test_a_noun_alone_runs_the_get_cmdlet_with_its_arguments() -> None:
    result = run("(Thing alpha).Name; (thing -Name beta).Value")
    assert (result.output, result.errors, result.failed) == (["alpha", 2], [], None)


def test_the_default_verb_finds_a_function_too() -> None:
    result = run('function Get-Stuff { param($Of) "stuff of $Of" }; Stuff -Of cabinet')
    assert (result.output, result.errors) == (["stuff of cabinet"], [])


def test_a_name_found_as_written_wins_over_the_default_verb() -> None:
    result = run("function Get-Thing2 { 'get' }; function Thing2 { 'own' }; Thing2")
    assert result.output == ["own"]


def test_nothing_found_either_way_names_the_command_as_written() -> None:
    result = run("Nothing; 'after'")
    assert result.output == ["after"]
    assert [e.message for e in result.errors] == [_NOT_FOUND.format("Nothing")]


def test_a_name_with_a_dash_or_a_backslash_gets_no_default_verb() -> None:
    """``Make-Thing`` is not tried as ``Get-Make-Thing``; neither is a path."""
    result = run("function Get-Make-Thing { 'wrong' }\nMake-Thing\n.\\Thing")
    assert result.output == []
    assert [e.message for e in result.errors] == [
        _NOT_FOUND.format("Make-Thing"),
        _NOT_FOUND.format(".\\Thing"),
    ]


def test_the_get_cmdlets_binding_errors_are_its_own() -> None:
    """The name resolved, so a bad parameter is the cmdlet's error, not a missing command."""
    result = run("Thing -Bogus 1")
    assert [e.message for e in result.errors] == [
        "A parameter cannot be found that matches parameter name 'Bogus'."
    ]


def _on_lab_node(script: str) -> Result:
    cluster = sample_lab()
    node = next(iter(cluster.nodes))
    sink = Sink()
    ClusterExecutor(cluster).execute(
        PipelineRequest((CommandRequest(script, True, ()),), ()),
        ExecutionContext(node, "LAB\\admin"),
        sink,
    )
    return sink.result


def test_pywinrms_readme_script_reads_the_nodes_memory_through_wmiobject() -> None:
    """pywinrm's README runs ``$RAM = WmiObject Win32_ComputerSystem`` and prints
    ``[int]($RAM.TotalPhysicalMemory / 1MB)``; the lab's node has a memory size (a lab
    value) and the verb-less ``WmiObject`` is Get-WmiObject."""
    result = _on_lab_node(
        "$RAM = WmiObject Win32_ComputerSystem\n"
        "$MB = 1048576\n"
        '"Installed Memory: " + [int]($RAM.TotalPhysicalMemory /$MB) + " MB"\n'
        "(Get-CimInstance Win32_OperatingSystem).TotalVisibleMemorySize * 1KB"
    )
    assert result.errors == []
    assert result.output == [
        f"Installed Memory: {round(LAB_MEMORY_BYTES / 1048576)} MB",
        LAB_MEMORY_BYTES,
    ]


def test_clear_host_and_its_aliases_are_refused_by_name_before_anything_runs() -> None:
    for name in ("Clear-Host", "clear", "cls", "CLS"):
        result = run(f"'before'\n{name}")
        assert result.output == []
        assert result.failed is not None
        assert "Clear-Host clears the host's screen buffer" in result.failed.message
        assert result.failed.error_id == "UnsupportedConstruct"
