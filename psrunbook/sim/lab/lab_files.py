"""Seeding the model from a lab description, and dumping/loading its whole state.

A lab description (TOML or JSON, format in ``docs/simulated-cluster.md``) says what a
lab looks like in operator terms: cluster and node names, SQL Server version, virtual
server name, instances, shared drive. :func:`build_lab` turns it into a
:class:`SimCluster`; :func:`sample_lab` is the default lab the product serves.

:func:`dump` gives a JSON-able dict of every piece of state (for assertions and for
handing state to another process) and :func:`load` rebuilds an equal model from it.
"""

from __future__ import annotations

import base64
import json
import tomllib
from collections import Counter
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import msgspec
from msgspec.structs import asdict

from psrunbook.input_files import InputFileRefused, read_input_file
from psrunbook.runbook.lab import LabFacts
from psrunbook.sim.lab.cluster_model import (
    AclEntry,
    ClusterParameter,
    Faults,
    FsEntry,
    Group,
    LoadedConfig,
    Node,
    Registry,
    RegistryKey,
    RegistryValue,
    Resource,
    Service,
    SimCluster,
    Timing,
    VirtualClock,
    Volume,
    fold,
)
from psrunbook.sim.lab.profiles import add_system_folders

DUMP_FORMAT = 1
DUMP_LIMIT = 1024 * 1024 * 1024
"""The largest lab state file :func:`restore` reads (the sample lab's is about 16 KB)."""
MAX_LATENCY_MS = 60_000.0
"""The most round-trip time a lab or ``sim serve --latency-ms`` may add: a minute."""


class LabError(ValueError):
    """A lab description is invalid; the message names the field."""


