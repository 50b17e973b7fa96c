"""``ipconfig`` and ``ipconfig /all`` of a two-node lab: the text, from cmd.exe and as a
native program of the node's PowerShell, and the arguments the lab refuses."""

from __future__ import annotations

import pytest

from psrunbook.sim.executor_protocol import ExecutionContext, ShellCommandRequest
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.cmd_shell import CmdShell
from psrunbook.sim.lab.ipconfig import full_listing, ipconfig_text
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.profiles import ensure_profile
from tests.unit.sim.lab.scripts import run_on
from tests.unit.sim.lab.test_cmd_shell import Streams

ALL_NODE1 = (
    "\r\n"
    "Windows IP Configuration\r\n"
    "\r\n"
    "   Host Name . . . . . . . . . . . . : NODE1\r\n"
    "   Primary Dns Suffix  . . . . . . . : simlab.local\r\n"
    "   Node Type . . . . . . . . . . . . : Hybrid\r\n"
    "   IP Routing Enabled. . . . . . . . : No\r\n"
    "   WINS Proxy Enabled. . . . . . . . : No\r\n"
    "   DNS Suffix Search List. . . . . . : simlab.local\r\n"
    "\r\n"
    "Ethernet adapter Ethernet:\r\n"
    "\r\n"
    "   Connection-specific DNS Suffix  . : \r\n"
    "   Description . . . . . . . . . . . : Microsoft Hyper-V Network Adapter\r\n"
    "   Physical Address. . . . . . . . . : 00-15-5D-00-00-0A\r\n"
    "   DHCP Enabled. . . . . . . . . . . : No\r\n"
    "   Autoconfiguration Enabled . . . . : Yes\r\n"
    "   IPv4 Address. . . . . . . . . . . : 10.0.0.10(Preferred) \r\n"
    "   Subnet Mask . . . . . . . . . . . : 255.255.255.0\r\n"
    "   Default Gateway . . . . . . . . . : 10.0.0.1\r\n"
    "   DNS Servers . . . . . . . . . . . : 10.0.0.2\r\n"
    "   NetBIOS over Tcpip. . . . . . . . : Enabled\r\n"
)
SHORT_NODE2 = (
    "\r\n"
    "Windows IP Configuration\r\n"
    "\r\n"
    "\r\n"
    "Ethernet adapter Ethernet:\r\n"
    "\r\n"
    "   Connection-specific DNS Suffix  . : \r\n"
    "   IPv4 Address. . . . . . . . . . . : 10.0.0.11\r\n"
    "   Subnet Mask . . . . . . . . . . . : 255.255.255.0\r\n"
    "   Default Gateway . . . . . . . . . : 10.0.0.1\r\n"
)


@pytest.fixture
def two_nodes() -> SimCluster:
    return sample_lab(2)


def _cmd(
    lab: SimCluster, line: str, node: str = "NODE1", codepage: int = 437
) -> tuple[bytes, bytes, int]:
    context = ExecutionContext(node, "SIMLAB\\admin")
    ensure_profile(lab, node, context.user)
    streams = Streams()
    code = CmdShell(lab, lambda *args: 0).run(
        ShellCommandRequest(line, codepage=codepage), context, streams
    )
    return streams.out, streams.err, code


def test_the_text_of_both_forms_on_both_nodes(two_nodes: SimCluster) -> None:
    with two_nodes.lock:
        assert ALL_NODE1 == ipconfig_text(two_nodes, "NODE1", full=True)
        assert SHORT_NODE2 == ipconfig_text(two_nodes, "node2", full=False)
        node2 = ipconfig_text(two_nodes, "NODE2", full=True)
        short1 = ipconfig_text(two_nodes, "NODE1", full=False)
    assert "   Host Name . . . . . . . . . . . . : NODE2\r\n" in node2
    assert "   Physical Address. . . . . . . . . : 00-15-5D-00-00-0B\r\n" in node2
    assert "   IPv4 Address. . . . . . . . . . . : 10.0.0.11(Preferred) \r\n" in node2
    assert SHORT_NODE2.replace("10.0.0.11", "10.0.0.10") == short1


