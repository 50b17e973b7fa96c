"""Opening the embedded lab loads only what a ``--sim`` command uses.

The fault-file reader loads when ``sim/faults.json`` exists (and then arms its faults
as before), the cmd-shell modules when a WinRS cmd shell runs, the TLS module for
HTTPS, ``email.policy`` for a wire recording: each was a start-up cost of every
``--sim`` command. A fresh interpreter opens a lab and reports what it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

LAZY = (
    "psrunbook.sim.lab.fault_file",
    "psrunbook.sim.lab.cmd_shell",
    "psrunbook.sim.lab.cmd_line",
    "psrunbook.sim.endpoint.tls",
    "email.policy",
)

PROBE = """
import json, sys
from pathlib import Path
from psrunbook.sim.lab.embedded import EmbeddedLab

with EmbeddedLab(Path(sys.argv[1])) as lab:
    plans = {e.node: type(e.faults).__name__ for e in lab.fleet}
print(json.dumps({"loaded": [m for m in json.loads(sys.argv[2]) if m in sys.modules],
                  "plans": plans}))
"""


def _open_lab(state_dir: Path) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(state_dir), json.dumps(LAZY)],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    report: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_a_lab_without_a_fault_file_loads_none_of_the_lazy_modules(tmp_path: Path) -> None:
    report = _open_lab(tmp_path)
    assert [] == report["loaded"]
    assert {"NODE1": "EndpointFaultPlan", "NODE2": "EndpointFaultPlan"} == report["plans"]


def test_a_fault_file_is_still_read_and_armed(tmp_path: Path) -> None:
    (tmp_path / "sim").mkdir()
    fault = {"node": "NODE2", "on": "Command", "nth": 1, "fault": "http", "status": 500}
    (tmp_path / "sim" / "faults.json").write_text(json.dumps([fault]), encoding="utf-8")
    report = _open_lab(tmp_path)
    assert ["psrunbook.sim.lab.fault_file"] == report["loaded"]
    assert {"NODE1": "EndpointFaultPlan", "NODE2": "TriggeredFaultPlan"} == report["plans"]
