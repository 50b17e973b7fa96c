"""Review bundles: the exact scripts of a run, exported for a change-approval board.

A bundle is a directory that a reviewer can read without psrunbook: one script per
step, one wrapper per step and node that calls it with literal values, a REVIEW.md in
plain words, and a manifest that pins every file by sha256. Export is deterministic
(no timestamps, sorted keys, LF line ends) so two exports of the same inputs are
byte-identical and a diff between bundles shows exactly what a change would alter.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import msgspec
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from psrunbook.bundle_verifier import verify_script_text
from psrunbook.canonical_json import canonical_json
from psrunbook.errors import BundleError, ClusterMismatch
from psrunbook.input_files import InputFileRefused, read_input_file
from psrunbook.message_text import quoted
from psrunbook.review_text import md_block, md_code, md_text, ps_comment
from psrunbook.runbook.model import Target
from psrunbook.runbook.parameters import public_parameters
from psrunbook.runbook.planner import build_plan
from psrunbook.secrets import MASK, Secret
from psrunbook.templates.literal import ps_literal
from psrunbook.version import VERSION

if TYPE_CHECKING:
    from psrunbook.inventory import Inventory
    from psrunbook.runbook.model import Runbook
    from psrunbook.runbook.planner import Plan, PlannedStep
    from psrunbook.templates import RenderedScript, TemplateLibrary

BUNDLE_FORMAT = "psrunbook-bundle/2"
"""2: the engine's probes (cluster identity, group owner) are exported and pinned too."""
MANIFEST = "manifest.json"
REVIEW = "REVIEW.md"
SHA256SUMS = "SHA256SUMS"
VERIFY_SCRIPT = "Verify-Bundle.ps1"
IDENTITY_PROBE_FILE = "probe.cluster-identity.ps1"
OWNER_PROBE_FILE = "probe.group-owner.ps1"
# A manifest lists a few hundred files and values; anything far larger is not one.
MANIFEST_LIMIT: Final = 16 * 1024 * 1024
_SHA256: Final = re.compile(r"^[0-9a-f]{64}$")
_REEXPORT: Final = (
    "the manifest was changed after export: use the approved copy of the bundle, "
    "or export it again with `psrunbook export` and have it reviewed"
)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def public_arguments(arguments: Mapping[str, Any]) -> dict[str, Any]:
    return {name: (MASK if isinstance(v, Secret) else v) for name, v in arguments.items()}


# --------------------------------------------------------------------------- the manifest


class _ManifestPart(BaseModel):
    """Strict JSON types, no unknown keys: a manifest is written by psrunbook only.

    Validators are built when a manifest is first read or written, not at import: a run
    without ``--bundle`` imports this module (the session's hashing) but reads no
    manifest (issue 16: about 6 ms of every run).
    """

    model_config = ConfigDict(frozen=True, extra="forbid", strict=True, defer_build=True)


Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
FileName = Annotated[str, Field(min_length=1)]


class ManifestRunbook(_ManifestPart):
    name: Annotated[str, Field(min_length=1)]
    version: str
    summary: str


class ManifestInventory(_ManifestPart):
    cluster: str
    nodes: list[str]
    sha256: Sha256
    cluster_id: str | None = None
    """The inventory's ``[cluster] id`` when it pins one: the cluster must answer it."""


class ManifestAdvisory(_ManifestPart):
    code: str
    severity: str
    message: str


class ManifestScript(_ManifestPart):
    """One of the engine's read-only probes, pinned like a step's script."""

    template: str
    script: FileName
    sha256: Sha256


class ManifestStep(_ManifestPart):
    index: int
    name: str
    title: str
    template: str
    target: str
    group: str | None
    changes: bool
    safe_to_repeat: bool
    continue_on_error: bool
    script: FileName
    script_sha256: Sha256
    arguments: dict[str, Any]
    secret_arguments: list[str]
    wrappers: dict[str, FileName]
    owner_probe: ManifestScript | None
    """For a step on a group's owner: the probe that finds the owner, with ``-Group``."""


