"""Service cmdlets over the node's services (ServiceController-like output)."""

from __future__ import annotations

from typing import NamedTuple

from psrunbook.sim.lab import error_records
from psrunbook.sim.lab.cluster_model import Node, Service, SimModelError, fold
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
from psrunbook.sim.lab.windows_services import windows_has_service, windows_services
from psrunbook.sim.objects import PSHashtable, PSObject
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletError, CmdletSpec, CommandRefused


class Selected(NamedTuple):
    """A service a cmdlet acts on and the name its ServiceController shows."""

    service: Service
    name: str


def controller(host: Node, chosen: Selected) -> PSObject:
    """The ServiceController for ``chosen``: ``ServiceName`` (and ``Name``, its alias in
    types.ps1xml) is the name the controller was made with, and ToString is types.ps1xml's
    ``ToString`` script method, ``$this.ServiceName``. Recorded Windows PowerShell 5.1
    (pypsrp 0.9.1 ``responses/test_psrp_multiple_commands.yml``, ``Get-Service -Name
    winrm``): ``<ToString>winrm</ToString>``, ``<S N="ServiceName">winrm</S>`` in Props,
    ``<S N="Name">winrm</S>`` in MS; the SCM's key name is ``WinRM``."""
    obj = service_object(host, chosen.service)
    # service_object builds a new object for each call: it is named here in place, which
    # gives what a copy would (both properties exist, so they keep their place and
    # spelling) without building the object twice (ten controllers a node-run, issue 16).
    obj.properties["Name"] = chosen.name
    obj.properties["ServiceName"] = chosen.name
    obj.to_string = chosen.name
    return obj


class ServiceCmdlet(SimCmdlet):
    """Selects services by ``-Name``, ``-DisplayName`` or piped ServiceController.

    The names follow Windows PowerShell 5.1's ``MultipleServiceCommandBase``: a literal
    ``-Name`` (or a piped string) makes ``new ServiceController(name)``, whose name stays
    as typed (see :meth:`by_given_name`); a wildcard ``-Name`` and ``-DisplayName`` match
    over the enumerated services (``ServiceController.GetServices()``), which carry the
    SCM's key names; a piped ServiceController is passed on as it is, with its name.
    """

    @property
    def host(self) -> Node:
        return self.cluster.node(self.node)

    def by_given_name(self, given: str) -> Selected | None:
        """``new ServiceController(given)`` as .NET Framework resolves it (reference
        source, ``ServiceController.GenerateNames``): ``GetServiceKeyName`` first, which
        succeeds for a display name and gives the SCM's key name; else
        ``GetServiceDisplayName``, which succeeds for a service name in any case and
        leaves the name as given. Both SCM lookups are case-insensitive."""
        folded = given.casefold()
        for service in self.host.services.values():
            if service.display_name.casefold() == folded:
                return Selected(service, service.name)
        by_key = self.host.service(given)
        return None if by_key is None else Selected(by_key, given)

    def by_piped(self, obj: object) -> Selected | None:
        """A piped ServiceController keeps its own name; a piped string binds to -Name."""
        if not isinstance(obj, PSObject):
            return self.by_given_name(text(obj))
        name = object_name(obj)
        service = self.host.service(name)
        return None if service is None else Selected(service, name)

    def select(self, ctx: CmdletContext, args: PSHashtable) -> list[Selected]:
        piped = arg(args, "InputObject")
        if piped is not None:
            return self._select_piped(ctx, as_list(piped))
        names = [text(n) for n in as_list(arg(args, "Name"))]
        display = [text(n) for n in as_list(arg(args, "DisplayName"))]
        if not names and not display:
            return [Selected(s, s.name) for s in self._enumerated()]
        found = self._select_names(ctx, names)
        for name in display:
            found.extend(
                Selected(s, s.name)
                for s in self._enumerated()
                if wildcard_match(name, s.display_name)
            )
        return found

    def _enumerated(self) -> list[Service]:
        """``ServiceController.GetServices()``: every service, by its SCM key name."""
        return sorted(self.host.services.values(), key=lambda s: s.name.casefold())

    def _select_piped(self, ctx: CmdletContext, piped: list[object]) -> list[Selected]:
        found: list[Selected] = []
        for obj in piped:
            chosen = self.by_piped(obj)
            if chosen is None:
                self._not_found(ctx, object_name(obj))
                continue
            found.append(chosen)
        return found

    def _select_names(self, ctx: CmdletContext, names: list[str]) -> list[Selected]:
        found: list[Selected] = []
        for name in names:
            if has_wildcard(name):
                matched = [s for s in self._enumerated() if wildcard_match(name, s.name)]
                self._refuse_unmodelled_matches(name, {fold(s.name) for s in matched})
                found.extend(Selected(s, s.name) for s in matched)
                continue
            chosen = self.by_given_name(name)
            if chosen is None:
                self._not_found(ctx, name)
                continue
            found.append(chosen)
        return found

    def _refuse_unmodelled_matches(self, pattern: str, modelled: set[str]) -> None:
        """A wildcard that Windows would also match to a service the lab lacks would list
        fewer services than Windows: refused by name rather than answered short."""
        missing = sorted(
            name
            for folded, name in windows_services().items()
            if folded not in modelled and wildcard_match(pattern, name)
        )
        if missing:
            raise CommandRefused(
                f"{self.spec.name} of {pattern} (it matches {missing[0]}, a service every "
                "Windows Server node has; the simulator does not model it)"
            )

    def _not_found(self, ctx: CmdletContext, name: str) -> None:
        if windows_has_service(name):
            raise CommandRefused(
                f"{self.spec.name} of the service {name} (a service every Windows Server "
                "node has; the simulator does not model it)"
            )
        ctx.write_error(
            error_records.service_not_found(self.spec.name, self.spec.implementing_type, name)
        )


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
        for chosen in self.select(ctx, args):
            ctx.write_output(controller(self.host, chosen))
        return None


class _ChangeService(ServiceCmdlet):
    """Start/Stop/Restart: change status, count the change, ``-PassThru`` returns it."""

    def apply(self, service: Service) -> bool:
        raise NotImplementedError

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        for chosen in self.select(ctx, args):
            if flag(args, "WhatIf"):
                continue
            try:
                if self.apply(chosen.service):
                    self.changed(chosen.service.name)
            except CmdletError as exc:
                ctx.write_error(exc.record)
                continue
            if flag(args, "PassThru"):
                ctx.write_output(controller(self.host, chosen))
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
        cluster sees the process end, as for Stop-Service, and its restart policy runs.
        A start that fails after a stop still changed the service (it is stopped now):
        the change is counted before the error goes out."""
        stopped = self.cluster.stop_service(service)
        if stopped:
            self.cluster.service_stopped_outside(self.host, service)
        try:
            self.start(service)
        except CmdletError:
            if stopped:
                self.changed(service.name)
            raise
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
        selected = self.by_piped(piped) if piped is not None else self.by_given_name(name)
        if selected is None:
            self._not_found(ctx, name)
            return None
        service = selected.service
        if chosen is not None and service.start_type != chosen and not flag(args, "WhatIf"):
            service.start_type = chosen
            self.changed(service.name)
        if flag(args, "PassThru"):
            ctx.write_output(controller(self.host, selected))
        return None


SERVICE_CMDLETS: tuple[type[ServiceCmdlet], ...] = (
    GetService,
    StartService,
    StopService,
    RestartService,
    SetService,
)
