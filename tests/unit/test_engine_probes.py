"""The engine's own probes (group owner, cluster identity) are part of the plan.

Every script that runs on a node is rendered and linted by ``build_plan``, exported and
pinned by a bundle, and checked again by ``run --bundle``: a ``--templates`` folder that
overrides a probe cannot make an approved bundle run a script nobody reviewed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from msgspec.structs import replace

from psrunbook.bundle import (
    IDENTITY_PROBE_FILE,
    MANIFEST,
    OWNER_PROBE_FILE,
    REVIEW,
    check_bundle,
    export_bundle,
    plan_from_bundle,
    verify_bundle,
)
from psrunbook.errors import BundleError, ClusterMismatch, LintError
from psrunbook.execution.identity import same_cluster, verify_cluster
from psrunbook.execution.orchestrator import Runner, RunOptions
from psrunbook.inventory import Inventory, load_inventory
from psrunbook.journal import Journal
from psrunbook.runbook.model import Target
from psrunbook.runbook.parameters import validate_parameters
from psrunbook.runbook.planner import IDENTITY_PROBE, OWNER_PROBE, Plan, build_plan
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.templates import TemplateLibrary
from psrunbook.transport.base import FakeTransport, RawResult, ScriptCall

SHIPPED_PROBE = TemplateLibrary().source(OWNER_PROBE)


def _result(data: dict[str, Any]) -> RawResult:
    payload = {"PSRunbookResult": 1, "Changed": False, "CheckOnly": False, "Data": json.dumps(data)}
    return RawResult(output=[payload], errors=[], had_errors=False)


@pytest.fixture
def inventory(example_inventory_path: Path) -> Inventory:
    return load_inventory(example_inventory_path)


def _plan(user_runbooks: Path, inventory: Inventory, *folders: Path) -> Plan:
    runbook = RunbookRegistry.discover([user_runbooks]).get("greeting")
    params = validate_parameters(runbook.parameters, assignments=["name=world"])
    return build_plan(runbook, params, inventory, TemplateLibrary([*folders]))


def _override(folder: Path, template_id: str, text: str) -> Path:
    path = folder / template_id
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return folder


def test_the_plan_holds_the_owner_probe_of_group_owner_steps(
    user_runbooks: Path, user_templates: Path, inventory: Inventory
) -> None:
    """A group-owner step carries its rendered probe; other steps none; the plan the identity
    probe."""
    plan = _plan(user_runbooks, inventory, user_templates)
    probes = {s.step.target: s.owner_probe for s in plan.steps}
    assert probes[Target.EVERY_NODE] is None and probes[Target.ANY_NODE] is None
    owner = probes[Target.GROUP_OWNER]
    assert owner is not None and OWNER_PROBE == owner.template_id
    assert "Get-ClusterGroup | Where-Object { $_.Name -eq $Group }" in owner.text
    assert plan.identity_probe is not None and IDENTITY_PROBE == plan.identity_probe.template_id
    assert "Get-Cluster" in plan.identity_probe.text


def test_lint_covers_the_owner_probe(
    user_runbooks: Path, user_templates: Path, inventory: Inventory, tmp_path: Path
) -> None:
    """A probe with a lint error (here from a --templates folder) refuses the whole plan."""
    unsafe = SHIPPED_PROBE.replace(
        "$clusterGroup = @(Get-ClusterGroup | Where-Object { $_.Name -eq $Group })",
        "$clusterGroup = @(Get-ClusterGroup -Nmae $Group)",
    )
    folder = _override(tmp_path / "t", OWNER_PROBE, unsafe)
    with pytest.raises(LintError) as raised:
        _plan(user_runbooks, inventory, user_templates, folder)
    assert OWNER_PROBE in str(raised.value)


def test_the_old_partial_path_no_longer_reaches_a_node(
    user_runbooks: Path, user_templates: Path, inventory: Inventory, tmp_path: Path
) -> None:
    """The review's repro: a folder with ``_lib/get_group_owner.ps1.j2`` changes nothing."""
    folder = _override(tmp_path / "t", "_lib/get_group_owner.ps1.j2", "param()\nStop-Computer\n")
    plan = _plan(user_runbooks, inventory, user_templates, folder)
    planned = [s.owner_probe for s in plan.steps if s.owner_probe is not None]
    shipped = TemplateLibrary().render(OWNER_PROBE, {"Group": ""})
    assert [shipped.sha256] == [p.sha256 for p in planned]