class Manifest(_ManifestPart):
    """``manifest.json``: what was approved, validated once where the file is read.

    The rest of psrunbook reads attributes of this model, never keys of raw JSON, so a
    tampered or truncated manifest is refused here with the field named instead of
    failing later with a ``KeyError``.
    """

    format: str
    psrunbook_version: str
    runbook: ManifestRunbook
    parameters: dict[str, Any]
    inventory: ManifestInventory
    identity_probe: ManifestScript
    """Run before any step: the cluster must say it is ``inventory.cluster``."""
    advisories: list[ManifestAdvisory]
    steps: list[ManifestStep]
    files: dict[FileName, Sha256]


# --------------------------------------------------------------------------- review text


def _target_text(planned: PlannedStep, nodes: tuple[str, ...]) -> str:
    step = planned.step
    if step.target is Target.EVERY_NODE:
        listed = md_text(", ".join(nodes))
        if step.serial:
            checked = (
                "checked on each node as soon as it finished the step before"
                if not step.waits_for_all_nodes
                else "checked on all of them at once"
            )
            return (
                f"every node, one at a time ({listed}): {checked}, then, once every node "
                "was checked, changed one node after another where the check found a "
                "difference, stopping at the first failure"
            )
        if not step.waits_for_all_nodes:
            return (
                f"every node, in parallel ({listed}); each node starts it as soon as it "
                "finished the step before, without waiting for the other nodes"
            )
        return f"every node, in parallel ({listed})"
    if step.target is Target.GROUP_OWNER:
        return (
            f"the node that owns group {md_code(step.group or '')} when the step starts, "
            f"as {md_code(OWNER_PROBE_FILE)} (read only) reports it"
        )
    return "any one reachable node"


