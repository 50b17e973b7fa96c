"""Review bundles: export, determinism, verification and what wrappers carry."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from psrunbook.bundle import (
    IDENTITY_PROBE_FILE,
    MANIFEST,
    OWNER_PROBE_FILE,
    REVIEW,
    SHA256SUMS,
    VERIFY_SCRIPT,
    check_bundle,
    export_bundle,
    verify_bundle,
)
from psrunbook.errors import BundleError
from psrunbook.inventory import load_inventory
from psrunbook.runbook.parameters import validate_parameters
from psrunbook.runbook.planner import Plan, build_plan
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.templates import TemplateLibrary
from tests.conftest import FIXTURES, REPO
from tests.unit.powershell_scan import read_literal
from tests.unit.runbooks.rendered_cases import case_plan, inventory

PASSWORD = "hunter2-not-in-any-file"


def _plan(user_runbooks: Path, user_templates: Path, inventory: Path, *assignments: str) -> Plan:
    runbook = RunbookRegistry.discover([user_runbooks]).get("greeting")
    params = validate_parameters(runbook.parameters, assignments=assignments)
    library = TemplateLibrary([user_templates])
    return build_plan(runbook, params, load_inventory(inventory), library)


@pytest.fixture
def plan(
    user_runbooks: Path,
    user_templates: Path,
    example_inventory_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Plan:
    monkeypatch.setenv("PSRUNBOOK_PARAM_TOKEN", PASSWORD)
    return _plan(
        user_runbooks,
        user_templates,
        example_inventory_path,
        "name=O'Brien",
        "aliases=a, b",
        "aliases=c",
    )


def _files(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


def test_export_writes_every_file(plan: Plan, example_inventory_path: Path, tmp_path: Path) -> None:
    """A bundle has the manifest, REVIEW.md, one script per step and one wrapper per node."""
    inventory = load_inventory(example_inventory_path)
    export_bundle(plan, inventory, tmp_path / "b")
    names = set(_files(tmp_path / "b"))
    steps = ["01-greet-all", "02-greet-owner", "03-greet-any"]
    expected = (
        {MANIFEST, REVIEW, SHA256SUMS, VERIFY_SCRIPT, IDENTITY_PROBE_FILE, OWNER_PROBE_FILE}
        | {f"{s}.ps1" for s in steps}
        | {f"{s}.{n}.ps1" for s in steps for n in ("SQLNODE1", "SQLNODE2")}
    )
    assert expected == names


def test_export_is_byte_identical(plan: Plan, example_inventory_path: Path, tmp_path: Path) -> None:
    """Two exports of the same inputs are byte-identical."""
    inventory = load_inventory(example_inventory_path)
    first = export_bundle(plan, inventory, tmp_path / "one")
    second = export_bundle(plan, inventory, tmp_path / "two")
    assert _files(tmp_path / "one") == _files(tmp_path / "two")
    assert first.manifest_sha256 == second.manifest_sha256


def test_secret_is_in_no_file(plan: Plan, example_inventory_path: Path, tmp_path: Path) -> None:
    """The secret parameter appears in no bundle file; wrappers prompt for it instead."""
    export_bundle(plan, load_inventory(example_inventory_path), tmp_path / "b")
    for name, data in _files(tmp_path / "b").items():
        assert PASSWORD.encode() not in data, name
    wrapper = (tmp_path / "b" / "01-greet-all.SQLNODE1.ps1").read_text()
    assert "'Token' = (Read-Host -AsSecureString -Prompt 'Secret value for Token')" in wrapper


def test_wrapper_values_round_trip(
    plan: Plan, example_inventory_path: Path, tmp_path: Path
) -> None:
    """Each wrapper line holds a literal that PowerShell's own rules read back exactly."""
    export_bundle(plan, load_inventory(example_inventory_path), tmp_path / "b")
    wrapper = (tmp_path / "b" / "01-greet-all.SQLNODE2.ps1").read_text()
    values = dict(re.findall(r"^    '(\w+)' = (.+)$", wrapper, flags=re.MULTILINE))
    assert "O'Brien" == read_literal(values["Name"])
    assert ["a, b", "c"] == read_literal(values["Aliases"])
    assert 1 == read_literal(values["Repeat"])


def test_manifest_pins_every_file(plan: Plan, example_inventory_path: Path, tmp_path: Path) -> None:
    """The manifest lists every other file with its hash and masks secrets."""
    export_bundle(plan, load_inventory(example_inventory_path), tmp_path / "b")
    manifest = json.loads((tmp_path / "b" / MANIFEST).read_text())
    assert set(_files(tmp_path / "b")) - {MANIFEST, SHA256SUMS} == set(manifest["files"])
    assert "***" == manifest["parameters"]["token"]
    assert ["Token"] == manifest["steps"][0]["secret_arguments"]
    assert [] == check_bundle(tmp_path / "b")[2]


