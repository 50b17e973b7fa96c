"""Service cmdlets over the node's services (ServiceController-like output).

Starting and stopping follow Windows PowerShell's Service.cs (DoStartService,
DoStopService, DoWaitForStatus): the cmdlet asks the SCM (ServiceController.Start/Stop,
which return at once), then calls ``WaitForStatus(target, 2 s)`` for as long as the
service stays in its pending state, writing the warning "Waiting for service '<display>
(<name>)' to start..." (or stop) after each turn and never giving up; a service that left
the pending state for another one ends the wait with StartServiceFailed/StopServiceFailed.
In the lab a wait that ends returns at once with the clocks moved on by the time Windows
blocks (as Start-ClusterResource does); a service that never settles (an armed hang) blocks
for real, a warning every 2 s of real time whatever the time scale, until the pipeline is
stopped (the step's own timeout, or Ctrl-C): Windows blocks the same way, and skipping
virtual time could only make the warnings come faster, never end the wait.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from psrunbook.sim.lab import error_records
from psrunbook.sim.lab.cluster_model import Node, Service, SimCluster, SimModelError, fold
from psrunbook.sim.lab.cluster_objects import SERVICE_STATUS, service_object
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
from psrunbook.sim.objects import PSEnum, PSHashtable, PSObject
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletError, CmdletSpec, CommandRefused
from psrunbook.sim.ps.exceptions import MethodThrew
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused
from psrunbook.sim.timespan_wire import timespan_ticks

WAIT_TURN_S = 2.0
"""DoWaitForStatus's turn: ``WaitForStatus(target, new TimeSpan(20000000))``."""
TIMEOUT_MESSAGE = "Time out has expired and the operation has not been completed."
"""System.ServiceProcess.TimeoutException's message (.NET Framework's Res.Timeout)."""


class Selected(NamedTuple):
    """A service a cmdlet acts on and the name its ServiceController shows."""

    service: Service
    name: str


def controller(cluster: SimCluster, host: Node, chosen: Selected) -> PSObject:
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
    obj.methods = controller_methods(cluster, host, chosen.service, obj)
    return obj


def _status_enum(status: str) -> PSEnum:
    return PSEnum("System.ServiceProcess.ServiceControllerStatus", status, SERVICE_STATUS[status])


def controller_methods(
    cluster: SimCluster, host: Node, service: Service, obj: PSObject
) -> dict[str, Callable[..., Any]]:
    """The ServiceController methods the lab models, as .NET Framework 4.8 has them.

    ``Status`` is read once and kept (the object's ``Status`` property) until
    ``Refresh()`` or ``WaitForStatus`` reads it again, as .NET caches it. ``Start()`` and
    ``Stop()`` ask the SCM and return at once, without refreshing; they throw
    InvalidOperationException ("Cannot start service X on computer '.'.", "Cannot stop X
    service on computer '.'.") when the SCM refuses (a Disabled service, one that is not
    Stopped; one that is not Running). ``WaitForStatus(status, timeout)`` returns when the
    service reaches ``status``, or throws System.ServiceProcess.TimeoutException after
    ``timeout``; the lab returns at once with its clocks moved on by that time. The form
    without a timeout (it may wait forever) is refused by name.
    """

    def refresh() -> None:
        with cluster.lock:
            obj.properties["Status"] = _status_enum(service.status)
            obj.properties["CanStop"] = service.status == "Running"

    def start() -> None:
        with cluster.lock:
            try:
                cluster.request_start(host, service)
            except SimModelError as exc:
                raise MethodThrew(
                    f"Cannot start service {service.name} on computer '.'.",
                    "System.InvalidOperationException",
                ) from exc
            cluster.record_change("ServiceController.Start", host.name, service.name)

    def stop() -> None:
        with cluster.lock:
            try:
                cluster.request_stop(host, service)
            except SimModelError as exc:
                raise MethodThrew(
                    f"Cannot stop {service.name} service on computer '.'.",
                    "System.InvalidOperationException",
                ) from exc
            cluster.record_change("ServiceController.Stop", host.name, service.name)
            cluster.service_stopped_outside(host, service)

    def wait_for_status(*args: Any) -> None:
        if len(args) != 2:
            raise HostMethodRefused(
                "ServiceController.WaitForStatus without a timeout (it may wait forever: "
                "give a [TimeSpan])"
            )
        target = _wanted_status(args[0])
        ticks = timespan_ticks(args[1])
        if ticks is None:
            raise HostMethodRefused(
                "ServiceController.WaitForStatus with a timeout that is not a [TimeSpan]"
            )
        with cluster.lock:
            waited = cluster.service_wait(service, target, ticks / 10_000_000)
            blocked = abs(waited)
            cluster.clock.advance(blocked)
            cluster.skip(blocked)
            cluster.settle_due()
            refresh()
        if waited < 0:
            raise MethodThrew(TIMEOUT_MESSAGE, "System.ServiceProcess.TimeoutException")

    return {
        "Refresh": refresh,
        "Start": start,
        "Stop": stop,
        "WaitForStatus": wait_for_status,
    }


