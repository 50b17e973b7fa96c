"""The ``root/cimv2`` classes the lab models for ``Get-CimInstance`` / ``Get-WmiObject``,
and the WQL ``-Filter`` it evaluates.

Classes: ``Win32_Service`` (processes.py), ``Win32_OperatingSystem`` (Windows Server 2019,
``Version`` 10.0.17763, as :data:`psrunbook.sim.ps.automatic.PS_VERSION` announces;
``CSName`` the node; ``LastBootUpTime`` the node's last boot in the lab's time) and
``Win32_ComputerSystem`` (``Name``, ``Domain`` the lab's DNS domain, ``PartOfDomain``;
``Manufacturer``/``Model`` are lab values, marked as such, and so is the memory every
node has: ``TotalPhysicalMemory`` 16 GiB less what firmware keeps, in bytes, the
operating system's ``TotalVisibleMemorySize`` the same in KiB). UNVERIFIED: the lab
sends these counts as the integer type their size needs, Windows as UInt64. CIM returns
``LastBootUpTime`` as a DateTime, WMI as a DMTF string, as on Windows.

``-Filter`` takes simple WQL equality: ``Prop = 'text'``, ``Prop = 12``, ``Prop = TRUE``,
clauses joined with ``AND``; strings compare case-insensitively, as WQL does. Any other
WQL (``LIKE``, ``OR``, ``<>``) is refused by name, never guessed at; a property the class
does not have is WMI's "Invalid query". A class the lab does not model is refused by name
when every Windows node has it (the CIMWin32 provider's Win32_* classes,
``psrunbook/data/cimv2_classes.json`` from Microsoft's reference, and the
Win32_PerfFormattedData_* / Win32_PerfRawData_* counter classes), so a script never takes
the "no such class" branch for Win32_LogicalDisk; any other is Windows' "Invalid class"
(WBEM_E_INVALID_CLASS, HRESULT 0x80041010). UNVERIFIED (not in
shared/facts): the error categories and that both cmdlets write these errors as
non-terminating ones.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from psrunbook.sim.lab import accounts
from psrunbook.sim.lab.cluster_model import Node, SimCluster, fold
from psrunbook.sim.lab.cluster_objects import lab_date, props
from psrunbook.sim.objects import ErrorRecordData, PSObject

CIM_PREFIX = "Microsoft.Management.Infrastructure.CimInstance#root/cimv2/"
WMI_PREFIX = "System.Management.ManagementObject#root\\cimv2\\"
OS_CAPTION = "Microsoft Windows Server 2019 Datacenter"
OS_VERSION = "10.0.17763"
LAB_MANUFACTURER = "psrunbook simulated lab"
LAB_MODEL = "Simulated cluster node"
LAB_MEMORY_BYTES = 17_179_398_144
"""Every lab node's physical memory as Win32_ComputerSystem reports it (a lab value)."""

_CLAUSE = re.compile(
    r"""^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?:'([^']*)'|"([^"]*)"|(-?\d+)|(true|false))\s*$""",
    re.IGNORECASE,
)


_LAB_START = datetime.datetime(2026, 1, 1)


class UnsupportedFilter(Exception):
    """WQL the lab does not evaluate."""


