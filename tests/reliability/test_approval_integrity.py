"""Approval integrity: an approved bundle runs only its reviewed scripts, only on its cluster.

Through the installed ``psrunbook`` command against simulated labs over real PSRP:

* a ``--templates`` folder that overrides the engine's group-owner or cluster-identity
  probe cannot make ``run --bundle`` execute a script nobody reviewed: refused, exit 2,
  the probe file named, nothing run;
* a bundle exported for PRODCLUSTER is refused on SIMCLUSTER (exit 2, both named, nothing
  changed): by the inventory's cluster name before any node is reached, and, when the
  inventory itself names PRODCLUSTER but reaches SIMCLUSTER's nodes, by the cluster's
  own answer to the plan's identity probe (``Get-Cluster`` name and id) before any step.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest

from psrunbook.bundle import IDENTITY_PROBE_FILE, OWNER_PROBE_FILE
from psrunbook.journal import Journal
from psrunbook.runbook.planner import IDENTITY_PROBE, OWNER_PROBE
from psrunbook.sim.lab.embedded import EmbeddedLab
from psrunbook.sim.lab.serve import PASSWORD_ENV
from psrunbook.templates import TemplateLibrary
from tests.reliability.harness import (
    assert_no_traceback,
    error_line,
    lab_dump,
    normalised,
    psrunbook,
)

pytestmark = pytest.mark.reliability

PARAMS = Path(__file__).resolve().parents[2] / "examples" / "ssis-clustered.toml"
PROBES = {OWNER_PROBE: OWNER_PROBE_FILE, IDENTITY_PROBE: IDENTITY_PROBE_FILE}


def _edited(inventory: Path, pattern: str, replacement: str, out: Path) -> Path:
    """The inventory with its one ``pattern`` replaced, written to ``out``."""
    text = inventory.read_text(encoding="utf-8")
    edited, count = re.subn(pattern, replacement, text)
    assert 1 == count, text
    out.write_text(edited, encoding="utf-8")
    return out


def _renamed(inventory: Path, cluster: str, out: Path) -> Path:
    """The same nodes and endpoints under another ``[cluster] name``."""
    return _edited(inventory, r'(\[cluster\]\nname = )"[^"]*"', rf'\1"{cluster}"', out)


def _export(inventory: Path, bundle: Path) -> None:
    exported = psrunbook(
        "export", "ssis-clustered", "-i", str(inventory), "--params-file", str(PARAMS),
        "-o", str(bundle), state_dir=bundle.parent,
    )  # fmt: skip
    assert 0 == exported.code, exported.describe()


def _runs(state_dir: Path) -> list[tuple[str, str | None]]:
    with Journal.open(state_dir) as journal:
        return [(r.run_id, r.outcome) for r in journal.runs(10)]


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A state directory with an embedded lab (SIMCLUSTER) and its inventory written."""
    state = tmp_path / "lab"
    with EmbeddedLab(state):
        pass
    return state


@pytest.mark.parametrize("template_id", sorted(PROBES))
def test_templates_override_of_a_probe_is_refused_by_run_bundle(
    lab: Path, tmp_path: Path, template_id: str
) -> None:
    """The review's bypass: a folder overriding a probe, then ``run --bundle``."""
    bundle = tmp_path / "bundle"
    _export(lab / "sim" / "inventory.toml", bundle)
    override = tmp_path / "templates" / template_id
    override.parent.mkdir(parents=True)
    source = TemplateLibrary().source(template_id)
    override.write_text(source + "# not reviewed\n", encoding="utf-8")
    before = normalised(lab_dump(lab))

    result = psrunbook(
        "--templates", str(tmp_path / "templates"), "run", "--bundle", str(bundle),
        "--sim", "--yes", state_dir=lab,
    )  # fmt: skip

    assert 2 == result.code, result.describe()
    assert_no_traceback(result)
    assert error_line(result).startswith(f"error: {PROBES[template_id]}: "), result.describe()
    assert before == normalised(lab_dump(lab))
    assert [] == _runs(lab)


def test_bundle_for_another_cluster_is_refused_by_its_inventory(lab: Path, tmp_path: Path) -> None:
    """Exported for PRODCLUSTER, run with SIMCLUSTER's inventory: refused before connecting."""
    bundle = tmp_path / "bundle"
    prod = _renamed(lab / "sim" / "inventory.toml", "PRODCLUSTER", tmp_path / "prod.toml")
    _export(prod, bundle)
    before = normalised(lab_dump(lab))

    result = psrunbook("run", "--bundle", str(bundle), "--sim", "--yes", state_dir=lab)

    assert 2 == result.code, result.describe()
    assert_no_traceback(result)
    message = error_line(result)
    assert "'PRODCLUSTER'" in message and "'SIMCLUSTER'" in message, message
    assert before == normalised(lab_dump(lab))
    assert [] == _runs(lab)


def test_bundle_for_another_cluster_is_refused_by_the_cluster_itself(tmp_path: Path) -> None:
    """The inventory says PRODCLUSTER but reaches SIMCLUSTER: Get-Cluster tells, before any step."""
    state = tmp_path / "runner-state"
    bundle = tmp_path / "bundle"
    with EmbeddedLab(tmp_path / "lab") as served:
        prod = _renamed(served.directory / "inventory.toml", "PRODCLUSTER", tmp_path / "p.toml")
        _export(prod, bundle)
        result = psrunbook(
            "run", "--bundle", str(bundle), "-i", str(prod), "--yes",
            state_dir=state, env={PASSWORD_ENV: served.password},
        )  # fmt: skip
        changes = sum(served.cluster.changes.values())

    assert 2 == result.code, result.describe()
    assert_no_traceback(result)
    message = error_line(result)
    assert "'PRODCLUSTER'" in message and "'SIMCLUSTER'" in message, message
    assert "nothing was run" in message
    assert 0 == changes
    with Journal.open(state) as journal:
        (run,) = journal.runs(10)
        assert ("failed", []) == (run.outcome, journal.attempts(run.run_id))
    assert '"cluster.mismatch"' in result.stderr


