"""What psrunbook leaves behind: `sim serve --https` keeps no CA key after it stops.

The generated certificate is its own CA, so its private key in a leftover temporary
folder would let any local user impersonate an endpoint that a client was told to trust.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
from pathlib import Path

import pytest

from psrunbook.sim.lab.serve import PASSWORD_ENV
from tests.reliability.harness import PSRUNBOOK, environment

pytestmark = pytest.mark.reliability

CERTIFICATE_LINE = "certificate (use it as the CA bundle): "


def test_sim_serve_https_removes_its_certificate_and_key_on_exit(tmp_path: Path) -> None:
    """While serving the key is 0600 in a 0700 folder; after SIGTERM the folder is gone."""
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    process = subprocess.Popen(
        [PSRUNBOOK, "sim", "serve", "--https", "--nodes", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL,
        text=True,
        env=environment({"TMPDIR": str(temporary), PASSWORD_ENV: "hygiene-password"}),
    )
    try:
        assert process.stdout is not None
        certificate: Path | None = None
        for line in process.stdout:
            if line.startswith(CERTIFICATE_LINE):
                certificate = Path(line.removeprefix(CERTIFICATE_LINE).strip())
            if line.startswith("serving"):
                break
        assert certificate is not None and certificate.is_file()
        assert temporary in certificate.parents
        key = certificate.with_name("sim-key.pem")
        assert 0o600 == stat.S_IMODE(key.stat().st_mode)
        assert 0o700 == stat.S_IMODE(certificate.parent.stat().st_mode)
        process.send_signal(signal.SIGTERM)
        process.stdout.read()
        assert 0 == process.wait(60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()
    assert [] == os.listdir(temporary)
