"""Review bundles: the exact scripts of a run, exported for a change-approval board.

A bundle is a directory that a reviewer can read without psrunbook: one script per
step, one wrapper per step and node that calls it with literal values, a REVIEW.md in
plain words, and a manifest that pins every file by sha256. Export is deterministic
(no timestamps, sorted keys, LF line ends) so two exports of the same inputs are
byte-identical and a diff between bundles shows exactly what a change would alter.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psrunbook.errors import BundleError
from psrunbook.runbook.model import Target
from psrunbook.runbook.parameters import public_parameters
from psrunbook.secrets import MASK, Secret
from psrunbook.version import VERSION

if TYPE_CHECKING:
    from pydantic import BaseModel

    from psrunbook.inventory import Inventory
    from psrunbook.runbook.model import Runbook
    from psrunbook.runbook.planner import Plan, PlannedStep
    from psrunbook.templates import TemplateLibrary

BUNDLE_FORMAT = "psrunbook-bundle/1"
MANIFEST = "manifest.json"
REVIEW = "REVIEW.md"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_json(value: Any) -> str:
    """The one JSON spelling used for hashing and for files: sorted, indented, LF-ended."""
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def public_arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    return {name: (MASK if isinstance(v, Secret) else v) for name, v in arguments.items()}


def _target_text(planned: PlannedStep, nodes: tuple[str, ...]) -> str:
    step = planned.step
    if step.target is Target.EVERY_NODE:
        return f"every node, in parallel ({', '.join(nodes)})"
    if step.target is Target.GROUP_OWNER:
        return f"the node that owns group '{step.group}' when the step starts"
    return "any one reachable node"


def _wrapper(planned: PlannedStep, node: str) -> str:
    from psrunbook.templates.literal import ps_literal  # noqa: PLC0415 (keeps bundle import light)

    lines = [
        "# psrunbook invocation wrapper",
        f"# Step {planned.slug} ({planned.step.title}) on node {node}.",
        f"# Runs {planned.slug}.ps1 (sha256 {planned.script.sha256})",
        "# with exactly the values below. Secrets are asked for, never written here.",
        "$arguments = @{",
    ]
    for name, value in planned.arguments.items():
        if isinstance(value, Secret):
            prompt = ps_literal(f"Secret value for {name}")
            literal = f"(Read-Host -AsSecureString -Prompt {prompt})"
        else:
            literal = ps_literal(value)
        lines.append(f"    {ps_literal(name)} = {literal}")
    lines.append("}")
    script = ps_literal(f"{planned.slug}.ps1")
    lines.append(f"& (Join-Path -Path $PSScriptRoot -ChildPath {script}) @arguments")
    return "\n".join(lines) + "\n"


def _fence(text: str) -> str:
    longest = max((len(run) for run in text.split("\n") if set(run) == {"`"}), default=0)
    ticks = "`" * max(3, longest + 1)
    run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        if run >= len(ticks):
            ticks = "`" * (run + 1)
    return f"{ticks}\n{text}\n{ticks}"


def _value_markdown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if "\n" in text or "`" in text or "|" in text or len(text) > 80:
        return "\n\n" + _indent(_fence(text), "    ")
    return f" `{text}`"


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line if line else line for line in text.split("\n"))


def _review(plan: Plan, inventory: Inventory, files: Mapping[str, str]) -> str:
    runbook = plan.runbook
    out = [
        f"# Review: {runbook.name}",
        "",
        f"{runbook.summary}",
        "",
        f"- psrunbook {VERSION}, runbook version {runbook.version}",
        f"- cluster `{inventory.cluster.name}`, nodes: {', '.join(plan.nodes)}",
        f"- {len(plan.steps)} steps, run in this order; a failure stops the run "
        "after the nodes already working on that step finish",
        "",
        "## Advisories",
        "",
    ]
    out.extend(f"- **{a.severity.value}** `{a.code}`: {a.message}" for a in plan.advisories)
    if not plan.advisories:
        out.append("None.")
    out += ["", "## Parameters", ""]
    for name, value in public_parameters(plan.params).items():
        out.append(f"- `{name}`:{_value_markdown(value)}")
    out += ["", "## Steps", ""]
    for planned in plan.steps:
        step = planned.step
        kind = "changes state (test-then-set)" if step.changes else "read only"
        out += [
            f"### {planned.slug}: {step.title}",
            "",
            f"- Runs on: {_target_text(planned, plan.nodes)}",
            f"- Kind: {kind}",
            f"- Script: `{planned.slug}.ps1` from template `{planned.script.template_id}`",
            f"- sha256: `{planned.script.sha256}`",
            "- Values:",
        ]
        for name, value in public_arguments(planned.arguments).items():
            out.append(f"  - `{name}`:{_value_markdown(value)}")
        if not planned.arguments:
            out.append("  - none")
        out.append("")
    out += ["## Files", "", "| file | sha256 |", "| --- | --- |"]
    out.extend(f"| `{name}` | `{digest}` |" for name, digest in sorted(files.items()))
    return "\n".join(out) + "\n"


def _bundle_files(plan: Plan, inventory: Inventory) -> tuple[dict[str, str], dict[str, Any]]:
    """File name -> text for every file, and the manifest (without its own hash)."""
    files: dict[str, str] = {}
    steps: list[dict[str, Any]] = []
    for planned in plan.steps:
        script_name = f"{planned.slug}.ps1"
        files[script_name] = planned.script.text
        wrappers = {}
        for node in plan.nodes:
            wrapper_name = f"{planned.slug}.{node}.ps1"
            files[wrapper_name] = _wrapper(planned, node)
            wrappers[node] = wrapper_name
        step = planned.step
        steps.append(
            {
                "index": planned.index,
                "name": step.name,
                "title": step.title,
                "template": planned.script.template_id,
                "target": step.target.value,
                "group": step.group,
                "changes": step.changes,
                "safe_to_repeat": step.safe_to_repeat,
                "continue_on_error": step.continue_on_error,
                "script": script_name,
                "script_sha256": planned.script.sha256,
                "arguments": public_arguments(planned.arguments),
                "secret_arguments": sorted(
                    n for n, v in planned.arguments.items() if isinstance(v, Secret)
                ),
                "wrappers": wrappers,
            }
        )
    hashes = {name: sha256_bytes(text.encode("utf-8")) for name, text in files.items()}
    files[REVIEW] = _review(plan, inventory, hashes)
    hashes[REVIEW] = sha256_bytes(files[REVIEW].encode("utf-8"))
    manifest = {
        "format": BUNDLE_FORMAT,
        "psrunbook_version": VERSION,
        "runbook": {
            "name": plan.runbook.name,
            "version": plan.runbook.version,
            "summary": plan.runbook.summary,
        },
        "parameters": public_parameters(plan.params),
        "inventory": {
            "cluster": inventory.cluster.name,
            "nodes": list(plan.nodes),
            "sha256": inventory.sha256,
        },
        "advisories": [
            {"code": a.code, "severity": a.severity.value, "message": a.message}
            for a in plan.advisories
        ],
        "steps": steps,
        "files": dict(sorted(hashes.items())),
    }
    return files, manifest


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    files: tuple[str, ...]
    manifest_sha256: str


def export_bundle(plan: Plan, inventory: Inventory, directory: Path) -> ExportResult:
    """Write the bundle to ``directory`` all at once, or not at all.

    Files are written to a temporary sibling and renamed into place, so an interrupted
    export never leaves a half bundle that could be approved by mistake. An existing
    non-empty directory is refused rather than mixed with old files.
    """
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise BundleError(
            f"{directory} already exists and is not an empty directory: "
            "choose a new output directory or remove the old bundle"
        )
    files, manifest = _bundle_files(plan, inventory)
    manifest_text = canonical_json(manifest)
    parent = directory.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=parent))
        try:
            for name, text in sorted(files.items()):
                (staging / name).write_bytes(text.encode("utf-8"))
            (staging / MANIFEST).write_bytes(manifest_text.encode("utf-8"))
            if directory.exists():
                directory.rmdir()
            staging.rename(directory)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except OSError as exc:
        raise BundleError(f"cannot write bundle to {directory}: {exc.strerror or exc}") from exc
    return ExportResult(
        directory=directory,
        files=(MANIFEST, *sorted(files)),
        manifest_sha256=sha256_bytes(manifest_text.encode("utf-8")),
    )


@dataclass(frozen=True)
class Problem:
    file: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.problem}"


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle whose every file matched its manifest when it was read."""

    directory: Path
    manifest: dict[str, Any]
    manifest_sha256: str
    scripts: dict[str, str]