def test_export_pins_the_probes_in_manifest_and_review(
    user_runbooks: Path, user_templates: Path, inventory: Inventory, tmp_path: Path
) -> None:
    """Both probes are bundle files, hashed in the manifest and shown in REVIEW.md."""
    plan = _plan(user_runbooks, inventory, user_templates)
    export_bundle(plan, inventory, tmp_path / "b")
    manifest = verify_bundle(tmp_path / "b").manifest
    owner = next(s.owner_probe for s in plan.steps if s.owner_probe is not None)
    assert plan.identity_probe is not None
    assert (IDENTITY_PROBE_FILE, plan.identity_probe.sha256) == (
        manifest.identity_probe.script,
        manifest.identity_probe.sha256,
    )
    assert owner.text == (tmp_path / "b" / OWNER_PROBE_FILE).read_text(encoding="utf-8")
    step_probes = {s.name: s.owner_probe for s in manifest.steps}
    assert step_probes["greet-owner"] is not None
    assert (OWNER_PROBE_FILE, owner.sha256) == (
        step_probes["greet-owner"].script,
        step_probes["greet-owner"].sha256,
    )
    assert step_probes["greet-all"] is None
    assert manifest.files[OWNER_PROBE_FILE] == owner.sha256
    review = (tmp_path / "b" / REVIEW).read_text(encoding="utf-8")
    assert f"`{OWNER_PROBE_FILE}` from template `{OWNER_PROBE}`, sha256 `{owner.sha256}`" in review
    assert f"`{IDENTITY_PROBE_FILE}`" in review and "`SQLCLUSTER01`" in review


def test_a_tampered_probe_file_fails_verification(
    user_runbooks: Path, user_templates: Path, inventory: Inventory, tmp_path: Path
) -> None:
    plan = _plan(user_runbooks, inventory, user_templates)
    export_bundle(plan, inventory, tmp_path / "b")
    probe = tmp_path / "b" / OWNER_PROBE_FILE
    probe.write_text(probe.read_text(encoding="utf-8") + "Stop-Computer\n", encoding="utf-8")
    _, _, problems = check_bundle(tmp_path / "b")
    assert [OWNER_PROBE_FILE] == [p.file for p in problems]


def test_a_probe_hash_the_file_list_does_not_pin_is_refused(
    user_runbooks: Path, user_templates: Path, inventory: Inventory, tmp_path: Path
) -> None:
    """The manifest's probe entry must agree with its own file list."""
    plan = _plan(user_runbooks, inventory, user_templates)
    export_bundle(plan, inventory, tmp_path / "b")
    path = tmp_path / "b" / MANIFEST
    data = json.loads(path.read_text(encoding="utf-8"))
    data["identity_probe"]["sha256"] = "0" * 64
    path.write_text(json.dumps(data), encoding="utf-8")
    _, _, problems = check_bundle(tmp_path / "b")
    assert IDENTITY_PROBE_FILE in [p.file for p in problems]


@pytest.mark.parametrize("template_id", [OWNER_PROBE, IDENTITY_PROBE])
def test_run_bundle_refuses_a_templates_override_of_a_probe(
    user_runbooks: Path,
    user_templates: Path,
    inventory: Inventory,
    tmp_path: Path,
    template_id: str,
) -> None:
    """The approved bundle's probe or nothing: an overriding folder is refused by name."""
    plan = _plan(user_runbooks, inventory, user_templates)
    export_bundle(plan, inventory, tmp_path / "b")
    bundle = verify_bundle(tmp_path / "b")
    shipped = TemplateLibrary().source(template_id)
    folder = _override(tmp_path / "t", template_id, shipped + "# not reviewed\n")
    library = TemplateLibrary([user_templates, folder])
    with pytest.raises(BundleError) as raised:
        plan_from_bundle(bundle, plan.runbook, plan.params, inventory, library)
    expected = OWNER_PROBE_FILE if template_id == OWNER_PROBE else IDENTITY_PROBE_FILE
    assert str(raised.value).startswith(expected)
    assert "--templates" in str(raised.value)


