"""``ipconfig`` and ``ipconfig /all`` on a lab node: one text for cmd.exe and PowerShell.

Windows' ``ipconfig.exe`` prints the node's TCP/IP configuration; without arguments "the
IPv4 and IPv6 addresses, subnet mask, and default gateway for all adapters", with
``/all`` "the full TCP/IP configuration for all adapters" (Microsoft Learn, Windows
Commands, *ipconfig*, learn.microsoft.com/windows-server/administration/windows-commands/
ipconfig). :func:`ipconfig_text` is the en-US text; :mod:`.cmd_shell` writes it from a
WinRS cmd shell (in the shell's code page, as its built-ins), :class:`Ipconfig` is the
native program of the node's PowerShell (its lines as strings, ``$LASTEXITCODE`` 0).

The layout followed:

* ``/all``: the stdout of ``ipconfig /all`` in pywinrm 0.5.0's tests
  (``winrm/tests/conftest.py``, the base64 stream of command ...114, a Windows capture):
  a blank line, ``Windows IP Configuration``, a blank line, the global lines, then per
  adapter a blank line, ``Ethernet adapter NAME:``, a blank line and its lines; each line
  three spaces, the dotted label (the labels below, spelled and dotted as there but
  ``DNS Suffix Search List. . . . . . :``, which is from Microsoft's sample report in
  its *Ipconfig* support tools page, go.microsoft.com/fwlink/p/?LinkId=507022), ``: ``
  and the value, so an empty value leaves the trailing space, and an address with its
  state ends ``(Preferred) `` with a space. Its first chunk ends its lines with CRLF.
* the short form: Microsoft TechNet, *The Ipconfig.exe Command Line Tool* (Windows Server
  2008 R2, technet.microsoft.com/library/ee624064.aspx): ``Windows IP Configuration``,
  two blank lines, the adapter, then ``Connection-specific DNS Suffix``, the addresses
  without their state, ``Subnet Mask``, ``Default Gateway``.
* a statically addressed member of a domain: the ``ipconfig /all`` of a Windows Server
  domain controller (pastebin.com/BeMfhrBR): ``Primary Dns Suffix`` and ``DNS Suffix
  Search List`` the domain's DNS name, ``DHCP Enabled`` No, an empty
  ``Connection-specific DNS Suffix``, ``Node Type`` Hybrid, ``NetBIOS over Tcpip``
  Enabled, in this order.
* a Hyper-V guest's adapter: Microsoft Learn, *Azure Instance Metadata Service* (its
  FAQ "Why is my request timed out", ``ipconfig /all`` on a Windows VM):
  ``Ethernet adapter Ethernet:``, ``Description . . . : Microsoft Hyper-V Network
  Adapter``.

UNVERIFIED: no capture of Windows Server 2019 itself was found; the captures above, from
Windows Server 2008 R2 on, agree on this layout, so 2019 is taken to print the same.
CRLF on every line (only the first chunk of pywinrm's capture shows it; the rest of that
fixture has bare LF, taken as an artefact of the fixture). Nothing after the last line.

Lab values (the lab models no network; each is deterministic per node):

* one adapter, ``Ethernet``, a ``Microsoft Hyper-V Network Adapter`` whose physical
  address is Hyper-V's range ``00-15-5D`` followed by ``00-00`` and the last number of the
  node's address in hex (``00-15-5D-00-00-0A`` for ``10.0.0.10``);
* the node's address as Test-Connection gives it (:func:`.cmdlets.network.node_address`),
  static (``DHCP Enabled`` No), mask ``255.255.255.0``, gateway ``10.0.0.1``, DNS server
  ``10.0.0.2`` (the lab domain's DNS server, a machine the lab does not model);
* the DNS suffix is the lab domain's DNS name (:func:`.accounts.dns_domain`,
  ``simlab.local``): the primary suffix and the search list;
* no IPv6 (no ``Link-local IPv6 Address``, ``DHCPv6 IAID``, ``DHCPv6 Client DUID`` lines,
  as for an adapter with IPv6 unbound) and no tunnel adapters: the plainest form, as the
  lab models no IPv6;
* UNVERIFIED: a cluster's IP address resource (the cluster name's ``10.0.0.9``) is not
  shown on the node that owns it, though Windows may list it as a further address of
  the adapter; the plainest form.

Any argument but ``/all`` (``/release``, ``/renew``, ``/flushdns``, ``/displaydns``,
``/?``, an adapter name, ...) is refused by name, never answered.
"""

from __future__ import annotations

from collections.abc import Sequence