def checked_latency_ms(value: object, where: str) -> float:
    """``value`` as milliseconds of injected latency; LabError naming ``where`` if it is not."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise LabError(f"{where}: expected a number of milliseconds, got {value!r}")
    if not 0 <= value <= MAX_LATENCY_MS:  # also refuses nan
        raise LabError(
            f"{where}: {value!r} is out of range; give 0 to {MAX_LATENCY_MS:g} milliseconds"
        )
    return float(value)


@cache
def ssis_facts() -> dict[str, Any]:
    """The packaged copy of ``facts/ssis.json``, the SSIS runbooks' data file.

    Read as package data of ``psrunbook.runbooks._ssis`` rather than through the runbooks'
    ``versions`` module: the lab installs what a real node has, so it takes the facts, not
    the runbooks' reading of them (which refuses some versions a node can still have).
    """
    text = resources.files("psrunbook.runbooks._ssis").joinpath("ssis.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


class SsisVersion(msgspec.Struct, frozen=True):
    """What one SQL Server version installs for SSIS, from ``ssis.json``."""

    version: str
    folder: str
    service_name: str
    display_name: str
    config_key: str
    default_config_file: str
    default_package_store: str
    executable: str
    account: str

    @classmethod
    def for_version(cls, version: str) -> SsisVersion:
        versions = ssis_facts()["versions"]
        raw = versions.get(str(version))
        if raw is None:
            known = ", ".join(versions)
            raise LabError(f"sql.version: unknown SQL Server version {version!r} ({known})")
        registry = raw["registry"]
        key = registry.get("powershell_path") or registry.get("ServiceConfigFile_value", "")
        key = key.removeprefix("HKLM:\\").removeprefix("HKEY_LOCAL_MACHINE\\")
        program_files = "C:\\Program Files"
        return cls(
            version=str(version),
            folder=raw["version_folder"],
            service_name=raw["service_name"],
            display_name=raw["display_name"].split(" (")[0],
            config_key=key,
            default_config_file=raw["default_config_file"].replace("%ProgramFiles%", program_files),
            default_package_store=raw["default_package_store"]
            .split(" (")[0]
            .replace("%ProgramFiles%", program_files),
            executable=raw["service_executable"]
            .split(" (")[0]
            .replace("%ProgramFiles%", program_files),
            account=raw["per_service_sid_account"],
        )


LAB_FILE_ATTRIBUTES = {"readonly": 0x1, "hidden": 0x2, "system": 0x4, "archive": 0x20}
"""The FileAttributes a ``[[files]]`` item may name (``System.IO.FileAttributes``)."""


class LabFile(msgspec.Struct, frozen=True):
    """One ``[[files]]`` item: a file (``text``, written as UTF-8 without a BOM, exactly
    as given) or a folder (``folder = true``), with its missing parents, and the
    FileAttributes named in ``attributes`` (``Hidden``, ``System``, ``ReadOnly``,
    ``Archive``; a file without ``Archive`` has only those named). On ``C:`` it is on every
    node; on the shared drive, on its disk (below a mount point, on the mounted disk)."""

    path: str
    text: str | None = None
    attributes: tuple[str, ...] | None = None


class LabSpec(msgspec.Struct, frozen=True):
    """A validated lab description."""

    cluster: str = "SIMCLUSTER"
    domain: str = "SIMLAB"
    nodes: tuple[str, ...] = ("NODE1", "NODE2")
    sql_version: str = "2019"
    virtual_server: str = "SQLVS01"
    instances: tuple[str, ...] = ("MSSQLSERVER",)
    drive: str = "S"
    mount_points: tuple[str, ...] = ()
    """Folders of the shared drive (``S:\\MP1``), each the mount point of one more cluster
    disk of the SQL Server group (``Cluster Disk 2``, ``3``, ... in this order)."""
    ssis_nodes: tuple[str, ...] | None = None
    principals: tuple[str, ...] = ("SIMLAB\\SSIS Package Admins", "SIMLAB\\svc-ssis")
    timing: Timing = msgspec.field(default_factory=Timing)
    start_brings_providers_online: bool = True
    remote_user_is_administrator: bool = True
    """False makes the PSRP user a plain user on every node (``IsInRole`` is false)."""
    cluster_errors_terminate: bool = True
    """``[policy] cluster_errors_terminate``: see :attr:`SimCluster.cluster_errors_terminate`."""
    latency_ms: float = 0.0
    """Round-trip time the endpoints add to every request (``[network] latency_ms``)."""
    files: tuple[LabFile, ...] = ()
    """``[[files]]``: files and folders the lab holds from the start (:class:`LabFile`)."""

    @classmethod
    def from_mapping(cls, raw: dict[str, Any]) -> LabSpec:
        """Validate a parsed TOML/JSON description (sections cluster, sql, timing, policy)."""
        known = {"cluster", "sql", "timing", "policy", "network", "files"}
        unknown = set(raw) - known
        if unknown:
            raise LabError(f"unknown section(s): {', '.join(sorted(unknown))}")
        cluster = _section(raw, "cluster", {"name", "domain", "nodes", "principals"})
        sql = _section(
            raw,
            "sql",
            {"version", "virtual_server", "instances", "drive", "mount_points", "ssis_nodes"},
        )
        timing = _section(
            raw,
            "timing",
            {
                "online_pending_observations",
                "online_pending_seconds",
                "service_start_seconds",
                "service_stop_seconds",
                "cluster_call_seconds",
            },
        )
        policy = _section(
            raw,
            "policy",
            {
                "start_brings_providers_online",
                "remote_user_is_administrator",
                "cluster_errors_terminate",
            },
        )
        network = _section(raw, "network", {"latency_ms"})
        administrator = policy.get("remote_user_is_administrator", True)
        if not isinstance(administrator, bool):
            raise LabError("policy.remote_user_is_administrator: expected true or false")
        terminate = policy.get("cluster_errors_terminate", True)
        if not isinstance(terminate, bool):
            raise LabError("policy.cluster_errors_terminate: expected true or false")
        base = cls()
        nodes = tuple(_strings(cluster, "cluster.nodes", base.nodes))
        if not nodes or len({fold(n) for n in nodes}) != len(nodes):
            raise LabError("cluster.nodes: give one or more distinct node names")
        drive = str(sql.get("drive", base.drive)).rstrip(":").upper()
        if len(drive) != 1 or not drive.isalpha() or drive == "C":
            raise LabError("sql.drive: a single drive letter other than C")
        ssis_nodes = sql.get("ssis_nodes")
        spec = cls(
            cluster=str(cluster.get("name", base.cluster)),
            domain=str(cluster.get("domain", base.domain)),
            nodes=nodes,
            sql_version=str(sql.get("version", base.sql_version)),
            virtual_server=str(sql.get("virtual_server", base.virtual_server)),
            instances=tuple(_strings(sql, "sql.instances", base.instances)),
            drive=drive,
            mount_points=_mount_points(sql, drive),
            ssis_nodes=tuple(_strings(sql, "sql.ssis_nodes", ()))
            if ssis_nodes is not None
            else None,
            principals=tuple(_strings(cluster, "cluster.principals", base.principals)),
            timing=Timing(
                observations=int(timing.get("online_pending_observations", 0)),
                seconds=float(timing.get("online_pending_seconds", 1.0)),
                service_start_seconds=_seconds(timing, "service_start_seconds"),
                service_stop_seconds=_seconds(timing, "service_stop_seconds"),
                cluster_call_seconds=_seconds(timing, "cluster_call_seconds"),
            ),
            start_brings_providers_online=bool(policy.get("start_brings_providers_online", True)),
            remote_user_is_administrator=administrator,
            cluster_errors_terminate=terminate,
            latency_ms=checked_latency_ms(network.get("latency_ms", 0.0), "network.latency_ms"),
            files=_lab_files(raw.get("files", []), drive),
        )
        SsisVersion.for_version(spec.sql_version)
        for name in spec.ssis_nodes or ():
            if fold(name) not in {fold(n) for n in nodes}:
                raise LabError(f"sql.ssis_nodes: {name!r} is not one of cluster.nodes")
        return spec

    def facts(self) -> LabFacts:
        ssis = SsisVersion.for_version(self.sql_version)
        first = self.instances[0]
        return LabFacts(
            cluster=self.cluster,
            nodes=self.nodes,
            sql_version=self.sql_version,
            group=f"SQL Server ({first})",
            sql_resource="SQL Server" if first == "MSSQLSERVER" else f"SQL Server ({first})",
            network_name_resource=f"SQL Network Name ({self.virtual_server})",
            ip_resource=f"SQL IP Address 1 ({self.virtual_server})",
            disk_resource="Cluster Disk 1",
            drive=f"{self.drive}:",
            virtual_server=self.virtual_server,
            instances=self.instances,
            ssis_service=ssis.service_name,
            ssis_config_key=ssis.config_key,
            ssis_default_config=ssis.default_config_file,
            principals=self.principals,
        )


def _section(raw: dict[str, Any], name: str, allowed: set[str]) -> dict[str, Any]:
    section = raw.get(name, {})
    if not isinstance(section, dict):
        raise LabError(f"{name}: expected a table")
    unknown = set(section) - allowed
    if unknown:
        raise LabError(f"{name}: unknown key(s) {', '.join(sorted(unknown))}")
    return section


def _mount_points(sql: dict[str, Any], drive: str) -> tuple[str, ...]:
    """``[sql] mount_points``: distinct folders of the shared drive, written without a
    trailing backslash. A folder inside another mount point is refused: the lab mounts
    every such disk in a folder of the drive's own volume."""
    found: list[str] = []
    for value in _strings(sql, "sql.mount_points", ()):
        folder = value.rstrip("\\")
        parts = folder.split("\\")
        bad = set('*?"<>|/:') & set(folder[2:])
        if (
            len(parts) < 2
            or parts[0].upper() != f"{drive}:"
            or bad
            or any(p in ("", ".", "..") or p != p.strip() for p in parts[1:])
        ):
            raise LabError(
                f"sql.mount_points: {value!r} is not a folder of the shared drive {drive}: "
                f"(write e.g. {drive}:\\MP1)"
            )
        folder = f"{drive}:\\" + "\\".join(parts[1:])
        for other in found:
            if fold(folder) == fold(other) or fold(folder).startswith(fold(other) + "\\"):
                raise LabError(
                    f"sql.mount_points: {value!r} is {other!r} or lies inside it: give "
                    "distinct folders, none inside another mount point"
                )
            if fold(other).startswith(fold(folder) + "\\"):
                raise LabError(
                    f"sql.mount_points: {other!r} lies inside {value!r}: give distinct "
                    "folders, none inside another mount point"
                )
        found.append(folder)
    return tuple(found)


