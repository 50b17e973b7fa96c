"""What a script can learn about a running service's process: Win32_Service and Get-Process.

``Get-Service`` does not show a service's process, its start moment or its image; an
administrator asks WMI (``Get-CimInstance -ClassName Win32_Service``, or the older
``Get-WmiObject -Class Win32_Service``) for ProcessId, PathName, StartMode, State and
StartName, then ``Get-Process -Id`` for the process's StartTime. The runbooks compare
that StartTime with the configuration file's LastWriteTime: a process that started before
the file was written cannot have read it.

The shapes follow the Win32_Service class reference (StartMode ``Auto``/``Manual``/
``Disabled``, State ``Running``/``Stopped``, ProcessId 0 when stopped, PathName quoted)
and the Get-Process error for an unknown id; neither is in shared/facts, so both are
UNVERIFIED, and the lab refuses every query form it does not model (``-Query``, a
``-Filter`` beyond simple equality, see cim_classes.py) instead of guessing.
"""

from __future__ import annotations

from psrunbook.sim.executor_protocol import SESSION_PID
from psrunbook.sim.lab import error_records
from psrunbook.sim.lab.cluster_model import Node, Service, fold
from psrunbook.sim.lab.cluster_objects import lab_date, props
from psrunbook.sim.lab.cmdlets import cim_classes
from psrunbook.sim.lab.cmdlets.cim_cluster import (
    GetCimAssociatedInstance,
    access_denied,
    class_instances,
    is_cluster_namespace,
)
from psrunbook.sim.lab.cmdlets.sim_cmdlet import SimCmdlet, arg, as_list, param, text
from psrunbook.sim.lab.paths import has_wildcard, wildcard_match
from psrunbook.sim.objects import ErrorRecordData, PSHashtable, PSObject
from psrunbook.sim.ps import records
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletError, CmdletSpec, CommandRefused

_UNSUPPORTED = (
    "the simulated lab does not evaluate -{}: select with Where-Object, so no WQL text "
    "is ever built from values"
)
WIN32_START_MODE = {"Automatic": "Auto", "Manual": "Manual", "Disabled": "Disabled"}
WIN32_STATE = {"StartPending": "Start Pending", "StopPending": "Stop Pending"}
"""Win32_Service State spells the pending states with a space (class reference)."""


def win32_service(node: Node, service: Service, type_name: str) -> PSObject:
    """One Win32_Service instance as CIM or WMI returns it."""
    running = service.status == "Running"
    return PSObject(
        (type_name, "System.Object"),
        props(
            Name=service.name,
            DisplayName=service.display_name,
            State=WIN32_STATE.get(service.status, service.status),
            Started=running,
            StartMode=WIN32_START_MODE[service.start_type],
            ProcessId=service.pid,  # 0 when stopped; the process exists while pending
            PathName=f'"{service.image_path}"' if service.image_path else "",
            StartName=service.account,
            SystemName=node.name,
            Status="OK",
        ),
        to_string=f'Win32_Service (Name = "{service.name}")',
    )


