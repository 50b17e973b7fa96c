"""The state of a simulated Windows failover cluster, shared by every simulated node.

One :class:`SimCluster` holds the cluster objects (nodes, groups, resources), each node's
machine state (services, HKLM registry, local disks) and the shared disks. Cmdlets read
and change it under ``SimCluster.lock``; the rules that involve several objects at once
(bringing a resource online, failing a group over, which node sees which disk) live
here so that every cmdlet and every fault applies them the same way.

Names are compared case-insensitively everywhere, as Windows does: dictionaries are
keyed by :func:`fold` and objects keep the spelling they were created with.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import hashlib
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field

import msgspec

from psrunbook.sim.date_wire import ticks_of

RESOURCE_STATES = {
    "Inherited": 0,
    "Initializing": 1,
    "Online": 2,
    "Offline": 3,
    "Failed": 4,
    "Pending": 128,
    "OnlinePending": 129,
    "OfflinePending": 130,
    "Unknown": -1,
}
GROUP_STATES = {
    "Online": 0,
    "Offline": 1,
    "Failed": 2,
    "PartialOnline": 3,
    "Pending": 4,
    "Unknown": -1,
}
NODE_STATES = {"Up": 0, "Down": 1, "Paused": 2, "Joining": 3, "Unknown": -1}

KNOWN_RESOURCE_TYPES = (
    "DFS Replicated Folder",
    "DHCP Service",
    "Distributed File System",
    "Distributed Transaction Coordinator",
    "File Server",
    "File Share Witness",
    "Generic Application",
    "Generic Script",
    "Generic Service",
    "IP Address",
    "IPv6 Address",
    "IPv6 Tunnel Address",
    "Microsoft iSNS",
    "MSMQ",
    "MSMQTriggers",
    "Network Name",
    "NFS Share",
    "Physical Disk",
    "Print Spooler",
    "SQL Server",
    "SQL Server Agent",
    "Virtual Machine",
    "Virtual Machine Configuration",
    "Volume Shadow Copy Service Task",
    "WINS Service",
)

GENERIC_SERVICE = "Generic Service"
PHYSICAL_DISK = "Physical Disk"

_ID_NAMESPACE = uuid.UUID("6f1d3c8e-3f57-4a8e-9d43-5b7f1f3f2a10")


def fold(name: str) -> str:
    """The comparison key of a Windows name (case-insensitive, culture-invariant)."""
    return name.casefold()


def start_fault_key(node: str, service: str) -> str:
    """The key of a service's start fault on a node in :attr:`Faults.fail_start`."""
    return f"{fold(node)}\\{fold(service)}"


@functools.lru_cache(maxsize=4096)
def stable_id(*parts: str) -> str:
    """A GUID text derived from names, so dumps and outputs are reproducible.

    Remembered: every cluster object a cmdlet returns carries a few (issue 16).
    """
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join(fold(p) for p in parts)))


class SimModelError(Exception):
    """A rule of the model refused an operation; cmdlets turn it into an ErrorRecord.

    ``code`` is the Win32/cluster error code (5007, 5010, ...) the real API returns.
    """

    def __init__(self, code: int, detail: str = "") -> None:
        super().__init__(detail or str(code))
        self.code = code
        self.detail = detail


class VirtualClock(msgspec.Struct):
    """Simulated time in seconds; ``Start-Sleep`` advances it instantly."""

    now: float = 0.0

    def advance(self, seconds: float) -> None:
        if seconds > 0:
            self.now += seconds


BAD_CONFIG = "DTS_MSG_SERVER_BAD_CONFIG"
"""What the SSIS service logs when it cannot read its configuration file (message 273)."""


class LoadedConfig(msgspec.Struct):
    """What a running service read when it started, and keeps until it stops.

    The SSIS service reads the ServiceConfigFile value and the file it names only at
    start (ssis.json ``service_facts.config_loaded_at_start``): a change to either while
    it runs has no effect. ``config_file`` is the value then (None: no value),
    ``document_sha256`` the file's bytes then (None: no such file on that node, or one
    its account could not read: either way the service runs with its default settings).

    The service reads the file as its account (:func:`psrunbook.sim.lab.fs.service_token`:
    the per-service SID ``NT SERVICE\\MsDtsServer1x0`` and the groups of a service's
    token); without Read for any of them, or with a Deny, it keeps running with its
    defaults (local msdb, ``..\\Packages``) and logs DTS_MSG_SERVER_BAD_CONFIG (273,
    "Error reading config file ... Loading server with default settings"; Microsoft's
    HResults reference), so the Generic Service resource is Online all the same.
    ``defaults_reason`` names that message when the file was there but unreadable (None
    otherwise; a missing file keeps its older form: ``document_sha256`` None).
    """

    config_file: str | None
    document_sha256: str | None
    defaults_reason: str | None = None


class Service(msgspec.Struct):
    """A Windows service as ``Get-Service`` shows it.

    ``config_key`` (HKLM-relative) is the key whose default value names the file the
    service reads at start (the SSIS ServiceConfigFile key); ``loaded`` is what it read,
    ``pid`` and ``started`` (event ticks, see :meth:`SimCluster.stamp`) identify the
    process while it runs. ``image_path`` and ``account`` are what ``Win32_Service``
    shows as PathName (unquoted here) and StartName.

    A start or stop asked of the SCM (:meth:`SimCluster.request_start`,
    :meth:`SimCluster.request_stop`) may take time, as on Windows: the status reads
    ``StartPending`` or ``StopPending`` until the virtual clock reaches ``pending_due``
    (``[timing] service_start_seconds``/``service_stop_seconds``), or forever when
    ``hung`` (an armed :attr:`Faults.hang_service`: a service that never reports
    SERVICE_RUNNING or never exits). The process exists while either is pending.
    """

    name: str
    display_name: str
    status: str = "Running"
    start_type: str = "Automatic"
    config_key: str | None = None
    loaded: LoadedConfig | None = None
    pid: int = 0
    started: int = 0
    image_path: str = ""
    account: str = "LocalSystem"
    pending_due: float = 0.0
    hung: bool = False


PENDING_OF = {"start": "StartPending", "stop": "StopPending"}
"""The status a service shows while a start or a stop it was asked for is under way."""

PENDING_TIMEOUT_MS = 180000
"""A resource's PendingTimeout common property (its default; the lab does not let it be
changed): how long the Resource Monitor waits for a resource DLL to report a pending
online or offline before it calls the DLL's Terminate (Microsoft's Failover Cluster
reference, "PendingTimeout", Resource Common Properties:
https://learn.microsoft.com/previous-versions/windows/desktop/mscs/resources-pendingtimeout,
default 180000 ms)."""

AWAIT_SERVICE_START = "ServiceStart"
"""``Resource.pending_target`` of a Generic Service resource that is OnlinePending while
the resource DLL waits for its service to report SERVICE_RUNNING."""

AWAIT_SERVICE_STOP = "ServiceStop"
"""``Resource.pending_target`` of a Generic Service resource that is OfflinePending while
the resource DLL waits for its service to stop."""

AFTER_FAILOVER = -1
"""``Resource.pending_observations`` of a resource waiting for its service after the
restart policy failed its group over: failing again there leaves it Failed (one failover
per failure, as :meth:`SimCluster.apply_restart_policy` does)."""


class RegistryValue(msgspec.Struct):
    """One named value of a key; the name ``""`` is the key's default value."""

    name: str
    data: object
    kind: str = "String"


