"""A damaged embedded lab (``STATE/sim``) is refused at once, naming the file and the fix.

Every case exits 2 naming the damaged file and ``psrunbook sim reset``, before any node
is asked anything: nothing is journaled and the lab's files are left as they were. Then
``sim reset`` repairs it and the next command works. Malformed ``sim/faults.json`` entries
(values out of range) are refused the same way, naming the entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

PLAN = ("plan", "cluster-report", "--sim")


def _snapshot(state_dir: Path) -> dict[str, str]:
    """What is in the state directory: each path and its kind or content hash."""
    found = {}
    for path in sorted(state_dir.rglob("*")):
        name = str(path.relative_to(state_dir))
        if path.is_symlink() or not path.is_file():
            found[name] = "dir" if path.is_dir() else "other"
        elif not name.endswith(("-wal", "-shm")):
            found[name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _lab_edit(edit: Callable[[dict[str, Any]], None]) -> Callable[[Path], Path]:
    def damage(sim: Path) -> Path:
        path = sim / "lab.json"
        lab = json.loads(path.read_text(encoding="utf-8"))
        edit(lab)
        path.write_text(json.dumps(lab), encoding="utf-8")
        return path

    return damage


def _nested(sim: Path) -> Path:
    path = sim / "lab.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    return path


def _huge_number(sim: Path) -> Path:
    path = sim / "lab.json"
    text = path.read_text(encoding="utf-8")
    path.write_text(text[:-1] + ', "zz": ' + "9" * 5000 + "}", encoding="utf-8")
    return path


def _not_a_number(sim: Path) -> Path:
    path = sim / "lab.json"
    text = path.read_text(encoding="utf-8").rstrip()
    path.write_text(text[:-1] + ', "zz": NaN}', encoding="utf-8")
    return path


def _directory_for(name: str) -> Callable[[Path], Path]:
    def damage(sim: Path) -> Path:
        path = sim / name
        path.unlink()
        path.mkdir()
        return path

    return damage


def _sim_is_a_file(sim: Path) -> Path:
    shutil.rmtree(sim)
    sim.write_text("x\n", encoding="utf-8")
    return sim


def _lab_facts_nodes(lab: dict[str, Any]) -> None:
    lab["lab"]["nodes"] = "x"


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (_nested, "nested too deeply"),
        (_huge_number, "holds a number too long"),
        (_not_a_number, "holds NaN"),
        (_directory_for("lab-id"), "is a directory, not a regular file"),
        (_directory_for("inventory.toml"), "is a directory, not a regular file"),
        (_directory_for("lock"), "is a directory, not a regular file"),
        (_sim_is_a_file, "is not a directory"),
        (_lab_edit(_lab_facts_nodes), "$.nodes"),
    ],
    ids=[
        "nested",
        "huge-number",
        "nan",
        "lab-id-dir",
        "inventory-dir",
        "lock-dir",
        "sim-file",
        "nodes",
    ],
)
def test_a_damaged_lab_is_refused_naming_the_file_and_sim_reset(
    psrunbook: Psrunbook, damage: Callable[[Path], Path], problem: str
) -> None:
    """Exit 2 naming the file and `psrunbook sim reset`; nothing journaled or changed."""
    psrunbook(*PLAN)
    damaged = damage(psrunbook.state_dir / "sim")
    runs = psrunbook.runs()
    before = _snapshot(psrunbook.state_dir)
    refused = psrunbook(*PLAN, expect=2)
    assert str(damaged) in refused.stderr
    assert problem in refused.stderr
    assert "run `psrunbook sim reset`" in refused.stderr
    assert (runs, before) == (psrunbook.runs(), _snapshot(psrunbook.state_dir))
    assert "simulated lab reset" in psrunbook("sim", "reset").stdout
    psrunbook(*PLAN)


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ('{"fault": "delay", "seconds": NaN}', "seconds: nan is out of range"),
        ('{"fault": "delay", "seconds": 1e308}', "seconds: 1e+308 is out of range"),
        ('{"fault": "http", "status": 99999}', "status: 99999 is not an HTTP error status"),
        (
            '{"fault": "hold", "notify": "/nonexistent-psrunbook-folder/x"}',
            "notify: its folder /nonexistent-psrunbook-folder does not exist",
        ),
    ],
    ids=["seconds-nan", "seconds-huge", "status", "notify-folder"],
)
def test_a_fault_file_value_out_of_range_is_refused(
    psrunbook: Psrunbook, entry: str, problem: str
) -> None:
    """A sim/faults.json entry out of range: exit 2 naming file and entry, nothing run."""
    psrunbook(*PLAN)
    fault = entry[:-1] + ', "node": "NODE1", "on": "Command"}'
    faults = psrunbook.state_dir / "sim" / "faults.json"
    faults.write_text(f"[{fault}]", encoding="utf-8")
    runs = psrunbook.runs()
    refused = psrunbook(*PLAN, expect=2)
    assert f"{faults}: fault 0: {problem}" in refused.stderr
    assert runs == psrunbook.runs()


def test_a_lock_that_is_a_fifo_is_refused_and_sim_reset_clears_it(psrunbook: Psrunbook) -> None:
    """A FIFO where the lab's lock belongs: refused, never waited on; `sim reset` clears it."""
    psrunbook(*PLAN)
    lock = psrunbook.state_dir / "sim" / "lock"
    lock.unlink()
    os.mkfifo(lock)
    # A reader, so that opening the FIFO to write never blocks, whatever the code does.
    reader = os.open(lock, os.O_RDONLY | os.O_NONBLOCK)
    try:
        refused = psrunbook(*PLAN, expect=2)
        assert f"{lock} is a FIFO (named pipe), not a regular file" in refused.stderr
        assert "run `psrunbook sim reset`" in refused.stderr
        psrunbook("sim", "reset")
    finally:
        os.close(reader)
    assert not os.path.lexists(lock)
    psrunbook(*PLAN)