def _wrapper(planned: PlannedStep, node: str) -> str:

    slug = ps_comment(planned.slug)
    lines = [
        "# psrunbook invocation wrapper",
        f"# Step {slug} ({ps_comment(planned.step.title)}) on node {ps_comment(node)}.",
        f"# Runs {slug}.ps1 (sha256 {ps_comment(planned.script.sha256)})",
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


def _value_markdown(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if "\n" in text or "`" in text or "|" in text or len(text) > 80:
        return "\n\n" + md_block(text, "    ")
    return f" {md_code(text)}"


def _review(plan: Plan, inventory: Inventory, files: Mapping[str, str]) -> str:
    runbook = plan.runbook
    out = [
        f"# Review: {md_text(runbook.name)}",
        "",
        md_text(runbook.summary),
        "",
        f"- psrunbook {VERSION}, runbook version {md_text(runbook.version)}",
        f"- cluster {md_code(inventory.cluster.name)}, nodes: {md_text(', '.join(plan.nodes))}",
        f"- {len(plan.steps)} steps, run in this order; a failure stops the run "
        "after the nodes already working on that step finish",
        "",
        "## Before any step",
        "",
        f"The cluster is asked who it is ({md_code(IDENTITY_PROBE_FILE)}, read only: "
        "`Get-Cluster`'s name and id). Unless it says it is "
        f"{md_code(inventory.cluster.name)}"
        + ("" if inventory.cluster.id is None else f" with id {md_code(inventory.cluster.id)}")
        + ", the run is refused and nothing is changed.",
        "",
    ]
    out += _probe_lines(plan)
    out += [
        "",
        "## Advisories",
        "",
    ]
    out.extend(
        f"- **{md_text(a.severity.value)}** {md_code(a.code)}: {md_text(a.message)}"
        for a in plan.advisories
    )
    if not plan.advisories:
        out.append("None.")
    out += ["", "## Parameters", ""]
    for name, value in public_parameters(plan.params).items():
        out.append(f"- {md_code(name)}:{_value_markdown(value)}")
    out += ["", "## Steps", ""]
    for planned in plan.steps:
        step = planned.step
        kind = "changes state (test-then-set)" if step.changes else "read only"
        out += [
            f"### {md_text(planned.slug)}: {md_text(step.title)}",
            "",
            f"- Runs on: {_target_text(planned, plan.nodes)}",
            f"- Kind: {kind}",
            f"- Script: {md_code(planned.slug + '.ps1')} from template "
            f"{md_code(planned.script.template_id)}",
            f"- sha256: {md_code(planned.script.sha256)}",
            "- Values:",
        ]
        for name, value in public_arguments(planned.arguments).items():
            out.append(f"  - {md_code(name)}:{_value_markdown(value)}")
        if not planned.arguments:
            out.append("  - none")
        if planned.owner_probe is not None:
            out.append(
                f"- Owner probe: {md_code(OWNER_PROBE_FILE)} (sha256 "
                f"{md_code(planned.owner_probe.sha256)}) with {md_code('Group')}:"
                f"{_value_markdown(planned.owner_arguments['Group'])}"
            )
        out.append("")
    out += [
        "## Verifying this bundle",
        "",
        f"{md_code(MANIFEST)} pins every file below by sha256, and its own sha256 is the "
        "one `psrunbook export` printed: approve that hash, and run the bundle with "
        "`psrunbook run --bundle DIR --expect-sha256 HASH`. On Windows, without psrunbook, "
        f"{md_code('powershell -File ' + VERIFY_SCRIPT + ' -ExpectedManifestSha256 HASH')} "
        f"checks every file against {md_code(SHA256SUMS)} and the manifest.",
        "",
    ]
    out += ["## Files", "", "| file | sha256 |", "| --- | --- |"]
    out.extend(
        f"| {md_code(name, table=True)} | {md_code(digest, table=True)} |"
        for name, digest in sorted(files.items())
    )
    return "\n".join(out) + "\n"


def _probes(plan: Plan) -> dict[str, RenderedScript]:
    """File name -> probe, for every engine probe the plan may run."""
    probes: dict[str, RenderedScript] = {}
    if plan.identity_probe is not None:
        probes[IDENTITY_PROBE_FILE] = plan.identity_probe
    owner = next((s.owner_probe for s in plan.steps if s.owner_probe is not None), None)
    if owner is not None:
        probes[OWNER_PROBE_FILE] = owner
    return probes


def _probe_lines(plan: Plan) -> list[str]:
    out = ["Read-only probes the engine runs (their values are parameters, shown per step):", ""]
    out.extend(
        f"- {md_code(name)} from template {md_code(script.template_id)}, "
        f"sha256 {md_code(script.sha256)}"
        for name, script in _probes(plan).items()
    )
    return out


def _manifest_script(name: str, script: RenderedScript) -> ManifestScript:
    return ManifestScript(template=script.template_id, script=name, sha256=script.sha256)


# --------------------------------------------------------------------------- export


def _sha256sums(hashes: Mapping[str, str]) -> str:
    """``sha256sum`` format (hash, two spaces, name; sorted, LF), as ``sha256sum -c`` reads."""
    return "".join(f"{digest}  {name}\n" for name, digest in sorted(hashes.items()))


def _bundle_files(plan: Plan, inventory: Inventory) -> tuple[dict[str, str], Manifest]:
    """File name -> text for every file but the manifest and SHA256SUMS, and the manifest."""
    files: dict[str, str] = {}
    steps: list[ManifestStep] = []
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
            ManifestStep(
                index=planned.index,
                name=step.name,
                title=step.title,
                template=planned.script.template_id,
                target=step.target.value,
                group=step.group,
                changes=step.changes,
                safe_to_repeat=step.safe_to_repeat,
                continue_on_error=step.continue_on_error,
                script=script_name,
                script_sha256=planned.script.sha256,
                arguments=public_arguments(planned.arguments),
                secret_arguments=sorted(
                    n for n, v in planned.arguments.items() if isinstance(v, Secret)
                ),
                wrappers=wrappers,
                owner_probe=(
                    None
                    if planned.owner_probe is None
                    else _manifest_script(OWNER_PROBE_FILE, planned.owner_probe)
                ),
            )
        )
    probes = _probes(plan)
    for name, probe in probes.items():
        files[name] = probe.text
    if IDENTITY_PROBE_FILE not in probes:
        raise BundleError("the plan has no cluster identity probe: build it with build_plan")
    files[VERIFY_SCRIPT] = verify_script_text()
    hashes = {name: sha256_bytes(text.encode("utf-8")) for name, text in files.items()}
    files[REVIEW] = _review(plan, inventory, hashes)
    hashes[REVIEW] = sha256_bytes(files[REVIEW].encode("utf-8"))
    manifest = Manifest(
        format=BUNDLE_FORMAT,
        psrunbook_version=VERSION,
        runbook=ManifestRunbook(
            name=plan.runbook.name, version=plan.runbook.version, summary=plan.runbook.summary
        ),
        parameters=public_parameters(plan.params),
        inventory=ManifestInventory(
            cluster=inventory.cluster.name,
            nodes=list(plan.nodes),
            sha256=inventory.sha256,
            cluster_id=inventory.cluster.id,
        ),
        identity_probe=_manifest_script(IDENTITY_PROBE_FILE, probes[IDENTITY_PROBE_FILE]),
        advisories=[
            ManifestAdvisory(code=a.code, severity=a.severity.value, message=a.message)
            for a in plan.advisories
        ],
        steps=steps,
        files=dict(sorted(hashes.items())),
    )
    return files, manifest


def manifest_text(manifest: Manifest) -> str:
    """The exact text of ``manifest.json``: canonical JSON of the model."""
    return canonical_json(manifest.model_dump(mode="json"))


def review_sha256(plan: Plan, inventory: Inventory) -> str:
    """The manifest sha256 :func:`export_bundle` would print for this plan, writing nothing.

    Export is deterministic, so this is the hash a reviewer approves for a queued run
    (``psrunbook approve --sha256``), computed again by the worker before it runs.
    """
    _, manifest = _bundle_files(plan, inventory)
    return sha256_bytes(manifest_text(manifest).encode("utf-8"))


class ExportResult(msgspec.Struct, frozen=True):
    directory: Path
    files: tuple[str, ...]
    manifest_sha256: str


def export_bundle(plan: Plan, inventory: Inventory, directory: Path) -> ExportResult:
    """Write the bundle to ``directory`` all at once, or not at all.

    Files are written to a temporary sibling and renamed into place, so an interrupted
    export never leaves a half bundle that could be approved by mistake. An existing
    non-empty directory is refused rather than mixed with old files.
    """
    _check_export_target(directory)
    files, manifest = _bundle_files(plan, inventory)
    manifest_bytes = manifest_text(manifest).encode("utf-8")
    manifest_sha256 = sha256_bytes(manifest_bytes)
    files[SHA256SUMS] = _sha256sums({**manifest.files, MANIFEST: manifest_sha256})
    parent = directory.resolve().parent
    # Missing parent folders are made, and removed again when the export fails.
    made = [p for p in (parent, *parent.parents) if not p.exists()]
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".psrunbook-bundle-", dir=parent))
        try:
            for name, text in sorted(files.items()):
                (staging / name).write_bytes(text.encode("utf-8"))
            (staging / MANIFEST).write_bytes(manifest_bytes)
            _check_export_target(directory)  # not swapped for a link or a file meanwhile
            if directory.exists():
                directory.rmdir()
            staging.rename(directory)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    except BaseException as exc:
        for folder in made:  # deepest first
            with contextlib.suppress(OSError):
                folder.rmdir()
        if isinstance(exc, OSError):
            raise BundleError(f"cannot write bundle to {directory}: {exc.strerror or exc}") from exc
        raise
    return ExportResult(
        directory=directory,
        files=(MANIFEST, *sorted(files)),
        manifest_sha256=manifest_sha256,
    )


