"""The failover cluster's WMI classes a preflight uses to map a disk resource to its volumes.

A Physical Disk resource does not name its drive letter: the cluster knows the disk by
signature or GUID (private properties DiskSignature / DiskIdGuid). The cluster WMI
provider (namespace ``root/MSCluster``) associates each ``MSCluster_Resource`` of type
Physical Disk with an ``MSCluster_Disk`` (``MSCluster_ResourceToDisk``), and each disk with
its ``MSCluster_DiskPartition`` instances (``MSCluster_DiskToDiskPartition``), whose
``Path`` is the drive (``S:``) and ``MountPoints`` the folders the volume is mounted in
(``S:\\MP1\\`` for a disk mounted in a folder of another disk's drive; see
:func:`partition_instance`). A script walks the two associations one hop at a time with
``Get-CimAssociatedInstance -ResultClassName``.

None of this is in shared/facts: class, property and association names follow the
MSCluster WMI provider reference and are UNVERIFIED. The lab takes the stricter reading
wherever it is unsure: partitions are shown only on the node owning the disk's group while
the disk resource is Online (where its volumes are mounted), one association hop per call
(``MSCluster_Resource`` to ``MSCluster_DiskPartition`` directly gives nothing), and a
user who is not an administrator gets Access Denied, as from the cluster cmdlets.
"""

from __future__ import annotations

from psrunbook.sim.lab import error_records
from psrunbook.sim.lab.cluster_model import PHYSICAL_DISK, Resource, SimCluster, fold, stable_id
from psrunbook.sim.lab.cluster_objects import props
from psrunbook.sim.lab.cmdlets.sim_cmdlet import SimCmdlet, arg, object_name, param, text, type_of
from psrunbook.sim.objects import ErrorRecordData, PSHashtable, PSObject, TypedArray
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletError, CmdletSpec

NAMESPACE = "root/MSCluster"
_CIM = "Microsoft.Management.Infrastructure.CimInstance#root/MSCluster/"


def is_cluster_namespace(namespace: str) -> bool:
    return fold(namespace.replace("\\", "/").strip("/")) == fold(NAMESPACE)


def _cim(class_name: str, to_string: str, **values: object) -> PSObject:
    return PSObject((_CIM + class_name, "System.Object"), props(**values), to_string=to_string)


def resource_instance(cluster: SimCluster, resource: Resource) -> PSObject:
    return _cim(
        "MSCluster_Resource",
        f'MSCluster_Resource (Name = "{resource.name}")',
        Name=resource.name,
        Type=resource.type,
        OwnerGroup=resource.group,
        OwnerNode=cluster.owner_of(resource),
        Id=resource.id,
    )


def disk_instance(resource: Resource) -> PSObject:
    disk_id = "{" + stable_id("disk", resource.name) + "}"
    return _cim("MSCluster_Disk", f'MSCluster_Disk (Id = "{disk_id}")', Id=disk_id, Name=disk_id)


def partition_instance(resource: Resource) -> PSObject:
    r"""The one partition of a lab disk: ``Path`` is its drive (``S:``) or, for a volume
    mounted in a folder, a device path; ``MountPoints`` lists the folders it is mounted
    in, as ``System.String[]`` (a CIM string array), empty for a volume with only a letter.

    Microsoft's reference (MSCluster_ClusterDiskPartition) says only that Path is "the
    path, including the drive letter if present" and MountPoints "the mount points of the
    partition". UNVERIFIED, the lab's reading: Path of a volume without a letter is a
    device path (``\\?\GLOBALROOT\Device\Harddisk<n>\ClusterPartition1\``), under which
    no folder of a drive lies; a mount point is a volume path name with its trailing
    backslash (``S:\MP1\``, as GetVolumePathNamesForVolumeName and
    CLUSCTL_RESOURCE_STORAGE_GET_MOUNTPOINTS give them); a drive letter is not repeated
    in MountPoints. A script must read both, and cope with trailing backslashes.
    """
    if resource.drive is not None:
        path = f"{resource.drive.upper()}:"
        mount_points: list[str] = []
    else:
        number = int(stable_id("disk-number", resource.name)[:4], 16) % 90 + 10
        path = f"\\\\?\\GLOBALROOT\\Device\\Harddisk{number}\\ClusterPartition1\\"
        mount_points = [str(resource.mount_point) + "\\"]
    return _cim(
        "MSCluster_DiskPartition",
        f'MSCluster_DiskPartition (Path = "{path}")',
        Path=path,
        FileSystem="NTFS",
        VolumeLabel="",
        MountPoints=TypedArray(mount_points, element="System.String"),
    )


