"""Saved plans and review bundles that cannot be what psrunbook wrote: exit 2, no traceback.

A number longer than Python converts (4300 digits) in a plan file or a bundle manifest,
a ``SHA256SUMS`` that is a directory, and a bundle file this user cannot read are each
refused naming the file; nothing is run or journaled.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import EXAMPLES, Psrunbook

pytestmark = pytest.mark.integration

_NO_DAC = ("dac_override", "dac_read_search", "fowner")


def _export(psrunbook: Psrunbook, bundle: Path) -> Path:
    psrunbook("export", "cluster-report", "-i", str(EXAMPLES / "inventory.toml"), "-o", str(bundle))
    return bundle


def test_a_plan_file_with_a_huge_number_is_refused(psrunbook: Psrunbook, tmp_path: Path) -> None:
    """run --plan: a 5000-digit number is refused naming the file, nothing run."""
    plan = tmp_path / "plan.json"
    plan.write_text(
        '{"format": "psrunbook-plan/1", "plan": {"n": ' + "9" * 5000 + '}, "sha256": ""}',
        encoding="utf-8",
    )
    refused = psrunbook("run", "--plan", str(plan), "--sim", expect=2)
    assert f"--plan {plan} holds a number too long for a saved plan" in refused.stderr
    assert [] == psrunbook.runs()


def test_a_manifest_with_a_huge_number_is_refused(psrunbook: Psrunbook, tmp_path: Path) -> None:
    """export --verify and run --bundle: a 5000-digit number in manifest.json, exit 2."""
    bundle = _export(psrunbook, tmp_path / "bundle")
    manifest = bundle / "manifest.json"
    text = manifest.read_text(encoding="utf-8").rstrip()
    manifest.write_text(text[:-1] + ', "zz": ' + "9" * 5000 + "}", encoding="utf-8")
    expected = f"{manifest} holds a number too long to be a manifest's"
    assert expected in psrunbook("export", "--verify", str(bundle), expect=2).stderr
    assert expected in psrunbook("run", "--bundle", str(bundle), "--sim", expect=2).stderr
    assert [] == psrunbook.runs()


def test_sha256sums_that_is_a_directory_is_a_tampered_bundle(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """SHA256SUMS a directory: --verify names it (exit 1), run --bundle refuses (exit 2)."""
    bundle = _export(psrunbook, tmp_path / "bundle")
    (bundle / "SHA256SUMS").unlink()
    (bundle / "SHA256SUMS").mkdir()
    verified = psrunbook("export", "--verify", str(bundle), expect=1)
    assert "TAMPERED SHA256SUMS: is a directory, not a regular file" in verified.stderr
    refused = psrunbook("run", "--bundle", str(bundle), "--sim", expect=2)
    assert "SHA256SUMS: is a directory, not a regular file" in refused.stderr
    assert [] == psrunbook.runs()


def _without_file_permission_bypass() -> list[str]:
    """The command prefix that makes permission bits count for this process's children."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("root bypasses permission bits and setpriv (to drop that) is not installed")
    caps = ",".join(f"-{cap}" for cap in _NO_DAC)
    return [setpriv, f"--inh-caps={caps}", f"--bounding-set={caps}"]


def test_an_unreadable_bundle_script_is_refused_naming_it(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """A bundle script that cannot be read (mode 000): exit 2 naming it, no traceback.

    Root ignores permission bits, so as root the command runs without the capabilities
    that bypass them (setpriv), or the test is skipped saying why.
    """
    bundle = _export(psrunbook, tmp_path / "bundle")
    script = next(bundle.glob("01-*.ps1"))
    script.chmod(0)
    command = [sys.executable, "-m", "psrunbook", "export", "--verify", str(bundle)]
    try:
        done = subprocess.run(
            [*_without_file_permission_bypass(), *command],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        script.chmod(0o644)
    if "Operation not permitted" in done.stderr and "setpriv" in done.stderr:
        pytest.skip(f"setpriv cannot drop capabilities here: {done.stderr.strip()}")
    assert 2 == done.returncode, done.stdout + done.stderr
    assert f"{script} cannot be read (Permission denied)" in done.stderr
    assert "Traceback" not in done.stderr
