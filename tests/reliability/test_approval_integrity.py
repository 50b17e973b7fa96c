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

import re
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


def _renamed(inventory: Path, cluster: str, out: Path) -> Path:
    """The same nodes and endpoints under another ``[cluster] name``."""
    text = inventory.read_text(encoding="utf-8")
    renamed, count = re.subn(r'(\[cluster\]\nname = )"[^"]*"', rf'\1"{cluster}"', text)
    assert 1 == count, text
    out.write_text(renamed, encoding="utf-8")
    return out


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
