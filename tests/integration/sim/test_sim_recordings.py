"""The simulator's WSMan answers have the shape Windows gives in ``recordings/``.

Each recording (real Windows Server traffic from pypsrp's test data) is replayed as a
scenario: the same pypsrp calls run against the simulator, and the response envelopes
of every action are compared as sets of element paths with attribute names. Ids,
timings and payloads are normalised away; selector names, stream names, the
CommandState and fault codes are compared by value. The differences the simulator
makes on purpose are listed in ``INTENDED`` and in ``docs/simulator.md``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from lxml import etree
from pypsrp.client import Client
from pypsrp.exceptions import WSManFaultError
from pypsrp.powershell import PowerShell, RunspacePool

from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from psrunbook.sim.endpoint.wsman import ACTIONS
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration

RECORDINGS = Path(__file__).parent / "recordings"
_ENTRY = re.compile(r"^(- |  )([A-Za-z_]+):(?: (.*))?$")
_VALUE_ATTRIBUTES = {"Name", "State", "Code"}
_VALUE_ELEMENTS = {"Action", "Value", "State", "ExitCode", "InputStreams", "OutputStreams"}

INTENDED = {
    # Windows adds p:ActivityId to most responses but not all; the simulator always does.
    "/Envelope[@lang]/Header[]/ActivityId[]",
}


def read_messages(path: Path) -> list[dict[str, str]]:
    """The ``messages`` list of a recording (plain scalars folded onto continuation lines)."""
    items: list[dict[str, str]] = []
    key = None
    for raw in path.read_text("utf-8").splitlines():
        if raw == "messages:" or not raw.strip():
            continue
        match = _ENTRY.match(raw)
        if match is not None:
            marker, key, value = match.groups()
            if marker == "- ":
                items.append({})
            items[-1][key] = value or ""
        elif raw.startswith("    ") and key is not None:
            items[-1][key] = f"{items[-1][key]} {raw.strip()}".strip()
    return items


def _localname(tag: str) -> str:
    return etree.QName(tag).localname


def shape(xml: str | bytes) -> set[str]:
    """Every element path with its attribute names (and the compared values)."""
    root = etree.fromstring(xml.encode() if isinstance(xml, str) else xml)
    paths: set[str] = set()

    def walk(element, prefix: str) -> None:
        name = _localname(element.tag)
        attrs = []
        for key, value in sorted(element.attrib.items()):
            attr = _localname(key)
            attrs.append(f"@{attr}={value}" if attr in _VALUE_ATTRIBUTES else f"@{attr}")
        path = f"{prefix}/{name}[{','.join(sorted(attrs))}]"
        if name in _VALUE_ELEMENTS and element.text:
            path += f"={element.text.strip()}"
        paths.add(path)
        for child in element:
            walk(child, path.split("=", 1)[0] if name in _VALUE_ELEMENTS else path)

    walk(root, "")
    return {re.sub(r"@(CommandId|ShellId)=[^,\]]*", r"@\1", p) for p in paths}


def _action_of(request: str | bytes) -> str:
    root = etree.fromstring(request.encode() if isinstance(request, str) else request)
    action = root.find(".//{http://schemas.xmlsoap.org/ws/2004/08/addressing}Action").text
    return ACTIONS.get(action, action)


def _by_action(pairs) -> dict[str, set[str]]:
    shapes: dict[str, set[str]] = {}
    for request, response in pairs:
        if response:
            shapes.setdefault(_action_of(request), set()).update(shape(response))
    return shapes


def _open_runspace(ep: SimEndpoint) -> None:
    with RunspacePool(client_for(ep)):
        pass


def _multiple_invocations(ep: SimEndpoint) -> None:
    with RunspacePool(client_for(ep)) as pool:
        for _ in range(2):
            ps = PowerShell(pool)
            ps.add_script("output 1")
            ps.invoke()
            ps.close()


def _execute_ps(ep: SimEndpoint) -> None:
    Client(
        ep.host,
        port=ep.port,
        username=USER,
        password=PASSWORD,
        ssl=False,
        auth="basic",
        encryption="never",
    ).execute_ps("output hi")


def _error_failed(ep: SimEndpoint) -> None:
    with RunspacePool(client_for(ep)) as pool:
        PowerShell(pool).add_script("output before\nfail error").invoke()


def _stream_output(ep: SimEndpoint) -> None:
    script = "verbose v\nerror e\noutput o\nwarning w\ninformation i"
    with RunspacePool(client_for(ep)) as pool:
        PowerShell(pool).add_script(script).invoke()


def _receive_failure(ep: SimEndpoint) -> None:
    with RunspacePool(client_for(ep)) as pool, pytest.raises(WSManFaultError):
        pool.shell.receive("stdout", command_id="D1BF48DA-B26C-4F4A-BE52-B382AC20DD1F")


def _disconnect_runspaces(ep: SimEndpoint) -> None:
    pool = RunspacePool(client_for(ep))
    pool.open()
    pool.disconnect()
    pool.connect()  # the same client: Reconnect
    pool.disconnect()
    second = RunspacePool(client_for(ep))
    second.open()
    second.disconnect()
    for found in RunspacePool.get_runspace_pools(client_for(ep)):
        found.connect()  # a new client: Connect
        found.close()


_FLAG = r"C:\Windows\Temp\go.txt"


def _disconnected_commands(ep: SimEndpoint) -> None:
    script = f"'a'; while (-not (Test-Path '{_FLAG}')) {{ Start-Sleep -Milliseconds 100 }}; 'b'"
    for _ in range(2):
        pool = RunspacePool(client_for(ep))
        pool.open()
        ps = PowerShell(pool)
        ps.add_script(script)
        ps.begin_invoke()
        pool.disconnect()
    with RunspacePool(client_for(ep)) as flagger:
        PowerShell(flagger).add_script(f"Set-Content '{_FLAG}' go").invoke()
    for found in RunspacePool.get_runspace_pools(client_for(ep)):
        found.connect()
        for pipeline in found.create_disconnected_power_shells():
            assert ["a", "b"] == pipeline.connect()
        found.connect()  # Reconnect: pypsrp 0.9.1 sees the pool opened only then
        found.close()


def _is_alive_state_disconnected(ep: SimEndpoint) -> None:
    pool = RunspacePool(client_for(ep), idle_timeout=0.3)  # type: ignore[arg-type]
    pool.open()
    assert pool.is_alive()
    assert ep.counters.wait_for_idle_disconnects(1, 10)
    assert not pool.is_alive()


SCENARIOS: dict[str, Callable[[SimEndpoint], None]] = {
    "test_psrp_open_runspace.yml": _open_runspace,
    "test_psrp_multiple_invocations.yml": _multiple_invocations,
    "test_client_execute_ps.yml": _execute_ps,
    "test_psrp_error_failed.yml": _error_failed,
    "test_psrp_stream_output_invocation.yml": _stream_output,
    "test_psrp_receive_failure.yml": _receive_failure,
    "test_psrp_disconnect_runspaces.yml": _disconnect_runspaces,
    "test_psrp_disconnected_commands.yml": _disconnected_commands,
    "test_psrp_is_alive_state_disconnected.yml": _is_alive_state_disconnected,
}

LAB_SCENARIOS = {"test_psrp_disconnected_commands.yml"}
"""Scenarios that need the lab's PowerShell (a pipeline waiting for another client), not
the trivial executor."""


@pytest.mark.parametrize("recording", sorted(SCENARIOS))
def test_response_shapes_match_windows(recording):
    """Every action answers with the elements, attributes and values Windows uses."""
    recorded = _by_action(
        (m["request"], m.get("response")) for m in read_messages(RECORDINGS / recording)
    )
    executor = (
        cluster_executor(sample_lab(), time_scale=0.001)
        if recording in LAB_SCENARIOS
        else TrivialExecutor()
    )
    with SimEndpoint(executor, node="NODE1", users={USER: PASSWORD}, record_exchanges=True) as ep:
        SCENARIOS[recording](ep)
        simulated = _by_action((req, body) for req, _, body in ep.exchanges or [])
    assert sorted(recorded) == sorted(simulated)
    for action, expected in recorded.items():
        assert (action, set()) == (action, (expected ^ simulated[action]) - INTENDED)


def test_every_recording_has_a_scenario():
    """A recording added to the folder must get a scenario here."""
    assert sorted(SCENARIOS) == sorted(p.name for p in RECORDINGS.glob("*.yml"))
