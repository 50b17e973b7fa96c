"""Test-Connection between the lab's machines: Win32_PingStatus replies, -Quiet, failures."""

from __future__ import annotations

from psrunbook.sim.lab.cluster_faults import node_down
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.objects import PSObject
from psrunbook.sim.ps.parser import UNSUPPORTED_COMMANDS
from tests.unit.sim.lab.scripts import run_on

PING = "System.Management.ManagementObject#root\\cimv2\\Win32_PingStatus"


def test_a_node_that_is_up_answers_count_times_with_win32_pingstatus() -> None:
    result = run_on(sample_lab(), "Test-Connection NODE2 -Count 2")
    assert (result.errors, result.failed) == ([], None)
    assert len(result.output) == 2
    reply = result.output[0]
    assert isinstance(reply, PSObject)
    assert reply.type_names[0] == PING
    assert "System.Management.ManagementBaseObject" in reply.type_names
    shown = {k: reply.properties[k] for k in ("Address", "StatusCode", "PSComputerName")}
    assert shown == {"Address": "NODE2", "StatusCode": 0, "PSComputerName": "NODE1"}
    assert reply.properties["ProtocolAddress"] == reply.properties["IPV4Address"]
    assert isinstance(reply.properties["ResponseTime"], int)


def test_default_count_is_four_and_quiet_is_one_boolean_per_computer() -> None:
    assert len(run_on(sample_lab(), "Test-Connection NODE2").output) == 4
    assert run_on(sample_lab(), "Test-Connection NODE2, NOSUCH -Quiet -Count 1").output == [
        True,
        False,
    ]


def test_a_node_the_lab_has_down_fails_as_windows_words_it() -> None:
    lab = sample_lab()
    node_down(lab, "NODE2")
    result = run_on(lab, "Test-Connection NODE2 -Count 1; 'next'")
    (record,) = result.errors
    assert record.message == (
        "Testing connection to computer 'NODE2' failed: Error due to lack of resources"
    )
    assert record.fully_qualified_error_id == (
        "TestConnectionException,Microsoft.PowerShell.Commands.TestConnectionCommand"
    )
    assert record.category == "ResourceUnavailable"
    assert result.output == ["next"]
    assert run_on(lab, "Test-Connection NODE2 -Quiet").output == [False]


def test_an_unknown_host_is_not_known_and_stop_makes_it_terminating() -> None:
    result = run_on(sample_lab(), "Test-Connection nosuch.example -Count 1 -ErrorA Stop; 'no'")
    assert result.failed is not None
    assert result.failed.message == (
        "Testing connection to computer 'nosuch.example' failed: No such host is known"
    )
    assert result.output == []


def test_the_cluster_name_and_localhost_answer() -> None:
    lab = sample_lab()
    quiet = run_on(lab, f"Test-Connection {lab.name}, localhost -Quiet -Count 1")
    assert quiet.output == [True, True]


def test_no_longer_refused_before_the_script_runs() -> None:
    assert "test-connection" not in UNSUPPORTED_COMMANDS