def _lab_files(raw: object, drive: str) -> tuple[LabFile, ...]:
    """``[[files]]``: each a table of ``path`` (on ``C:`` or the shared drive, no
    wildcard), ``text`` (a file's content) or ``folder = true``, and ``attributes``."""
    if not isinstance(raw, list):
        raise LabError("files: expected an array of tables ([[files]])")
    found: list[LabFile] = []
    for number, item in enumerate(raw, start=1):
        where = f"files[{number}]"
        if not isinstance(item, dict):
            raise LabError(f"{where}: expected a table")
        unknown = set(item) - {"path", "text", "folder", "attributes"}
        if unknown:
            raise LabError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
        path = item.get("path")
        parts = path.rstrip("\\").split("\\") if isinstance(path, str) else []
        if (
            len(parts) < 2
            or parts[0].upper() not in ("C:", f"{drive}:")
            or set('*?[]"<>|/:') & set("".join(parts[1:]))
            or any(p in ("", ".", "..") or p != p.strip() for p in parts[1:])
        ):
            raise LabError(
                f"{where}.path: {path!r} is not a path below C:\\ or the shared drive {drive}:"
            )
        folder = item.get("folder", False)
        text = item.get("text")
        if not isinstance(folder, bool) or (text is not None and not isinstance(text, str)):
            raise LabError(f"{where}: folder is true or false, text a string")
        if folder == (text is not None):
            raise LabError(f"{where}: give text (a file) or folder = true (a folder)")
        names = item.get("attributes")
        valid = isinstance(names, list) and all(
            isinstance(n, str) and fold(n) in LAB_FILE_ATTRIBUTES for n in names
        )
        if names is not None and not valid:
            raise LabError(f"{where}.attributes: a list of Hidden, System, ReadOnly, Archive")
        found.append(
            LabFile(
                parts[0].upper() + "\\" + "\\".join(parts[1:]),
                text,
                tuple(names) if names is not None else None,
            )
        )
    return tuple(found)


def _place_file(cluster: SimCluster, item: LabFile) -> None:
    """Put a ``[[files]]`` item where the lab keeps it: every node's ``C:``, or the
    shared drive's volume (the mounted disk's, below its mount point)."""
    letter = item.path[0]
    rel = item.path[3:]
    volumes: list[Volume] = []
    if letter == "C":
        volumes = [node.volumes["C"] for node in cluster.nodes.values()]
    else:
        volumes = [cluster.shared_volumes[letter]]
        for folder, mounted in cluster.mounted_volumes.items():
            if fold(rel).startswith(folder[3:] + "\\"):
                volumes = [mounted]
                rel = rel[len(folder) - 2 :]
    data = None if item.text is None else item.text.encode("utf-8")
    for volume in volumes:
        _add_file(volume, f"{letter}:\\{rel}", data)
        if item.attributes is not None:
            value = 0
            for name in item.attributes:
                value |= LAB_FILE_ATTRIBUTES[fold(name)]
            entry = volume.entries[fold(rel)]
            entry.attributes = value | 0x10 if entry.is_dir else value or 0x80


