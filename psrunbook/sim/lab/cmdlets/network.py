"""``Test-Connection`` between the lab's machines, never the real network.

Windows PowerShell 5.1's Test-Connection pings through WMI: each reply is a
``Win32_PingStatus`` ManagementObject (``Address``, ``ProtocolAddress``, ``ResponseTime``,
``StatusCode`` 0, ``BufferSize`` ...), ``-Count`` replies a second apart (``-Delay``),
``-Quiet`` one Boolean per computer instead. A computer that does not answer is one
non-terminating error after its pings, "Testing connection to computer 'X' failed: ..."
(TestConnectionException, category ResourceUnavailable), and False with ``-Quiet``.

What answers: the lab's nodes that are Up (a node the lab has Down does not), the
cluster's name while any node is Up (its IP address follows the core group), and
``localhost`` / ``.`` / the node itself. Any other name is not known to the lab's DNS.
The addresses are lab values (``10.0.0.10`` for the first node, in the lab file's order,
the cluster name ``10.0.0.9``), response time 0 ms. UNVERIFIED (not in shared/facts): the
reasons Windows words ("No such host is known" for a name DNS does not know, "Error due
to lack of resources" for a silent host, both as 5.1 prints them) and the property set.
"""

from __future__ import annotations

import msgspec

from psrunbook.sim.lab import error_records
from psrunbook.sim.lab.cluster_model import SimCluster, fold
from psrunbook.sim.lab.cluster_objects import props
from psrunbook.sim.lab.cmdlets.sim_cmdlet import SimCmdlet, arg, flag, param, strings
from psrunbook.sim.objects import ErrorRecordData, PSHashtable, PSObject
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletError, CmdletSpec

PING_STATUS = "System.Management.ManagementObject#root\\cimv2\\Win32_PingStatus"
_TYPE_NAMES = (
    PING_STATUS,
    "System.Management.ManagementObject",
    "System.Management.ManagementBaseObject",
    "System.ComponentModel.Component",
    "System.MarshalByRefObject",
    "System.Object",
)
CLUSTER_ADDRESS = "10.0.0.9"
"""The cluster name's IPv4 address in the lab (a lab value)."""
NO_SUCH_HOST = "No such host is known"
NO_ANSWER = "Error due to lack of resources"


def node_address(cluster: SimCluster, node: str) -> str | None:
    """A node's IPv4 address in the lab: ``10.0.0.10`` for the first node in the lab
    file's order, ``10.0.0.11`` for the second, ... (lab values); None for a name that is
    no node of the lab. Test-Connection and ipconfig both answer with it."""
    wanted = fold(node)
    for index, candidate in enumerate(cluster.nodes.values()):
        if fold(candidate.name) == wanted:
            return f"10.0.0.{10 + index}"
    return None


class _Target(msgspec.Struct, frozen=True):
    name: str
    address: str | None
    """None: the name does not resolve."""
    answers: bool


def ping_status(source: str, target: str, address: str, buffer_size: int, ttl: int) -> PSObject:
    """One ``Win32_PingStatus`` reply from ``target`` as 5.1 returns it."""
    return PSObject(
        _TYPE_NAMES,
        props(
            __GENUS=2,
            __CLASS="Win32_PingStatus",
            __SERVER=source,
            PSComputerName=source,
            Address=target,
            BufferSize=buffer_size,
            NoFragmentation=False,
            PrimaryAddressResolutionStatus=0,
            ProtocolAddress=address,
            ProtocolAddressResolved="",
            RecordRoute=0,
            ReplyInconsistency=False,
            ReplySize=buffer_size,
            ResolveAddressNames=False,
            ResponseTime=0,
            ResponseTimeToLive=ttl,
            StatusCode=0,
            Timeout=4000,
            TimeToLive=ttl,
            IPV4Address=address,
            IPV6Address="",
        ),
        to_string=f'\\\\{source}\\root\\cimv2:Win32_PingStatus.Address="{target}"',
    )


def connection_failed(command_type: str, target: str, reason: str) -> ErrorRecordData:
    return ErrorRecordData(
        message=f"Testing connection to computer '{target}' failed: {reason}",
        error_id="TestConnectionException",
        category="ResourceUnavailable",
        exception_type="System.Net.NetworkInformation.PingException",
        target_object=target,
        target_name=target,
        target_type="String",
        activity="Test-Connection",
        command_type=command_type,
    )


class TestConnection(SimCmdlet):
    spec = CmdletSpec(
        "Test-Connection",
        error_records.ps_type("TestConnectionCommand"),
        (
            param("ComputerName", "string[]", mandatory=True, position=0, by_name=True,
                  aliases=("CN", "IPAddress", "__SERVER", "Server", "Destination")),
            param("Count", "int"),
            param("Quiet", "switch"),
            param("BufferSize", "int", aliases=("Size", "Bytes", "BS")),
            param("Delay", "int"),
            param("TimeToLive", "int", aliases=("TTL",)),
            param("Source", "string[]", aliases=("FCN", "SRC")),
            param("AsJob", "switch"),
            param("Credential", "object"),
        ),
    )  # fmt: skip

    def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        """Resolve under the cluster lock, then reply with ``-Delay`` between pings
        outside it (the wait is real, scaled, and Stop ends it)."""
        for refused in ("Source", "AsJob", "Credential"):
            if arg(args, refused):
                raise CmdletError(
                    error_records.invalid_argument(
                        self.spec.name,
                        self.spec.implementing_type,
                        f"the simulated lab does not model Test-Connection -{refused}",
                        "SimulatorUnsupportedParameter",
                    )
                )
        with self.cluster.lock:
            targets = [self._resolve(name) for name in strings(arg(args, "ComputerName"))]
        count = int(arg(args, "Count", 4) or 0)
        delay = float(arg(args, "Delay", 1) or 0)
        size = int(arg(args, "BufferSize", 32) or 0)
        ttl = int(arg(args, "TimeToLive", 80) or 0)
        quiet = flag(args, "Quiet")
        for target in targets:
            for attempt in range(count):
                if attempt:
                    ctx.sleep(delay)
                if target.answers and not quiet and target.address is not None:
                    ctx.write_output(ping_status(self.node, target.name, target.address, size, ttl))
            if quiet:
                ctx.write_output(target.answers)
            elif not target.answers:
                reason = NO_SUCH_HOST if target.address is None else NO_ANSWER
                ctx.write_error(connection_failed(self.spec.implementing_type, target.name, reason))
        return None

    def _resolve(self, name: str) -> _Target:
        wanted = fold(name)
        if wanted in ("localhost", "."):
            return _Target(name, "127.0.0.1", True)
        nodes = self.cluster.nodes.values()
        if wanted == fold(self.cluster.name):
            return _Target(name, CLUSTER_ADDRESS, any(n.state != "Down" for n in nodes))
        address = node_address(self.cluster, name)
        if address is None:
            return _Target(name, None, False)
        return _Target(name, address, self.cluster.node(name).state != "Down")


NETWORK_CMDLETS: tuple[type[SimCmdlet], ...] = (TestConnection,)