class RegistryKey(msgspec.Struct):
    """A key below HKEY_LOCAL_MACHINE; ``path`` is HKLM-relative, original spelling."""

    path: str
    values: dict[str, RegistryValue] = msgspec.field(default_factory=dict)

    def get(self, name: str) -> RegistryValue | None:
        return self.values.get(fold(name))

    def set(self, name: str, data: object, kind: str = "String") -> bool:
        """Set a value; returns whether anything changed."""
        current = self.values.get(fold(name))
        if current is not None and current.data == data and current.kind == kind:
            return False
        shown = current.name if current is not None else name
        self.values[fold(name)] = RegistryValue(shown, data, kind)
        return True


class Registry(msgspec.Struct):
    """HKEY_LOCAL_MACHINE of one node: keys by folded HKLM-relative path."""

    keys: dict[str, RegistryKey] = msgspec.field(default_factory=dict)

    @staticmethod
    def norm(path: str) -> str:
        return "\\".join(part for part in path.replace("/", "\\").split("\\") if part)

    def key(self, path: str) -> RegistryKey | None:
        return self.keys.get(fold(self.norm(path)))

    def create_key(self, path: str) -> tuple[RegistryKey, bool]:
        """Create a key and its missing parents; returns the key and whether it is new."""
        path = self.norm(path)
        parts = path.split("\\")
        created = False
        for i in range(1, len(parts) + 1):
            sub = "\\".join(parts[:i])
            if fold(sub) not in self.keys:
                self.keys[fold(sub)] = RegistryKey(sub)
                created = True
        return self.keys[fold(path)], created

    def subkeys(self, path: str) -> list[RegistryKey]:
        prefix = fold(self.norm(path))
        depth = prefix.count("\\") + 1 if prefix else 0
        found = []
        for folded, key in self.keys.items():
            if prefix and not folded.startswith(prefix + "\\"):
                continue
            if folded.count("\\") == depth:
                found.append(key)
        return sorted(found, key=lambda k: fold(k.path))

    def delete_key(self, path: str) -> None:
        prefix = fold(self.norm(path))
        for folded in [k for k in self.keys if k == prefix or k.startswith(prefix + "\\")]:
            del self.keys[folded]


class AclEntry(msgspec.Struct):
    """One access rule of a file or folder, as ``Get-Acl`` and ``icacls`` show it.

    ``rights`` holds FileSystemRights flag names; ``inheritance`` holds
    InheritanceFlags names (``ContainerInherit``, ``ObjectInherit``).
    """

    identity: str
    rights: tuple[str, ...]
    access_type: str = "Allow"
    inheritance: tuple[str, ...] = ()
    propagation: tuple[str, ...] = ()
    inherited: bool = False


READ_ONLY = 0x1
HIDDEN = 0x2
SYSTEM = 0x4
DIRECTORY = 0x10
ARCHIVE = 0x20
NORMAL = 0x80
FILE_ATTRIBUTE_NAMES = (
    ("ReadOnly", READ_ONLY),
    ("Hidden", HIDDEN),
    ("System", SYSTEM),
    ("Directory", DIRECTORY),
    ("Archive", ARCHIVE),
    ("Normal", NORMAL),
)
"""The ``System.IO.FileAttributes`` the lab models, in the enum's (ascending) order."""


class FsEntry(msgspec.Struct):
    """A file or folder; ``data`` is the exact bytes on disk (files only).

    ``attributes`` is the item's ``System.IO.FileAttributes`` once something set them (a
    script, a lab file); None is what the lab creates, Windows' defaults for a new item:
    Archive for a file, Directory for a folder (:attr:`file_attributes`). Kept None until
    set, so the common item costs no work and the dumps of labs without attributes keep
    their shape."""

    name: str
    is_dir: bool
    data: bytes = b""
    acl: list[AclEntry] = msgspec.field(default_factory=list)
    modified: float = 0.0
    stamp: int = 0
    attributes: int | None = None

    @property
    def file_attributes(self) -> int:
        """The FileAttributes value Windows reports (``.Attributes``, the Mode column)."""
        if self.attributes is not None:
            return self.attributes
        return DIRECTORY if self.is_dir else ARCHIVE

    @property
    def hidden(self) -> bool:
        """Hidden: left out of listings and wildcards and refused by ``Get-Item`` unless
        ``-Force`` (5.1's FileSystemProvider tests FileAttributes.Hidden alone there)."""
        return self.attributes is not None and bool(self.attributes & HIDDEN)

    @property
    def protected(self) -> bool:
        """Hidden, System or ReadOnly: ``Remove-Item`` without ``-Force`` refuses it
        (5.1's FileSystemProvider.RemoveFileSystemItem)."""
        return self.attributes is not None and bool(
            self.attributes & (HIDDEN | SYSTEM | READ_ONLY)
        )


class Volume(msgspec.Struct):
    """A disk volume mounted at ``letter``; entries keyed by folded path below the root."""

    letter: str
    entries: dict[str, FsEntry] = msgspec.field(default_factory=dict)
    root_acl: list[AclEntry] = msgspec.field(default_factory=list)


class Node(msgspec.Struct):
    """One cluster node and the machine state only it can see."""

    name: str
    state: str = "Up"
    services: dict[str, Service] = msgspec.field(default_factory=dict)
    registry: Registry = msgspec.field(default_factory=Registry)
    volumes: dict[str, Volume] = msgspec.field(default_factory=dict)
    principals: list[str] = msgspec.field(default_factory=list)
    booted: int = 0
    """The lab moment (:meth:`SimCluster.stamp`) of the node's last boot."""

    @property
    def id(self) -> str:
        return stable_id("node", self.name)

    def service(self, name: str) -> Service | None:
        return self.services.get(fold(name))


class ClusterParameter(msgspec.Struct):
    """A private (resource-type specific) property of a resource."""

    name: str
    value: object
    kind: str = "String"


class Resource(msgspec.Struct):
    """A cluster resource.

    ``dependencies`` is the dependency expression in conjunctive form: the resource
    needs every clause, a clause is satisfied by any one of its providers
    (``[A] and ([B] or [C])`` is ``[("A",), ("B", "C")]``).

    ``pending_target`` is the state a pending transition ends in ("Online" after
    ``Start-ClusterResource -Wait 0``), or :data:`AWAIT_SERVICE_START` /
    :data:`AWAIT_SERVICE_STOP` while a Generic Service resource waits for its service
    (:meth:`SimCluster.follow_service`); then ``pending_due`` is its PendingTimeout
    deadline and ``pending_observations`` the restarts this failure sequence has had
    (reads do not end such a wait), so the lab file keeps it in the fields it has.
    """

    name: str
    type: str
    group: str
    state: str = "Offline"
    possible_owners: list[str] = msgspec.field(default_factory=list)
    dependencies: list[list[str]] = msgspec.field(default_factory=list)
    parameters: dict[str, ClusterParameter] = msgspec.field(default_factory=dict)
    checkpoints: list[str] = msgspec.field(default_factory=list)
    description: str = ""
    is_core: bool = False
    separate_monitor: bool = False
    drive: str | None = None
    mount_point: str | None = None
    """A Physical Disk without a drive letter: the folder its volume is mounted in
    (``S:\\MP1``, a mounted folder, SetVolumeMountPoint) on the volume of another cluster
    disk of its group, on which it depends. The folder is an entry of that volume; what is
    below it is on this disk's own volume (``SimCluster.mounted_volumes``), reached only
    where the disk is mounted (:meth:`SimCluster.mount_of`)."""
    restart_action: int = 2
    restart_threshold: int = 1
    pending_target: str | None = None
    pending_observations: int = 0
    pending_due: float = 0.0

    @property
    def id(self) -> str:
        return stable_id("resource", self.name)

    def providers(self) -> list[str]:
        return [name for clause in self.dependencies for name in clause]

    def parameter(self, name: str) -> ClusterParameter | None:
        return self.parameters.get(fold(name))