def _strings(section: dict[str, Any], where: str, default: tuple[str, ...]) -> list[str]:
    value = section.get(where.rsplit(".", maxsplit=1)[-1], list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise LabError(f"{where}: expected a list of non-empty strings")
    return list(value)


def read_lab(path: Path) -> LabSpec:
    """Read a lab description from a ``.toml`` or ``.json`` file."""
    try:
        text = path.read_text("utf-8")
        raw = json.loads(text) if path.suffix.lower() == ".json" else tomllib.loads(text)
    except (OSError, ValueError) as exc:
        raise LabError(f"{path}: {exc}") from exc
    return LabSpec.from_mapping(raw)


def sample_spec(nodes: int = 2, sql_version: str = "2019") -> LabSpec:
    """The description of the default lab."""
    if nodes < 1:
        raise LabError("nodes: at least one node")
    names = tuple(f"NODE{i}" for i in range(1, nodes + 1))
    return LabSpec(nodes=names, sql_version=str(sql_version))


def sample_lab(nodes: int = 2, sql_version: str = "2019") -> SimCluster:
    """The default lab: NODE1..NODEn, one SQL Server group, SSIS on every node."""
    return build_lab(sample_spec(nodes, sql_version))


def _facts_dump(facts: LabFacts) -> dict[str, object]:
    return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(facts).items()}


def lab_facts(cluster: SimCluster) -> LabFacts:
    """The facts of the lab a cluster was built from (they survive dump and load)."""
    raw = cluster.lab
    if not raw:
        raise LabError("this cluster was not built from a lab description")
    try:
        return msgspec.convert(raw, LabFacts, strict=True)
    except msgspec.ValidationError as exc:
        raise LabError(f"lab: {exc}") from None


def _default_acl() -> list[AclEntry]:
    inherit = ("ContainerInherit", "ObjectInherit")
    return [
        AclEntry("BUILTIN\\Administrators", ("FullControl",), inheritance=inherit),
        AclEntry("NT AUTHORITY\\SYSTEM", ("FullControl",), inheritance=inherit),
        AclEntry("BUILTIN\\Users", ("ReadAndExecute", "Synchronize"), inheritance=inherit),
    ]


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def _add_file(volume: Volume, path: str, data: bytes | None) -> None:
    parts = [p for p in path.split("\\")[1:] if p]
    for i in range(1, len(parts) + 1):
        key = fold("\\".join(parts[:i]))
        is_dir = i < len(parts) or data is None
        if key not in volume.entries:
            volume.entries[key] = FsEntry(parts[i - 1], is_dir, data=b"" if is_dir else data or b"")


