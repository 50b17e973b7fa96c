"""Whether a failed call's script may have reached the node (``TransportError.script_sent``).

A later run waits for a script that may still be running on a node; the session says
when none can be: the failure came before the pipeline's first request, or that
request's connection could not even be made. Over Basic (psrunbook's own sender) and
over NTLM (pypsrp's requests session), against the lab's real endpoint.
"""

from __future__ import annotations

import pytest

from psrunbook.errors import ConnectionFailed
from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.transport.base import ScriptCall
from tests.integration.conftest import node_session

pytestmark = pytest.mark.integration


def test_a_node_that_refuses_the_pipelines_first_request_never_got_the_script(
    one_node: SimFleet,
) -> None:
    """The pool is open (an earlier step), then the node refuses every connection: the
    Command that would create the pipeline is never sent, and nothing is created."""
    fleet = one_node
    session = node_session(fleet)
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
    one_node: SimFleet,
) -> None:
    """The Command was answered (the pipeline runs on the node), then the connection of
    its Receive is reset: the script may be running there."""
    fleet = one_node
    session = node_session(fleet)
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
