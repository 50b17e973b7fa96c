"""The SSIS and cluster templates: parse cleanly and stay inside the simulator's subset."""

from __future__ import annotations

from collections.abc import Iterator
from importlib.resources import files

import pytest
import tree_sitter
from rendered_cases import CASES, case_plan

from psrunbook.lint import lint_template_source, parse
from psrunbook.runbook.planner import plan_scripts
from psrunbook.templates import TemplateLibrary

LIBRARY = TemplateLibrary()
OURS = [t for t in LIBRARY.template_ids() if t.startswith(("ssis/", "cluster/"))]
PARTIALS = sorted(
    f"_lib/{p.name}" for p in (files("psrunbook.ps_templates") / "_lib").iterdir() if p.is_file()
)

ALLOWED_INVOCATIONS = frozenset(
    {
        "[Security.Principal.WindowsIdentity]::GetCurrent()",
        "([Security.Principal.WindowsPrincipal]$identity).IsInRole("
        "[Security.Principal.WindowsBuiltInRole]::Administrator)",
        # DateTime.ToUniversalTime: the lab's Get-Process StartTime models it
        "(Get-Process -Id $svcProcessId).StartTime.ToUniversalTime()",
        # principals by SID: the lab models NTAccount.Translate and GetAccessRules
        "([Security.Principal.NTAccount]$principal).Translate("
        "[Security.Principal.SecurityIdentifier])",
        "(Get-Acl -LiteralPath $PackagesFolder).GetAccessRules("
        "$true, $true, [Security.Principal.SecurityIdentifier])",
        # bounded service waits (_lib/stop_service_bounded, _lib/start_service_bounded):
        # the lab models the ServiceController's Start, Stop, Refresh and WaitForStatus
        "$controller.Refresh()",
        "$controller.Start()",
        "$controller.Stop()",
        "$controller.WaitForStatus('Running', ($serviceBound - $serviceClock.Elapsed))",
        "$controller.WaitForStatus('Stopped', ($serviceBound - $serviceClock.Elapsed))",
        # waits measured from a Stopwatch (the lab models StartNew, Elapsed and
        # ElapsedMilliseconds on its clock) and TimeSpan.FromSeconds
        "[Diagnostics.Stopwatch]::StartNew()",
        "[TimeSpan]::FromSeconds($TimeoutSeconds)",
        "[math]::Round($clock.Elapsed.TotalSeconds)",
    }
)
ALLOWED_COMMANDS = frozenset(
    name.lower()
    for name in [
        "Get-ClusterResource",
        "Get-CimInstance",
        "Get-CimAssociatedInstance",
        "Get-FileHash",
        "Get-Process",
        "Remove-Item",
        "Set-Service",
        "Add-ClusterResource",
        "Remove-ClusterResource",
        "Start-ClusterResource",
        "Stop-ClusterResource",
        "Get-ClusterCheckpoint",
        "Add-ClusterCheckpoint",
        "Remove-ClusterCheckpoint",
        "Get-ClusterOwnerNode",
        "Set-ClusterOwnerNode",
        "Get-ClusterResourceDependency",
        "Add-ClusterResourceDependency",
        "Remove-ClusterResourceDependency",
        "Set-ClusterResourceDependency",
        "Get-ClusterParameter",
        "Set-ClusterParameter",
        "Get-ClusterNode",
        "Get-ClusterGroup",
        "Add-ClusterGroup",
        "Move-ClusterGroup",
        "Get-Cluster",
        "Get-ClusterResourceType",
        "Get-Service",
        "Get-Date",
        "Start-Service",
        "Stop-Service",
        "Restart-Service",
        "Test-Path",
        "New-Item",
        "Get-Item",
        "Get-ChildItem",
        "Copy-Item",
        "Get-Content",
        "Set-Content",
        "Get-ItemProperty",
        "Set-ItemProperty",
        "New-ItemProperty",
        "Get-Acl",
        "icacls",
        "Start-Sleep",
        "Write-Warning",
        "Write-Verbose",
        "Write-Error",
        "Write-Information",
        "Where-Object",
        "ForEach-Object",
        "Select-Object",
        "Sort-Object",
        "Measure-Object",
        "ConvertTo-Json",
        "Out-Null",
        "Set-StrictMode",
    ]
)