from psrunbook.sim.lab.accounts import dns_domain
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.cmdlets.network import node_address
from psrunbook.sim.lab.cmdlets.sim_cmdlet import SimCmdlet, arg, text
from psrunbook.sim.objects import PSHashtable
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletSpec, CommandRefused

ADAPTER = "Ethernet"
DESCRIPTION = "Microsoft Hyper-V Network Adapter"
MAC_PREFIX = "00-15-5D-00-00"
SUBNET_MASK = "255.255.255.0"
GATEWAY = "10.0.0.1"
DNS_SERVER = "10.0.0.2"

HOST_NAME = "   Host Name . . . . . . . . . . . . : "
PRIMARY_DNS_SUFFIX = "   Primary Dns Suffix  . . . . . . . : "
NODE_TYPE = "   Node Type . . . . . . . . . . . . : "
IP_ROUTING = "   IP Routing Enabled. . . . . . . . : "
WINS_PROXY = "   WINS Proxy Enabled. . . . . . . . : "
SEARCH_LIST = "   DNS Suffix Search List. . . . . . : "
CONNECTION_SUFFIX = "   Connection-specific DNS Suffix  . : "
DESCRIPTION_LABEL = "   Description . . . . . . . . . . . : "
PHYSICAL_ADDRESS = "   Physical Address. . . . . . . . . : "
DHCP_ENABLED = "   DHCP Enabled. . . . . . . . . . . : "
AUTOCONFIGURATION = "   Autoconfiguration Enabled . . . . : "
IPV4_ADDRESS = "   IPv4 Address. . . . . . . . . . . : "
MASK = "   Subnet Mask . . . . . . . . . . . : "
DEFAULT_GATEWAY = "   Default Gateway . . . . . . . . . : "
DNS_SERVERS = "   DNS Servers . . . . . . . . . . . : "
NETBIOS = "   NetBIOS over Tcpip. . . . . . . . : "


def full_listing(argv: Sequence[str]) -> bool | None:
    """True for ``/all`` (any case), False for no argument, None (refused) otherwise.
    UNVERIFIED: ``/ALL`` as ``/all`` (Windows' switches ignore case)."""
    if not argv:
        return False
    if len(argv) == 1 and argv[0].casefold() == "/all":
        return True
    return None


def ipconfig_text(cluster: SimCluster, node: str, *, full: bool) -> str:
    """What ``ipconfig`` (``ipconfig /all`` when ``full``) prints on ``node``, CRLF lines.
    The caller holds the cluster lock."""
    host = cluster.node(node)
    address = node_address(cluster, host.name) or ""
    suffix = dns_domain(cluster.domain)
    lines = ["", "Windows IP Configuration", ""]
    if full:
        lines += [
            HOST_NAME + host.name,
            PRIMARY_DNS_SUFFIX + suffix,
            NODE_TYPE + "Hybrid",
            IP_ROUTING + "No",
            WINS_PROXY + "No",
            SEARCH_LIST + suffix,
        ]
    lines += ["", f"Ethernet adapter {ADAPTER}:", "", CONNECTION_SUFFIX]
    if full:
        last = int(address.rsplit(".", 1)[-1] or 0)
        lines += [
            DESCRIPTION_LABEL + DESCRIPTION,
            PHYSICAL_ADDRESS + f"{MAC_PREFIX}-{last:02X}",
            DHCP_ENABLED + "No",
            AUTOCONFIGURATION + "Yes",
            IPV4_ADDRESS + f"{address}(Preferred) ",
            MASK + SUBNET_MASK,
            DEFAULT_GATEWAY + GATEWAY,
            DNS_SERVERS + DNS_SERVER,
            NETBIOS + "Enabled",
        ]
    else:
        lines += [IPV4_ADDRESS + address, MASK + SUBNET_MASK, DEFAULT_GATEWAY + GATEWAY]
    return "".join(f"{line}\r\n" for line in lines)


class Ipconfig(SimCmdlet):
    """``ipconfig[.exe] [/all]`` as a native program of the node's PowerShell: the text's
    lines as strings (blank lines and trailing spaces kept), exit code 0."""

    spec = CmdletSpec("ipconfig", "ipconfig.exe", (), native=True)

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        argv = [text(a) for a in (arg(args, "__args__") or [])]
        full = full_listing(argv)
        if full is None:
            raise CommandRefused(f"ipconfig {' '.join(argv)}")
        for line in ipconfig_text(self.cluster, self.node, full=full).split("\r\n")[:-1]:
            ctx.write_output(line)
        return 0


IPCONFIG_CMDLETS: tuple[type[SimCmdlet], ...] = (Ipconfig,)
