"""An administrator's ReadOnly or Hidden ``MsDtsSrvr.ini.xml``: Windows refuses to replace
it (CreateFile's CREATE_ALWAYS on a Hidden file, any write open on a ReadOnly one), and
the runbook must not force-write over it. The run fails naming the file and the fix, and
changes nothing on the node."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from psrunbook.sim.lab.cluster_model import HIDDEN, READ_ONLY
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.test_execution import _seed_lab
from tests.integration.test_ssis_clustered_undo_fallbacks import DTS

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

FILE_KEY = DTS + "\\binn\\msdtssrvr.ini.xml"
SHOWN = "C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MsDtsSrvr.ini.xml"


@pytest.mark.parametrize("attributes", [READ_ONLY, HIDDEN])
def test_a_protected_config_file_fails_the_run_naming_the_file_and_the_fix(
    psrunbook: Psrunbook, attributes: int
) -> None:
    lab = sample_lab(nodes=2)
    lab.node("NODE2").volumes["C"].entries[FILE_KEY].attributes = attributes
    _seed_lab(psrunbook, lab)

    failed = psrunbook("run", "ssis-standalone", "--sim", "--yes", expect=1)

    shown = " ".join((failed.stdout + failed.stderr).split())
    assert "NODE2" in shown
    assert SHOWN in shown
    assert "attrib -r -h -s" in shown
    # The check of every node refuses before any node is changed (NODE1 included), and
    # a plan reports the refusal without a run.
    assert [] == psrunbook.lab()["change_log"]
    planned = psrunbook("plan", "ssis-standalone", "--sim", expect=1)
    assert "attrib -r -h -s" in " ".join((planned.stdout + planned.stderr).split())
