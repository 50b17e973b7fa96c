"""Whether a failed call's script may have reached the node (``TransportError.script_sent``).

A later run waits for a script that may still be running on a node; the session says
when none can be: the failure came before the pipeline's first request, or that
request's connection could not even be made. Over Basic (psrunbook's own sender) and
over NTLM (pypsrp's requests session), against the lab's real endpoint.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from psrunbook.errors import ConnectionFailed
from psrunbook.inventory import inventory_from_toml
from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from psrunbook.sim.lab.serve import SIM_USER, inventory_toml
from psrunbook.transport.base import ScriptCall
from psrunbook.transport.psrp import PsrpSession, PsrpTransport

pytestmark = pytest.mark.integration

PASSWORD = "script-sent-password"


@pytest.fixture(params=["basic", "ntlm"])
def fleet(request: pytest.FixtureRequest) -> Iterator[SimFleet]:
    with SimFleet(
        ["NODE1"], executor=TrivialExecutor(), users={SIM_USER: PASSWORD}, auth=request.param
    ) as served:
        yield served


def _session(fleet: SimFleet) -> PsrpSession:
    inventory = inventory_from_toml(inventory_toml(fleet), path=Path("sim.toml"))
    return PsrpTransport(inventory, password=PASSWORD).open("NODE1")


def test_a_node_that_refuses_the_pipelines_first_request_never_got_the_script(
    fleet: SimFleet,
) -> None:
    """The pool is open (an earlier step), then the node refuses every connection: the
    Command that would create the pipeline is never sent, and nothing is created."""
    session = _session(fleet)
    try:
        assert ["ok"] == session.run(ScriptCall("output ok", {}, 30)).output
        created = fleet["NODE1"].counters.pipelines_created
        fleet["NODE1"].faults.refuse_connections()
        with pytest.raises(ConnectionFailed) as caught:
            session.run(ScriptCall("output never", {}, 30))
        assert caught.value.script_sent is False
        assert created == fleet["NODE1"].counters.pipelines_created
    finally:
        fleet["NODE1"].faults.accept_connections()
        session.close()


def test_a_connection_lost_after_the_pipeline_was_created_may_have_run_it(
    fleet: SimFleet,
) -> None:
    """The Command was answered (the pipeline runs on the node), then the connection of
    its Receive is reset: the script may be running there."""
    session = _session(fleet)
    try:
        assert ["ok"] == session.run(ScriptCall("output ok", {}, 30)).output  # pool open
        created = fleet["NODE1"].counters.pipelines_created
        fleet["NODE1"].faults.reset_connection(action="Receive")
        with pytest.raises(ConnectionFailed) as caught:
            session.run(ScriptCall("output soon", {}, 30))
        assert caught.value.script_sent is True
        assert created + 1 == fleet["NODE1"].counters.pipelines_created
    finally:
        session.close()