def _check_export_target(directory: Path) -> None:
    """``export -o DIR``: a new directory, or an empty one; never a link, file or device."""
    try:
        info = os.lstat(directory)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise BundleError(
            f"--output {directory} cannot be used ({exc.strerror or exc}): "
            "choose a new output directory"
        ) from None
    if stat.S_ISLNK(info.st_mode):
        raise BundleError(
            f"--output {directory} is a symbolic link: export never writes through a link; "
            "choose a new output directory"
        )
    try:
        used = not stat.S_ISDIR(info.st_mode) or any(directory.iterdir())
    except OSError as exc:
        raise BundleError(
            f"--output {directory} cannot be used ({exc.strerror or exc}): "
            "choose a new output directory"
        ) from None
    if used:
        raise BundleError(
            f"{directory} already exists and is not an empty directory: "
            "choose a new output directory or remove the old bundle"
        )


# --------------------------------------------------------------------------- verification


class Problem(msgspec.Struct, frozen=True):
    file: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.problem}"


class VerifiedBundle(msgspec.Struct, frozen=True):
    """A bundle whose every file matched its manifest when it was read."""

    directory: Path
    manifest: Manifest
    manifest_sha256: str
    scripts: dict[str, str]


def _manifest_bytes(directory: Path) -> bytes:
    """The raw ``manifest.json``: a regular file in the bundle, never a link, never huge."""
    if not directory.is_dir():
        raise BundleError(f"bundle directory {directory} does not exist: check the path")
    path = directory / MANIFEST
    try:
        return read_input_file(path, limit=MANIFEST_LIMIT, follow=False)
    except FileNotFoundError as exc:
        raise BundleError(
            f"{path} is missing: this is not a psrunbook bundle "
            "(export one with `psrunbook export`)"
        ) from exc
    except InputFileRefused as exc:
        raise BundleError(
            f"{path} {exc.reason}: a bundle holds only its own regular files; "
            "use the approved copy of the bundle"
        ) from None
    except OSError as exc:
        raise BundleError(f"{path} cannot be read: {exc.strerror or exc}") from exc


