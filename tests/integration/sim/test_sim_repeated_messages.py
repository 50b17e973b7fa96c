"""The same message sent again (another node, another run) means what it meant the first
time: the endpoint decodes a repeated message once (issue 16), and no pipeline sees
another's values, node or session key. Real pypsrp over HTTP against the lab."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pypsrp.powershell import PowerShell, RunspacePool
from pypsrp.serializer import TaggedValue

from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration


def _invoke(pool: RunspacePool, script: str, **parameters: object) -> list[object]:
    ps = PowerShell(pool)
    ps.add_script(script)
    for name, value in parameters.items():
        ps.add_parameter(name, value)
    output = ps.invoke()
    assert not ps.had_errors, ps.streams.error
    return list(output)


@pytest.fixture
def lab_fleet() -> Iterator[SimFleet]:
    """Two nodes of the sample lab on one cluster executor, as ``sim serve`` runs them."""
    executor = cluster_executor(sample_lab(2), time_scale=0.0)
    with SimFleet(("NODE1", "NODE2"), executor=executor, users={USER: PASSWORD}) as fleet:
        yield fleet


def test_the_same_script_and_parameters_run_on_each_node_as_that_node(lab_fleet):
    """One step sent to every node: each node answers with its own name."""
    script = "param($Prefix) $Prefix + $env:COMPUTERNAME"
    answers = []
    for endpoint in lab_fleet:
        with RunspacePool(client_for(endpoint)) as pool:
            answers += _invoke(pool, script, Prefix="on ")
    assert ["on NODE1", "on NODE2"] == answers


def test_the_same_script_with_other_parameters_sees_the_other_values(lab_endpoint, lab_pool):
    """The script text alone is not the message: other values give other results."""
    script = "param($Count) $Count * 2"
    assert [[2], [4], [2]] == [_invoke(lab_pool, script, Count=n) for n in (1, 2, 1)]


def test_a_script_changing_its_parameter_changes_nothing_for_the_next_pipeline(lab_pool):
    """The same hashtable sent twice: the second pipeline gets the value as sent, not as
    the first pipeline left it."""
    script = "param($Table) $Table['n'] = $Table['n'] + 1; $Table['n']"
    assert [[1], [1]] == [_invoke(lab_pool, script, Table={"n": 0}) for _ in range(2)]


def test_the_same_opening_gives_each_pool_its_own_arguments(lab_fleet):
    """Pools opened with the same ApplicationArguments each see them; different ones differ."""
    endpoint = next(iter(lab_fleet))
    seen = []
    for value in ("one", "one", "two"):
        pool = RunspacePool(client_for(endpoint))
        pool.open({"tag": value})
        try:
            seen += _invoke(pool, "$PSSenderInfo.ApplicationArguments.tag")
        finally:
            pool.close()
    assert ["one", "one", "two"] == seen


def test_each_pool_decrypts_a_secure_string_with_its_own_key(lab_fleet):
    """The same secret sent on two pools (each its own session key) reads back on both."""
    script = (
        "param($Secret) "
        "(New-Object PSCredential -ArgumentList 'u', $Secret).GetNetworkCredential().Password"
    )
    for endpoint in lab_fleet:
        with RunspacePool(client_for(endpoint)) as pool:
            pool.exchange_keys()
            assert ["p@ss w0rd"] == _invoke(pool, script, Secret=TaggedValue("SS", "p@ss w0rd"))
