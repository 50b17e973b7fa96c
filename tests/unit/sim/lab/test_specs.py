"""Cmdlet specs: FailoverClusters specs come from the packaged facts and cannot drift."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from psrunbook.sim.lab.cluster_executor import cmdlets_for_node
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.specs import facts, fc_spec

REPO = Path(__file__).resolve().parents[4]
FC_CMDLETS = [
    "Get-Cluster",
    "Get-ClusterNode",
    "Get-ClusterGroup",
    "Add-ClusterGroup",
    "Move-ClusterGroup",
    "Get-ClusterResource",
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
    "Get-ClusterResourceType",
]


def test_packaged_facts_match_shared_facts_when_present() -> None:
    """psrunbook/data/failoverclusters.json is the facts file, source fields included."""
    shared = REPO.parent / "shared" / "facts" / "failoverclusters.json"
    if not shared.exists():
        pytest.skip("shared facts are not next to this checkout")
    assert json.loads(shared.read_text("utf-8")) == facts()


@pytest.mark.parametrize("name", FC_CMDLETS)
def test_every_failoverclusters_cmdlet_has_the_facts_parameters(name: Any) -> None:
    """The table's spec lists exactly the facts' parameters for the cmdlet."""
    table = cmdlets_for_node(sample_lab(), "NODE1")
    spec = table[name].spec
    assert list(facts()["cmdlets"][name]["parameters"]) == [p.name for p in spec.parameters]
    assert spec.implementing_type.startswith("Microsoft.FailoverClusters.PowerShell.")


def test_add_cluster_resource_positions_and_aliases() -> None:
    """Name/Group/ResourceType are positional 0/1/2; ResourceType has aliases ResType, Type."""
    params = {p.name: p for p in fc_spec("Add-ClusterResource").parameters}
    assert (0, 1, 2) == (
        params["Name"].position,
        params["Group"].position,
        params["ResourceType"].position,
    )
    assert ("ResType", "Type") == params["ResourceType"].aliases
    assert params["Name"].mandatory and params["ResourceType"].mandatory
    assert params["InputObject"].from_pipeline
    assert ("InputObject",) == params["InputObject"].parameter_sets


def test_owners_take_remaining_arguments() -> None:
    """Set-ClusterOwnerNode -Owners is a mandatory StringCollection from remaining arguments."""
    owners = {p.name: p for p in fc_spec("Set-ClusterOwnerNode").parameters}["Owners"]
    assert owners.mandatory and owners.from_remaining_arguments
    assert "System.Collections.Specialized.StringCollection" == owners.type


def test_set_cluster_parameter_sets() -> None:
    """-Name/-Value form the Single set, -Multiple its own, InputObject is in every set."""
    params = {p.name: p for p in fc_spec("Set-ClusterParameter").parameters}
    assert ("Single Parameter",) == params["Name"].parameter_sets
    assert ("Multiple Parameter",) == params["Multiple"].parameter_sets
    assert ("(All)",) == params["InputObject"].parameter_sets
    assert "hashtable" == params["Multiple"].type


def test_observed_implementing_types_are_kept() -> None:
    """The class names seen in real error ids are used; the others follow the cmdlet name."""
    assert fc_spec("Get-ClusterResource").implementing_type.endswith(".GetResourceCommand")
    assert fc_spec("Move-ClusterGroup").implementing_type.endswith(".MoveClusterGroupCommand")
    assert fc_spec("Add-ClusterResource").implementing_type.endswith(".AddClusterResourceCommand")


def test_group_type_is_a_string_parameter() -> None:
    """The GroupType enum parameter is bound as a string the cmdlet checks itself."""
    group_type = {p.name: p for p in fc_spec("Add-ClusterGroup").parameters}["GroupType"]
    assert "string" == group_type.type


def test_table_lookup_is_case_insensitive() -> None:
    """Command names are found whatever their case; icacls answers to both names."""
    table = cmdlets_for_node(sample_lab(), "NODE2")
    assert table["get-clusterresource"] is table["Get-ClusterResource"]
    assert table["ICACLS"].spec.native
    assert table["icacls.exe"].spec.native
    assert "Start-Sleep" in table