def _read_manifest(directory: Path) -> tuple[dict[str, Any], bytes]:
    if not directory.is_dir():
        raise BundleError(f"bundle directory {directory} does not exist: check the path")
    path = directory / MANIFEST
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise BundleError(
            f"{path} is missing: this is not a psrunbook bundle "
            "(export one with `psrunbook export`)"
        ) from exc
    try:
        manifest = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        found = manifest.get("format") if isinstance(manifest, dict) else type(manifest).__name__
        raise BundleError(
            f"{path}: format {found!r} is not {BUNDLE_FORMAT!r}; "
            "re-export the bundle with this psrunbook version"
        )
    if not isinstance(manifest.get("files"), dict) or not isinstance(manifest.get("steps"), list):
        raise BundleError(f"{path}: 'files' or 'steps' is missing; re-export the bundle")
    return manifest, raw


def check_bundle(directory: Path) -> tuple[dict[str, Any], bytes, list[Problem]]:
    """Compare every file with the manifest; return the problems, one per file."""
    manifest, raw = _read_manifest(directory)
    expected: dict[str, str] = manifest["files"]
    problems: list[Problem] = []
    for name, digest in sorted(expected.items()):
        path = directory / name
        if Path(name).name != name:
            problems.append(Problem(name, "names a path outside the bundle"))
        elif not path.is_file():
            problems.append(Problem(name, "missing"))
        elif sha256_bytes(path.read_bytes()) != digest:
            problems.append(Problem(name, "changed since export (sha256 differs)"))
    present = {p.name for p in directory.iterdir()}
    problems.extend(
        Problem(name, "not part of the exported bundle")
        for name in sorted(present - set(expected) - {MANIFEST})
    )
    problems.extend(_step_problems(manifest["steps"], expected))
    return manifest, raw, problems


