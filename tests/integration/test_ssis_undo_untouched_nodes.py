"""``ssis-clustered-undo`` after an ``ssis-clustered`` run that failed part-way leaves
alone what that run never reached.

The journal knows the run happened and which steps it attempted on which node. A node
where no run attempted ``service-manual`` keeps its service as it is (an administrator's
passive node kept Manual and stopped must not end up running SSIS outside cluster
control), and a node where no run attempted ``config-registry`` keeps its
ServiceConfigFile value. The fallbacks (``start_type``, ``config_file`` or the installed
file) stand only for a node a run attempted without a record, and for no journal at all;
the plan says which case it is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from psrunbook.sim.lab.cluster_model import AclEntry, FsEntry, SimCluster, fold
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.test_execution import _seed_lab
from tests.integration.test_ssis_clustered_undo_fallbacks import (
    SSIS,
    UNDO,
    _comparable,
    _config_value,
    _set_config,
    _ssis,
)

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

CUSTOM = "D:\\SSIS Config\\MsDtsSrvr.ini.xml"


def _failing_at_shared_config() -> SimCluster:
    """NODE2 Manual and stopped (a passive node not licensed for SSIS) with its own
    ServiceConfigFile; S:\\SSIS holds a MsDtsSrvr.ini.xml whose explicit Deny for Everyone
    makes ssis-clustered's shared-config step (05) fail, before config-registry (06) and
    service-manual (08) reach any node."""
    lab = sample_lab(nodes=2)
    service = lab.node("NODE2").services[fold(SSIS)]
    service.start_type = "Manual"
    lab.stop_service(service)
    _set_config(lab, "NODE2", CUSTOM)
    volume = lab.shared_volumes["S"]
    volume.entries["ssis"] = FsEntry("SSIS", True)
    volume.entries["ssis\\msdtssrvr.ini.xml"] = FsEntry(
        "MsDtsSrvr.ini.xml",
        False,
        data=b'<?xml version="1.0"?>\r\n<DtsServiceConfiguration />',
        acl=[AclEntry("Everyone", ("ReadData",), "Deny")],
    )
    return lab


def _failed_clustered_run(psrunbook: Psrunbook) -> str:
    failed = psrunbook("run", "ssis-clustered", "--sim", "--yes", expect=1)
    assert "05-shared-config" in failed.stdout + failed.stderr
    return psrunbook.last_run().run_id


def test_after_a_run_that_failed_before_service_manual_the_undo_leaves_the_service(
    psrunbook: Psrunbook,
) -> None:
    """ssis-clustered failed at 05-shared-config: the undo does not make NODE2's SSIS
    Automatic and running, nor rewrite its ServiceConfigFile. It removes the resource the
    run added, and refuses to delete the MsDtsSrvr.ini.xml on the shared disk that
    ssis-clustered never wrote: the lab is as it was before ssis-clustered."""
    _seed_lab(psrunbook, _failing_at_shared_config())
    before = _comparable(psrunbook.lab_state())
    clustered = _failed_clustered_run(psrunbook)

    undone = psrunbook("run", *UNDO, "--yes", expect=None)

    state = psrunbook.lab()
    assert ("Manual", "Stopped") == _ssis(state, "NODE2")
    assert CUSTOM == _config_value(state, "NODE2")
    assert ("Automatic", "Running") == _ssis(state, "NODE1")
    undo = psrunbook.last_run()
    assert ["NODE1", "NODE2"] == undo.parameters["untouched_service_nodes"]
    assert ["NODE1", "NODE2"] == undo.parameters["untouched_registry_nodes"]
    assert [clustered] == undo.parameters["recorded_runs"]
    attempts = psrunbook.attempts(undo.run_id)
    for step in ("config-registry", "service"):
        ran = [a for a in attempts if a.step_name == step and a.node == "NODE2"]
        assert ran, step
        assert "untouched" == (ran[-1].result or {})["After"]["From"], step
        assert ran[-1].changed is False, step
    shown = " ".join((undone.stdout + undone.stderr).split())
    assert 1 == undone.exit_code, shown
    assert "S:\\SSIS\\MsDtsSrvr.ini.xml is not a file ssis-clustered wrote" in shown
    assert before == _comparable(psrunbook.lab_state())


def test_the_plan_says_the_run_never_reached_those_steps(psrunbook: Psrunbook) -> None:
    """The plan names the run and the nodes left as they are, says From 'untouched', and
    does not claim that no ssis-clustered run is in the journal."""
    _seed_lab(psrunbook, _failing_at_shared_config())
    clustered = _failed_clustered_run(psrunbook)

    # The plan also meets the shared-folder step's refusal of the file ssis-clustered
    # never wrote (S:\\SSIS's own MsDtsSrvr.ini.xml), and says so.
    shown = psrunbook("plan", *UNDO, expect=1).stdout
    flat = " ".join(shown.split())

    assert "No ssis-clustered run in the journal" not in flat
    assert "[warning] SSIS-UNDO-SHARED: Nothing in the journal records what S:\\SSIS held" in flat
    assert (
        f"[info] SSIS-UNDO-SERVICE: The ssis-clustered run(s) in the journal ({clustered}) "
        "recorded none of the SSIS service's start type and state; left as they are: NODE1, "
        "NODE2 (reached by the "
        "run(s), which never attempted service-manual there"
    ) in flat
    assert (
        f"[info] SSIS-UNDO-REGISTRY: The ssis-clustered run(s) in the journal ({clustered}) "
        "recorded none of this cluster's ServiceConfigFile values; left as they are: NODE1, "
        "NODE2 (reached by the "
        "run(s), which never attempted config-registry there"
    ) in flat
    assert "04-service on NODE2" not in shown
    assert "03-config-registry on NODE2" not in shown
