"""The pypsrp transport against the simulator: how a step that outlives its timeout ends."""

from __future__ import annotations

from pathlib import Path

import pytest

from psrunbook.errors import RunInterrupted, TransportTimeout
from psrunbook.inventory import inventory_from_toml
from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from psrunbook.sim.lab.serve import SIM_USER, inventory_toml
from psrunbook.transport.base import ScriptCall
from psrunbook.transport.lean_serializer import lean_serializer_class
from psrunbook.transport.psrp import PsrpTransport
from tests.integration.conftest import refused_port

pytestmark = pytest.mark.integration

PASSWORD = "transport-test-password"


def test_step_timeout_is_raised_as_is_and_the_next_call_gets_a_new_pool() -> None:
    """The transport's own timeout error is not chained to itself; the pool is replaced."""
    with SimFleet(["NODE1"], executor=TrivialExecutor(), users={SIM_USER: PASSWORD}) as fleet:
        inventory = inventory_from_toml(inventory_toml(fleet), path=Path("sim.toml"))
        session = PsrpTransport(inventory, password=PASSWORD).open("NODE1")
        try:
            with pytest.raises(TransportTimeout, match="did not finish within 1 s") as caught:
                session.run(ScriptCall("wait", {}, 1))
            assert caught.value.__cause__ is None
            assert "NODE1" == caught.value.node
            assert ["done"] == session.run(ScriptCall("output done", {}, 30)).output
            assert 2 == session.pools_opened
        finally:
            session.close()


def test_an_interrupt_ends_the_wait_between_connect_attempts(tmp_path: Path) -> None:
    """Interrupted, a refused node is not tried again for the rest of its connect deadline."""
    inventory = inventory_from_toml(
        f"""
[cluster]
name = "REFUSING"

[[nodes]]
name = "NODE1"
address = "127.0.0.1"
port = {refused_port()}

[connection]
auth = "basic"
ssl = false
username = "{SIM_USER}"
password_env = "PSRUNBOOK_UNUSED_PASSWORD"
encryption = "never"
connect_deadline_s = 60
""",
        path=tmp_path / "refusing.toml",
    )
    session = PsrpTransport(inventory, password=PASSWORD).open("NODE1")
    session.interrupt()  # the first attempt is refused; the backoff then ends at once
    try:
        with pytest.raises(RunInterrupted, match="interrupted while waiting to reconnect"):
            session.run(ScriptCall("output never", {}, 30))
    finally:
        session.close()


def test_the_http_session_settles_its_proxies_once() -> None:
    """requests does not read the proxy environment per request; the pinned "no proxy" holds.

    A loopback node: pypsrp pins the scheme's proxy to none once, when the session is built,
    and the session no longer consults HTTP_PROXY/NO_PROXY on every request (issue 16).
    NTLM: a Basic session sends without requests (``test_direct_http``).
    """
    with SimFleet(
        ["NODE1"], executor=TrivialExecutor(), users={SIM_USER: PASSWORD}, auth="ntlm"
    ) as fleet:
        inventory = inventory_from_toml(inventory_toml(fleet), path=Path("sim.toml"))
        session = PsrpTransport(inventory, password=PASSWORD).open("NODE1")
        try:
            assert ["done"] == session.run(ScriptCall("output done", {}, 30)).output
            http = session._pool.connection.transport.session
            assert http.trust_env is False
            assert {"http": False} == http.proxies
        finally:
            session.close()


def test_a_step_is_serialised_once_for_all_its_nodes() -> None:
    """Every node gets the step, with its own arguments' value; pypsrp serialises it once.

    Each pool opens with the same two messages and each node is sent the same pipeline:
    three serialisations for two nodes, where pypsrp alone would make six (issue 16).
    """
    nodes = ["NODE1", "NODE2"]
    with SimFleet(nodes, executor=TrivialExecutor(), users={SIM_USER: PASSWORD}) as fleet:
        inventory = inventory_from_toml(inventory_toml(fleet), path=Path("sim.toml"))
        transport = PsrpTransport(inventory, password=PASSWORD)
        sessions = [transport.open(node) for node in nodes]
        try:
            for session in sessions:
                call = ScriptCall("output $Name", {"Name": "first"}, 30)
                assert ["first"] == session.run(call).output
            assert 3 == transport.pipelines.serialised
            for session in sessions:
                call = ScriptCall("output $Name", {"Name": "second"}, 30)
                assert ["second"] == session.run(call).output
            assert 4 == transport.pipelines.serialised
        finally:
            for session in sessions:
                session.close()


def test_output_is_read_by_the_serialiser_that_skips_primitive_rewrites() -> None:
    """A node's pool reads its output with the lean serialiser (lean_serializer), and the
    values a step gets back are the ones pypsrp's own serialiser gives."""
    with SimFleet(["NODE1"], executor=TrivialExecutor(), users={SIM_USER: PASSWORD}) as fleet:
        inventory = inventory_from_toml(inventory_toml(fleet), path=Path("sim.toml"))
        session = PsrpTransport(inventory, password=PASSWORD).open("NODE1")
        try:
            assert ["it works"] == session.run(ScriptCall("output it works", {}, 30)).output
            assert isinstance(session._pool._serializer, lean_serializer_class())
        finally:
            session.close()