def test_the_address_is_the_one_test_connection_answers_with(two_nodes: SimCluster) -> None:
    pinged = run_on(two_nodes, "(Test-Connection NODE2 -Count 1).IPV4Address").output
    assert ["10.0.0.11"] == pinged
    with two_nodes.lock:
        assert f": {pinged[0]}\r\n" in ipconfig_text(two_nodes, "NODE2", full=False)


def test_the_dns_suffix_is_the_lab_domains_dns_name() -> None:
    lab = sample_lab(2)
    lab.domain = "CONTOSO"
    with lab.lock:
        shown = ipconfig_text(lab, "NODE1", full=True)
    assert "   Primary Dns Suffix  . . . . . . . : contoso.local\r\n" in shown
    assert "   DNS Suffix Search List. . . . . . : contoso.local\r\n" in shown


@pytest.mark.parametrize(
    ("argv", "full"),
    [([], False), (["/all"], True), (["/ALL"], True), (["/release"], None),
     (["/renew"], None), (["/flushdns"], None), (["/displaydns"], None), (["/?"], None),
     (["/all", "Ethernet"], None), (["-all"], None), (["/allcompartments"], None)],
)  # fmt: skip
def test_only_all_or_nothing_is_answered(argv: list[str], full: bool | None) -> None:
    assert full == full_listing(argv)


def test_cmd_prints_both_forms_in_the_shells_code_page(two_nodes: SimCluster) -> None:
    assert (ALL_NODE1.encode("cp437"), b"", 0) == _cmd(two_nodes, "ipconfig /all")
    assert (SHORT_NODE2.encode(), b"", 0) == _cmd(two_nodes, "ipconfig.exe", node="NODE2")
    assert (ALL_NODE1.encode(), b"", 0) == _cmd(two_nodes, "IPCONFIG /all", codepage=65001)
    out, err, code = _cmd(two_nodes, "ipconfig /all >nul && echo done")
    assert (b"done\r\n", b"", 0) == (out, err, code)


@pytest.mark.parametrize("args", ["/release", "/renew", "/flushdns", "/displaydns", "/?"])
def test_cmd_refuses_every_other_argument_by_name(two_nodes: SimCluster, args: str) -> None:
    refused = f"The simulator does not model this in cmd.exe: ipconfig {args}\r\n"
    assert (b"", refused.encode(), 1) == _cmd(two_nodes, f"ipconfig {args}")


def test_powershell_runs_it_as_a_native_program(two_nodes: SimCluster) -> None:
    result = run_on(
        two_nodes,
        "$lines = ipconfig /all; $LASTEXITCODE; $?; $lines.Count\n"
        "ipconfig.exe /all | Where-Object { $_ -like '*IPv4*' }\n"
        "ipconfig | Select-Object -First 2",
        node="NODE2",
    )
    assert (result.errors, result.failed) == ([], None)
    assert [0, True, 22, "   IPv4 Address. . . . . . . . . . . : 10.0.0.11(Preferred) ",
            "", "Windows IP Configuration"] == result.output  # fmt: skip
    lines = run_on(two_nodes, "ipconfig /all").output
    assert ALL_NODE1.split("\r\n")[:-1] == lines


@pytest.mark.parametrize("script", ["ipconfig /flushdns", "ipconfig.exe /release", "ipconfig /?"])
def test_powershell_refuses_every_other_argument_by_name(
    two_nodes: SimCluster, script: str
) -> None:
    result = run_on(two_nodes, f"{script}; 'after'")
    assert result.output == []
    assert result.failed is not None
    assert result.failed.error_id == "UnsupportedConstruct"
    assert "ipconfig /" in result.failed.message
