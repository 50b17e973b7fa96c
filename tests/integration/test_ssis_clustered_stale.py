"""A second ``ssis-clustered`` run that changes the configuration while SSIS runs (issue 12).

The running service keeps what it read at its start (ssis.json
``service_facts.config_loaded_at_start``). When a run rewrites the shared
MsDtsSrvr.ini.xml or moves it, the resource must be restarted through the cluster, and the
run verifies that the service now running started after the file was written. The lab
shows what each running service really loaded, so these tests compare that with the file.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.test_execution import _by_name, _file, _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

SSIS = "MsDtsServer150"


def _owner_service(state: dict[str, Any]) -> dict[str, Any]:
    service: dict[str, Any] = _by_name(_by_name(state["nodes"])["NODE1"]["services"])[SSIS]
    return service


def _shared_sha256(state: dict[str, Any], path: str) -> str:
    volume = _by_name([{**v, "name": v["letter"]} for v in state["shared_volumes"]])["S"]
    return hashlib.sha256(_file(volume, path)).hexdigest()


def test_a_rewritten_shared_file_restarts_the_resource_and_the_service_loads_it(
    psrunbook: Psrunbook,
) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=3))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    first = _owner_service(psrunbook.lab())

    psrunbook("run", "ssis-clustered", "--sim", "--yes", "-p", "virtual_server=SQLVS02")
    state = psrunbook.lab()
    service = _owner_service(state)
    assert "Running" == service["status"]
    assert first["pid"] != service["pid"]
    assert (
        _shared_sha256(state, "S:\\SSIS\\MsDtsSrvr.ini.xml") == service["loaded"]["document_sha256"]
    )
    resource = _by_name(state["resources"])["SQL Server Integration Services"]
    assert "Online" == resource["state"]
    assert "SQL Server" in {r["name"] for r in state["resources"] if r["state"] == "Online"}


def test_a_moved_shared_file_is_loaded_from_its_new_place(psrunbook: Psrunbook) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    psrunbook("run", "ssis-clustered", "--sim", "--yes", "-p", "shared_folder=S:\\SSIS2")
    service = _owner_service(psrunbook.lab())
    assert "S:\\SSIS2\\MsDtsSrvr.ini.xml" == service["loaded"]["config_file"]


def test_restart_when_stale_false_leaves_the_service_and_says_so(psrunbook: Psrunbook) -> None:
    """The opt-out for a change window: nothing restarts, and the run says the running
    service still has the older configuration."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    first = _owner_service(psrunbook.lab())
    result = psrunbook(
        "run",
        "ssis-clustered",
        "--sim",
        "--yes",
        "-p",
        "virtual_server=SQLVS02",
        "-p",
        "restart_when_stale=false",
    )
    service = _owner_service(psrunbook.lab())
    assert first["pid"] == service["pid"]
    assert first["loaded"] == service["loaded"]
    assert "older configuration" in result.stdout + result.stderr