class Group(msgspec.Struct):
    """A cluster group (role): its owner node and ordered preferred owners."""

    name: str
    owner: str
    preferred_owners: list[str] = msgspec.field(default_factory=list)
    group_type: str = "Unknown"
    is_core: bool = False
    description: str = ""

    @property
    def id(self) -> str:
        return stable_id("group", self.name)


class Timing(msgspec.Struct):
    """How long pending transitions last.

    A transition started with ``-Wait 0`` shows ``OnlinePending`` until it has been
    observed ``observations`` more times, or until the virtual clock passes ``seconds``.

    ``service_start_seconds`` and ``service_stop_seconds`` are the virtual seconds a
    service start or stop asked of the SCM takes (StartPending / StopPending meanwhile);
    0, the default, completes it at once. They apply to the starts and stops scripts ask
    for (Start/Stop/Restart-Service, a ServiceController's Start()/Stop()) and to the
    cluster's own: a Generic Service resource coming online stays OnlinePending while its
    service is StartPending, going offline OfflinePending while it is StopPending, each
    for at most the resource's PendingTimeout (:data:`PENDING_TIMEOUT_MS`, see
    :meth:`SimCluster.follow_service`). A node's boot still starts its Automatic services
    at once: modelling a boot that takes time (the node Up while its services start) is
    out of proportion to what the runbooks do with it (they never wait on a boot).

    ``cluster_call_seconds`` is the time every FailoverClusters cmdlet call takes (an RPC
    to the cluster service: milliseconds on a quiet cluster, more on a busy or large
    one); 0, the default, answers at once. A script that waits by counting its own
    sleeps instead of reading a clock overruns its bound by that much per turn.
    """

    observations: int = 0
    seconds: float = 1.0
    service_start_seconds: float = 0.0
    service_stop_seconds: float = 0.0
    cluster_call_seconds: float = 0.0


class Faults(msgspec.Struct):
    """Cluster-level faults that tests and ``sim serve`` arm; they are part of the state.

    ``fail_online`` maps a folded resource name to how many more online attempts fail
    (``-1`` = all of them). ``fail_start`` maps ``node\\service`` (folded) to how many
    more starts of that service on that node fail as a logon failure does (1069: the
    service account's password changed or expired), whoever starts it: a cmdlet, the
    cluster's Generic Service resource, or the node's boot. ``scheduled_moves`` holds
    ``[group, node or "", pipelines]``: after that many more pipelines have finished,
    the group moves. ``hang_service`` maps ``node\\service`` (folded) to ``start`` or
    ``stop``: the next start (or stop) of that service, asked by a script or by the
    cluster for a Generic Service resource, never completes, and the service stays
    StartPending (StopPending) until its node goes down (:meth:`SimCluster.hang_service`).
    """

    fail_online: dict[str, int] = msgspec.field(default_factory=dict)
    fail_start: dict[str, int] = msgspec.field(default_factory=dict)
    hang_service: dict[str, str] = msgspec.field(default_factory=dict)
    scheduled_moves: list[list[object]] = msgspec.field(default_factory=list)
    pipelines_finished: int = 0


LAB_EPOCH_TICKS = (datetime.date(2026, 1, 1) - datetime.date(1, 1, 1)).days * 864_000_000_000
""".NET ticks (100 ns since 0001-01-01) of the lab's time zero, 2026-01-01 00:00 UTC: the
moment of what the lab holds from before it ran (stamp 0)."""


