"""A fleet run of an approved bundle executes exactly the bundle's scripts, or nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.fleet.harness import Fleet


def _flip_one_byte(path: Path) -> None:
    """Change the case of one letter: the same PowerShell, yet not the approved bytes."""
    data = bytearray(path.read_bytes())
    index = data.index(b"param")
    data[index] ^= 0x20
    path.write_bytes(bytes(data))


def test_submit_bundle_runs_exactly_its_scripts_and_refuses_a_tampered_copy(
    fleet: Fleet, clusters: ClusterFleet, ssis_params: Path, tmp_path: Path
) -> None:
    """A tampered bundle is exit 2 at submit, nothing journaled or queued; the approved
    one runs on a worker, every attempt applying the script the manifest approved."""
    served = clusters.clusters[0]
    assert served.inventory_path is not None
    approved = tmp_path / "approved"
    exported = fleet.cli(
        "export",
        "ssis-clustered",
        "-i",
        str(served.inventory_path),
        "--params-file",
        str(ssis_params),
        "-o",
        str(approved),
    )
    manifest_sha = exported.stdout.split("manifest sha256 ", 1)[1].split()[0]
    manifest = json.loads((approved / "manifest.json").read_text(encoding="utf-8"))
    approved_scripts = {step["index"]: step["script_sha256"] for step in manifest["steps"]}
    tampered = tmp_path / "tampered"
    shutil.copytree(approved, tampered)
    _flip_one_byte(tampered / "04-dependencies.ps1")

    refused = fleet.cli(
        "submit", "--bundle", str(tampered), "-i", str(served.inventory_path), expect=2
    )
    assert "04-dependencies.ps1" in refused.stderr
    assert "Traceback" not in refused.stderr
    for journal in fleet.journal():
        assert [] == journal.runs()

    [run_id] = fleet.submit("--bundle", str(approved), "-i", str(served.inventory_path))
    fleet.worker("w1")
    [record] = fleet.wait_outcomes([run_id])
    assert manifest_sha == record.bundle_sha256
    applied = [a for a in fleet.attempts(run_id) if not a.check_only]
    assert set(approved_scripts) == {a.step_index for a in applied}
    assert all(approved_scripts[a.step_index] == a.script_sha256 for a in applied)