def test_run_bundle_refuses_an_inventory_of_another_cluster(
    user_runbooks: Path,
    user_templates: Path,
    inventory: Inventory,
    example_inventory_path: Path,
    tmp_path: Path,
) -> None:
    """Same nodes, another cluster name: refused naming both, before any node is reached."""
    plan = _plan(user_runbooks, inventory, user_templates)
    export_bundle(plan, inventory, tmp_path / "b")
    text = example_inventory_path.read_text(encoding="utf-8")
    other_path = tmp_path / "other.toml"
    other_path.write_text(text.replace('"SQLCLUSTER01"', '"SIMCLUSTER"', 1), encoding="utf-8")
    other = load_inventory(other_path)
    assert "SIMCLUSTER" == other.cluster.name
    with pytest.raises(ClusterMismatch) as raised:
        plan_from_bundle(
            verify_bundle(tmp_path / "b"),
            plan.runbook,
            plan.params,
            other,
            TemplateLibrary([user_templates]),
        )
    assert "'SQLCLUSTER01'" in str(raised.value) and "'SIMCLUSTER'" in str(raised.value)


def test_the_orchestrator_runs_the_planned_owner_probe(
    user_runbooks: Path, user_templates: Path, inventory: Inventory, tmp_path: Path
) -> None:
    """The runner renders nothing: the owner query sends exactly the plan's probe text."""
    plan = _plan(user_runbooks, inventory, user_templates)
    index = next(i for i, s in enumerate(plan.steps) if s.owner_probe is not None)
    step = plan.steps[index]
    assert step.owner_probe is not None
    reviewed = replace(step.owner_probe, text=step.owner_probe.text + "# the reviewed text\n")
    steps = list(plan.steps)
    steps[index] = replace(step, owner_probe=reviewed)
    plan = replace(plan, steps=tuple(steps))
    sent: list[str] = []

    def node(name: str, call: ScriptCall) -> RawResult:
        if "OwnerNode" in call.script:
            sent.append(call.script)
            return _result({"Group": call.arguments["Group"], "OwnerNode": "SQLNODE2"})
        return _result({"Before": None, "After": "x"})

    with Journal.open(tmp_path / "state") as journal:
        journal.start_run(
            run_id="r1", runbook="greeting", runbook_version="1", mode="run", parameters={},
            parameters_sha256="p", inventory_sha256="i", bundle_sha256=None, user=None,
        )  # fmt: skip
        Runner(plan, FakeTransport(node), journal, TemplateLibrary(), RunOptions()).run("r1")
    assert [reviewed.text] == sent


@pytest.mark.parametrize(
    ("expected", "actual", "same"),
    [
        ("PRODCLUSTER", "PRODCLUSTER", True),
        ("prodcluster", "PRODCLUSTER", True),
        ("prodcluster.corp.example", "PRODCLUSTER", True),
        ("PRODCLUSTER", "SIMCLUSTER", False),
        ("PRODCLUSTER", "", False),
        ("PROD", "PRODCLUSTER", False),
    ],
)
def test_same_cluster(expected: str, actual: str, same: bool) -> None:
    """Get-Cluster names the short name; an inventory may give the FQDN; no case."""
    assert same is same_cluster(expected, actual)


def test_verify_cluster_names_both_clusters_and_the_id(
    user_runbooks: Path, user_templates: Path, inventory: Inventory
) -> None:
    plan = _plan(user_runbooks, inventory, user_templates)
    ran: list[str] = []

    def node(name: str, call: ScriptCall) -> RawResult:
        ran.append(call.script)
        return _result({"Name": "SIMCLUSTER", "Id": "0f1e"})

    with pytest.raises(ClusterMismatch) as raised:
        verify_cluster(plan, FakeTransport(node), approved_for="SQLCLUSTER01")
    message = str(raised.value)
    assert "'SQLCLUSTER01'" in message and "'SIMCLUSTER'" in message and "0f1e" in message
    assert plan.identity_probe is not None and [plan.identity_probe.text] == ran
    found = verify_cluster(
        plan, FakeTransport(lambda n, c: _result({"Name": "SQLCLUSTER01", "Id": "a"})),
        approved_for="sqlcluster01",
    )  # fmt: skip
    assert ("SQLCLUSTER01", "a") == (found.name, found.id)
