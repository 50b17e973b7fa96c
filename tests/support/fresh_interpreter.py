"""Run a Python probe in a fresh interpreter and read the JSON it prints last.

For tests about what a process imports or how its threads import: only a new
interpreter starts with nothing loaded. The probe runs from the checkout's root, so it
can import ``tests.*`` helpers as well as psrunbook.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def json_report(probe: str, *, timeout_s: float = 120) -> Any:
    """The last stdout line of ``python -c probe``, as JSON; the probe must exit 0."""
    completed = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout_s,
        cwd=REPO,
    )
    assert 0 == completed.returncode, completed.stderr
    return json.loads(completed.stdout.strip().splitlines()[-1])