OTHER_ID = "00000000-0000-4000-8000-000000000001"
"""An id no lab has: the approved cluster, as pinned, when another of its name answers."""


def _pinned(inventory: Path, cluster_id: str, out: Path) -> Path:
    """The same inventory with ``[cluster] id`` pinned."""
    return _edited(inventory, r'(\[cluster\]\nname = "[^"]*"\n)', rf'\1id = "{cluster_id}"\n', out)


def test_a_bundle_pinned_to_a_cluster_id_refuses_a_cluster_of_that_name_with_another(
    tmp_path: Path,
) -> None:
    """Exported from an inventory that pins `[cluster] id`: the manifest and REVIEW.md carry
    it; a cluster of the same name answering another id (a rebuilt cluster) is refused,
    exit 2, naming the expected and the found id, nothing run; with the right id the run
    goes on and the journal records the id the cluster gave."""
    bundle = tmp_path / "bundle"
    with EmbeddedLab(tmp_path / "lab") as served:
        real_id = served.cluster.id
        wrong = _pinned(served.directory / "inventory.toml", OTHER_ID, tmp_path / "wrong.toml")
        _export(wrong, bundle)
        manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
        assert OTHER_ID == manifest["inventory"]["cluster_id"]
        assert f"with id `{OTHER_ID}`" in (bundle / "REVIEW.md").read_text(encoding="utf-8")
        refused = psrunbook(
            "run", "--bundle", str(bundle), "-i", str(wrong), "--yes",
            state_dir=tmp_path / "state", env={PASSWORD_ENV: served.password},
        )  # fmt: skip
        changes = sum(served.cluster.changes.values())
        right = _pinned(served.directory / "inventory.toml", real_id, tmp_path / "right.toml")
        _export(right, tmp_path / "right-bundle")
        ran = psrunbook(
            "run", "--bundle", str(tmp_path / "right-bundle"), "-i", str(right), "--yes",
            state_dir=tmp_path / "state2", env={PASSWORD_ENV: served.password},
        )  # fmt: skip
    assert 2 == refused.code, refused.describe()
    assert_no_traceback(refused)
    message = error_line(refused)
    assert f"the approved bundle expects id {OTHER_ID}" in message, message
    assert f"with id {real_id}" in message and "nothing was run" in message, message
    assert 0 == changes
    assert 0 == ran.code, ran.describe()
    with Journal.open(tmp_path / "state2") as journal:
        assert real_id == journal.runs(1)[0].cluster_id


def test_resume_refuses_a_cluster_whose_id_is_not_the_one_the_run_began_on(
    tmp_path: Path,
) -> None:
    """A run whose inventory pins the cluster id records the id the cluster gave; it fails
    at step 02 (an HTTP 500). A resume that reaches a cluster answering another id (here:
    the journal's record says the run began on another cluster of that name, as after a
    rebuild) is refused, exit 2, naming the run, the expected and the found id, before
    any step: nothing is applied.

    The lab derives its id from its name, so the rebuild is made on the record's side:
    the comparison is the same."""
    state = tmp_path / "state"
    (tmp_path / "lab" / "sim").mkdir(parents=True)
    # NODE1's Commands: the identity probe, step 01, then step 02 (the 3rd).
    faults = [{"node": "NODE1", "on": "Command", "nth": 3, "fault": "http", "count": 100}]
    (tmp_path / "lab" / "sim" / "faults.json").write_text(json.dumps(faults), encoding="utf-8")
    with EmbeddedLab(tmp_path / "lab") as served:
        inventory = _pinned(
            served.directory / "inventory.toml", served.cluster.id, tmp_path / "inv.toml"
        )
        failed = psrunbook(
            "run", "ssis-clustered", "-i", str(inventory), "--params-file", str(PARAMS),
            "--yes", "--retries", "0", state_dir=state, env={PASSWORD_ENV: served.password},
        )  # fmt: skip
        assert 1 == failed.code, failed.describe()
        assert "step 02-add-resource failed on NODE1" in error_line(failed)
        for endpoint in served.fleet:
            endpoint.faults.clear()
        run_id = failed.run_id
        with Journal.open(state) as journal:
            assert served.cluster.id == journal.run(run_id).cluster_id
        with sqlite3.connect(state / "journal.sqlite3") as db:
            db.execute("UPDATE runs SET cluster_id = ? WHERE run_id = ?", (OTHER_ID, run_id))
        before = list(served.cluster.change_log)
        resumed = psrunbook(
            "resume", run_id, "-i", str(inventory), "--yes",
            state_dir=state, env={PASSWORD_ENV: served.password},
        )  # fmt: skip
        after = list(served.cluster.change_log)
    assert 2 == resumed.code, resumed.describe()
    assert_no_traceback(resumed)
    message = error_line(resumed)
    assert f"run {run_id} (recorded when it started) expects id {OTHER_ID}" in message, message
    assert f"with id {served.cluster.id}" in message and "nothing was run" in message
    assert before == after
