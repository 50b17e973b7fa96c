"""``ssis-clustered``'s ``shared-config`` step checks before it creates anything (review:
the folders were created before the principals were resolved).

A principal that does not resolve, or an explicit Deny that no grant can beat, fails the
step; it used to fail after ``S:\\SSIS`` and ``S:\\SSIS\\Packages`` had been created, left
behind for ``ssis-clustered-undo`` to find. Now nothing exists on the shared disk after
such a failure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.test_execution import _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook


def _shared_entries(state: dict[str, Any]) -> list[str]:
    volume = next(v for v in state["shared_volumes"] if v["letter"] == "S")
    return sorted(volume["entries"])


def test_an_unknown_principal_fails_before_any_folder_is_created(psrunbook: Psrunbook) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=2))
    before = _shared_entries(psrunbook.lab())
    result = psrunbook(
        *("run", "ssis-clustered", "--sim", "--yes"),
        *("-p", "package_principals=SIMLAB\\nobody"),
        expect=1,
    )
    assert "could not be translated" in result.stdout + result.stderr
    [failed] = [a for a in psrunbook.attempts(psrunbook.last_run().run_id) if a.status == "failed"]
    assert "shared-config" == failed.step_name
    assert before == _shared_entries(psrunbook.lab())
    assert [] == [e for e in psrunbook.lab()["change_log"] if e[0] == "New-Item"]
