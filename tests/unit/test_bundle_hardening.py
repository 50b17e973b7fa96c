"""Bundle hardening (issue 14): links and paths, the manifest model, review-text escaping,
SHA256SUMS and Verify-Bundle.ps1, and pinning the approved manifest hash."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import msgspec
import pytest
from markdown_it import MarkdownIt

from psrunbook.bundle import (
    MANIFEST,
    REVIEW,
    SHA256SUMS,
    VERIFY_SCRIPT,
    check_bundle,
    export_bundle,
    verify_bundle,
)
from psrunbook.errors import BundleError
from psrunbook.inventory import load_inventory
from psrunbook.lint import lint_script, parse
from psrunbook.runbook.parameters import validate_parameters
from psrunbook.runbook.planner import Plan, build_plan
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.templates import TemplateLibrary
from tests.conftest import FIXTURES, REPO

INVENTORY = REPO / "examples" / "inventory.toml"


def _plan(*assignments: str, inventory: Path = INVENTORY) -> Plan:
    runbook = RunbookRegistry.discover([FIXTURES / "user_runbooks"]).get("greeting")
    params = validate_parameters(runbook.parameters, assignments=("name=world", *assignments))
    library = TemplateLibrary([FIXTURES / "user_templates"])
    return build_plan(runbook, params, load_inventory(inventory), library)


def _export(tmp_path: Path, *assignments: str, name: str = "b") -> tuple[Path, str]:
    out = tmp_path / name
    result = export_bundle(_plan(*assignments), load_inventory(INVENTORY), out)
    return out, result.manifest_sha256


def _problems(directory: Path) -> list[str]:
    return sorted(str(p) for p in check_bundle(directory)[2])


# --------------------------------------------------------------------------- links, paths


def test_manifest_symlink_is_refused(tmp_path: Path) -> None:
    """manifest.json that is a link to a file outside the bundle is refused, not followed."""
    bundle, _ = _export(tmp_path)
    outside = tmp_path / "elsewhere.json"
    shutil.move(bundle / MANIFEST, outside)
    (bundle / MANIFEST).symlink_to(outside)
    with pytest.raises(BundleError, match=r"manifest\.json is a symbolic link"):
        verify_bundle(bundle)


def test_script_symlink_to_identical_file_is_refused(tmp_path: Path) -> None:
    """A listed file replaced by a link (even to identical bytes outside) is a problem."""
    bundle, _ = _export(tmp_path)
    script = bundle / "01-greet-all.ps1"
    outside = tmp_path / "outside.ps1"
    shutil.move(script, outside)
    script.symlink_to(outside)
    assert ["01-greet-all.ps1: is a symbolic link; a bundle holds only regular files"] == (
        _problems(bundle)
    )


def _rewrite_manifest(bundle: Path, edit: dict[str, object]) -> None:
    manifest = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"].update(edit)
    (bundle / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize("name", ["../outside.ps1", "/etc/hostname", "sub/x.ps1", ".."])
def test_manifest_path_leaving_the_bundle_is_refused(tmp_path: Path, name: str) -> None:
    """A manifest entry that names a path outside the bundle directory is a problem."""
    bundle, _ = _export(tmp_path)
    (tmp_path / "outside.ps1").write_text("Stop-Computer\n", encoding="utf-8")
    digest = hashlib.sha256(b"Stop-Computer\n").hexdigest()
    _rewrite_manifest(bundle, {name: digest})
    assert f"{name}: names a path outside the bundle" in _problems(bundle)
    with pytest.raises(BundleError, match="fails verification"):
        verify_bundle(bundle)


# --------------------------------------------------------------------------- manifest model

TAMPERED = [
    ("runbook-missing", lambda m: m.pop("runbook"), "runbook: is missing"),
    ("name-missing", lambda m: m["runbook"].pop("name"), "runbook.name: is missing"),
    ("inventory-missing", lambda m: m.pop("inventory"), "inventory: is missing"),
    ("name-not-string", lambda m: m["runbook"].update(name=7), "runbook.name: must be a string"),
    ("nodes-not-list", lambda m: m["inventory"].update(nodes="N1"), "inventory.nodes: must be"),
    ("steps-not-list", lambda m: m.update(steps={}), "steps: must be an array"),
    (
        "step-hash-missing",
        lambda m: m["steps"][0].pop("script_sha256"),
        "steps.0.script_sha256: is missing",
    ),
    ("arguments-list", lambda m: m["steps"][0].update(arguments=[]), "steps.0.arguments: must"),
    ("files-bad-hash", lambda m: m["files"].update({REVIEW: "x"}), "files.REVIEW.md: must be"),
]


@pytest.mark.parametrize(
    ("edit", "field"), [(e, f) for _, e, f in TAMPERED], ids=[t[0] for t in TAMPERED]
)
def test_tampered_manifest_names_the_field(tmp_path: Path, edit: object, field: str) -> None:
    """Each tampered manifest is a BundleError (exit 2) naming the field and the fix."""
    bundle, _ = _export(tmp_path)
    manifest = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
    edit(manifest)  # type: ignore[operator]
    (bundle / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(BundleError) as caught:
        check_bundle(bundle)
    assert field in str(caught.value)
    assert "export it again with `psrunbook export`" in str(caught.value)


# --------------------------------------------------------------------------- review text


def _commands(script: str) -> list[str]:
    names: list[str] = []

    def walk(node: object) -> None:
        if node.type == "command_name":  # type: ignore[attr-defined]
            names.append(node.text.decode())  # type: ignore[attr-defined]
        for child in node.children:  # type: ignore[attr-defined]
            walk(child)

    walk(parse(script).root_node)
    return names


def test_title_with_line_break_stays_in_the_wrapper_comment(tmp_path: Path) -> None:
    """A step title holding CR/LF and a command cannot become code in a wrapper."""
    plan = _plan()
    title = "Greet\r\nStop-Computer -Force\n# "
    steps = tuple(
        msgspec.structs.replace(p, step=msgspec.structs.replace(p.step, title=title))
        for p in plan.steps
    )
    export_bundle(
        msgspec.structs.replace(plan, steps=steps), load_inventory(INVENTORY), tmp_path / "b"
    )
    wrapper = (tmp_path / "b" / "01-greet-all.SQLNODE1.ps1").read_text(encoding="utf-8")
    assert ["Join-Path"] == _commands(wrapper)
    assert "# Step 01-greet-all (Greet<U+000D><U+000A>Stop-Computer -Force<U+000A># )" in wrapper
    review = (tmp_path / "b" / REVIEW).read_text(encoding="utf-8")
    assert "Stop-Computer" not in [line.strip() for line in review.splitlines()]


def _headings(markdown: str) -> list[str]:
    tokens = MarkdownIt("commonmark").parse(markdown)
    return [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]


def test_cluster_name_and_group_cannot_add_a_heading(tmp_path: Path) -> None:
    """A cluster name or group with a newline adds no heading; group is code formatted."""
    inventory = tmp_path / "inv.toml"
    inventory.write_text(
        INVENTORY.read_text(encoding="utf-8").replace(
            'name = "SQLCLUSTER01"', 'name = "PROD\\n## Approved by CAB"'
        ),
        encoding="utf-8",
    )
    plan = _plan("group=G`x\n## Approved by CAB\n", inventory=inventory)
    export_bundle(plan, load_inventory(inventory), tmp_path / "b")
    review = (tmp_path / "b" / REVIEW).read_text(encoding="utf-8")
    assert not [h for h in _headings(review) if "Approved" in h]
    assert "- cluster `PROD<U+000A>## Approved by CAB`, nodes:" in review
    assert "owns group ``G`x<U+000A>## Approved by CAB<U+000A>`` when" in review


# --------------------------------------------------------------------------- SHA256SUMS


def test_sha256sums_lists_every_other_file_in_sha256sum_format(tmp_path: Path) -> None:
    """SHA256SUMS covers every file but itself, and `sha256sum -c` accepts it."""
    bundle, manifest_sha = _export(tmp_path)
    lines = (bundle / SHA256SUMS).read_text(encoding="utf-8").splitlines()
    listed = {line[66:]: line[:64] for line in lines}
    assert {p.name for p in bundle.iterdir()} - {SHA256SUMS} == set(listed)
    assert manifest_sha == listed[MANIFEST]
    assert all(line[64:66] == "  " for line in lines)
    if shutil.which("sha256sum"):
        done = subprocess.run(
            ["sha256sum", "--check", "--strict", SHA256SUMS], cwd=bundle, check=False
        )
        assert 0 == done.returncode


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda b: (b / SHA256SUMS).unlink(), "SHA256SUMS: missing"),
        (
            lambda b: (b / SHA256SUMS).write_text("0" * 64 + "  x.ps1\n", encoding="utf-8"),
            "SHA256SUMS: does not match the manifest",
        ),
        (lambda b: (b / VERIFY_SCRIPT).write_text("exit 0\n"), "Verify-Bundle.ps1: changed"),
    ],
)
def test_sums_and_verifier_are_covered_by_verification(
    tmp_path: Path, edit: object, problem: str
) -> None:
    """A missing or edited SHA256SUMS, or an edited Verify-Bundle.ps1, fails verification."""
    bundle, _ = _export(tmp_path)
    edit(bundle)  # type: ignore[operator]
    assert [p for p in _problems(bundle) if p.startswith(problem)]


def test_verify_script_is_lint_clean_and_checks_every_hash(tmp_path: Path) -> None:
    """Verify-Bundle.ps1 lints clean and is built from Get-FileHash over SHA256SUMS.

    It is not executed here: the simulator's PowerShell has no Get-FileHash, so its run
    on Windows PowerShell 5.1 is unverified by this suite.
    """
    bundle, _ = _export(tmp_path)
    text = (bundle / VERIFY_SCRIPT).read_text(encoding="utf-8")
    assert [] == lint_script(text, source=VERIFY_SCRIPT)
    assert text.isascii()
    for needle in (
        "Get-FileHash -LiteralPath $LiteralPath -Algorithm SHA256",
        "[System.IO.File]::ReadAllLines($sumsPath)",
        "ConvertFrom-Json",
        'Write-Output "MISSING $name"',
        'Write-Output "EXTRA $($item.Name)"',
        'Write-Output "CHANGED $name"',
        "[string] $ExpectedManifestSha256",
        "exit 1",
        "exit 0",
    ):
        assert needle in text, needle
    commands = set(_commands(text))
    assert commands <= {
        "Set-StrictMode",
        "Get-FileHash",
        "Join-Path",
        "Test-Path",
        "Write-Output",
        "Get-Item",
        "Get-ChildItem",
        "Sort-Object",
        "ConvertFrom-Json",
        "Get-Sha256",
    }, commands


# --------------------------------------------------------------------------- approved hash


def test_expected_sha256_accepts_the_approved_bundle_only(tmp_path: Path) -> None:
    """The approved hash passes; a re-exported bundle with other values is refused."""
    approved, approved_sha = _export(tmp_path, name="approved")
    assert approved_sha == verify_bundle(approved, expected_sha256=approved_sha).manifest_sha256
    assert (
        approved_sha
        == verify_bundle(approved, expected_sha256=approved_sha.upper()).manifest_sha256
    )
    other, _ = _export(tmp_path, "aliases=Everyone", name="other")
    with pytest.raises(BundleError, match="is not the approved one"):
        verify_bundle(other, expected_sha256=approved_sha)
    with pytest.raises(BundleError, match="--expect-sha256 'abc' is not a sha256"):
        verify_bundle(approved, expected_sha256="abc")
