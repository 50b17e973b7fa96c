"""``resume RUN_ID`` without ``-i``/``--sim`` takes the target the journal recorded (issue 15).

A run that failed on a paused node is resumed after the node is back: against the same
inventory file, or the same simulated lab, without naming either. An inventory file gone
since, or changed since, is refused with exit 2 naming it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from psrunbook.sim.lab.serve import PASSWORD_ENV
from tests.integration.conftest import served_inventory
from tests.integration.test_execution import _seed_lab
from tests.integration.test_ssis_clustered_owners import _params

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

PASSWORD = "resume-target-password"
ENV = {PASSWORD_ENV: PASSWORD}


@pytest.fixture
def failed_run(psrunbook: Psrunbook, tmp_path: Path) -> Iterator[tuple[SimCluster, Path, str]]:
    """A served lab whose NODE2 was paused: the run failed at the preflight."""
    lab = sample_lab(nodes=2)
    lab.set_node_state("NODE2", "Paused")
    with served_inventory(lab, tmp_path / "inventory.toml", PASSWORD) as path:
        psrunbook(
            *("run", "ssis-clustered", "-i", str(path), "--yes"), *_params(lab), env=ENV, expect=1
        )
        run = psrunbook.last_run()
        assert ("failed", str(path.resolve()), False) == (run.outcome, run.inventory_path, run.sim)
        lab.set_node_state("NODE2", "Up")
        yield lab, path, run.run_id


def test_resume_takes_the_journaled_inventory(
    psrunbook: Psrunbook, failed_run: tuple[SimCluster, Path, str]
) -> None:
    _, _, run_id = failed_run
    psrunbook("resume", run_id, "--yes", env=ENV)
    assert "succeeded" == psrunbook.last_run().outcome


def test_resume_refuses_an_inventory_gone_since(
    psrunbook: Psrunbook, failed_run: tuple[SimCluster, Path, str]
) -> None:
    _, path, run_id = failed_run
    path.unlink()
    refused = psrunbook("resume", run_id, "--yes", env=ENV, expect=2)
    assert f"ran with inventory {path.resolve()}, which is gone" in refused.stderr
    assert "failed" == psrunbook.last_run().outcome


def test_resume_refuses_an_inventory_changed_since(
    psrunbook: Psrunbook, failed_run: tuple[SimCluster, Path, str]
) -> None:
    _, path, run_id = failed_run
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    refused = psrunbook("resume", run_id, "--yes", env=ENV, expect=2)
    assert f"inventory {path.resolve()} changed since the run" in refused.stderr
    assert "failed" == psrunbook.last_run().outcome


def test_resume_of_a_sim_run_needs_no_sim(psrunbook: Psrunbook) -> None:
    lab = sample_lab(nodes=2)
    lab.set_node_state("NODE2", "Paused")
    _seed_lab(psrunbook, lab)
    psrunbook("run", "ssis-clustered", "--sim", expect=1)
    failed = psrunbook.last_run()
    assert (None, True) == (failed.inventory_path, failed.sim)
    saved = restore(psrunbook.lab_file)
    saved.set_node_state("NODE2", "Up")
    save(saved, psrunbook.lab_file)
    psrunbook("resume", failed.run_id)
    assert "succeeded" == psrunbook.last_run().outcome
