"""Service cmdlets over the node's services (ServiceController-like output)."""

from __future__ import annotations

from psrunbook.sim.lab import error_records
from psrunbook.sim.lab.cluster_model import Node, Service, SimModelError
from psrunbook.sim.lab.cluster_objects import service_object
from psrunbook.sim.lab.cmdlets.sim_cmdlet import (
    SimCmdlet,
    arg,
    as_list,
    flag,
    object_name,
    param,
    text,
)
from psrunbook.sim.lab.paths import has_wildcard, wildcard_match
from psrunbook.sim.objects import PSHashtable, PSObject
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletError, CmdletSpec


class ServiceCmdlet(SimCmdlet):
    """Selects services by ``-Name``, ``-DisplayName`` or piped ServiceController."""

    @property
    def host(self) -> Node:
        return self.cluster.node(self.node)

    def select(self, ctx: CmdletContext, args: PSHashtable) -> list[Service]:
        found: list[Service] = []
        piped = arg(args, "InputObject")
        for obj in as_list(piped):
            name = object_name(obj)
            service = self.host.service(name)
            if service is None:
                ctx.write_error(
                    error_records.service_not_found(
                        self.spec.name, self.spec.implementing_type, name
                    )
                )
                continue
            found.append(service)
        if piped is not None:
            return found
        names = [text(n) for n in as_list(arg(args, "Name"))]
        display = [text(n) for n in as_list(arg(args, "DisplayName"))]
        if not names and not display:
            return sorted(self.host.services.values(), key=lambda s: s.name.casefold())
        host = self.host
        for name in names:
            if has_wildcard(name):
                matches = [s for s in host.services.values() if wildcard_match(name, s.name)]
            else:  # the node's services are keyed by their folded name: one lookup
                service = host.service(name)
                matches = [] if service is None else [service]
            if not matches and not has_wildcard(name):
                ctx.write_error(
                    error_records.service_not_found(
                        self.spec.name, self.spec.implementing_type, name
                    )
                )
            found.extend(matches)
        for name in display:
            found.extend(
                s for s in self.host.services.values() if wildcard_match(name, s.display_name)
            )
        return found


_SELECT = (
    param(
        "Name",
        "string[]",
        position=0,
        aliases=("ServiceName",),
        sets=("Default",),
        pipeline=True,
        by_name=True,
    ),
    param("DisplayName", "string[]", sets=("DisplayName",)),
    param("InputObject", "object[]", sets=("InputObject",), pipeline=True),
)


class GetService(ServiceCmdlet):
    spec = CmdletSpec("Get-Service", error_records.ps_type("GetServiceCommand"), _SELECT)

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        for service in self.select(ctx, args):
            ctx.write_output(service_object(self.host, service))
        return None


class _ChangeService(ServiceCmdlet):
    """Start/Stop/Restart: change status, count the change, ``-PassThru`` returns it."""

    def apply(self, service: Service) -> bool:
        raise NotImplementedError

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        for service in self.select(ctx, args):
            if flag(args, "WhatIf"):
                continue
            try:
                if self.apply(service):
                    self.changed(service.name)
            except CmdletError as exc:
                ctx.write_error(exc.record)
                continue
            if flag(args, "PassThru"):
                out: PSObject = service_object(self.host, service)
                ctx.write_output(out)
        return None

    def start(self, service: Service) -> bool:
        """Start through the model: a new process reads its configuration now."""
        try:
            return self.cluster.start_service(self.host, service)
        except SimModelError as exc:
            raise CmdletError(
                error_records.service_cannot_start(
                    self.spec.name, self.spec.implementing_type, service.name, service.display_name
                ),
                terminating=False,
            ) from exc


_CHANGE = (
    *_SELECT,
    param("PassThru", "switch"),
    param("Force", "switch"),
    param("WhatIf", "switch"),
)


class StartService(_ChangeService):
    spec = CmdletSpec("Start-Service", error_records.ps_type("StartServiceCommand"), _CHANGE)

    def apply(self, service: Service) -> bool:
        return self.start(service)


class StopService(_ChangeService):
    spec = CmdletSpec(
        "Stop-Service",
        error_records.ps_type("StopServiceCommand"),
        (*_CHANGE, param("NoWait", "switch")),
    )

    def apply(self, service: Service) -> bool:
        stopped = self.cluster.stop_service(service)
        if stopped:
            self.cluster.service_stopped_outside(self.host, service)
        return stopped


class RestartService(_ChangeService):
    spec = CmdletSpec("Restart-Service", error_records.ps_type("RestartServiceCommand"), _CHANGE)

    def apply(self, service: Service) -> bool:
        """A restart is always a change: the service re-reads its configuration. The
        cluster sees the process end, as for Stop-Service, and its restart policy runs."""
        if self.cluster.stop_service(service):
            self.cluster.service_stopped_outside(self.host, service)
        if service.status != "Running":
            self.start(service)
        return True


START_TYPES = ("Automatic", "Manual", "Disabled")


class SetService(ServiceCmdlet):
    """``Set-Service -StartupType``: changes the start type only, never the status.

    Windows PowerShell 5.1's parameter takes ServiceStartMode names (Automatic, Manual,
    Disabled; Boot and System are driver modes and refused here as the lab has no
    drivers). ``-Status`` is refused as unsupported: the templates use Start/Stop-Service.
    """

    spec = CmdletSpec(
        "Set-Service",
        error_records.ps_type("SetServiceCommand"),
        (
            param(
                "Name",
                "string",
                mandatory=True,
                position=0,
                aliases=("ServiceName", "SN"),
                sets=("Name",),
                pipeline=True,
                by_name=True,
            ),
            param("InputObject", "object", sets=("InputObject",), pipeline=True),
            param("StartupType", "string", aliases=("StartMode", "ST")),
            param("PassThru", "switch"),
            param("WhatIf", "switch"),
        ),
    )

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        wanted = text(arg(args, "StartupType")) if arg(args, "StartupType") is not None else ""
        chosen = next((t for t in START_TYPES if t.casefold() == wanted.casefold()), None)
        if wanted and chosen is None:
            raise CmdletError(
                error_records.invalid_argument(
                    self.spec.name,
                    self.spec.implementing_type,
                    f"Cannot bind parameter 'StartupType'. Cannot convert value \"{wanted}\" "
                    'to type "System.ServiceProcess.ServiceStartMode". Specify one of the '
                    "following enumerator names and try again: Boot, System, Automatic, "
                    "Manual, Disabled",
                    "CannotConvertArgumentNoMessage",
                ),
                terminating=True,
            )
        piped = arg(args, "InputObject")
        name = object_name(piped) if piped is not None else text(arg(args, "Name"))
        service = self.host.service(name)
        if service is None:
            ctx.write_error(
                error_records.service_not_found(self.spec.name, self.spec.implementing_type, name)
            )
            return None
        if chosen is not None and service.start_type != chosen and not flag(args, "WhatIf"):
            service.start_type = chosen
            self.changed(service.name)
        if flag(args, "PassThru"):
            ctx.write_output(service_object(self.host, service))
        return None


SERVICE_CMDLETS: tuple[type[ServiceCmdlet], ...] = (
    GetService,
    StartService,
    StopService,
    RestartService,
    SetService,
)
