"""Output objects: snapshots of model state shaped like the real .NET objects.

Property names and enum numbers follow ``facts/failoverclusters.json`` (``types``,
``enums``). Nested cluster objects (a resource's OwnerGroup, OwnerNode, ...) are small
objects whose ``to_string`` is the name, which is what a PSRP client receives for them
at serialisation depth 1 and what ``[string]$r.OwnerGroup`` gives in a script.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from psrunbook.sim.lab.cluster_model import (
    GROUP_STATES,
    LAB_EPOCH_TICKS,
    NODE_STATES,
    PENDING_TIMEOUT_MS,
    RESOURCE_STATES,
    AclEntry,
    ClusterParameter,
    Group,
    Node,
    Resource,
    Service,
    SimCluster,
    fold,
    stable_id,
)
from psrunbook.sim.lab.specs import enum_value
from psrunbook.sim.objects import PropertySetError, PSEnum, PSHashtable, PSObject
from psrunbook.sim.ps.date_values import datetime_value

FC = "Microsoft.FailoverClusters.PowerShell"
OBJ = "System.Object"

SERVICE_STATUS = {
    "Stopped": 1,
    "StartPending": 2,
    "StopPending": 3,
    "Running": 4,
    "ContinuePending": 5,
    "PausePending": 6,
    "Paused": 7,
}
START_MODE = {"Boot": 0, "System": 1, "Automatic": 2, "Manual": 3, "Disabled": 4}
PARAMETER_TYPES = {"ByteArray": 1, "UInt32": 2, "String": 3, "ExpandString": 4, "Int32": 7}

FILE_RIGHTS = {
    "ReadData": 1,
    "ListDirectory": 1,
    "WriteData": 2,
    "CreateFiles": 2,
    "AppendData": 4,
    "CreateDirectories": 4,
    "ReadExtendedAttributes": 8,
    "WriteExtendedAttributes": 16,
    "ExecuteFile": 32,
    "Traverse": 32,
    "DeleteSubdirectoriesAndFiles": 64,
    "ReadAttributes": 128,
    "WriteAttributes": 256,
    "Write": 278,
    "Delete": 65536,
    "ReadPermissions": 131072,
    "Read": 131209,
    "ReadAndExecute": 131241,
    "Modify": 197055,
    "ChangePermissions": 262144,
    "TakeOwnership": 524288,
    "Synchronize": 1048576,
    "FullControl": 2032127,
}
INHERITANCE = {"None": 0, "ContainerInherit": 1, "ObjectInherit": 2}
PROPAGATION = {"None": 0, "NoPropagateInherit": 1, "InheritOnly": 2}


def props(**values: Any) -> PSHashtable:
    return PSHashtable(values.items())


def named(type_name: str, name: str, **extra: Any) -> PSObject:
    """A nested object that shows as its name."""
    return PSObject((type_name, OBJ), props(Name=name, **extra), to_string=name)


# The name .NET's Enum.ToString picks where several names share a value (observed in
# Get-Acl output: "ReadData, CreateFiles, ...", "CreateFiles, AppendData, ExecuteFile").
_CANONICAL = {1: "ReadData", 2: "CreateFiles", 4: "AppendData", 32: "ExecuteFile"}


def flags(type_name: str, names: tuple[str, ...], table: dict[str, int]) -> PSEnum:
    """A flags enum value rendered as .NET does: greedy from the largest defined value,
    names listed in ascending order, one name per value."""
    value = 0
    for name in names:
        value |= table[name]
    by_value: dict[int, str] = {}
    for name, number in table.items():
        by_value.setdefault(number, name)
    by_value.update({k: v for k, v in _CANONICAL.items() if k in by_value and table is FILE_RIGHTS})
    remaining = value
    found: list[str] = []
    for number in sorted(by_value, reverse=True):
        if number and remaining & number == number:
            remaining -= number
            found.insert(0, by_value[number])
    if remaining:
        return PSEnum(type_name, str(value), value)
    if not found:
        zero = by_value.get(0, "0")
        return PSEnum(type_name, zero, 0)
    return PSEnum(type_name, ", ".join(found), value)


def cluster_ref(cluster: SimCluster) -> PSObject:
    return named(f"{FC}.Cluster", cluster.name, Id=cluster.id)


def node_ref(cluster: SimCluster, name: str) -> PSObject:
    node = cluster.nodes.get(fold(name))
    shown = node.name if node is not None else name
    return named(f"{FC}.ClusterNode", shown, Id=stable_id("node", shown))


def resource_object(cluster: SimCluster, resource: Resource, *, observe: bool = True) -> PSObject:
    """A ClusterResource; ``observe=False`` shows the state without settling it (what
    ``Start-ClusterResource -Wait 0`` returns is the OnlinePending it just started)."""
    state = cluster.observe(resource) if observe else resource.state
    group = cluster.group(resource.group)
    kind = {
        "Network Name": "IsNetworkClassResource",
        "IP Address": "IsNetworkClassResource",
        "Physical Disk": "IsStorageClassResource",
    }.get(resource.type)
    return PSObject(
        (f"{FC}.ClusterResource", f"{FC}.ClusterObject", OBJ),
        props(
            Name=resource.name,
            State=PSEnum(f"{FC}.ClusterResourceState", state, RESOURCE_STATES[state]),
            OwnerGroup=named(f"{FC}.ClusterGroup", group.name, Id=group.id),
            ResourceType=named(f"{FC}.ClusterResourceType", resource.type),
            OwnerNode=node_ref(cluster, group.owner),
            Cluster=cluster_ref(cluster),
            Id=resource.id,
            Description=resource.description,
            IsCoreResource=resource.is_core,
            IsNetworkClassResource=kind == "IsNetworkClassResource",
            IsStorageClassResource=kind == "IsStorageClassResource",
            MaintenanceMode=False,
            SeparateMonitor=resource.separate_monitor,
            PersistentState=1 if state == "Online" else 0,
            RestartAction=resource.restart_action,
            RestartThreshold=resource.restart_threshold,
            RestartDelay=500,
            RestartPeriod=900000,
            RetryPeriodOnFailure=3600000,
            PendingTimeout=PENDING_TIMEOUT_MS,
            DeadlockTimeout=300000,
        ),
        to_string=resource.name,
        setters={
            "RestartAction": _common_property_setter(cluster, resource, "restart_action", 2),
            "RestartThreshold": _common_property_setter(
                cluster, resource, "restart_threshold", 0xFFFFFFFF
            ),
        },
    )


def _common_property_setter(
    cluster: SimCluster, resource: Resource, attribute: str, highest: int
) -> Callable[[Any], int]:
    """Assignment to a common property writes through to the cluster at once, as the
    FailoverClusters objects do (``(Get-ClusterResource X).RestartDelay = 600``,
    failoverclusters.json ``common_properties_settable_by_assignment``). The value must be
    a UInt32 within the property's range; RestartAction's range is 0..2
    (CLUSTER_RESOURCE_RESTART_ACTION). An out-of-range value is refused, the lab's choice
    where the cluster's own answer (87) is UNVERIFIED."""

    def assign(value: Any) -> int:
        if isinstance(value, PSEnum):
            value = value.value
        try:
            number = int(str(value).strip()) if not isinstance(value, bool) else -1
        except ValueError:
            number = -1
        if not 0 <= number <= highest:
            raise PropertySetError(
                f"The parameter is incorrect. (value {value!r}; expected 0..{highest})"
            )
        with cluster.lock:
            live = cluster.resources.get(fold(resource.name))
            if live is None:
                raise PropertySetError(f"The cluster resource could not be found: {resource.name}")
            if getattr(live, attribute) != number:
                setattr(live, attribute, number)
                cluster.record_change(f"set {attribute}", cluster.owner_of(live), live.name)
        return number

    return assign