def _dmtf(stamp: int) -> str:
    """A lab moment as WMI's DMTF datetime (``yyyymmddHHMMSS.mmmmmm+UUU``), as
    :func:`~psrunbook.sim.lab.cluster_objects.lab_date` places it (UTC)."""
    moment = _LAB_START + datetime.timedelta(microseconds=stamp // 10)
    return moment.strftime("%Y%m%d%H%M%S.%f") + "+000"


def _operating_system(cluster: SimCluster, node: Node, wmi: bool) -> dict[str, Any]:
    booted = node.booted
    return {
        "Caption": OS_CAPTION,
        "Version": OS_VERSION,
        "BuildNumber": OS_VERSION.rsplit(".", 1)[1],
        "CSName": node.name,
        "Name": f"{OS_CAPTION}|C:\\Windows|\\Device\\Harddisk0\\Partition2",
        "OSArchitecture": "64-bit",
        "OSType": 18,
        "Manufacturer": "Microsoft Corporation",
        "SystemDirectory": "C:\\Windows\\system32",
        "WindowsDirectory": "C:\\Windows",
        "LastBootUpTime": _dmtf(booted) if wmi else lab_date(booted),
        "TotalVisibleMemorySize": LAB_MEMORY_BYTES // 1024,
        "Status": "OK",
    }


def _computer_system(cluster: SimCluster, node: Node, wmi: bool) -> dict[str, Any]:
    domain = accounts.dns_domain(cluster.domain)
    return {
        "Name": node.name,
        "DNSHostName": node.name,
        "Domain": domain,
        "PartOfDomain": True,
        "Workgroup": None,
        "Manufacturer": LAB_MANUFACTURER,
        "Model": LAB_MODEL,
        "SystemType": "x64-based PC",
        "TotalPhysicalMemory": LAB_MEMORY_BYTES,
        "Status": "OK",
    }


_CLASSES: dict[str, Callable[[SimCluster, Node, bool], dict[str, Any]]] = {
    "Win32_OperatingSystem": _operating_system,
    "Win32_ComputerSystem": _computer_system,
}


_COUNTER_CLASSES = ("win32_perfformatteddata_", "win32_perfrawdata_")
"""The performance counter classes' prefixes: one class per counter set (the set varies
with what is installed, so a name with either prefix is taken as Windows')."""


@cache
def _windows_classes() -> frozenset[str]:
    raw = resources.files("psrunbook").joinpath("data", "cimv2_classes.json").read_text("utf-8")
    return frozenset(fold(name) for name in json.loads(raw)["classes"])


def windows_has(wanted: str) -> bool:
    """Whether every Windows Server 2019 node has the root/cimv2 class ``wanted``."""
    folded = fold(wanted)
    return folded in _windows_classes() or folded.startswith(_COUNTER_CLASSES)


def class_name(wanted: str) -> str | None:
    """The modelled class's own spelling, or None."""
    return next((name for name in _CLASSES if fold(name) == fold(wanted)), None)


def instances(cluster: SimCluster, node: Node, wanted: str, *, wmi: bool) -> list[PSObject]:
    """The one instance of a modelled singleton class on ``node``."""
    name = class_name(wanted)
    assert name is not None
    values = _CLASSES[name](cluster, node, wmi)
    key = values["Name"]
    type_name = (WMI_PREFIX if wmi else CIM_PREFIX) + name
    shown = (
        f'\\\\{node.name}\\root\\cimv2:{name}.Name="{key}"' if wmi else f'{name} (Name = "{key}")'
    )
    return [PSObject((type_name, "System.Object"), props(**values), to_string=shown)]


def parse_filter(text: str) -> list[tuple[str, Any]]:
    """``Prop = value AND ...`` as (property, value) pairs; raises :class:`UnsupportedFilter`."""
    pairs: list[tuple[str, Any]] = []
    for clause in re.split(r"\s+and\s+", text.strip(), flags=re.IGNORECASE):
        match = _CLAUSE.match(clause)
        if match is None:
            raise UnsupportedFilter(clause)
        prop, single, double, number, boolean = match.groups()
        if number is not None:
            pairs.append((prop, int(number)))
        elif boolean is not None:
            pairs.append((prop, boolean.casefold() == "true"))
        else:
            pairs.append((prop, single if single is not None else double))
    return pairs


def matches(instance: PSObject, pairs: list[tuple[str, Any]]) -> bool | None:
    """Whether ``instance`` passes the filter; None when it names a missing property."""
    for prop, wanted in pairs:
        if prop not in instance.properties:
            return None
        have = instance.properties[prop]
        if isinstance(wanted, str):
            if fold(str(have)) != fold(wanted):
                return False
        elif isinstance(wanted, bool) or isinstance(have, bool):
            if bool(have) != wanted or not isinstance(have, bool):
                return False
        elif have != wanted:
            return False
    return True


def invalid_class(
    cmdlet: str, command_type: str, wanted: str, namespace: str, *, wmi: bool
) -> ErrorRecordData:
    """Windows' error for a class the namespace does not have."""
    if wmi:
        return ErrorRecordData(
            message=f'Invalid class "{wanted}"',
            error_id="GetWMIManagementException",
            category="InvalidType",
            exception_type="System.Management.ManagementException",
            activity=cmdlet,
            command_type=command_type,
        )
    target = namespace.replace("/", "\\") + ":" + wanted
    return ErrorRecordData(
        message="Invalid class ",
        error_id="HRESULT 0x80041010",
        category="MetadataError",
        exception_type="Microsoft.Management.Infrastructure.CimException",
        target_object=target,
        target_name=target,
        target_type="String",
        activity=cmdlet,
        command_type=command_type,
    )


def invalid_query(cmdlet: str, command_type: str, *, wmi: bool) -> ErrorRecordData:
    """WMI's WBEM_E_INVALID_QUERY (HRESULT 0x80041017): a filter on a missing property."""
    if wmi:
        return ErrorRecordData(
            message="Invalid query ",
            error_id="GetWMIManagementException",
            category="InvalidOperation",
            exception_type="System.Management.ManagementException",
            activity=cmdlet,
            command_type=command_type,
        )
    return ErrorRecordData(
        message="Invalid query ",
        error_id="HRESULT 0x80041017",
        category="InvalidArgument",
        exception_type="Microsoft.Management.Infrastructure.CimException",
        activity=cmdlet,
        command_type=command_type,
    )
