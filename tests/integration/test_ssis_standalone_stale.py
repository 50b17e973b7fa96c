"""``ssis-standalone`` restarts a service that runs an older configuration than its file.

SSIS reads MsDtsSrvr.ini.xml only when it starts (``ssis.json``
service_facts.config_loaded_at_start). A run interrupted after write-config wrote a node's
file but before its restart left the node serving the old folder list, and the next run
found the file matching and reported nothing to do (review: write-config after a partial
run). Now write-config also restarts a running service that started before the file was
last written. (The step after it, service-running, does not ask again: in the same run it
could never find one, and on Windows each asking enumerates Win32_Service.)
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from psrunbook.sim.executor_protocol import (
    CommandRequest,
    ExecutionContext,
    PipelineRequest,
)
from psrunbook.sim.lab.cluster_executor import ClusterExecutor
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import restore, sample_lab, save
from tests.integration.test_execution import _by_name, _seed_lab
from tests.unit.sim.ps.helpers import Result, Sink

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

SSIS = "MsDtsServer150"
CONFIG = "C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MsDtsSrvr.ini.xml"
OLDER = ("-p", "stop_executing_packages_on_shutdown=false")
"""Parameters giving a document other than the defaults' (the 'old folder list')."""


def _run(cluster: SimCluster, node: str, script: str, arguments: dict[str, Any]) -> Result:
    sink = Sink()
    request = PipelineRequest((CommandRequest(script, True, tuple(arguments.items())),), ())
    ClusterExecutor(cluster, time_scale=0.0).execute(
        request, ExecutionContext(node, "SIMLAB\\admin"), sink
    )
    return sink.result


def _write_without_restart(cluster: SimCluster, node: str, document: str) -> None:
    """What an interrupted write-config left: the new file, the service not restarted."""
    _run(
        cluster,
        node,
        "param($Path, $Text) Set-Content -LiteralPath $Path -Value $Text -Encoding UTF8 "
        "-NoNewline",
        {"Path": CONFIG, "Text": document},
    )


def _text(cluster: SimCluster, node: str) -> str:
    output = _run(
        cluster, node, "param($Path) Get-Content -LiteralPath $Path -Raw", {"Path": CONFIG}
    ).output
    return str(output[0])


def _service(state: dict[str, Any], node: str) -> dict[str, Any]:
    found: dict[str, Any] = _by_name(_by_name(state["nodes"])[node]["services"])[SSIS]
    return found


def _interrupted_lab(psrunbook: Psrunbook) -> str:
    """Both nodes run the older document; NODE2's file then holds the new one (the
    defaults' document, as NODE1's after a default run) while its service still runs
    the older. Returns the new document."""
    scratch = sample_lab(nodes=2)
    _seed_lab(psrunbook, scratch)
    psrunbook("run", "ssis-standalone", "--sim", "--yes")
    new = _text(restore(psrunbook.lab_file), "NODE1")
    psrunbook("run", "ssis-standalone", "--sim", "--yes", *OLDER)
    lab = restore(psrunbook.lab_file)
    assert new != _text(lab, "NODE2")
    _write_without_restart(lab, "NODE2", new)
    save(lab, psrunbook.lab_file)
    return new


def test_a_service_older_than_its_file_is_restarted_and_loads_it(psrunbook: Psrunbook) -> None:
    """NODE2's file already matches, yet its service runs the older document: write-config
    restarts it and says why; the service then runs the file's document."""
    new = _interrupted_lab(psrunbook)
    before = _service(psrunbook.lab(), "NODE2")

    psrunbook("run", "ssis-standalone", "--sim", "--yes")

    service = _service(psrunbook.lab(), "NODE2")
    assert before["pid"] != service["pid"]
    wanted = hashlib.sha256(b"\xef\xbb\xbf" + new.encode("utf-8")).hexdigest()
    assert wanted == service["loaded"]["document_sha256"]
    step = {
        a.node: a
        for a in psrunbook.attempts(psrunbook.last_run().run_id)
        if a.step_name == "write-config"
    }
    result = step["NODE2"].result or {}
    assert (True, True) == (step["NODE2"].changed, result["Restarted"])
    assert [
        f"{CONFIG} was written after {SSIS} started, so the running service has an older "
        "configuration"
    ] == result["StaleReasons"]


def test_the_plan_says_the_older_service_would_be_restarted(psrunbook: Psrunbook) -> None:
    _interrupted_lab(psrunbook)
    plan = psrunbook("plan", "ssis-standalone", "--sim").stdout
    assert "02-write-config on NODE2: would change" in plan, plan


def test_a_second_run_after_the_restart_changes_nothing(psrunbook: Psrunbook) -> None:
    _interrupted_lab(psrunbook)
    psrunbook("run", "ssis-standalone", "--sim", "--yes")
    before = psrunbook.lab_state()
    psrunbook("run", "ssis-standalone", "--sim", "--yes")
    assert before == psrunbook.lab_state()
    assert {False} == {a.changed for a in psrunbook.attempts(psrunbook.last_run().run_id)}