def _wanted_status(value: Any) -> str:
    """The ServiceControllerStatus a script named (an enum value or its name)."""
    name = value.name if isinstance(value, PSEnum) else text(value)
    for known in SERVICE_STATUS:
        if known.casefold() == name.casefold():
            return known
    raise HostMethodRefused(
        f"ServiceController.WaitForStatus of {name!r} (not a ServiceControllerStatus name)"
    )


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
            ctx.write_output(controller(self.cluster, self.host, chosen))
        return None


class _ChangeService(ServiceCmdlet):
    """Start/Stop/Restart: ask the SCM, wait as Windows PowerShell does (module
    docstring), count the change, ``-PassThru`` returns the service.

    The cluster lock is taken for each step and never held across a real wait, so other
    pipelines run while a service that never settles holds this one.
    """

    def apply(self, ctx: CmdletContext, chosen: Selected, args: PSHashtable) -> bool:
        """Act on one service; False when an error was written for it."""
        raise NotImplementedError

    def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        with self.cluster.lock:
            selected = self.select(ctx, args)
        for chosen in selected:
            if flag(args, "WhatIf"):
                continue
            if not self.apply(ctx, chosen, args):
                continue
            if flag(args, "PassThru"):
                with self.cluster.lock:
                    ctx.write_output(controller(self.cluster, self.host, chosen))
        return None

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        return self.invoke(ctx, args)

    def start(self, ctx: CmdletContext, chosen: Selected, *, count: bool = True) -> bool:
        """DoStartService: ServiceController.Start() (a service already running, or not
        stopped yet, is no error: ERROR_SERVICE_ALREADY_RUNNING is ignored), then
        DoWaitForStatus(Running, StartPending). A refused start is CouldNotStartService."""
        service = chosen.service
        with self.cluster.lock:
            try:
                self.cluster.request_start(self.host, service)
                if count:
                    self.changed(service.name)
            except SimModelError as exc:
                if exc.code != ERROR_SERVICE_ALREADY_RUNNING:
                    ctx.write_error(
                        error_records.service_cannot_start(
                            self.spec.name, self.spec.implementing_type, service.name,
                            service.display_name,
                        )
                    )  # fmt: skip
                    return False
        return self.wait(ctx, chosen, "Running")

    def stop(
        self, ctx: CmdletContext, chosen: Selected, *, wait: bool = True, count: bool = True
    ) -> bool:
        """DoStopService: ServiceController.Stop() (a service not running is no error:
        ERROR_SERVICE_NOT_ACTIVE is ignored), then DoWaitForStatus(Stopped, StopPending)
        unless ``-NoWait``. A refused stop is CouldNotStopService. The cluster sees the
        process go (Generic Service IsAlive) at the request."""
        service = chosen.service
        with self.cluster.lock:
            try:
                self.cluster.request_stop(self.host, service)
                if count:
                    self.changed(service.name)
                self.cluster.service_stopped_outside(self.host, service)
            except SimModelError as exc:
                if exc.code != ERROR_SERVICE_NOT_ACTIVE:
                    ctx.write_error(
                        error_records.service_cannot_stop(
                            self.spec.name, self.spec.implementing_type, service.name,
                            service.display_name,
                        )
                    )  # fmt: skip
                    return False
        return self.wait(ctx, chosen, "Stopped") if wait else True

    def wait(self, ctx: CmdletContext, chosen: Selected, target: str) -> bool:
        """DoWaitForStatus: 2 s turns of WaitForStatus for as long as the service is
        pending; a warning after each turn; no limit."""
        service = chosen.service
        pending = "StartPending" if target == "Running" else "StopPending"
        verb = "start" if target == "Running" else "stop"
        while True:
            with self.cluster.lock:
                waited = self.cluster.service_wait(service, target, WAIT_TURN_S)
                blocked = abs(waited)
                hung = service.hung
                self.cluster.clock.advance(blocked)
                if not hung:
                    self.cluster.skip(blocked)  # a hung wait below takes the real time
                self.cluster.settle_due()
                if waited >= 0:
                    return True
                if service.status not in (pending, target):
                    ctx.write_error(
                        error_records.service_wait_failed(
                            self.spec.name, self.spec.implementing_type, service.name,
                            service.display_name, stop=target == "Stopped",
                        )
                    )  # fmt: skip
                    return False
            ctx.write_warning(
                f"Waiting for service '{service.display_name} ({chosen.name})' to {verb}..."
            )
            if hung:
                ctx.sleep(blocked, scaled=False)