def test_changed_byte_is_reported(plan: Plan, example_inventory_path: Path, tmp_path: Path) -> None:
    """One changed byte in a script is reported for that file and refused by verify."""
    export_bundle(plan, load_inventory(example_inventory_path), tmp_path / "b")
    script = tmp_path / "b" / "02-greet-owner.ps1"
    data = bytearray(script.read_bytes())
    data[10] ^= 0x01
    script.write_bytes(bytes(data))
    problems = [str(p) for p in check_bundle(tmp_path / "b")[2]]
    assert ["02-greet-owner.ps1: changed since export (sha256 differs)"] == problems
    with pytest.raises(BundleError, match=r"02-greet-owner\.ps1: changed"):
        verify_bundle(tmp_path / "b")


def test_missing_and_extra_files_are_reported(
    plan: Plan, example_inventory_path: Path, tmp_path: Path
) -> None:
    """A removed file and an added file are each named."""
    export_bundle(plan, load_inventory(example_inventory_path), tmp_path / "b")
    (tmp_path / "b" / "03-greet-any.SQLNODE1.ps1").unlink()
    (tmp_path / "b" / "extra.ps1").write_text("Remove-Item C:\\ -Recurse\n")
    problems = sorted(str(p) for p in check_bundle(tmp_path / "b")[2])
    assert [
        "03-greet-any.SQLNODE1.ps1: missing",
        "extra.ps1: not part of the exported bundle",
    ] == problems


def test_wrong_format_is_refused(plan: Plan, example_inventory_path: Path, tmp_path: Path) -> None:
    """A manifest of another format version is refused with the fix."""
    export_bundle(plan, load_inventory(example_inventory_path), tmp_path / "b")
    manifest_path = tmp_path / "b" / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["format"] = "psrunbook-bundle/0"
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(BundleError, match="re-export the bundle"):
        verify_bundle(tmp_path / "b")


def test_existing_bundle_is_not_overwritten(
    plan: Plan, example_inventory_path: Path, tmp_path: Path
) -> None:
    """Exporting into a non-empty directory is refused and leaves it untouched."""
    target = tmp_path / "b"
    target.mkdir()
    (target / "keep.txt").write_text("mine")
    with pytest.raises(BundleError, match="not an empty directory"):
        export_bundle(plan, load_inventory(example_inventory_path), target)
    assert ["keep.txt"] == [p.name for p in target.iterdir()]


def test_review_describes_targets(plan: Plan, example_inventory_path: Path, tmp_path: Path) -> None:
    """REVIEW.md says where each step runs and lists the advisories."""
    export_bundle(plan, load_inventory(example_inventory_path), tmp_path / "b")
    review = (tmp_path / "b" / REVIEW).read_text()
    assert "every node, in parallel (SQLNODE1, SQLNODE2)" in review
    assert "the node that owns group `Cluster Group` when the step starts" in review
    assert "**warning** `demo`: this runbook only greets" in review


NASTY = st.text(
    alphabet=st.one_of(
        st.sampled_from(
            list("'\u2018\u2019\u201a\u201b\"\u201c\u201d\u201e`$();|&@\n\r\t -\u2013\u2014\u00a0")
        ),
        st.characters(exclude_categories=("Cs", "Cc")),
    ),
    max_size=60,
)


@settings(max_examples=60, deadline=None)
@given(value=NASTY)
def test_adversarial_values_round_trip_through_wrappers(
    value: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Any printable value, quotes and all, reads back exactly from the exported wrapper."""
    plan = _plan(
        FIXTURES / "user_runbooks",
        FIXTURES / "user_templates",
        REPO / "examples" / "inventory.toml",
        f"name={value or 'x'}",
    )
    out = tmp_path_factory.mktemp("bundle") / "b"
    export_bundle(plan, load_inventory(REPO / "examples" / "inventory.toml"), out)
    wrapper = (out / "03-greet-any.SQLNODE1.ps1").read_bytes().decode("utf-8")
    body = wrapper.split("$arguments = @{\n", 1)[1].split("\n}\n& (Join-Path", 1)[0]
    assert body.startswith("    'Name' = ")
    assert (value or "x") == read_literal(body.removeprefix("    'Name' = "))


def test_review_says_which_steps_roll_and_which_go_node_by_node(tmp_path: Path) -> None:
    """A change board reads how each every-node step meets the nodes: a rolling step one
    node at a time, a step that does not wait for all nodes as each node gets there."""
    export_bundle(case_plan("ssis-standalone", "2019"), inventory(), tmp_path / "standalone")
    review = (tmp_path / "standalone" / REVIEW).read_text()
    rolling = review.split("write-config", 1)[1].split("service-running", 1)[0]
    assert "every node, one at a time (SQLNODE1, SQLNODE2): checked on each node as soon" in rolling
    assert "in parallel" not in rolling

    export_bundle(case_plan("ssis-clustered-undo", "2019"), inventory(), tmp_path / "undo")
    review = (tmp_path / "undo" / REVIEW).read_text()
    service = review.split("Give MsDtsServer150 back", 1)[1]
    assert "each node starts it as soon as it finished the step before" in service
    registry = review.split("Point ServiceConfigFile back", 1)[1].split("Give MsDtsServer", 1)[0]
    assert "every node, in parallel (SQLNODE1, SQLNODE2)\n" in registry