def access_denied(cmdlet: str, command_type: str) -> ErrorRecordData:
    """UNVERIFIED shape: WMI's WBEM_E_ACCESS_DENIED through CIM."""
    return ErrorRecordData(
        message="Access denied ",
        error_id="HRESULT 0x80041003",
        category="PermissionDenied",
        exception_type="Microsoft.Management.Infrastructure.CimException",
        activity=cmdlet,
        command_type=command_type,
    )


def class_instances(cluster: SimCluster, class_name: str) -> list[PSObject] | None:
    """Every instance of a modelled class (None: the class is not modelled)."""
    if fold(class_name) == fold("MSCluster_Resource"):
        return [
            resource_instance(cluster, r)
            for r in sorted(cluster.resources.values(), key=lambda r: fold(r.name))
        ]
    return None


def associated(
    cluster: SimCluster, node: str, source: PSObject, result_class: str
) -> list[PSObject] | None:
    """One association hop from ``source`` to ``result_class`` (None: not modelled)."""
    source_class = type_of(source).rsplit("/", 1)[-1]
    wanted = fold(result_class)
    if fold(source_class) == fold("MSCluster_Resource"):
        if wanted == fold("MSCluster_DiskPartition"):
            return []  # two hops away: the provider associates resource -> disk -> partition
        if wanted != fold("MSCluster_Disk"):
            return None
        resource = cluster.resources.get(fold(object_name(source)))
        if resource is None or fold(resource.type) != fold(PHYSICAL_DISK):
            return []
        return [disk_instance(resource)]
    if fold(source_class) == fold("MSCluster_Disk") and wanted == fold("MSCluster_DiskPartition"):
        disk_id = text(source.properties.get("Id"))
        for resource in cluster.resources.values():
            if fold(resource.type) != fold(PHYSICAL_DISK):
                continue
            if disk_instance(resource).properties["Id"] != disk_id:
                continue
            mounted = cluster.disk_mounted(node, resource)
            return [partition_instance(resource)] if mounted else []
        return []
    return None


class GetCimAssociatedInstance(SimCmdlet):
    spec = CmdletSpec(
        "Get-CimAssociatedInstance",
        "Microsoft.Management.Infrastructure.CimCmdlets.GetCimAssociatedInstanceCommand",
        (
            param("InputObject", "object", mandatory=True, position=0, pipeline=True),
            param("ResultClassName", "string"),
            param("Association", "string", position=1),
        ),
    )

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        if not self.cluster.remote_user_is_administrator:
            raise CmdletError(access_denied(self.spec.name, self.spec.implementing_type))
        source = arg(args, "InputObject")
        result_class = text(arg(args, "ResultClassName"))
        found = (
            associated(self.cluster, self.node, source, result_class)
            if isinstance(source, PSObject) and result_class and arg(args, "Association") is None
            else None
        )
        if found is None:
            raise CmdletError(
                error_records.invalid_argument(
                    self.spec.name,
                    self.spec.implementing_type,
                    "the simulated lab models only -ResultClassName MSCluster_Disk from an "
                    "MSCluster_Resource and MSCluster_DiskPartition from an MSCluster_Disk",
                    "SimulatorUnsupportedAssociation",
                ),
                terminating=True,
            )
        for instance in found:
            ctx.write_output(instance)
        return None