ERROR_SERVICE_ALREADY_RUNNING = 1056
ERROR_SERVICE_NOT_ACTIVE = 1062

_CHANGE = (
    *_SELECT,
    param("PassThru", "switch"),
    param("Force", "switch"),
    param("WhatIf", "switch"),
)


class StartService(_ChangeService):
    spec = CmdletSpec("Start-Service", error_records.ps_type("StartServiceCommand"), _CHANGE)

    def apply(self, ctx: CmdletContext, chosen: Selected, args: PSHashtable) -> bool:
        return self.start(ctx, chosen)


class StopService(_ChangeService):
    spec = CmdletSpec(
        "Stop-Service",
        error_records.ps_type("StopServiceCommand"),
        (*_CHANGE, param("NoWait", "switch")),
    )

    def apply(self, ctx: CmdletContext, chosen: Selected, args: PSHashtable) -> bool:
        return self.stop(ctx, chosen, wait=not flag(args, "NoWait"))


class RestartService(_ChangeService):
    spec = CmdletSpec("Restart-Service", error_records.ps_type("RestartServiceCommand"), _CHANGE)

    def apply(self, ctx: CmdletContext, chosen: Selected, args: PSHashtable) -> bool:
        """DoStopService (waiting), then, once it is Stopped, DoStartService. One change
        when the process went or came (the service re-reads its configuration), counted
        even when the start then fails (it is stopped now) and before that error goes
        out, which -ErrorAction Stop turns into the end of the script."""
        service = chosen.service
        with self.cluster.lock:
            before = service.pid
        try:
            if not self.stop(ctx, chosen, count=False):
                return False
            with self.cluster.lock:
                stopped = service.status == "Stopped"
            return stopped and self.start(ctx, chosen, count=False)
        finally:
            with self.cluster.lock:
                if service.pid != before or (before == 0 and service.status != "Stopped"):
                    self.changed(service.name)


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
            ctx.write_output(controller(self.cluster, self.host, selected))
        return None


SERVICE_CMDLETS: tuple[type[ServiceCmdlet], ...] = (
    GetService,
    StartService,
    StopService,
    RestartService,
    SetService,
)