class _Win32Query(SimCmdlet):
    """The class query both cmdlets share (classes: :mod:`.cim_classes`)."""

    type_name = ""
    class_param = ""
    wmi = False

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        if arg(args, "Query") is not None:
            raise self._refuse(f"-Query ({_UNSUPPORTED.format('Query')})")
        if arg(args, self.class_param) is None:
            # The class is mandatory in the default parameter set, -Query in its own: a
            # query the lab refuses by name above, so the class is checked here.
            raise CmdletError(
                records.binding_error(
                    "Cannot process command because of one or more missing mandatory "
                    f"parameters: {self.class_param}.",
                    "MissingMandatoryParameter",
                    self.spec.implementing_type,
                )
            )
        wanted = text(arg(args, self.class_param))
        namespace = text(arg(args, "Namespace")) or "root/cimv2"
        if is_cluster_namespace(namespace):
            if not self.cluster.remote_user_is_administrator:
                raise CmdletError(access_denied(self.spec.name, self.spec.implementing_type))
            instances = class_instances(self.cluster, wanted)
            if instances is None:
                raise self._refuse(
                    f"of {wanted!r} in {namespace} (the simulated lab models only "
                    "MSCluster_Resource there)"
                )
        elif fold(namespace.replace("\\", "/").strip("/")) != "root/cimv2":
            raise self._refuse(
                f"-Namespace {namespace} (the simulated lab models only root/cimv2 and "
                "root/MSCluster)"
            )
        else:
            found = self._cimv2(wanted)
            if found is None and cim_classes.windows_has(wanted):
                raise self._refuse(
                    f"of the class {wanted} (a root/cimv2 class every Windows Server 2019 "
                    "node has; the simulator does not model it)"
                )
            if found is None:
                ctx.write_error(
                    cim_classes.invalid_class(self.spec.name, self.spec.implementing_type,
                                              wanted, namespace, wmi=self.wmi)
                )  # fmt: skip
                return None
            instances = found
        for instance in self._filtered(instances, arg(args, "Filter")):
            ctx.write_output(instance)
        return None

    def _cimv2(self, wanted: str) -> list[PSObject] | None:
        host = self.cluster.node(self.node)
        if wanted.casefold() == "win32_service":
            services = sorted(host.services.values(), key=lambda s: s.name.casefold())
            return [win32_service(host, service, self.type_name) for service in services]
        if cim_classes.class_name(wanted) is None:
            return None
        return cim_classes.instances(self.cluster, host, wanted, wmi=self.wmi)

    def _filtered(self, instances: list[PSObject], wql: object) -> list[PSObject]:
        if wql is None:
            return instances
        try:
            pairs = cim_classes.parse_filter(text(wql))
        except cim_classes.UnsupportedFilter as exc:
            raise self._refuse(
                f"-Filter {str(exc)!r} (the simulated lab evaluates only -Filter "
                "\"Prop = 'value' [AND ...]\")"
            ) from None
        kept: list[PSObject] = []
        for instance in instances:
            verdict = cim_classes.matches(instance, pairs)
            if verdict is None:
                raise CmdletError(
                    cim_classes.invalid_query(self.spec.name, self.spec.implementing_type,
                                              wmi=self.wmi)
                )  # fmt: skip
            if verdict:
                kept.append(instance)
        return kept

    def _refuse(self, form: str) -> CommandRefused:
        """A query the lab does not model: the script is refused by name, which no
        ``try``/``catch`` or ``-ErrorAction`` sees, so a script never takes the branch
        it would take for a real WMI error (the class or property really missing)."""
        return CommandRefused(f"{self.spec.name} {form}")


class GetCimInstance(_Win32Query):
    type_name = "Microsoft.Management.Infrastructure.CimInstance#root/cimv2/Win32_Service"
    wmi = False
    class_param = "ClassName"
    spec = CmdletSpec(
        "Get-CimInstance",
        "Microsoft.Management.Infrastructure.CimCmdlets.GetCimInstanceCommand",
        (
            # Mandatory in the default set only (-Query is another set): see run().
            param("ClassName", "string", position=0),
            param("Namespace", "string"),
            param("Filter", "string"),
            param("Query", "string"),
        ),
    )


class GetWmiObject(_Win32Query):
    type_name = "System.Management.ManagementObject#root\\cimv2\\Win32_Service"
    wmi = True
    class_param = "Class"
    spec = CmdletSpec(
        "Get-WmiObject",
        error_records.ps_type("GetWmiObjectCommand"),
        (
            param("Class", "string", position=0),
            param("Namespace", "string"),
            param("Filter", "string"),
            param("Query", "string"),
        ),
    )


_SESSION_HOSTS = frozenset({"wsmprovhost", "powershell"})
"""The processes that host a session ($PID): every node running a remote session has
them, and the lab models neither."""

LAB_HANDLES = 250
LAB_NONPAGED_BYTES = 16 * 1024
LAB_PAGED_BYTES = 8 * 1024 * 1024
LAB_WORKING_SET_BYTES = 20 * 1024 * 1024
LAB_CPU_SECONDS = 0.5
"""Lab values, not measurements: the lab has no memory or CPU model, so every service
process shows these handle, memory and processor-time figures. Windows reads them from
the running process; they are here because 5.1's default view of a Process prints them
(Handles, NPM(K), PM(K), WS(K), CPU(s); see psrunbook.sim.ps.format_views)."""


def process_object(service: Service) -> PSObject:
    """``System.Diagnostics.Process`` of a running service.

    Besides the .NET properties, the members 5.1's types.ps1xml adds and its default view
    shows: Handles (HandleCount), NPM (NonpagedSystemMemorySize64), PM
    (PagedMemorySize64), WS (WorkingSet64), CPU (TotalProcessorTime in seconds) and SI
    (SessionId: 0, the session services run in since Windows Vista's session 0
    isolation). Handle, memory and CPU figures are lab values (above)."""
    image = service.image_path or f"C:\\Windows\\System32\\{service.name}.exe"
    name = image.rsplit("\\", 1)[-1].removesuffix(".exe").removesuffix(".EXE")
    return PSObject(
        ("System.Diagnostics.Process", "System.ComponentModel.Component", "System.Object"),
        props(
            Id=service.pid,
            ProcessName=name,
            Name=name,
            Path=image,
            StartTime=lab_date(service.started),
            HandleCount=LAB_HANDLES,
            Handles=LAB_HANDLES,
            NonpagedSystemMemorySize64=LAB_NONPAGED_BYTES,
            NPM=LAB_NONPAGED_BYTES,
            PagedMemorySize64=LAB_PAGED_BYTES,
            PM=LAB_PAGED_BYTES,
            WorkingSet64=LAB_WORKING_SET_BYTES,
            WS=LAB_WORKING_SET_BYTES,
            CPU=LAB_CPU_SECONDS,
            SessionId=0,
            SI=0,
        ),
        to_string=f"System.Diagnostics.Process ({name})",
    )