def _parse_manifest(path: Path, raw: bytes) -> Manifest:
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{path} is not valid JSON: {exc}") from exc
    except ValueError:  # a number of more digits than Python converts (4300)
        raise BundleError(
            f"{path} holds a number too long to be a manifest's; {_REEXPORT}"
        ) from None
    except RecursionError:
        raise BundleError(f"{path} is nested too deeply to be a manifest; {_REEXPORT}") from None
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise BundleError(
            f"{path}: format {found!r} is not {BUNDLE_FORMAT!r}; "
            "re-export the bundle with this psrunbook version"
        )
    try:
        return Manifest.model_validate(data)
    except ValidationError as exc:
        raise BundleError(_manifest_problems(path, exc)) from None
    except RecursionError:
        raise BundleError(f"{path} is nested too deeply to be a manifest; {_REEXPORT}") from None


_MANIFEST_MESSAGES: Final = {
    "missing": "is missing",
    "extra_forbidden": "is not a manifest field",
    "string_type": "must be a string",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "dict_type": "must be an object",
    "list_type": "must be an array",
    "model_type": "must be an object",
    "model_attributes_type": "must be an object",
    "string_pattern_mismatch": "must be a lowercase hex sha256",
    "string_too_short": "must not be empty",
}


def _manifest_problems(path: Path, exc: ValidationError) -> str:
    """One line per bad field (its JSON path and what is wrong), then the fix; no values."""
    lines = [f"{path} is not a valid manifest ({_REEXPORT}):"]
    for error in exc.errors(include_url=False, include_input=False):
        field = quoted(".".join(str(part) for part in error["loc"])) or "(top level)"
        lines.append(f"  {field}: {_MANIFEST_MESSAGES.get(error['type'], error['msg'])}")
    return "\n".join(lines)


def _plain_name(name: str) -> bool:
    """A file name directly inside the bundle: no directory part, no ``.`` or ``..``."""
    return (
        name not in {".", ".."}
        and "/" not in name
        and "\\" not in name
        and "\0" not in name
        and Path(name).name == name
    )