def build_lab(spec: LabSpec) -> SimCluster:
    """Build the cluster a lab description describes."""
    ssis = SsisVersion.for_version(spec.sql_version)
    facts = spec.facts()
    cluster = SimCluster(
        name=spec.cluster,
        domain=spec.domain,
        timing=spec.timing,
        start_brings_providers_online=spec.start_brings_providers_online,
        remote_user_is_administrator=spec.remote_user_is_administrator,
        cluster_errors_terminate=spec.cluster_errors_terminate,
        latency_ms=spec.latency_ms,
        lab=_facts_dump(facts),
    )
    owner = spec.nodes[0]
    ssis_nodes = {fold(n) for n in (spec.ssis_nodes if spec.ssis_nodes is not None else spec.nodes)}
    default_doc = ssis_facts()["config_file"]["default_document_from_docs"]
    ssis_started: list[tuple[Node, Service]] = []
    for name in spec.nodes:
        node = Node(name=name)
        volume = Volume("C", root_acl=_default_acl())
        add_system_folders(volume)
        node.volumes["C"] = volume
        for instance in spec.instances:
            service = "MSSQLSERVER" if instance == "MSSQLSERVER" else f"MSSQL${instance}"
            node.services[fold(service)] = Service(
                service,
                f"SQL Server ({instance})",
                "Running" if fold(name) == fold(owner) else "Stopped",
                "Manual",
            )
            instance_key, _ = node.registry.create_key(
                "SOFTWARE\\Microsoft\\Microsoft SQL Server\\Instance Names\\SQL"
            )
            instance_key.set(instance, f"MSSQL{ssis.folder[:2]}.{instance}")
        node.services["winrm"] = Service("WinRM", "Windows Remote Management (WS-Management)")
        node.services["clussvc"] = Service("ClusSvc", "Cluster Service")
        if fold(name) in ssis_nodes:
            # As SQL Server setup leaves it: Automatic, and started with the default file.
            ssis_service = Service(
                ssis.service_name,
                ssis.display_name,
                "Stopped",
                "Automatic",
                config_key=ssis.config_key,
                image_path=ssis.executable,
                account=ssis.account,
            )
            node.services[fold(ssis.service_name)] = ssis_service
            key, _ = node.registry.create_key(ssis.config_key)
            key.set("", ssis.default_config_file)
            _add_file(volume, ssis.default_config_file, _crlf(default_doc))
            _add_file(volume, ssis.default_package_store, None)
            ssis_started.append((node, ssis_service))
        node.principals = [
            "BUILTIN\\Administrators",
            "BUILTIN\\Users",
            "NT AUTHORITY\\SYSTEM",
            "NT AUTHORITY\\NETWORK SERVICE",
            "NT AUTHORITY\\Authenticated Users",
            "Everyone",
            "CREATOR OWNER",
            *(f"NT SERVICE\\{s.name}" for s in node.services.values()),
            *spec.principals,
        ]
        cluster.nodes[fold(name)] = node
    for node, ssis_service in ssis_started:
        cluster.start_service(node, ssis_service)

    shared = Volume(spec.drive, root_acl=_default_acl())
    _add_file(shared, f"{spec.drive}:\\MSSQL\\DATA", None)
    cluster.shared_volumes[spec.drive] = shared

    core = Group("Cluster Group", owner, group_type="Cluster", is_core=True)
    sql = Group(facts.group, owner, group_type="Unknown")
    cluster.groups[fold(core.name)] = core
    cluster.groups[fold(sql.name)] = sql
    everyone = list(spec.nodes)

    def add(resource: Resource) -> None:
        resource.possible_owners = list(everyone)
        cluster.resources[fold(resource.name)] = resource

    add(Resource("Cluster IP Address", "IP Address", core.name, "Online", is_core=True))
    add(
        Resource(
            "Cluster Name",
            "Network Name",
            core.name,
            "Online",
            dependencies=[["Cluster IP Address"]],
            is_core=True,
            parameters=_params(Name=spec.cluster, DnsName=spec.cluster),
        )
    )
    add(Resource(facts.ip_resource, "IP Address", sql.name, "Online"))
    add(
        Resource(
            facts.network_name_resource,
            "Network Name",
            sql.name,
            "Online",
            dependencies=[[facts.ip_resource]],
            parameters=_params(Name=spec.virtual_server, DnsName=spec.virtual_server),
        )
    )
    add(
        Resource(
            facts.disk_resource,
            "Physical Disk",
            sql.name,
            "Online",
            drive=spec.drive,
            parameters=_params(DiskPath=f"{spec.drive}:"),
        )
    )
    mounted_disks: list[list[str]] = []
    for disk in _mounted_disks(spec, shared, cluster.mounted_volumes, sql.name):
        add(disk)
        mounted_disks.append([disk.name])
    for item in spec.files:
        _place_file(cluster, item)
    add(
        Resource(
            facts.sql_resource,
            "SQL Server",
            sql.name,
            "Online",
            dependencies=[[facts.disk_resource], [facts.network_name_resource], *mounted_disks],
            parameters=_params(
                VirtualServerName=spec.virtual_server, InstanceName=spec.instances[0]
            ),
        )
    )
    return cluster


def _mounted_disks(
    spec: LabSpec, shared: Volume, mounted: dict[str, Volume], group: str
) -> list[Resource]:
    """``Cluster Disk 2``, ``3``, ... of ``[sql] mount_points``, each Online and mounted in
    its folder of the shared drive, which becomes a folder of ``shared``; each disk's own
    (empty) volume goes into ``mounted``, keyed by the folder folded.

    Such a disk must be in the group of the disk holding its folder and depend on it
    (Dell's PowerVault MD3000i failover cluster guide, "Assigning Drive Letters and Mount
    Points": "Mount points must be in the same cluster resource group and must be
    dependent on the root disk"); SQL Server depends on each, as on every disk it uses.
    """
    disks = []
    for number, folder in enumerate(spec.mount_points, start=2):
        _add_file(shared, folder, None)
        mounted[fold(folder)] = Volume(spec.drive, root_acl=_default_acl())
        disks.append(
            Resource(
                f"Cluster Disk {number}",
                "Physical Disk",
                group,
                "Online",
                dependencies=[[spec.facts().disk_resource]],
                mount_point=folder,
            )
        )
    return disks


def _params(**values: str) -> dict[str, ClusterParameter]:
    return {fold(k): ClusterParameter(k, v) for k, v in values.items()}


# -- dump / load -------------------------------------------------------------------------


def _acl_dump(entries: list[AclEntry]) -> list[dict[str, Any]]:
    return [
        {
            "identity": e.identity,
            "rights": list(e.rights),
            "access_type": e.access_type,
            "inheritance": list(e.inheritance),
            "propagation": list(e.propagation),
            "inherited": e.inherited,
        }
        for e in entries
    ]


def _acl_load(raw: list[dict[str, Any]]) -> list[AclEntry]:
    return [
        AclEntry(
            e["identity"],
            tuple(e["rights"]),
            e["access_type"],
            tuple(e["inheritance"]),
            tuple(e["propagation"]),
            bool(e["inherited"]),
        )
        for e in raw
    ]


