"""Removing cluster objects as Windows does, and ssis-clustered-undo's remove-resource step.

- Remove-ClusterResource refuses a resource another resource depends on (MS-CMRP 3.1.4.2.11
  ApiDeleteResource; Win32 5001 ERROR_DEPENDENT_RESOURCE_EXISTS) and drops nothing from
  the dependents' expressions.
- Remove-ClusterCheckpoint removes the checkpoint objects piped to it (the help's
  Example 1), each one alone.
- Set-ClusterOwnerNode -Owners is a StringCollection: a quoted 'NODE1,NODE2' is one node
  name, never split.
- The undo's remove-resource step looks for dependents first and changes nothing when it
  finds one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from psrunbook.runbook.examples import example_inventory, example_parameters
from psrunbook.runbook.planner import build_plan
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.sim.lab.cluster_model import SimCluster, fold
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.templates import TemplateLibrary
from tests.unit.sim.lab.scripts import run_on
from tests.unit.sim.lab.test_hidden_files import run_on_step

GROUP = "SQL Server (MSSQLSERVER)"
SSIS = "SQL Server Integration Services"
WATCHER = "SSIS Package Watcher"
KEY = "SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile"
DEPENDENT_EXISTS = (
    "The operation cannot be completed because other resources are dependent on this "
    "resource. (Exception from HRESULT: 0x80071389)"
)


def _run(lab: SimCluster, script: str) -> list[object]:
    result = run_on(lab, script)
    assert result.failed is None, result.failed.message
    assert [] == [e.message for e in result.errors]
    return result.output


def _ssis_with_watcher(lab: SimCluster, *, online: bool = True) -> SimCluster:
    """What ssis-clustered leaves (its Generic Service, checkpointed, Online), and a
    Generic Script resource an admin made depend on it, Online too (or both Offline)."""
    _run(
        lab,
        f"$r = Add-ClusterResource -Name '{SSIS}' -Group '{GROUP}' "
        "-ResourceType 'Generic Service'\n"
        "$null = $r | Set-ClusterParameter -Name ServiceName -Value MsDtsServer150\n"
        f"$null = Add-ClusterCheckpoint -InputObject $r -RegistryCheckpoint '{KEY}'\n"
        f"$w = Add-ClusterResource -Name '{WATCHER}' -Group '{GROUP}' "
        "-ResourceType 'Generic Script'\n"
        f"$null = Add-ClusterResourceDependency -InputObject $w -Provider '{SSIS}'\n",
    )
    if online:
        _run(lab, f"$null = Start-ClusterResource -Name '{WATCHER}'")
        assert ("Online", "Online") == (lab.resource(SSIS).state, lab.resource(WATCHER).state)
    lab.changes.clear()
    lab.change_log.clear()
    return lab


# -- Remove-ClusterResource ----------------------------------------------------------------


def test_remove_resource_with_a_dependent_is_refused_and_changes_nothing() -> None:
    """An Offline resource with a dependent: 5001, the resource and the dependency stay."""
    lab = _ssis_with_watcher(sample_lab(nodes=2), online=False)
    result = run_on(lab, f"Remove-ClusterResource -Name '{SSIS}' -Force")
    record = result.failed or result.errors[0]
    assert f"An error occurred while removing resource '{SSIS}'.\n{DEPENDENT_EXISTS}" == (
        record.message
    )
    assert [[SSIS]] == lab.resource(WATCHER).dependencies
    assert [KEY] == lab.resource(SSIS).checkpoints
    assert 0 == lab.changes["Remove-ClusterResource"]


def test_remove_online_resource_with_a_dependent_takes_both_offline_then_fails() -> None:
    """Online: the resource is taken offline (its dependent first), as the cluster deletes
    only an Offline resource; then the delete fails (5001) and both stay, Offline."""
    lab = _ssis_with_watcher(sample_lab(nodes=2))
    result = run_on(lab, f"Remove-ClusterResource -Name '{SSIS}' -Force")
    record = result.failed or result.errors[0]
    assert record.message.endswith(DEPENDENT_EXISTS)
    assert ("Offline", "Offline") == (lab.resource(SSIS).state, lab.resource(WATCHER).state)
    assert [[SSIS]] == lab.resource(WATCHER).dependencies


def test_remove_resource_without_dependents_still_removes_it() -> None:
    """Once the dependency is gone the same call removes the resource."""
    lab = _ssis_with_watcher(sample_lab(nodes=2), online=False)
    _run(
        lab, f"Remove-ClusterResourceDependency -Resource '{WATCHER}' -Provider '{SSIS}' | Out-Null"
    )
    _run(lab, f"Remove-ClusterResource -Name '{SSIS}' -Force")
    assert [WATCHER] == [r.name for r in lab.resources.values() if r.name in (SSIS, WATCHER)]


# -- Remove-ClusterCheckpoint by object ----------------------------------------------------


def test_a_piped_checkpoint_removes_only_itself() -> None:
    """Two checkpoints; the one piped goes, the other remains (its cluster copy too)."""
    lab = _ssis_with_watcher(sample_lab(nodes=2), online=False)
    other = "SOFTWARE\\Contoso\\Settings"
    _run(lab, f"$null = Add-ClusterCheckpoint -ResourceName '{SSIS}' -RegistryCheckpoint '{other}'")
    _run(
        lab,
        f"Get-ClusterCheckpoint -ResourceName '{SSIS}' -RegistryCheckpoint | "
        f"Where-Object {{ [string]$_.Name -eq '{KEY}' }} | Remove-ClusterCheckpoint -Force",
    )
    assert [other] == lab.resource(SSIS).checkpoints
    removed = [t for c, _, t in lab.change_log if c == "Remove-ClusterCheckpoint"]
    assert [f"{SSIS}|{KEY}"] == removed


def test_a_piped_checkpoint_already_removed_is_element_not_found() -> None:
    """The object outlives its checkpoint: the second removal answers 1168."""
    lab = _ssis_with_watcher(sample_lab(nodes=2), online=False)
    result = run_on(
        lab,
        f"$c = @(Get-ClusterCheckpoint -ResourceName '{SSIS}' -RegistryCheckpoint)\n"
        "$c | Remove-ClusterCheckpoint -Force\n"
        "$c | Remove-ClusterCheckpoint -Force",
    )
    record = result.failed or result.errors[0]
    assert "Element not found. (Exception from HRESULT: 0x80070490)" in record.message
    assert 1 == lab.changes["Remove-ClusterCheckpoint"]


def test_a_piped_checkpoint_needs_force() -> None:
    """A piped checkpoint prompts like any other removal; without -Force nothing goes."""
    lab = _ssis_with_watcher(sample_lab(nodes=2), online=False)
    result = run_on(lab, f"Get-ClusterCheckpoint -ResourceName '{SSIS}' | Remove-ClusterCheckpoint")
    record = result.failed or result.errors[0]
    assert f"Are you sure you want to remove registry checkpoint '{KEY}'" in record.message
    assert [KEY] == lab.resource(SSIS).checkpoints


# -- Set-ClusterOwnerNode -Owners ----------------------------------------------------------


@pytest.mark.parametrize("target", [f"-Group '{GROUP}'", "-Resource 'SQL Server'"])
def test_owners_in_one_quoted_string_are_one_unknown_node(target: str) -> None:
    """-Owners 'NODE1,NODE2' names a node called 'NODE1,NODE2': 5042, nothing changes."""
    lab = sample_lab(nodes=2)
    result = run_on(lab, f"Set-ClusterOwnerNode {target} -Owners 'NODE1,NODE2'")
    record = result.failed or result.errors[0]
    assert "The cluster node was not found. (Exception from HRESULT: 0x800713B2)" in record.message
    assert 0 == lab.changes["Set-ClusterOwnerNode"]


def test_owners_as_an_array_are_two_nodes() -> None:
    """-Owners NODE2,NODE1 (an array of two) sets both, in that order."""
    lab = sample_lab(nodes=2)
    _run(lab, f"Set-ClusterOwnerNode -Group '{GROUP}' -Owners NODE2,NODE1")
    assert ["NODE2", "NODE1"] == lab.group(GROUP).preferred_owners


# -- ssis-clustered-undo's remove-resource step --------------------------------------------


def _remove_resource_step() -> Any:
    runbook = RunbookRegistry.discover([]).get("ssis-clustered-undo")
    params = example_parameters(runbook.parameters)
    assert params is not None
    plan = build_plan(runbook, params, example_inventory(), TemplateLibrary([]), lint=False)
    (step,) = [s for s in plan.steps if s.step.name == "remove-resource"]
    assert SSIS == step.arguments["Name"]
    return step


@pytest.mark.parametrize("check_only", [False, True])
def test_the_undo_refuses_a_resource_another_depends_on_before_any_change(
    check_only: bool,
) -> None:
    """The watcher depends on SSIS: the step names it and what to do, and leaves both
    Online, the checkpoint and the dependency in place (plan and run alike)."""
    lab = _ssis_with_watcher(sample_lab(nodes=2))
    step = _remove_resource_step()
    arguments = {**dict(step.arguments), "CheckOnly": check_only}

    result = run_on_step(lab, step.script.text, arguments)

    assert result.failed is not None
    message = " ".join(result.failed.message.split())
    assert (
        f"resource '{SSIS}' cannot be removed while other resources depend on it: "
        f"'{WATCHER}' (depends on [{SSIS}]). Nothing was changed: remove the dependency "
        f"of '{WATCHER}' on '{SSIS}' (or the resource '{WATCHER}') first, then run the "
        "undo again"
    ) in message
    assert ("Online", "Online") == (lab.resource(SSIS).state, lab.resource(WATCHER).state)
    assert [KEY] == lab.resource(SSIS).checkpoints
    assert [[SSIS]] == lab.resource(WATCHER).dependencies
    assert not lab.changes


def test_the_undo_finds_a_dependent_in_an_and_or_expression() -> None:
    """'[Cluster Disk 1] and ([X] or [SSIS])': SSIS is in the middle of an or."""
    lab = _ssis_with_watcher(sample_lab(nodes=2), online=False)
    _run(
        lab,
        f"Set-ClusterResourceDependency -Resource '{WATCHER}' "
        f"-Dependency '[Cluster Disk 1] and ([SQL Server] or [{SSIS}] "
        "or [SQL Network Name (SQLVS01)])'",
    )
    step = _remove_resource_step()

    result = run_on_step(lab, step.script.text, dict(step.arguments))

    assert result.failed is not None
    assert f"'{WATCHER}' (depends on [Cluster Disk 1] and" in result.failed.message
    assert fold(SSIS) in lab.resources


def test_the_undo_removes_it_when_only_a_lookalike_name_is_depended_on() -> None:
    """A provider named '[SQL Server Integration Services]' (brackets in its name) is
    another resource: the watcher depending on it does not stop the removal of SSIS."""
    lab = _ssis_with_watcher(sample_lab(nodes=2), online=False)
    lookalike = f"[{SSIS}]"
    _run(
        lab,
        f"$null = Add-ClusterResource -Name '{lookalike}' -Group '{GROUP}' "
        "-ResourceType 'Generic Script'\n"
        f"$null = Remove-ClusterResourceDependency -Resource '{WATCHER}' -Provider '{SSIS}'\n"
        f"$null = Add-ClusterResourceDependency -Resource '{WATCHER}' -Provider '{lookalike}'",
    )
    step = _remove_resource_step()

    result = run_on_step(lab, step.script.text, dict(step.arguments))

    assert result.failed is None, result.failed.message
    assert SSIS not in {r.name for r in lab.resources.values()}
    assert [[lookalike]] == lab.resource(WATCHER).dependencies


def test_the_undo_removes_only_its_own_checkpoint_by_object() -> None:
    """No dependent: the step removes the checkpoint it added (piped, the key compared
    whole), then the resource; it reports the same actions as before."""
    lab = _ssis_with_watcher(sample_lab(nodes=2))
    _run(lab, f"$null = Remove-ClusterResourceDependency -Resource '{WATCHER}' -Provider '{SSIS}'")
    step = _remove_resource_step()

    result = run_on_step(lab, step.script.text, dict(step.arguments))

    assert result.failed is None, result.failed.message
    (emitted,) = result.output
    data = json.loads(str(emitted.properties["Data"]))
    assert ["take offline", "remove checkpoint", "remove resource"] == data["Actions"]
    assert [KEY] == data["Before"]["Checkpoints"]
    removed = [t for c, _, t in lab.change_log if c == "Remove-ClusterCheckpoint"]
    assert [f"{SSIS}|{KEY}"] == removed
    assert "Online" == lab.resource(WATCHER).state