def _file_sha256(path: Path) -> str | Problem:
    """The sha256 of a regular file inside the bundle, read without following links."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return Problem(path.name, "missing")
    if stat.S_ISLNK(info.st_mode):
        return Problem(path.name, "is a symbolic link; a bundle holds only regular files")
    if not stat.S_ISREG(info.st_mode):
        return Problem(path.name, "is not a regular file")
    digest = hashlib.sha256()
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    try:
        with os.fdopen(os.open(path, flags), "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                return Problem(path.name, "is not a regular file")
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
    except OSError as exc:
        raise _unreadable(path, exc) from None
    return digest.hexdigest()


def _unreadable(path: Path, exc: OSError) -> BundleError:
    """A bundle file this user cannot read: not a tampered bundle, a fix for the operator."""
    return BundleError(
        f"{path} cannot be read ({exc.strerror or exc}): make the bundle's files readable "
        "by this user, or use the approved copy of the bundle"
    )


def check_bundle(
    directory: Path, *, expected_sha256: str | None = None
) -> tuple[Manifest, bytes, list[Problem]]:
    """Compare every file with the manifest; return the problems, one per file.

    With ``expected_sha256`` (the hash the change board approved) any other manifest is
    refused first, before it is even parsed. Every listed file must be a regular file
    directly in the bundle (a symbolic link or a path that leaves the directory is
    refused) with the listed sha256; ``SHA256SUMS`` must be exactly the one the manifest
    implies, and nothing else may be present.
    """
    raw = _manifest_bytes(directory)
    if expected_sha256 is not None:
        check_expected_sha256(directory, raw, expected_sha256)
    manifest = _parse_manifest(directory / MANIFEST, raw)
    expected = manifest.files
    problems: list[Problem] = []
    for name, digest in sorted(expected.items()):
        if not _plain_name(name) or name in {MANIFEST, SHA256SUMS}:
            problems.append(Problem(name, "names a path outside the bundle"))
            continue
        actual = _file_sha256(directory / name)
        if isinstance(actual, Problem):
            problems.append(actual)
        elif actual != digest:
            problems.append(Problem(name, "changed since export (sha256 differs)"))
    if VERIFY_SCRIPT not in expected:
        problems.append(Problem(VERIFY_SCRIPT, "is not listed in the manifest"))
    problems.extend(_sums_problems(directory, manifest, sha256_bytes(raw)))
    present = {p.name for p in directory.iterdir()}
    problems.extend(
        Problem(name, "not part of the exported bundle")
        for name in sorted(present - set(expected) - {MANIFEST, SHA256SUMS})
    )
    problems.extend(_step_problems(manifest))
    return manifest, raw, problems


def _sums_problems(directory: Path, manifest: Manifest, manifest_sha256: str) -> list[Problem]:
    """``SHA256SUMS`` is derived from the manifest, so it must be exactly that text."""
    path = directory / SHA256SUMS
    expected = _sha256sums({**manifest.files, MANIFEST: manifest_sha256}).encode("utf-8")
    try:
        actual = read_input_file(path, limit=len(expected), follow=False)
    except FileNotFoundError:
        return [Problem(SHA256SUMS, "missing")]
    except IsADirectoryError:
        return [Problem(SHA256SUMS, "is a directory, not a regular file")]
    except InputFileRefused as exc:
        return [Problem(SHA256SUMS, exc.reason)]
    except OSError as exc:
        raise _unreadable(path, exc) from None
    if actual != expected:
        return [Problem(SHA256SUMS, "does not match the manifest")]
    return []


def _step_problems(manifest: Manifest) -> list[Problem]:
    problems: list[Problem] = []
    probes = [manifest.identity_probe, *(s.owner_probe for s in manifest.steps if s.owner_probe)]
    problems.extend(
        Problem(probe.script, "manifest probe hash does not match the file list")
        for probe in dict.fromkeys(probes)
        if manifest.files.get(probe.script) != probe.sha256
    )
    for step in manifest.steps:
        named = [step.script, *step.wrappers.values()]
        if manifest.files.get(step.script) != step.script_sha256:
            problems.append(Problem(step.script, "manifest step hash does not match the file list"))
        problems.extend(
            Problem(name, "named by a step but not in the file list")
            for name in named[1:]
            if name not in manifest.files
        )
    return problems


def check_expected_sha256(directory: Path, raw: bytes, expected: str) -> str:
    """The manifest's sha256 if it is ``expected``, else refuse: this is not the approved bundle.

    The approved hash pins the manifest, and the manifest pins every file, so a bundle
    exported again (with other values, say a wider permission) is refused even though it
    is internally consistent.
    """
    wanted = expected.strip().lower()
    if not _SHA256.match(wanted):
        raise BundleError(
            f"--expect-sha256 {expected!r} is not a sha256: give the 64 hex digits "
            "`psrunbook export` printed as the manifest sha256"
        )
    actual = sha256_bytes(raw)
    if actual != wanted:
        raise BundleError(
            f"bundle {directory} is not the approved one: its manifest sha256 is {actual}, "
            f"--expect-sha256 is {wanted}; run the approved bundle, or have this one reviewed"
        )
    return actual


def verify_bundle(directory: Path, *, expected_sha256: str | None = None) -> VerifiedBundle:
    """Return the bundle if every file matches, else raise naming each bad file.

    With ``expected_sha256`` the manifest must also have exactly that hash (the one the
    change board approved); that is checked first, before anything else.
    """
    manifest, raw, problems = check_bundle(directory, expected_sha256=expected_sha256)
    if problems:
        listing = "\n".join(f"  {p}" for p in problems)
        raise BundleError(f"bundle {directory} fails verification:\n{listing}")
    scripts = {step.script: _script_text(directory / step.script) for step in manifest.steps}
    return VerifiedBundle(
        directory=directory,
        manifest=manifest,
        manifest_sha256=sha256_bytes(raw),
        scripts=scripts,
    )


def _script_text(path: Path) -> str:
    """A verified step script's text (UTF-8, as export writes it)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise BundleError(
            f"{path} is not UTF-8 text (byte {exc.start}), so not as psrunbook exported it; "
            "use the approved copy of the bundle"
        ) from None
    except OSError as exc:
        raise _unreadable(path, exc) from None


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

    manifest = bundle.manifest
    where = bundle.directory
    if inventory.cluster.name.casefold() != manifest.inventory.cluster.casefold():
        raise ClusterMismatch(
            f"bundle {where} was approved for cluster {manifest.inventory.cluster!r}, "
            f"the inventory is for cluster {inventory.cluster.name!r}: run it with the "
            "approved cluster's inventory, or export a bundle for this cluster and have it "
            "reviewed"
        )
    if runbook.version != manifest.runbook.version:
        raise BundleError(
            f"bundle {where} was exported from runbook {runbook.name} version "
            f"{manifest.runbook.version}, installed is {runbook.version}: "
            "re-export and re-approve"
        )
    if list(inventory.node_names) != manifest.inventory.nodes:
        raise BundleError(
            f"bundle {where} was exported for nodes {manifest.inventory.nodes}, "
            f"the inventory has {list(inventory.node_names)}: export it for this inventory"
        )
    plan = build_plan(runbook, params, inventory, library)
    pinned = [
        PinnedStep(
            label=approved.script,
            name=approved.name,
            script_sha256=approved.script_sha256,
            arguments=approved.arguments,
            owner_probe=approved.owner_probe.script if approved.owner_probe else OWNER_PROBE_FILE,
            owner_probe_sha256=approved.owner_probe.sha256 if approved.owner_probe else None,
        )
        for approved in manifest.steps
    ]
    identity = (manifest.identity_probe.script, manifest.identity_probe.sha256)
    problems = pinned_differences(plan, f"bundle {where}", identity, pinned)
    if problems:
        raise BundleError(f"{problems[0]}; re-export the bundle and have it approved again")
    return plan