def _volume_dump(volume: Volume) -> dict[str, Any]:
    return {
        "letter": volume.letter,
        "root_acl": _acl_dump(volume.root_acl),
        "entries": {
            key: {
                "name": e.name,
                "is_dir": e.is_dir,
                "data": base64.b64encode(e.data).decode("ascii"),
                "acl": _acl_dump(e.acl),
                "modified": e.modified,
                "stamp": e.stamp,
                **({"attributes": e.attributes} if e.attributes is not None else {}),
            }
            for key, e in sorted(volume.entries.items())
        },
    }


def _volume_load(raw: dict[str, Any]) -> Volume:
    return Volume(
        raw["letter"],
        {
            key: FsEntry(
                e["name"],
                e["is_dir"],
                base64.b64decode(e["data"]),
                _acl_load(e["acl"]),
                e["modified"],
                int(e.get("stamp", 0)),
                _attributes_load(e.get("attributes"), key),
            )
            for key, e in raw["entries"].items()
        },
        _acl_load(raw["root_acl"]),
    )


def _attributes_load(raw: object, key: str) -> int | None:
    """An entry's FileAttributes from a dump: absent (dumps made before the lab had
    attributes, and every entry nothing set them on) is None, the lab's default."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int) or not 0 <= raw <= 0xFFFF:
        raise LabError(f"entries.{key}.attributes: expected a FileAttributes number, got {raw!r}")
    return raw


def _value_dump(data: object) -> object:
    if isinstance(data, bytes):
        return {"bytes": base64.b64encode(data).decode("ascii")}
    return data


def _value_load(raw: object) -> object:
    if isinstance(raw, dict) and set(raw) == {"bytes"}:
        return base64.b64decode(raw["bytes"])
    return raw


def dump(cluster: SimCluster) -> dict[str, Any]:
    """Every piece of state as plain JSON types (sorted, so dumps compare and diff)."""
    with cluster.lock:
        return {
            "format": DUMP_FORMAT,
            "name": cluster.name,
            "domain": cluster.domain,
            "clock": cluster.clock.now,
            "timing": {
                "observations": cluster.timing.observations,
                "seconds": cluster.timing.seconds,
                "service_start_seconds": cluster.timing.service_start_seconds,
                "service_stop_seconds": cluster.timing.service_stop_seconds,
                "cluster_call_seconds": cluster.timing.cluster_call_seconds,
            },
            "start_brings_providers_online": cluster.start_brings_providers_online,
            "remote_user_is_administrator": cluster.remote_user_is_administrator,
            "cluster_errors_terminate": cluster.cluster_errors_terminate,
            "network": {"latency_ms": cluster.latency_ms},
            "lab": dict(cluster.lab),
            "resource_types": list(cluster.resource_types),
            "nodes": [
                {
                    "name": n.name,
                    "state": n.state,
                    "principals": list(n.principals),
                    "services": [
                        {
                            "name": s.name,
                            "display_name": s.display_name,
                            "status": s.status,
                            "start_type": s.start_type,
                            "config_key": s.config_key,
                            "loaded": _loaded_dump(s.loaded),
                            "pid": s.pid,
                            "started": s.started,
                            "image_path": s.image_path,
                            "account": s.account,
                            **_pending_dump(s),
                        }
                        for s in n.services.values()
                    ],
                    "registry": [
                        {
                            "path": k.path,
                            "values": [
                                {"name": v.name, "data": _value_dump(v.data), "kind": v.kind}
                                for v in k.values.values()
                            ],
                        }
                        for _, k in sorted(n.registry.keys.items())
                    ],
                    "volumes": [_volume_dump(v) for v in n.volumes.values()],
                }
                for n in cluster.nodes.values()
            ],
            "groups": [
                {
                    "name": g.name,
                    "owner": g.owner,
                    "preferred_owners": list(g.preferred_owners),
                    "group_type": g.group_type,
                    "is_core": g.is_core,
                    "description": g.description,
                }
                for g in cluster.groups.values()
            ],
            "resources": [
                {
                    "name": r.name,
                    "type": r.type,
                    "group": r.group,
                    "state": r.state,
                    "possible_owners": list(r.possible_owners),
                    "dependencies": [list(c) for c in r.dependencies],
                    "parameters": [
                        {"name": p.name, "value": _value_dump(p.value), "kind": p.kind}
                        for p in r.parameters.values()
                    ],
                    "checkpoints": list(r.checkpoints),
                    "description": r.description,
                    "is_core": r.is_core,
                    "separate_monitor": r.separate_monitor,
                    "drive": r.drive,
                    **({"mount_point": r.mount_point} if r.mount_point is not None else {}),
                    "restart_action": r.restart_action,
                    "restart_threshold": r.restart_threshold,
                    "pending_target": r.pending_target,
                    "pending_observations": r.pending_observations,
                    "pending_due": r.pending_due,
                }
                for r in cluster.resources.values()
            ],
            "shared_volumes": [_volume_dump(v) for v in cluster.shared_volumes.values()],
            **(
                {
                    "mounted_volumes": {
                        folder: _volume_dump(v)
                        for folder, v in sorted(cluster.mounted_volumes.items())
                    }
                }
                if cluster.mounted_volumes
                else {}
            ),
            "checkpoint_data": {
                k: {item: [_value_dump(v[0]), v[1]] for item, v in sorted(saved.items())}
                for k, saved in sorted(cluster.checkpoint_data.items())
            },
            "faults": {
                "fail_online": dict(sorted(cluster.faults.fail_online.items())),
                "fail_start": dict(sorted(cluster.faults.fail_start.items())),
                "hang_service": dict(sorted(cluster.faults.hang_service.items())),
                "scheduled_moves": [list(m) for m in cluster.faults.scheduled_moves],
                "pipelines_finished": cluster.faults.pipelines_finished,
            },
            "changes": dict(sorted(cluster.changes.items())),
            "change_log": [list(c) for c in cluster.change_log],
            "events": cluster.events,
            "clock_ahead_s": cluster.clock_ahead_s,
            "last_stamp": cluster.last_stamp,
        }


def _loaded_dump(loaded: LoadedConfig | None) -> dict[str, Any] | None:
    """What a service loaded; ``defaults_reason`` only when it has one (a file it could
    not read), so the dumps of every other state keep their shape."""
    if loaded is None:
        return None
    raw = asdict(loaded)
    if raw["defaults_reason"] is None:
        del raw["defaults_reason"]
    return raw


def _service_load(raw: dict[str, Any]) -> Service:
    loaded = raw.get("loaded")
    return Service(
        raw["name"],
        raw["display_name"],
        raw["status"],
        raw["start_type"],
        config_key=raw.get("config_key"),
        loaded=LoadedConfig(**loaded) if loaded is not None else None,
        pid=int(raw.get("pid", 0)),
        started=int(raw.get("started", 0)),
        image_path=str(raw.get("image_path", "")),
        account=str(raw.get("account", "LocalSystem")),
        pending_due=float(raw.get("pending_due", 0.0)),
        hung=bool(raw.get("hung", False)),
    )


def _pending_dump(service: Service) -> dict[str, Any]:
    """A pending start or stop (when it completes, or that it never will); nothing for a
    settled service, so the dumps of every other state keep their shape."""
    if service.status not in ("StartPending", "StopPending"):
        return {}
    return {"pending_due": service.pending_due, "hung": service.hung}


def _seconds(section: dict[str, Any], key: str) -> float:
    """A ``[timing]`` duration: a number of seconds, 0 or more."""
    value = section.get(key, 0.0)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise LabError(f"timing.{key}: expected a number of seconds, 0 or more")
    return float(value)


HISTORY_KEYS = ("events", "clock_ahead_s", "last_stamp")
"""Top-level dump keys that count what happened rather than describe the state."""


def without_history(raw: dict[str, Any]) -> dict[str, Any]:
    """A dump without the identities that depend on the order things happened in: the
    event counter, process ids and start moments, file write moments. Two labs that
    reached the same state by different paths compare equal after this."""
    state = {k: v for k, v in raw.items() if k not in HISTORY_KEYS}
    state["nodes"] = [
        {
            **node,
            "services": [
                {k: v for k, v in svc.items() if k not in ("pid", "started")}
                for svc in node["services"]
            ],
            "volumes": [_volume_without_stamps(v) for v in node["volumes"]],
        }
        for node in raw["nodes"]
    ]
    state["shared_volumes"] = [_volume_without_stamps(v) for v in raw["shared_volumes"]]
    if "mounted_volumes" in raw:
        state["mounted_volumes"] = {
            folder: _volume_without_stamps(v) for folder, v in raw["mounted_volumes"].items()
        }
    return state


def _volume_without_stamps(volume: dict[str, Any]) -> dict[str, Any]:
    entries = {
        key: {k: v for k, v in entry.items() if k != "stamp"}
        for key, entry in volume["entries"].items()
    }
    return {**volume, "entries": entries}


def load(raw: dict[str, Any]) -> SimCluster:
    """Rebuild a model from :func:`dump` output."""
    if raw.get("format") != DUMP_FORMAT:
        raise LabError(f"format: expected {DUMP_FORMAT}, got {raw.get('format')!r}")
    cluster = SimCluster(
        name=raw["name"],
        domain=raw["domain"],
        clock=VirtualClock(raw["clock"]),
        timing=Timing(**raw["timing"]),
        start_brings_providers_online=raw["start_brings_providers_online"],
        remote_user_is_administrator=bool(raw.get("remote_user_is_administrator", True)),
        cluster_errors_terminate=bool(raw.get("cluster_errors_terminate", True)),
        latency_ms=checked_latency_ms(
            raw.get("network", {}).get("latency_ms", 0.0), "network.latency_ms"
        ),
        resource_types=list(raw["resource_types"]),
        lab=dict(raw["lab"]),
        faults=Faults(
            fail_online=dict(raw["faults"]["fail_online"]),
            fail_start=dict(raw["faults"].get("fail_start", {})),
            hang_service=dict(raw["faults"].get("hang_service", {})),
            scheduled_moves=[list(m) for m in raw["faults"]["scheduled_moves"]],
            pipelines_finished=raw["faults"]["pipelines_finished"],
        ),
        changes=Counter(raw["changes"]),
        change_log=[list(c) for c in raw["change_log"]],
        events=int(raw.get("events", 0)),
        clock_ahead_s=float(raw.get("clock_ahead_s", 0.0)),
        last_stamp=int(raw.get("last_stamp", 0)),
    )
    for n in raw["nodes"]:
        registry = Registry()
        for k in n["registry"]:
            key = RegistryKey(k["path"])
            for v in k["values"]:
                key.values[fold(v["name"])] = RegistryValue(
                    v["name"], _value_load(v["data"]), v["kind"]
                )
            registry.keys[fold(k["path"])] = key
        node = Node(
            name=n["name"],
            state=n["state"],
            services={fold(s["name"]): _service_load(s) for s in n["services"]},
            registry=registry,
            volumes={v["letter"]: _volume_load(v) for v in n["volumes"]},
            principals=list(n["principals"]),
        )
        cluster.nodes[fold(node.name)] = node
    for g in raw["groups"]:
        cluster.groups[fold(g["name"])] = Group(**g)
    for r in raw["resources"]:
        params = {
            fold(p["name"]): ClusterParameter(p["name"], _value_load(p["value"]), p["kind"])
            for p in r["parameters"]
        }
        fields = {k: v for k, v in r.items() if k != "parameters"}
        cluster.resources[fold(r["name"])] = Resource(**fields, parameters=params)
    for v in raw["shared_volumes"]:
        cluster.shared_volumes[v["letter"]] = _volume_load(v)
    for folder, v in raw.get("mounted_volumes", {}).items():
        cluster.mounted_volumes[fold(folder)] = _volume_load(v)
    _mount_old_dump(cluster)
    cluster.checkpoint_data = {
        k: {item: [_value_load(v[0]), v[1]] for item, v in saved.items()}
        for k, saved in raw["checkpoint_data"].items()
    }
    if cluster.lab:
        _check_facts(cluster)
    return cluster


def _mount_old_dump(cluster: SimCluster) -> None:
    """A dump from before the lab gave a disk mounted in a folder a volume of its own has
    the files below that folder on the drive's volume: they move to the disk's volume,
    where they are on Windows (and an empty one is made for a disk without any)."""
    for resource in cluster.resources.values():
        folder = resource.mount_point
        if folder is None or fold(folder) in cluster.mounted_volumes:
            continue
        drive = cluster.shared_volumes.get(folder[0].upper())
        volume = Volume(folder[0].upper(), root_acl=_default_acl())
        cluster.mounted_volumes[fold(folder)] = volume
        if drive is None:
            continue
        prefix = fold(folder[3:]) + "\\"
        for key in [k for k in drive.entries if k.startswith(prefix)]:
            volume.entries[key[len(prefix) :]] = drive.entries.pop(key)


def _check_facts(cluster: SimCluster) -> None:
    """The lab's published facts must describe the cluster: its nodes are the cluster's."""
    facts = lab_facts(cluster)
    named = sorted(fold(name) for name in facts.nodes)
    if not named or named != sorted(cluster.nodes):
        raise LabError(
            f"lab.nodes: {list(facts.nodes)!r} are not the cluster's nodes "
            f"({', '.join(n.name for n in cluster.nodes.values()) or 'none'})"
        )


def dump_text(cluster: SimCluster) -> str:
    """:func:`dump` output as the JSON text :func:`save` writes and :func:`restore` reads."""
    return json.dumps(dump(cluster), indent=1, sort_keys=True)


def save(cluster: SimCluster, path: Path) -> None:
    """Write :func:`dump_text` to ``path``, so another process can :func:`restore` it."""
    path.write_text(dump_text(cluster), "utf-8")


def _no_constant(name: str) -> object:
    """``NaN`` or ``Infinity`` in a lab file: no state of a lab holds one (json writes them)."""
    raise LabError(f"holds {name}, which no lab's state has")


def restore(path: Path) -> SimCluster:
    """The lab :func:`save` (or the embedded lab) wrote to ``path``; LabError naming it if
    it is not one: not a regular file, not JSON, or JSON without a lab's structure."""
    try:
        raw = json.loads(read_input_file(path, limit=DUMP_LIMIT), parse_constant=_no_constant)
    except InputFileRefused as exc:
        raise LabError(f"{path} {exc.reason}") from None
    except LabError as exc:
        raise LabError(f"{path}: {exc}") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise LabError(f"{path}: {exc}") from exc
    except ValueError:  # a number of more digits than Python converts (4300)
        raise LabError(f"{path}: holds a number too long to be a lab's state") from None
    except RecursionError:
        raise LabError(f"{path}: nested too deeply to be a lab's state") from None
    if not isinstance(raw, dict):
        raise LabError(f"{path}: expected a JSON object, the lab's state")
    try:
        return load(raw)
    except LabError as exc:
        raise LabError(f"{path}: {exc}") from None