def _no_process(command_type: str, wanted: int | str) -> ErrorRecordData:
    """Get-Process's ProcessCommandException for an id (NoProcessFoundForGivenId) or a
    name (NoProcessFoundForGivenName) that found no process."""
    if isinstance(wanted, int):
        message = f"Cannot find a process with the process identifier {wanted}."
        error_id, target_type = "NoProcessFoundForGivenId", "Int32"
    else:
        message = (
            f'Cannot find a process with the name "{wanted}". Verify the process name and '
            "call the cmdlet again."
        )
        error_id, target_type = "NoProcessFoundForGivenName", "String"
    return ErrorRecordData(
        message=message,
        error_id=error_id,
        category="ObjectNotFound",
        exception_type="Microsoft.PowerShell.Commands.ProcessCommandException",
        target_object=wanted,
        target_name=str(wanted),
        target_type=target_type,
        activity="Get-Process",
        command_type=command_type,
    )


class GetProcess(SimCmdlet):
    """``Get-Process -Id`` / ``-Name`` over the processes of the node's running services.

    Order: ProcessBaseCommand.MatchingProcesses collects the matches (by id in the order
    given, writing a "not found" error as it goes, or by name pattern), once each
    (AddIdempotent), then sorts them by ProcessName ignoring case (OrdinalIgnoreCase),
    then by Id, before GetProcessCommand writes them: so errors first, then the sorted
    processes, whatever order ``-Id`` named them in (PowerShell's Process.cs,
    ``ProcessComparison``). A ``-Name`` without wildcards that matches no process writes
    NoProcessFoundForGivenName (`Cannot find a process with the name "x". Verify the
    process name and call the cmdlet again.`, ObjectNotFound, ProcessCommandException),
    as Microsoft's about_Methods and Windows container isolation pages print it.
    """

    spec = CmdletSpec(
        "Get-Process",
        error_records.ps_type("GetProcessCommand"),
        (
            param("Name", "string[]", position=0, aliases=("ProcessName",), sets=("Name",)),
            param("Id", "int[]", mandatory=True, aliases=("PID",), sets=("Id",), by_name=True),
        ),
    )

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        running = [s for s in self.cluster.node(self.node).services.values() if s.pid]
        matched: dict[int, PSObject] = {}
        ids = as_list(arg(args, "Id"))
        if ids:
            for raw in ids:
                pid = int(raw)
                found = [s for s in running if s.pid == pid]
                if not found and pid == SESSION_PID:
                    raise CommandRefused(
                        f"Get-Process -Id {pid} (the session's own process, $PID: "
                        "wsmprovhost.exe or powershell.exe, which the simulator does not model)"
                    )
                if not found:
                    ctx.write_error(_no_process(self.spec.implementing_type, pid))
                for service in found:
                    matched.setdefault(service.pid, process_object(service))
        else:
            names = [text(n) for n in as_list(arg(args, "Name"))] or ["*"]
            processes = [process_object(service) for service in running]
            for name in names:
                named = [p for p in processes if wildcard_match(name, text(p.properties["Name"]))]
                if not named and fold(name) in _SESSION_HOSTS:
                    raise CommandRefused(
                        f"Get-Process -Name {name} (the process hosting a session, which the "
                        "simulator does not model)"
                    )
                if not named and not has_wildcard(name):
                    ctx.write_error(_no_process(self.spec.implementing_type, name))
                for process in named:
                    matched.setdefault(int(process.properties["Id"]), process)
        for process in sorted(matched.values(), key=_process_order):
            ctx.write_output(process)
        return None


def _process_order(process: PSObject) -> tuple[str, int]:
    """ProcessComparison: ``string.Compare(..., OrdinalIgnoreCase)`` of the names, which
    compares upper-cased characters (so ``_`` sorts after letters), then the Id."""
    return text(process.properties["ProcessName"]).upper(), int(process.properties["Id"])


PROCESS_CMDLETS: tuple[type[SimCmdlet], ...] = (
    GetCimInstance,
    GetWmiObject,
    GetProcess,
    GetCimAssociatedInstance,
)