def _step_problems(steps: Iterable[Any], expected: Mapping[str, str]) -> list[Problem]:
    problems = []
    for step in steps:
        script = step.get("script") if isinstance(step, dict) else None
        if not isinstance(script, str) or expected.get(script) != step.get("script_sha256"):
            problems.append(Problem(str(script), "manifest step hash does not match the file list"))
    return problems


def verify_bundle(directory: Path) -> VerifiedBundle:
    """Return the bundle if every file matches, else raise naming each bad file."""
    manifest, raw, problems = check_bundle(directory)
    if problems:
        listing = "\n".join(f"  {p}" for p in problems)
        raise BundleError(f"bundle {directory} fails verification:\n{listing}")
    scripts = {
        step["script"]: (directory / step["script"]).read_text(encoding="utf-8")
        for step in manifest["steps"]
    }
    return VerifiedBundle(
        directory=directory,
        manifest=manifest,
        manifest_sha256=sha256_bytes(raw),
        scripts=scripts,
    )


def plan_from_bundle(
    bundle: VerifiedBundle,
    runbook: Runbook,
    params: BaseModel,
    inventory: Inventory,
    library: TemplateLibrary,
) -> Plan:
    """Rebuild the approved plan and prove it is exactly the bundle, or refuse.

    The plan is built again by the installed runbook from the bundle's parameters, then
    every script hash, step name and value is compared with the manifest. Running the
    rebuilt plan therefore runs byte-for-byte the approved scripts with the approved
    values; any difference (another psrunbook or runbook version, other inputs) names
    the step file and asks for a new review.
    """
    from psrunbook.runbook.planner import build_plan  # noqa: PLC0415 (planner imports templates)

    manifest = bundle.manifest
    where = bundle.directory
    if runbook.version != manifest["runbook"]["version"]:
        raise BundleError(
            f"bundle {where} was exported from runbook {runbook.name} version "
            f"{manifest['runbook']['version']}, installed is {runbook.version}: "
            "re-export and re-approve"
        )
    if list(inventory.node_names) != manifest["inventory"]["nodes"]:
        raise BundleError(
            f"bundle {where} was exported for nodes {manifest['inventory']['nodes']}, "
            f"the inventory has {list(inventory.node_names)}: export it for this inventory"
        )
    plan = build_plan(runbook, params, inventory, library)
    approved_steps = manifest["steps"]
    if len(approved_steps) != len(plan.steps):
        raise BundleError(
            f"bundle {where} has {len(approved_steps)} steps, "
            f"the runbook builds {len(plan.steps)}: re-export and re-approve"
        )
    for planned, approved in zip(plan.steps, approved_steps, strict=True):
        same = (
            planned.script.sha256 == approved["script_sha256"]
            and planned.step.name == approved["name"]
            and public_arguments(planned.arguments) == approved["arguments"]
        )
        if not same:
            raise BundleError(
                f"{approved['script']}: the approved script or its values differ from what "
                "would run now; re-export the bundle and have it approved again"
            )
    return plan