def _walk(node: tree_sitter.Node) -> Iterator[tree_sitter.Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.children)


def _scripts() -> dict[str, str]:
    """Every script the cases' plans may run: the steps' and the engine's probes."""
    return {
        script.template_id: script.text for key in CASES for script in plan_scripts(case_plan(*key))
    }


def _rendered(template_id: str) -> str:
    return _scripts()[template_id]


def test_every_template_is_used_by_a_runbook_step() -> None:
    """Each SSIS and cluster template is rendered by at least one fixture case's plan."""
    assert sorted(OURS) == sorted(_scripts())


@pytest.mark.parametrize("template_id", OURS)
def test_template_source_interpolates_nothing(template_id: str) -> None:
    """No {{ ... }} in template source: values travel as parameters."""
    assert [] == lint_template_source(LIBRARY.source(template_id), template_id)


@pytest.mark.parametrize("partial", PARTIALS)
def test_lib_partial_source_interpolates_nothing(partial: str) -> None:
    """The shared _lib blocks follow the same rule as the templates that include them."""
    assert [] == lint_template_source(LIBRARY.source(partial), partial)


@pytest.mark.parametrize("template_id", OURS)
def test_rendered_template_parses_without_error_nodes(template_id: str) -> None:
    """tree-sitter-powershell finds no ERROR or MISSING node in the rendered script."""
    tree = parse(_rendered(template_id))
    bad = [
        (n.type, n.start_point)
        for n in _walk(tree.root_node)
        if n.type == "ERROR" or n.is_error or n.is_missing
    ]
    assert [] == bad


@pytest.mark.parametrize("template_id", OURS)
def test_param_block_comes_first_and_ends_with_check_only(template_id: str) -> None:
    """The script starts with param(...), whose last parameter is [switch]$CheckOnly."""
    tree = parse(_rendered(template_id))
    first = tree.root_node.children[0]
    assert "param_block" == first.type
    parameters = [n for n in _walk(first) if n.type == "script_parameter"]
    last = min(parameters, key=lambda n: -n.start_byte)
    assert "[switch]$CheckOnly" == (last.text or b"").decode()


@pytest.mark.parametrize("template_id", OURS)
def test_script_uses_only_the_simulated_subset(template_id: str) -> None:
    """Only known commands, no .NET method or static calls but the administrator check
    the simulator models (sim/ps/principal.py), no New-Object, no -WhatIf."""
    text = _rendered(template_id)
    tree = parse(text)
    commands = {
        (n.text or b"").decode().lower() for n in _walk(tree.root_node) if n.type == "command_name"
    }
    assert set() == commands - ALLOWED_COMMANDS
    methods = [
        (n.text or b"").decode() for n in _walk(tree.root_node) if n.type == "invokation_expression"
    ]
    assert [] == [m for m in methods if m not in ALLOWED_INVOCATIONS]
    assert "-whatif" not in text.lower()


@pytest.mark.parametrize("template_id", OURS)
def test_script_includes_prelude_and_result(template_id: str) -> None:
    """Every script sets strict error handling and emits the one result object."""
    text = _rendered(template_id)
    assert "$ErrorActionPreference = 'Stop'" in text
    assert 1 == text.count("PSRunbookResult = 1")
    assert "$result = [ordered]@{" in text
    assert "$changed = $false" in text


def test_remove_cluster_resource_is_never_used_without_force() -> None:
    """Remove-ClusterResource would prompt on a non-interactive host; no template uses it bare."""
    for template_id in OURS:
        for line in _rendered(template_id).splitlines():
            if "Remove-ClusterResource" in line:
                assert "-Force" in line