@dataclass
class SimCluster:
    """The whole simulated cluster; hold ``lock`` while reading or changing it."""

    name: str
    domain: str = "SIMLAB"
    nodes: dict[str, Node] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    resources: dict[str, Resource] = field(default_factory=dict)
    shared_volumes: dict[str, Volume] = field(default_factory=dict)
    mounted_volumes: dict[str, Volume] = field(default_factory=dict)
    """The volumes of the cluster disks mounted in a folder (``Resource.mount_point``),
    keyed by that folder folded (``s:\\mp1``); each volume's ``letter`` is the drive the
    folder is on, its entries are keyed below the folder (:meth:`mount_of`)."""
    checkpoint_data: dict[str, dict[str, list[object]]] = field(default_factory=dict)
    resource_types: list[str] = field(default_factory=lambda: list(KNOWN_RESOURCE_TYPES))
    clock: VirtualClock = field(default_factory=VirtualClock)
    timing: Timing = field(default_factory=Timing)
    faults: Faults = field(default_factory=Faults)
    start_brings_providers_online: bool = True
    remote_user_is_administrator: bool = True
    """Whether the user connecting over PSRP is in every node's Administrators group."""
    cluster_errors_terminate: bool = True
    """Whether a FailoverClusters cmdlet's failure is a terminating error (which
    ``-ErrorAction`` cannot hold back) or a non-terminating one. UNVERIFIED which one
    Windows raises (shared/facts leaves it open): terminating, the stricter, by default."""
    latency_ms: float = 0.0
    """Round-trip time the lab's endpoints add to every request (``[network] latency_ms``)."""
    lab: dict[str, object] = field(default_factory=dict)
    changes: Counter[str] = field(default_factory=Counter)
    change_log: list[list[str]] = field(default_factory=list)
    events: int = 0
    clock_ahead_s: float = 0.0
    """How far the nodes' clock runs ahead of real time: the seconds of Start-Sleep the
    lab did not really wait (a ``time_scale`` below 1), which Windows would have."""
    last_stamp: int = 0
    """The latest :meth:`stamp` given out."""
    clock_running: bool = field(default=False, repr=False, compare=False)
    """Whether scripts run on the lab (an executor serves it): until then, while the lab
    is built, its stamps count from its epoch, so a lab starts the same every time."""
    failing_over: bool = field(default=False, repr=False, compare=False)
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @property
    def id(self) -> str:
        return stable_id("cluster", self.name)

    # -- lookups ---------------------------------------------------------------------

    def node(self, name: str) -> Node:
        found = self.nodes.get(fold(name))
        if found is None:
            raise SimModelError(5042, name)
        return found

    def group(self, name: str) -> Group:
        found = self.groups.get(fold(name))
        if found is None:
            raise SimModelError(5013, name)
        return found

    def resource(self, name: str) -> Resource:
        found = self.resources.get(fold(name))
        if found is None:
            raise SimModelError(5007, name)
        return found

    def resource_type(self, name: str) -> str:
        for known in self.resource_types:
            if fold(known) == fold(name):
                return known
        raise SimModelError(5078, name)

    def group_resources(self, group: str) -> list[Resource]:
        return [r for r in self.resources.values() if fold(r.group) == fold(group)]

    def owner_of(self, resource: Resource) -> str:
        return self.group(resource.group).owner

    def node_is_down(self, name: str) -> bool:
        """Whether the node's endpoint should refuse connections (unknown nodes too)."""
        found = self.nodes.get(fold(name))
        return found is None or found.state == "Down"

    def record_change(self, cmdlet: str, node: str, target: str) -> None:
        """Count one applied change, so tests can prove nothing is applied twice."""
        self.changes[cmdlet] += 1
        self.change_log.append([cmdlet, node, target])

    # -- services --------------------------------------------------------------------

    def node_now(self) -> datetime.datetime:
        """The nodes' time now (UTC): real time plus the sleeps the lab skipped, the clock
        ``Get-Date`` reads (:class:`psrunbook.sim.lab.cluster_executor.LabClock`)."""
        return datetime.datetime.now(datetime.UTC) + datetime.timedelta(
            seconds=self.clock_ahead_s
        )

    def skip(self, seconds: float) -> None:
        """A sleep waited ``seconds`` less than it asked for: the nodes' clock moves on."""
        if seconds > 0:
            with self.lock:
                self.clock_ahead_s += seconds

    def stamp(self) -> int:
        """The moment now, in 100 ns ticks since the lab's epoch (:data:`LAB_EPOCH_TICKS`),
        on the nodes' clock (:meth:`node_now`), so a file written or a service started
        now is dated now, as ``Get-Date`` says; and later than every earlier stamp: time
        always passes on Windows between two writes or starts, so two in one tick are
        still ordered. What the lab holds from before it ran (built before an executor
        serves it, :attr:`clock_running`) dates from the epoch.
        """
        self.events += 1
        if self.clock_running:
            moment = ticks_of(self.node_now()) - LAB_EPOCH_TICKS
        else:
            moment = int(self.clock.now * 10_000_000) + self.events
        self.last_stamp = max(self.last_stamp + 1, moment)
        return self.last_stamp

    def start_service(self, node: Node, service: Service) -> bool:
        """Start a stopped service: a new process that reads its configuration now.

        Returns False when it is already running (the process, and what it loaded, stay).
        Raises :class:`SimModelError` 1058 for a Disabled service, as the SCM refuses it,
        and 1069 while a start fault is armed for it (:attr:`Faults.fail_start`).
        """
        if service.start_type == "Disabled":
            raise SimModelError(1058, f"service {service.name} is disabled on {node.name}")
        if service.status == "Running":
            return False
        self._raise_start_fault(node, service)
        self._spawn(node, service)
        service.status = "Running"
        return True

    def _raise_start_fault(self, node: Node, service: Service) -> None:
        """Raise the armed start fault's logon failure, using one up; nothing when none."""
        blocker = self.start_fault(node, service)
        if blocker is not None:
            key = start_fault_key(node.name, service.name)
            remaining = self.faults.fail_start[key]
            if remaining > 0:
                self.faults.fail_start[key] = remaining - 1
            raise blocker

    def _spawn(self, node: Node, service: Service) -> None:
        """The service's process starts now and reads its configuration."""
        service.started = self.stamp()
        service.pid = 1000 + self.events
        service.loaded = self._read_config(node, service)
        service.pending_due = 0.0
        service.hung = False

    def start_fault(self, node: Node, service: Service) -> SimModelError | None:
        """The logon failure an armed start fault gives the next start, or None."""
        remaining = self.faults.fail_start.get(start_fault_key(node.name, service.name), 0)
        if remaining == 0:
            return None
        return SimModelError(
            1069, f"injected fault: {service.name} on {node.name} did not start (logon failure)"
        )

    def stop_service(self, service: Service) -> bool:
        """Stop a service: its process and what it loaded are gone."""
        if service.status == "Stopped":
            return False
        self._end_process(service)
        return True

    def _end_process(self, service: Service) -> None:
        service.status = "Stopped"
        service.loaded = None
        service.pid = 0
        service.pending_due = 0.0
        service.hung = False

    # A start or stop a script asks of the SCM (StartService, ControlService STOP), which
    # returns before the service has changed state: ServiceController.Start()/Stop() and
    # the Start/Stop/Restart-Service cmdlets built on them (PowerShell's Service.cs,
    # DoStartService/DoStopService). A Generic Service resource's own starts and stops
    # (_cluster_start, _cluster_stop) take the same time; a node's boot and crash use
    # start_service and stop_service above, which complete at once.

    def request_start(self, node: Node, service: Service) -> None:
        """StartService: the process starts now, Running at once or after
        ``timing.service_start_seconds`` (StartPending meanwhile; forever when a hang is
        armed). Raises :class:`SimModelError` 1058 for a Disabled service, 1069 while a
        start fault is armed, and 1056 (ERROR_SERVICE_ALREADY_RUNNING) for a service that
        is not Stopped: the SCM starts only a stopped service (ReactOS services.exe
        ``ScmLoadService``: any state but SERVICE_STOPPED is "already running"; Windows'
        answer for StopPending is UNVERIFIED, and the lab refuses as ReactOS does).
        """
        if service.start_type == "Disabled":
            raise SimModelError(1058, f"service {service.name} is disabled on {node.name}")
        if service.status != "Stopped":
            raise SimModelError(1056, f"service {service.name} is {service.status}")
        self._raise_start_fault(node, service)
        self._spawn(node, service)
        service.status = "Running"
        self._begin_pending(node, service, "start", self.timing.service_start_seconds)

    def request_stop(self, node: Node, service: Service) -> None:
        """ControlService STOP: Stopped at once or after ``timing.service_stop_seconds``
        (StopPending meanwhile, the process still there; forever when a hang is armed).
        Raises :class:`SimModelError` 1062 (ERROR_SERVICE_NOT_ACTIVE) for a stopped
        service and 1061 (ERROR_SERVICE_CANNOT_ACCEPT_CTRL) for one starting or already
        stopping: a pending service accepts no stop control (UNVERIFIED which code
        Windows gives; refusing is the stricter reading).
        """
        if service.status == "Stopped":
            raise SimModelError(1062, f"service {service.name} is not started")
        if service.status != "Running":
            raise SimModelError(1061, f"service {service.name} is {service.status}")
        if not self._begin_pending(node, service, "stop", self.timing.service_stop_seconds):
            self._end_process(service)

    def _begin_pending(
        self, node: Node, service: Service, change: str, seconds: float, at: float | None = None
    ) -> bool:
        """Leave ``service`` StartPending/StopPending when the change takes time or an
        armed hang holds it (the hang is used up); False when the change is complete now.
        ``at`` is the virtual moment the change was asked for (default: now)."""
        key = start_fault_key(node.name, service.name)
        hung = self.faults.hang_service.get(key) == change
        if hung:
            del self.faults.hang_service[key]
        if not hung and seconds <= 0:
            return False
        service.status = PENDING_OF[change]
        service.hung = hung
        service.pending_due = (self.clock.now if at is None else at) + max(seconds, 0.0)
        return True

    def _cluster_start(self, node: Node, service: Service, at: float | None) -> bool:
        """The Generic Service resource DLL's start of its service; True when it is Running
        now, False while it is StartPending (the resource waits for it).

        A stopped service starts as a script's start does (``service_start_seconds``, an
        armed start hang). One already starting is adopted as "already running" is: the
        DLL then waits for it to report SERVICE_RUNNING, and a hung one never does, so
        every later online attempt on that node (the restart policy's, a move back) hangs
        again until the node goes down: a hang is used up by the start it holds, and that
        start never ends. The blockers (Disabled, a start fault, StopPending) are
        :meth:`online_blocker`'s and have been checked.
        """
        if service.status == "Running":
            return True
        if service.status == "StartPending":
            return False
        self._spawn(node, service)
        service.status = "Running"
        return not self._begin_pending(
            node, service, "start", self.timing.service_start_seconds, at
        )

    def _cluster_stop(self, node: Node, service: Service) -> bool:
        """The Generic Service resource DLL's stop of its service (ControlService STOP);
        True when it is stopped now, False while the resource must wait for it: a stop
        taking ``service_stop_seconds`` or held by an armed stop hang, a stop already under
        way (adopted), or a service still StartPending, which accepts no stop control
        (1061, as :meth:`request_stop` refuses it; what the DLL then does is UNVERIFIED:
        the lab keeps the resource waiting until its PendingTimeout, the stricter end)."""
        if service.status == "Stopped":
            return True
        if service.status != "Running":
            return False
        if self._begin_pending(node, service, "stop", self.timing.service_stop_seconds):
            return False
        self._end_process(service)
        return True

    def hang_service(self, node: str, service: str, change: str) -> None:
        """Arm a hang: the next ``change`` (``start`` or ``stop``) of ``service`` on
        ``node``, asked by a script or by the cluster for a Generic Service resource, never
        completes (StartPending/StopPending for good: only the node going down ends it),
        as a service that never reports SERVICE_RUNNING, or never exits, does."""
        if change not in PENDING_OF:
            raise ValueError(f"change must be 'start' or 'stop', not {change!r}")
        host = self.node(node)
        if host.service(service) is None:
            raise SimModelError(1060, f"service {service} is not installed on {node}")
        self.faults.hang_service[start_fault_key(host.name, service)] = change

    def settle_services(self) -> None:
        """Complete every pending service start or stop whose virtual time has come.

        The Generic Service resources waiting for their service go first
        (:meth:`follow_service`): each compares its service's moment with its own
        PendingTimeout, which a service already settled here could no longer tell."""
        for resource in list(self.resources.values()):
            if resource.pending_target in (AWAIT_SERVICE_START, AWAIT_SERVICE_STOP):
                self.follow_service(resource)
        for node in self.nodes.values():
            for service in node.services.values():
                if service.status not in ("StartPending", "StopPending") or service.hung:
                    continue
                if self.clock.now >= service.pending_due:
                    self._settle_service(service)

    def _settle_service(self, service: Service) -> None:
        """A pending start or stop completes: Running, or the process gone."""
        if service.status == "StartPending":
            service.status = "Running"
            service.pending_due = 0.0
        else:
            self._end_process(service)

    def service_wait(self, service: Service, target: str, timeout_s: float) -> float:
        """How long ``ServiceController.WaitForStatus(target, timeout)`` blocks.

        .NET Framework's WaitForStatus reads the status, then sleeps 250 ms and reads it
        again until it is ``target``, throwing System.ServiceProcess.TimeoutException at
        the first read after ``timeout`` has passed (reference source, ServiceController.cs;
        its message "Time out has expired and the operation has not been completed.").
        Returns the seconds until the read that sees ``target`` (the caller moves the
        clocks on by them), or a negative number: minus the seconds until it throws.
        """
        poll = 0.25
        if service.status == target:
            return 0.0
        throws = (int(max(timeout_s, 0.0) / poll) + 1) * poll
        pending = service.status in ("StartPending", "StopPending") and not service.hung
        settles_to = "Running" if service.status == "StartPending" else "Stopped"
        if pending and settles_to == target:
            due = max(service.pending_due - self.clock.now, 0.0)
            seen = -(-due // poll) * poll  # the first read at or after the change
            if seen <= throws:  # a read at the timeout that sees the status still succeeds
                return seen
        return -throws

    def service_stopped_outside(self, node: Node, service: Service) -> None:
        """A service stopped behind the cluster's back (``Stop-Service`` on the owner).

        The resource monitor's IsAlive check of a Generic Service resource fails when its
        service is no longer running, and the resource fails; then its restart policy
        applies (restart here up to the threshold, then RestartAction decides). The lab
        sees it at once; a real monitor polls (IsAlivePollInterval, ``failoverclusters.json``
        ClusterResource), which only delays the same outcome (the delay is UNVERIFIED).
        """
        for resource in list(self.resources.values()):
            if fold(resource.type) != fold(GENERIC_SERVICE):
                continue
            param = resource.parameter("ServiceName")
            if param is None or fold(str(param.value)) != fold(service.name):
                continue
            if fold(self.owner_of(resource)) != fold(node.name):
                continue
            if self.observe(resource) != "Online":
                continue
            resource.state = "Failed"
            self.apply_restart_policy(resource)

    def _read_config(self, node: Node, service: Service) -> LoadedConfig | None:
        if service.config_key is None:
            return None
        key = node.registry.key(service.config_key)
        value = key.get("") if key is not None else None
        if value is None or not isinstance(value.data, str):
            return LoadedConfig(None, None)
        path = value.data
        digest = None
        if len(path) > 3 and path[1:3] == ":\\":
            from psrunbook.sim.lab.fs import (  # noqa: PLC0415 (fs and paths import this module)
                READ_FILE,
                FsView,
                service_token,
            )
            from psrunbook.sim.lab.paths import FsPath  # noqa: PLC0415 (imports this module)

            where = FsPath(path[0].upper(), tuple(p for p in path[3:].split("\\") if p))
            view = FsView(self, node.name)
            entry = view.get(where) if where.parts else None
            if entry is not None and not entry.is_dir:
                token = service_token(self.domain, service.account)
                if not view.allows(where, token, READ_FILE):
                    return LoadedConfig(path, None, BAD_CONFIG)
                digest = hashlib.sha256(entry.data).hexdigest()
        return LoadedConfig(path, digest)

    # -- states ----------------------------------------------------------------------

    def observe(self, resource: Resource) -> str:
        """The state a reader sees now; settles a pending transition when it is due.

        A Generic Service resource waiting for its service settles on the virtual clock
        alone (:meth:`follow_service`), never because it was read."""
        if resource.pending_target in (AWAIT_SERVICE_START, AWAIT_SERVICE_STOP):
            self.follow_service(resource)
        elif resource.pending_target is not None:
            if resource.pending_observations <= 0 or self.clock.now >= resource.pending_due:
                self._settle(resource)
            else:
                resource.pending_observations -= 1
        return resource.state

    def settle_due(self) -> None:
        """Complete every pending transition whose virtual time has come."""
        for resource in list(self.resources.values()):
            if resource.pending_target in (AWAIT_SERVICE_START, AWAIT_SERVICE_STOP):
                continue
            if resource.pending_target is not None and self.clock.now >= resource.pending_due:
                self._settle(resource)
        self.settle_services()

    def _settle(self, resource: Resource) -> None:
        target = resource.pending_target
        resource.pending_target = None
        if target == "Online":
            # The resource DLL's Online is called when the transition ends (its due
            # moment, or now when a read ended it earlier).
            self._complete_online(resource, at=min(self.clock.now, resource.pending_due))
        elif target is not None:
            resource.state = target

    def _resource_service(self, resource: Resource) -> tuple[Node, Service] | None:
        """The owner node and the service of a Generic Service resource, when it has both."""
        if fold(resource.type) != fold(GENERIC_SERVICE):
            return None
        param = resource.parameter("ServiceName")
        host = self.nodes.get(fold(self.owner_of(resource)))
        if param is None or not param.value or host is None:
            return None
        service = host.service(str(param.value))
        return None if service is None else (host, service)

    def follow_service(self, resource: Resource) -> None:
        """Settle a Generic Service resource waiting for its service, as the virtual clock
        says: OnlinePending until the service reports Running, OfflinePending until it has
        stopped, each for at most PendingTimeout (:data:`PENDING_TIMEOUT_MS`) from when the
        resource DLL asked.

        The Generic Service resource DLL starts the service and keeps the resource
        OnlinePending while the service is START_PENDING; the Resource Monitor waits
        PendingTimeout for the DLL to report, then calls its Terminate entry point
        (Microsoft's PendingTimeout reference, see :data:`PENDING_TIMEOUT_MS`). That the
        DLL reports nothing while its service is pending, so that PendingTimeout bounds
        the whole wait, is UNVERIFIED: the stricter reading (a service that never starts
        fails its resource). An online that runs out is a failure: the resource is
        Failed and its restart policy applies (:meth:`apply_restart_policy`, each restart
        starting where the last one ran out); an offline that runs out leaves the resource
        Failed. Whether Terminate also ends the service's process is UNVERIFIED: the lab
        leaves the service as it is (still StartPending or StopPending, its process alive),
        the stricter reading, so a hung service keeps hanging on that node.
        """
        while resource.pending_target in (AWAIT_SERVICE_START, AWAIT_SERVICE_STOP):
            starting = resource.pending_target == AWAIT_SERVICE_START
            pending = "StartPending" if starting else "StopPending"
            deadline = resource.pending_due
            found = self._resource_service(resource)
            service = found[1] if found is not None else None
            if service is not None and service.status == pending:
                if not service.hung and service.pending_due <= min(self.clock.now, deadline):
                    self._settle_service(service)
                elif self.clock.now < deadline:
                    return
            if not starting:
                resource.pending_target = None
                stopped = service is None or service.status == "Stopped"
                resource.state = "Offline" if stopped else "Failed"
                return
            if service is not None and service.status == "Running":
                resource.pending_target = None
                resource.state = "Online"
                return
            # The online failed: it ran out of time, or the service stopped meanwhile.
            at = deadline if service is not None and service.status == pending else None
            restarts = resource.pending_observations
            resource.pending_target = None
            resource.state = "Failed"
            self.apply_restart_policy(resource, restarts=restarts, at=at)

    def service_settles(self, resource: Resource) -> tuple[float, bool] | None:
        """For a Generic Service resource waiting for its service: the virtual seconds from
        now until the wait ends, and whether it ends in the state asked for (Online,
        Offline) rather than in a failure at PendingTimeout. None for any other resource."""
        if resource.pending_target not in (AWAIT_SERVICE_START, AWAIT_SERVICE_STOP):
            return None
        starting = resource.pending_target == AWAIT_SERVICE_START
        deadline_in = max(resource.pending_due - self.clock.now, 0.0)
        found = self._resource_service(resource)
        if found is None:
            return 0.0, not starting
        service = found[1]
        if service.status == ("Running" if starting else "Stopped"):
            return 0.0, True
        if service.status == ("StartPending" if starting else "StopPending") and not service.hung:
            due_in = max(service.pending_due - self.clock.now, 0.0)
            if due_in <= deadline_in:
                return due_in, True
        return deadline_in, False

    def group_state(self, group: Group) -> str:
        states = [self.observe(r) for r in self.group_resources(group.name)]
        if not states:
            return "Online"
        if any(s in ("OnlinePending", "OfflinePending", "Pending") for s in states):
            return "Pending"
        if all(s == "Online" for s in states):
            return "Online"
        if any(s == "Failed" for s in states):
            return "Failed"
        if any(s == "Online" for s in states):
            return "PartialOnline"
        return "Offline"

    # -- disks -----------------------------------------------------------------------

    def volume_for(self, node: str, letter: str) -> Volume | None:
        """The volume mounted at ``letter`` on ``node``, or None where it is not visible.

        A shared disk is mounted only on the node owning its group, and only while
        its Physical Disk resource is Online.
        """
        letter = letter.upper()
        local = self.node(node).volumes.get(letter)
        if local is not None:
            return local
        shared = self.shared_volumes.get(letter)
        if shared is None:
            return None
        for resource in self.resources.values():
            if resource.drive is not None and resource.drive.upper() == letter:
                owner = self.group(resource.group).owner
                if fold(owner) == fold(node) and self.observe(resource) == "Online":
                    return shared
                return None
        return None

    def disk_mounted(self, node: str, resource: Resource) -> bool:
        """Whether the volume of Physical Disk ``resource`` is mounted on ``node``: as for
        :meth:`volume_for`, only on the node owning its group while the resource is Online;
        one mounted in a folder also needs that folder's volume there, else its mount point
        leads nowhere (UNVERIFIED what Windows lists then; the lab shows nothing)."""
        if fold(resource.type) != fold(PHYSICAL_DISK):
            return False
        if resource.drive is not None:
            return self.volume_for(node, resource.drive) is not None
        if resource.mount_point is None:
            return False
        owner = self.group(resource.group).owner
        if fold(owner) != fold(node) or self.observe(resource) != "Online":
            return False
        return self.volume_for(node, resource.mount_point[0]) is not None

    def mount_of(
        self, node: str, letter: str, parts: tuple[str, ...]
    ) -> tuple[int, Volume | None] | None:
        """For a path of drive ``letter`` (its ``parts`` below the root) at or below the
        folder a cluster disk is mounted in: how many parts that folder has, and the disk's
        volume where ``node`` has it mounted (:meth:`disk_mounted`), else None. None for a
        path outside every mount point. Windows reaches what is below a mounted folder on
        the mounted volume (SetVolumeMountPoint); while that volume is not mounted the lab
        shows the folder empty and nothing below it (UNVERIFIED what Windows shows: the
        stricter reading, no file of the disk is reachable). A lab without mount points
        pays one dict test."""
        if not self.mounted_volumes or not parts:
            return None
        for folder, volume in self.mounted_volumes.items():
            if volume.letter != letter:
                continue
            below = folder[3:].split("\\")
            depth = len(below)
            if len(parts) < depth or [fold(p) for p in parts[:depth]] != below:
                continue
            for resource in self.resources.values():
                if resource.mount_point is not None and fold(resource.mount_point) == folder:
                    return depth, volume if self.disk_mounted(node, resource) else None
            return depth, None
        return None

    # -- online / offline ------------------------------------------------------------

    def online_blocker(self, resource: Resource, node: str) -> SimModelError | None:
        """Why ``resource`` cannot come online on ``node`` right now, if it cannot."""
        host = self.node(node)
        if host.state != "Up":
            return SimModelError(5050, f"node {node} is {host.state}")
        owners = [fold(o) for o in resource.possible_owners]
        if owners and fold(node) not in owners:
            return SimModelError(5071, f"{node} is not a possible owner of {resource.name}")
        remaining = self.faults.fail_online.get(fold(resource.name))
        if remaining is not None and remaining != 0:
            return SimModelError(5018, "injected fault: resource fails to come online")
        if fold(resource.type) == fold(GENERIC_SERVICE):
            param = resource.parameter("ServiceName")
            service = str(param.value) if param is not None and param.value else ""
            if not service:
                return SimModelError(5018, "Generic Service without ServiceName")
            if host.service(service) is None:
                return SimModelError(1060, f"service {service} is not installed on {node}")
            if host.services[fold(service)].start_type == "Disabled":
                return SimModelError(1058, f"service {service} is disabled on {node}")
            if host.services[fold(service)].status == "StopPending":
                # The SCM answers a start of a stopping service "already running"
                # (ReactOS services.exe ScmLoadService); the DLL takes that as started,
                # then finds the service neither starting nor running, and fails.
                return SimModelError(5018, f"service {service} on {node} is StopPending")
            if host.services[fold(service)].status != "Running":
                return self.start_fault(host, host.services[fold(service)])
        return None

    def begin_online(self, resource: Resource, *, wait: bool) -> None:
        """Bring providers online (when the policy says so), then the resource.

        Raises :class:`SimModelError` when a provider is not Online (strict policy) or
        cannot come online, or when the resource itself cannot; a resource that cannot
        come online is left Failed, as the cluster leaves it. Without ``wait`` the
        resource goes OnlinePending and the outcome shows when the transition settles.
        """
        self.observe(resource)
        if resource.state == "Online" or resource.pending_target == AWAIT_SERVICE_START:
            return  # online, or coming online: the caller waits for it
        if resource.pending_target == AWAIT_SERVICE_STOP:
            # Still going offline (its service stopping): the cluster refuses an online
            # until it is (UNVERIFIED which error; ERROR_INVALID_STATE, never a wait).
            raise SimModelError(5023, f"{resource.name} is OfflinePending")
        for clause in resource.dependencies:
            providers = [self.resource(p) for p in clause]
            if any(self.observe(p) == "Online" for p in providers):
                continue
            if not self.start_brings_providers_online:
                raise SimModelError(5004, clause[0])
            last: SimModelError | None = None
            for provider in providers:
                try:
                    self.begin_online(provider, wait=True)
                except SimModelError as exc:
                    last = exc
                    continue
                break
            else:
                raise SimModelError(5004, clause[0]) from last
        if wait:
            owner = self.owner_of(resource)
            blocker = self.online_blocker(resource, owner)
            if blocker is not None:
                self._consume_fault(resource)
                resource.state = "Failed"
                resource.pending_target = None
                self.apply_restart_policy(resource)
                raise blocker
            resource.pending_target = None
            self._complete_online(resource)
        else:
            resource.state = "OnlinePending"
            resource.pending_target = "Online"
            resource.pending_observations = self.timing.observations
            resource.pending_due = self.clock.now + self.timing.seconds

    def apply_restart_policy(
        self, resource: Resource, *, restarts: int = 0, at: float | None = None
    ) -> None:
        """What the cluster does after ``resource`` failed (it is Failed now).

        RestartAction 0 leaves it Failed. Otherwise it is restarted on the same node up to
        RestartThreshold times; if it still fails, RestartAction 1 leaves it Failed there,
        and 2 (the default) fails the whole group over to another node, SQL Server and all
        (clusapi CLUSTER_RESOURCE_RESTART_ACTION, as cited in shared/reviews/domain.md H2;
        the threshold semantics are UNVERIFIED and the lab chooses the stricter reading:
        a failure while an administrator brings the resource online counts too).

        ``restarts`` is how many restarts this failure has had already: a Generic Service
        restart waiting for its service (:meth:`follow_service`) fails later, and goes on
        from there; :data:`AFTER_FAILOVER` when it failed on the node it failed over to.
        ``at`` is the virtual moment of the failure (default now), when a restart begins
        (RestartDelay is not modelled).
        """
        if resource.restart_action == 0 or restarts == AFTER_FAILOVER:
            return
        owner = self.owner_of(resource)
        while restarts < resource.restart_threshold:
            restarts += 1
            blocker = self.online_blocker(resource, owner)
            if blocker is None:
                self._complete_online(resource, restarts=restarts, at=at)
                return
            self._consume_fault(resource)
        resource.state = "Failed"
        if resource.restart_action != 2 or self.failing_over:
            return
        group = self.group(resource.group)
        target = self.best_target(group, exclude=group.owner)
        if target is None:
            return
        # One failover per failure: a resource failing again on the new node stays Failed
        # (the group's FailoverThreshold is not modelled; stopping here is the stricter end).
        self.failing_over = True
        try:
            self.move_group(group, target)
            blocker = self.online_blocker(resource, target)
            if blocker is None:
                self._complete_online(resource, restarts=AFTER_FAILOVER, at=at)
            else:
                self._consume_fault(resource)
                resource.state = "Failed"
        finally:
            self.failing_over = False

    def _consume_fault(self, resource: Resource) -> None:
        """One failed online attempt used up: of the resource's own fault if it has one,
        else of its service's start fault on the owner node (the attempt's start failed)."""
        remaining = self.faults.fail_online.get(fold(resource.name))
        if remaining is not None and remaining != 0:
            if remaining > 0:
                self.faults.fail_online[fold(resource.name)] = remaining - 1
            return
        param = resource.parameter("ServiceName")
        if fold(resource.type) != fold(GENERIC_SERVICE) or param is None:
            return
        key = start_fault_key(self.owner_of(resource), str(param.value))
        if self.faults.fail_start.get(key, 0) > 0:
            self.faults.fail_start[key] -= 1

    def _complete_online(
        self, resource: Resource, *, restarts: int = 0, at: float | None = None
    ) -> None:
        """The resource DLL's Online on the owner node, at virtual moment ``at`` (now by
        default); ``restarts`` as :meth:`apply_restart_policy` counts them. A Generic
        Service resource whose service does not run at once stays OnlinePending
        (:meth:`follow_service`)."""
        owner = self.owner_of(resource)
        blocker = self.online_blocker(resource, owner)
        if blocker is not None:
            self._consume_fault(resource)
            resource.state = "Failed"
            self.apply_restart_policy(resource, restarts=restarts, at=at)
            return
        resource.state = "Online"
        host = self.node(owner)
        for key in resource.checkpoints:
            if not self._restore_checkpoint(resource, key, host):
                self.snapshot_checkpoint(resource, key, host)
        if fold(resource.type) == fold(GENERIC_SERVICE):
            # The Generic Service resource DLL sets the service to Manual (so that the
            # cluster, not the SCM, decides where it runs), starts it, and treats "already
            # running" as success: it adopts the process and what that loaded.
            param = resource.parameter("ServiceName")
            if param is not None:
                service = host.services[fold(str(param.value))]
                service.start_type = "Manual"
                if not self._cluster_start(host, service, at):
                    resource.state = "OnlinePending"
                    resource.pending_target = AWAIT_SERVICE_START
                    resource.pending_observations = restarts
                    begun = self.clock.now if at is None else at
                    resource.pending_due = begun + PENDING_TIMEOUT_MS / 1000

    def take_offline(self, resource: Resource) -> None:
        """Take dependents offline first, then the resource (Stop-ClusterResource).

        A Generic Service resource that is Online, or OnlinePending on its service, stops
        its service on the owner (:meth:`_cluster_stop`) and stays OfflinePending while
        the service stops (:meth:`follow_service`). A provider does not wait for a
        dependent still OfflinePending: a limit (Windows takes the provider offline after
        it), which no runbook meets (they take only the SSIS resource, a leaf, offline)."""
        for dependent in self.dependents(resource):
            if self.observe(dependent) not in ("Offline", "OfflinePending"):
                self.take_offline(dependent)
        self.observe(resource)
        if resource.state in ("Offline", "OfflinePending"):
            return
        owner = self.owner_of(resource)
        host = self.node(owner)
        for key in resource.checkpoints:
            self.snapshot_checkpoint(resource, key, host)
        running = resource.state == "Online" or resource.pending_target == AWAIT_SERVICE_START
        resource.pending_target = None
        found = self._resource_service(resource)
        if running and found is not None and not self._cluster_stop(*found):
            resource.state = "OfflinePending"
            resource.pending_target = AWAIT_SERVICE_STOP
            resource.pending_observations = 0
            resource.pending_due = self.clock.now + PENDING_TIMEOUT_MS / 1000
            return
        resource.state = "Offline"

    def dependents(self, resource: Resource) -> list[Resource]:
        return [
            r
            for r in self.resources.values()
            if any(fold(p) == fold(resource.name) for p in r.providers())
        ]

    # -- checkpoints -----------------------------------------------------------------
    # The cluster keeps a copy of each checkpointed key: taken from the owner when the
    # checkpoint is added (in any state of the resource), when the resource comes online
    # and the cluster has no copy yet, and when it leaves a node (offline, move); restored
    # on the node where the resource comes online. A change made on a node while the
    # resource is not Online there is therefore overwritten at the next online, as on a
    # real cluster (KB 174070 "Registry replication in Microsoft Cluster Server"; MS-CMRP
    # CLUSCTL_RESOURCE_ADD_REGISTRY_CHECKPOINT: the data MUST be restored on the node
    # hosting the resource before it is brought online). Windows also SHOULD re-checkpoint
    # a key changed while the resource is Online; the lab does that only at offline and
    # move, so a crash of the owner loses such a change here (stricter, never kinder).

    def snapshot_checkpoint(self, resource: Resource, key: str, host: Node) -> None:
        """Save the checkpointed key's values from ``host`` into the cluster database."""
        saved: dict[str, list[object]] = {}
        prefix = fold(Registry.norm(key))
        for folded, reg_key in host.registry.keys.items():
            if folded == prefix or folded.startswith(prefix + "\\"):
                rel = reg_key.path[len(prefix) :]
                for value in reg_key.values.values():
                    saved[f"{rel}|{value.name}"] = [value.data, value.kind]
        self.checkpoint_data[f"{fold(resource.name)}|{prefix}"] = saved

    def _restore_checkpoint(self, resource: Resource, key: str, host: Node) -> bool:
        """Write the saved key to ``host``; False when the cluster has no copy yet."""
        prefix = Registry.norm(key)
        saved = self.checkpoint_data.get(f"{fold(resource.name)}|{fold(prefix)}")
        if saved is None:
            return False
        for item, (data, kind) in saved.items():
            rel, name = item.split("|", 1)
            reg_key, _ = host.registry.create_key(prefix + rel)
            reg_key.set(name, data, str(kind))
        return True

    # -- moving groups ---------------------------------------------------------------

    def can_host(self, group: Group, node: str) -> bool:
        host = self.nodes.get(fold(node))
        if host is None or host.state != "Up":
            return False
        for resource in self.group_resources(group.name):
            owners = [fold(o) for o in resource.possible_owners]
            if owners and fold(node) not in owners:
                return False
        return True

    def best_target(self, group: Group, *, exclude: str) -> str | None:
        """Preferred owners first (in order), then the other nodes in name order."""
        order = [*group.preferred_owners, *sorted(n.name for n in self.nodes.values())]
        seen: set[str] = set()
        for candidate in order:
            if fold(candidate) in seen or fold(candidate) == fold(exclude):
                continue
            seen.add(fold(candidate))
            if self.can_host(group, candidate):
                return self.nodes[fold(candidate)].name
        return None

    def move_group(self, group: Group, target: str) -> None:
        """Move a group: its Online resources go offline here and online on ``target``.

        A move the lab makes itself (a failover, a fault) does not wait for a Generic
        Service's service to stop on the old owner: it is left StopPending there (or hung)
        while the group comes online on ``target``, a limit. ``Move-ClusterGroup`` waits
        for those stops first (:meth:`move_offline_seconds`, :meth:`begin_move`,
        :meth:`finish_move`), as Windows does."""
        target_node = self.node(target)
        if fold(target_node.name) == fold(group.owner):
            return
        self.finish_move(group, target_node.name, self.begin_move(group))

    def _wants_online(self, resource: Resource) -> bool:
        return self.observe(resource) == "Online" or resource.pending_target == AWAIT_SERVICE_START

    def move_offline_seconds(self, group: Group) -> float:
        """How long the group's resources take to go offline on its owner for a move: the
        longest wait for a Generic Service's service to stop (``service_stop_seconds``,
        a stop under way, a stop hang: the whole PendingTimeout), at most PendingTimeout,
        after which the Resource Monitor terminates the resource and the move goes on."""
        limit = PENDING_TIMEOUT_MS / 1000
        host = self.nodes.get(fold(group.owner))
        if host is None or host.state != "Up":
            return 0.0
        longest = 0.0
        for resource in self.group_resources(group.name):
            found = self._resource_service(resource)
            if found is None or not self._wants_online(resource):
                continue
            service = found[1]
            key = start_fault_key(host.name, service.name)
            if service.status == "Running":
                if self.faults.hang_service.get(key) == "stop":
                    wait = limit
                else:
                    wait = self.timing.service_stop_seconds
            elif service.status == "StopPending" and not service.hung:
                wait = service.pending_due - self.clock.now
            elif service.status == "Stopped":
                wait = 0.0
            else:
                wait = limit
            longest = max(longest, min(wait, limit))
        return longest

    def begin_move(self, group: Group) -> set[str]:
        """The first half of a move: the group's resources go offline on its owner (each
        Generic Service's service is asked to stop there: :meth:`_cluster_stop`); returns
        the folded names of those that were online (or coming online) to bring online on
        the new owner."""
        resources = self.group_resources(group.name)
        was_online = {fold(r.name) for r in resources if self._wants_online(r)}
        old_host = self.nodes.get(fold(group.owner))
        for resource in resources:
            if old_host is not None and old_host.state == "Up":
                for key in resource.checkpoints:
                    self.snapshot_checkpoint(resource, key, old_host)
                found = self._resource_service(resource)
                if found is not None and fold(resource.name) in was_online:
                    self._cluster_stop(*found)
            resource.state = "Offline"
            resource.pending_target = None
        return was_online

    def finish_move(self, group: Group, target: str, was_online: set[str]) -> None:
        """The second half of a move: ``target`` owns the group and brings online, in
        dependency order, what was online before."""
        resources = self.group_resources(group.name)
        group.owner = self.node(target).name
        for resource in self._online_order(resources):
            if fold(resource.name) in was_online:
                try:
                    self.begin_online(resource, wait=True)
                except SimModelError:
                    resource.state = "Failed"

    def _online_order(self, resources: list[Resource]) -> list[Resource]:
        ordered: list[Resource] = []
        names = {fold(r.name) for r in resources}

        def visit(resource: Resource, stack: frozenset[str]) -> None:
            if resource in ordered or fold(resource.name) in stack:
                return
            for provider in resource.providers():
                if fold(provider) in names:
                    visit(self.resources[fold(provider)], stack | {fold(resource.name)})
            ordered.append(resource)

        for resource in resources:
            visit(resource, frozenset())
        return ordered

    def set_node_state(self, name: str, state: str) -> None:
        """Change a node's state; a node going Down fails its groups over.

        Down is the machine gone (crash, power, reboot): no service process survives it.
        Up after Down is a boot: the SCM starts the Automatic services, which read their
        configuration now; Manual ones stay stopped until the cluster brings their resource
        online. (Services starting by start type at boot is the SCM's documented contract;
        that a cluster node "Down" means the machine, not only the cluster service, is
        UNVERIFIED and the stricter reading: it also catches a passive node whose Automatic
        SSIS would start at boot with whatever configuration its registry names.)
        """
        node = self.node(name)
        previous = node.state
        node.state = state
        if state == "Up" and previous == "Down":
            node.booted = self.stamp()
            for service in node.services.values():
                if service.start_type == "Automatic":
                    # A service that fails to start at boot stays stopped (the SCM logs it).
                    with contextlib.suppress(SimModelError):
                        self.start_service(node, service)
            return
        if state != "Down":
            return
        for service in node.services.values():
            self.stop_service(service)
        for group in list(self.groups.values()):
            if fold(group.owner) != fold(node.name):
                continue
            target = self.best_target(group, exclude=node.name)
            if target is None:
                for resource in self.group_resources(group.name):
                    resource.state = "Failed" if resource.state == "Online" else resource.state
                continue
            self.move_group(group, target)