def group_object(cluster: SimCluster, group: Group) -> PSObject:
    state = cluster.group_state(group)
    return PSObject(
        (f"{FC}.ClusterGroup", f"{FC}.ClusterObject", OBJ),
        props(
            Name=group.name,
            OwnerNode=node_ref(cluster, group.owner),
            State=PSEnum(f"{FC}.ClusterGroupState", state, GROUP_STATES[state]),
            GroupType=PSEnum(f"{FC}.GroupType", group.group_type, _group_type(group.group_type)),
            Cluster=cluster_ref(cluster),
            Id=group.id,
            Description=group.description,
            IsCoreGroup=group.is_core,
            Priority=2000,
        ),
        to_string=group.name,
    )


def _group_type(name: str) -> int:
    try:
        return enum_value("GroupType", name)
    except KeyError:
        return 9999


def node_object(cluster: SimCluster, node: Node) -> PSObject:
    return PSObject(
        (f"{FC}.ClusterNode", f"{FC}.ClusterObject", OBJ),
        props(
            Name=node.name,
            Id=node.id,
            State=PSEnum(f"{FC}.ClusterNodeState", node.state, NODE_STATES[node.state]),
            NodeName=node.name,
            Cluster=cluster_ref(cluster),
            Description="",
            NodeWeight=1,
            DynamicWeight=1,
            MajorVersion=10,
            MinorVersion=0,
            BuildNumber=20348,
        ),
        to_string=node.name,
    )


def cluster_object(cluster: SimCluster) -> PSObject:
    return PSObject(
        (f"{FC}.Cluster", f"{FC}.ClusterObject", OBJ),
        props(
            Name=cluster.name,
            Domain=cluster.domain,
            Id=cluster.id,
            Description="",
            SharedVolumesRoot="C:\\ClusterStorage",
        ),
        to_string=cluster.name,
    )


def resource_type_object(cluster: SimCluster, name: str) -> PSObject:
    return PSObject(
        (f"{FC}.ClusterResourceType", f"{FC}.ClusterObject", OBJ),
        props(
            Name=name,
            DisplayName=name,
            Cluster=cluster_ref(cluster),
            Id=stable_id("resourcetype", name),
        ),
        to_string=name,
    )


