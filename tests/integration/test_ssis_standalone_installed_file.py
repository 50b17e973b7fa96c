"""``ssis-standalone`` writes one ``MsDtsSrvr.ini.xml`` path on every node: ``config_file``,
by default the version's file under ``C:\\Program Files``. A node whose SSIS setup
installed elsewhere (INSTALLSHAREDDIR) reads another file, the one beside its service's
program: the preflight refuses such a node before any change and names the file it does
read, never writing a file its service would not load.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psrunbook.sim.lab.cluster_model import FsEntry
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.test_execution import _seed_lab
from tests.integration.test_ssis_clustered_undo_fallbacks import (
    DTS,
    ELSEWHERE,
    KEY,
    _shared_features_on_d,
)

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

STANDALONE = ("ssis-standalone", "--sim")


def test_a_node_installed_elsewhere_is_refused_and_its_file_named(psrunbook: Psrunbook) -> None:
    """NODE2's SSIS is on D:, its ServiceConfigFile at D:'s file: refused, D:'s file named."""
    lab = sample_lab(nodes=2)
    _shared_features_on_d(lab, "NODE2")
    _seed_lab(psrunbook, lab)
    before = psrunbook.lab_state()

    failed = psrunbook("run", *STANDALONE, "--yes", expect=1)

    shown = " ".join((failed.stdout + failed.stderr).split())
    assert "NODE2" in shown
    assert ELSEWHERE in shown
    assert before == psrunbook.lab_state()


def test_a_node_with_no_config_file_value_reads_the_installed_file(
    psrunbook: Psrunbook,
) -> None:
    """NODE2's SSIS is on D: and its ServiceConfigFile value is gone: the service loads the
    file beside its program (DTS_MSG_SERVER_MISSING_CONFIG_REG), not the C: file this run
    would write, so the node is refused and that file named."""
    lab = sample_lab(nodes=2)
    _shared_features_on_d(lab, "NODE2")
    key = lab.node("NODE2").registry.key(KEY)
    assert key is not None
    key.values.clear()
    c_drive = lab.node("NODE2").volumes["C"]  # an empty DTS\\Binn left on C:
    c_drive.entries[DTS] = FsEntry("DTS", True)
    c_drive.entries[DTS + "\\binn"] = FsEntry("Binn", True)
    _seed_lab(psrunbook, lab)
    before = psrunbook.lab_state()

    failed = psrunbook("run", *STANDALONE, "--yes", expect=1)

    shown = " ".join((failed.stdout + failed.stderr).split())
    assert "NODE2" in shown
    assert ELSEWHERE in shown
    assert before == psrunbook.lab_state()