class PinnedStep(msgspec.Struct, frozen=True):
    """A step as a bundle's manifest or a saved plan pinned it: what a rebuilt plan must match."""

    label: str
    """How the step is named to the operator (its script file, or its slug)."""
    name: str
    script_sha256: str
    arguments: Mapping[str, Any]
    """Public values: secrets masked (:func:`public_arguments`)."""
    owner_probe: str
    """How the group-owner probe is named to the operator."""
    owner_probe_sha256: str | None


def pinned_differences(
    plan: Plan, whole: str, identity: tuple[str, str], steps: list[PinnedStep]
) -> list[Problem]:
    """Every way the plan built now differs from the pinned one; empty when it is the same.

    One check for bundles and saved plans (:mod:`psrunbook.plan_file`): the same step
    count, the engine's probes and every step's script, name and values byte for byte.
    ``whole`` names the bundle or plan, ``identity`` the pinned identity probe (its name
    and sha256).
    """
    if len(steps) != len(plan.steps):
        return [Problem(whole, f"has {len(steps)} steps, the runbook builds {len(plan.steps)}")]
    problems = []
    probe_change = "(a --templates folder overriding it, or another psrunbook version)"
    current = plan.identity_probe
    if current is None or current.sha256 != identity[1]:
        problems.append(
            Problem(
                identity[0],
                f"the pinned cluster identity probe differs from what would run now {probe_change}",
            )
        )
    for planned, pinned in zip(plan.steps, steps, strict=True):
        probe = planned.owner_probe
        if (probe.sha256 if probe is not None else None) != pinned.owner_probe_sha256:
            problems.append(
                Problem(
                    pinned.owner_probe,
                    f"the pinned group-owner probe of step {pinned.label} differs from what "
                    f"would run now {probe_change}",
                )
            )
        if planned.script.sha256 != pinned.script_sha256 or planned.step.name != pinned.name:
            problems.append(
                Problem(pinned.label, "the pinned script differs from what would run now")
            )
        elif public_arguments(planned.arguments) != dict(pinned.arguments):
            problems.append(
                Problem(pinned.label, "the pinned values differ from what would run now")
            )
    return problems