def parameter_object(owner: PSObject, param: ClusterParameter) -> PSObject:
    type_name = param.kind if param.kind in PARAMETER_TYPES else "String"
    return PSObject(
        (f"{FC}.ClusterParameter", OBJ),
        props(
            ClusterObject=owner,
            Name=param.name,
            IsReadOnly=False,
            ParameterType=PSEnum(
                f"{FC}.ClusterParameterType", type_name, PARAMETER_TYPES[type_name]
            ),
            Value=param.value,
        ),
        to_string=f"{FC}.ClusterParameter",
    )


def owner_list_object(owner: PSObject, nodes: list[PSObject]) -> PSObject:
    return PSObject(
        (f"{FC}.ClusterOwnerNodeList", OBJ),
        props(ClusterObject=owner, OwnerNodes=list(nodes)),
        to_string=f"{FC}.ClusterOwnerNodeList",
    )


def dependency_expression(resource: Resource) -> str:
    """Render conjunctive dependencies the way the cluster prints them."""
    clauses = []
    for clause in resource.dependencies:
        inner = " or ".join(f"[{name}]" for name in clause)
        clauses.append(
            f"({inner})" if len(clause) > 1 and len(resource.dependencies) > 1 else inner
        )
    return " and ".join(clauses)


def dependency_object(cluster: SimCluster, resource: Resource) -> PSObject:
    return PSObject(
        (f"{FC}.ClusterResourceDependency", OBJ),
        props(
            Resource=named(f"{FC}.ClusterResource", resource.name),
            DependencyExpression=dependency_expression(resource),
        ),
        to_string=f"{FC}.ClusterResourceDependency",
    )


def checkpoint_object(resource: Resource, key: str) -> PSObject:
    return PSObject(
        (f"{FC}.ClusterRegistryCheckpoint", OBJ),
        props(Resource=named(f"{FC}.ClusterResource", resource.name), Name=key),
        to_string=key,
    )


def service_object(node: Node, service: Service) -> PSObject:
    return PSObject(
        ("System.ServiceProcess.ServiceController", "System.ComponentModel.Component", OBJ),
        props(
            Name=service.name,
            ServiceName=service.name,
            DisplayName=service.display_name,
            Status=PSEnum(
                "System.ServiceProcess.ServiceControllerStatus",
                service.status,
                SERVICE_STATUS[service.status],
            ),
            StartType=PSEnum(
                "System.ServiceProcess.ServiceStartMode",
                service.start_type,
                START_MODE[service.start_type],
            ),
            MachineName=".",
            CanPauseAndContinue=False,
            CanShutdown=False,
            CanStop=service.status == "Running",
            DependentServices=[],
            ServicesDependedOn=[],
            ServiceType=PSEnum("System.ServiceProcess.ServiceType", "Win32OwnProcess", 16),
        ),
        to_string="System.ServiceProcess.ServiceController",
    )


def access_rule_object(entry: AclEntry) -> PSObject:
    identity = PSObject(
        ("System.Security.Principal.NTAccount", "System.Security.Principal.IdentityReference", OBJ),
        props(Value=entry.identity),
        to_string=entry.identity,
    )
    return PSObject(
        (
            "System.Security.AccessControl.FileSystemAccessRule",
            "System.Security.AccessControl.AccessRule",
            "System.Security.AccessControl.AuthorizationRule",
            OBJ,
        ),
        props(
            FileSystemRights=flags(
                "System.Security.AccessControl.FileSystemRights", entry.rights, FILE_RIGHTS
            ),
            AccessControlType=PSEnum(
                "System.Security.AccessControl.AccessControlType",
                entry.access_type,
                0 if entry.access_type == "Allow" else 1,
            ),
            IdentityReference=identity,
            IsInherited=entry.inherited,
            InheritanceFlags=flags(
                "System.Security.AccessControl.InheritanceFlags", entry.inheritance, INHERITANCE
            ),
            PropagationFlags=flags(
                "System.Security.AccessControl.PropagationFlags", entry.propagation, PROPAGATION
            ),
        ),
        to_string="System.Security.AccessControl.FileSystemAccessRule",
    )


def access_to_string(entries: list[AclEntry]) -> str:
    """``AccessToString``: one ``identity type rights`` line per rule."""
    lines = []
    for entry in entries:
        rights = flags("r", entry.rights, FILE_RIGHTS).name
        lines.append(f"{entry.identity} {entry.access_type}  {rights}")
    return "\n".join(lines)


def lab_date(stamp: int, kind: str = "Local") -> PSObject:
    """A ``System.DateTime`` for a lab moment (:meth:`SimCluster.stamp` ticks).

    Scripts compare moments by ``.Ticks`` (the evaluator has no DateTime operators). .NET
    gives a file's LastWriteTime and a process's StartTime in local time (Kind Local) and
    LastWriteTimeUtc as Utc; the lab's nodes run on UTC, so both have the same ticks and
    ``ToUniversalTime()`` keeps them. Members: :mod:`psrunbook.sim.ps.date_values`.
    """
    return datetime_value(LAB_EPOCH_TICKS + stamp, kind)
