"""FailoverClusters cmdlets over the shared model.

Specs come from the facts (:func:`psrunbook.sim.lab.specs.fc_spec`); semantics follow
the facts' ``behaviour`` and ``simulator_hints``. Failures are non-terminating
ClusterCmdletException records (see :mod:`psrunbook.sim.lab.error_records`), except the
confirmation prompt a non-interactive host cannot show, which terminates.
"""

from __future__ import annotations

import re
from typing import Any

from psrunbook.sim.lab import error_records
from psrunbook.sim.lab.cluster_model import (
    AWAIT_SERVICE_START,
    GENERIC_SERVICE,
    ClusterParameter,
    Group,
    Resource,
    SimModelError,
    fold,
)
from psrunbook.sim.lab.cluster_objects import (
    FC,
    checkpoint_object,
    cluster_object,
    dependency_object,
    group_object,
    node_object,
    node_ref,
    owner_list_object,
    parameter_object,
    resource_object,
    resource_type_object,
)
from psrunbook.sim.lab.cmdlets.sim_cmdlet import (
    SimCmdlet,
    arg,
    flag,
    object_name,
    strings,
    text,
    type_of,
)
from psrunbook.sim.lab.paths import has_wildcard, wildcard_match
from psrunbook.sim.lab.specs import fc_spec
from psrunbook.sim.objects import PSHashtable, PSObject
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletError, CommandRefused

# Private properties of the resource types whose schema the simulator knows.
PRIVATE_SCHEMA: dict[str, dict[str, tuple[str, object]]] = {
    fold(GENERIC_SERVICE): {
        "servicename": ("ServiceName", ""),
        "startupparameters": ("StartupParameters", ""),
        "usenetworkname": ("UseNetworkName", 0),
    },
}
_UINT_PARAMS = {"usenetworkname"}


class FcCmdlet(SimCmdlet):
    """A FailoverClusters cmdlet: spec from the facts, errors from :mod:`error_records`."""

    cmdlet_name = ""

    def __init__(self, cluster: Any, node: str) -> None:
        super().__init__(cluster, node)
        self.spec = fc_spec(self.cmdlet_name)
        self._pending_errors: list[CmdletError] = []

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        cluster_arg = arg(args, "Cluster")
        if cluster_arg is not None and not self._is_this_cluster(text(cluster_arg)):
            raise CmdletError(error_records.connection_error(self.spec.name, text(cluster_arg)))
        if not self.cluster.remote_user_is_administrator:
            # Only the nodes' Administrators have access to the cluster by default.
            raise CmdletError(
                error_records.cluster_access_denied(self.spec.name, self.cluster.name)
            )
        call_seconds = self.cluster.timing.cluster_call_seconds
        if call_seconds:  # the call's round trip to the cluster service ([timing])
            ctx.sleep(call_seconds)
        self.process(ctx, args)
        return None

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        raise NotImplementedError

    def _is_this_cluster(self, name: str) -> bool:
        names = {fold(self.cluster.name), ".", "localhost", *self.cluster.nodes}
        return fold(name.split(".", maxsplit=1)[0]) in names or fold(name) in names

    # -- errors ----------------------------------------------------------------------

    def fail(
        self, code: int, kind: str, target: Any = None, *, detail: str | None = None, **values: str
    ) -> CmdletError:
        record = error_records.cluster_error(
            self.spec.name,
            code,
            error_records.summary(kind, **values),
            target=target,
            target_name=values.get("name", ""),
            text=detail,
        )
        return CmdletError(record, terminating=self.cluster.cluster_errors_terminate)

    def model_error(
        self, exc: SimModelError, kind: str, target: Any = None, **values: str
    ) -> CmdletError:
        lookups = {5007: "resource_not_found", 5013: "group_not_found", 5042: "node_not_found"}
        if exc.code in lookups and exc.detail and fold(exc.detail) != fold(values.get("name", "")):
            return self.fail(exc.code, lookups[exc.code], target, name=exc.detail)
        return self.fail(exc.code, kind, target, **values)

    # -- lookups ---------------------------------------------------------------------

    def resource(self, name: str) -> Resource:
        try:
            return self.cluster.resource(name)
        except SimModelError as exc:
            raise self.fail(5007, "resource_not_found", name, name=name) from exc

    def group(self, name: str) -> Group:
        try:
            return self.cluster.group(name)
        except SimModelError as exc:
            raise self.fail(5013, "group_not_found", name, name=name) from exc

    def node_name(self, name: str) -> str:
        try:
            return self.cluster.node(name).name
        except SimModelError as exc:
            raise self.fail(5042, "node_not_found", name, name=name) from exc

    def target_resource(self, args: PSHashtable, *names: str) -> Resource | None:
        """The resource named by a piped object (preferred, as the help says) or a parameter."""
        piped = arg(args, "InputObject")
        if piped is not None:
            return self.resource(object_name(piped))
        for name in names:
            value = arg(args, name)
            if value is not None:
                listed = strings(value)
                if listed:
                    return self.resource(listed[0])
        return None

    def matching(
        self, names: list[str], pool: dict[str, Any], code: int, kind: str, literal: bool = False
    ) -> list[Any]:
        """Objects by name (wildcards allowed); a missing literal name is an error.

        ``literal``: the names come from objects given by ``-InputObject`` (or the
        pipeline), which stand for themselves; ``[PROD]`` in such a name is no pattern.
        """
        found: list[Any] = []
        for name in names:
            if has_wildcard(name) and not literal:
                found.extend(o for o in pool.values() if wildcard_match(name, o.name))
                continue
            obj = pool.get(fold(name))
            if obj is None:
                self._pending_errors.append(self.fail(code, kind, name, name=name))
                continue
            found.append(obj)
        return found

    def emit_errors(self, ctx: CmdletContext) -> None:
        pending, self._pending_errors = self._pending_errors, []
        for error in pending:
            self.report(ctx, error)

    def report(self, ctx: CmdletContext, error: CmdletError) -> None:
        """Write a failure that need not end the cmdlet, or raise it where the lab makes
        FailoverClusters' failures terminating (``SimCluster.cluster_errors_terminate``)."""
        if error.terminating:
            raise error
        ctx.write_error(error.record)


class GetCluster(FcCmdlet):
    cmdlet_name = "Get-Cluster"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        name = arg(args, "Name")
        if name is not None and not self._is_this_cluster(text(name)):
            raise CmdletError(error_records.connection_error(self.spec.name, text(name)))
        ctx.write_output(cluster_object(self.cluster))


class GetClusterNode(FcCmdlet):
    cmdlet_name = "Get-ClusterNode"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        self._pending_errors = []
        names = strings(arg(args, "Name"))
        nodes = (
            self.matching(names, self.cluster.nodes, 5042, "node_not_found")
            if names
            else list(self.cluster.nodes.values())
        )
        for node in nodes:
            ctx.write_output(node_object(self.cluster, node))
        self.emit_errors(ctx)


class GetClusterGroup(FcCmdlet):
    cmdlet_name = "Get-ClusterGroup"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        self._pending_errors = []
        names = strings(arg(args, "Name"))
        piped = arg(args, "InputObject")
        groups = list(self.cluster.groups.values())
        if piped is not None and type_of(piped) == f"{FC}.ClusterNode":
            groups = [g for g in groups if fold(g.owner) == fold(object_name(piped))]
        elif piped is not None and type_of(piped) == f"{FC}.ClusterGroup":
            names = [object_name(piped)]
        if names:
            pool = {fold(g.name): g for g in groups}
            groups = self.matching(
                names,
                pool,
                5013,
                "group_not_found",
                piped is not None and type_of(piped) == f"{FC}.ClusterGroup",
            )
        for group in groups:
            ctx.write_output(group_object(self.cluster, group))
        self.emit_errors(ctx)


class AddClusterGroup(FcCmdlet):
    cmdlet_name = "Add-ClusterGroup"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        group_type = text(arg(args, "GroupType", "Unknown")) or "Unknown"
        for name in strings(arg(args, "Name")):
            if fold(name) in self.cluster.groups:
                raise self.fail(5010, "add_group", name, name=name)
            owner = self.cluster.node(self.node).name
            group = Group(name, owner, group_type=group_type)
            self.cluster.groups[fold(name)] = group
            self.changed(name)
            ctx.write_output(group_object(self.cluster, group))


class MoveClusterGroup(FcCmdlet):
    cmdlet_name = "Move-ClusterGroup"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        piped = arg(args, "InputObject")
        name = object_name(piped) if piped is not None else text(arg(args, "Name"))
        if not name:
            raise CmdletError(
                error_records.cluster_usage_error(self.spec.name, "Specify -Name or pipe a group.")
            )
        group = self.group(name)
        if self.cluster.group_state(group) == "Pending":
            # A role whose resources are still coming online or going offline: the
            # cluster refuses to move it (UNVERIFIED which error Windows gives; ERROR_
            # INVALID_STATE is the stricter reading, never a move that silently waits).
            raise self.fail(5023, "move_group", name, name=group.name)
        node_arg = arg(args, "Node")
        if node_arg is not None:
            target = self.node_name(text(node_arg))
            if not self.cluster.can_host(group, target):
                raise self.fail(
                    5016,
                    "move_group",
                    name,
                    detail=error_records.MOVE_REFUSED_TEXT,
                    name=group.name,
                )
        else:
            best = self.cluster.best_target(group, exclude=group.owner)
            if best is None:
                raise self.fail(
                    5016,
                    "move_group",
                    name,
                    detail=error_records.MOVE_REFUSED_TEXT,
                    name=group.name,
                )
            target = best
        if fold(target) != fold(group.owner):
            self._move(group, target, _wait(args))
            self.changed(group.name)
        ctx.write_output(group_object(self.cluster, group))

    def _move(self, group: Group, target: str, wait: int | None) -> None:
        """Move ``group`` as Windows does, blocking (on the virtual clock) for at most
        ``wait`` seconds (None: until the move completes, as the help says without -Wait).

        The group's resources go offline on the owner first: a Generic Service's service
        stopping there holds the move for ``service_stop_seconds``, or for the resource's
        whole PendingTimeout when the stop hangs (then the Resource Monitor terminates the
        resource and the move goes on, the service left stopping on the old node:
        :meth:`SimCluster.follow_service`). Then the new owner brings them online, a
        Generic Service's resource OnlinePending while its service starts; the cmdlet
        waits for that within what is left of ``wait`` and returns the group Pending when
        it runs out. A move whose offline alone outlasts ``wait`` is refused by name: the
        lab does not model a move left half done (Windows returns the group Pending on
        its old owner and finishes the move later).
        """
        cluster = self.cluster
        offline_s = cluster.move_offline_seconds(group)
        if wait is not None and offline_s > wait:
            raise CommandRefused(
                f"Move-ClusterGroup -Wait {wait} of '{group.name}' while its resources take "
                f"{offline_s:g} s to go offline on {group.owner} (a service stopping or "
                "hung): the lab does not model a move that returns before its offline ends"
            )
        was_online = cluster.begin_move(group)
        if offline_s > 0:
            cluster.clock.advance(offline_s)
            cluster.skip(offline_s)
            cluster.settle_due()
        cluster.finish_move(group, target, was_online)
        left = None if wait is None else wait - offline_s
        for _ in range(len(cluster.group_resources(group.name)) * 4 + 4):
            pending = [
                settles
                for resource in cluster.group_resources(group.name)
                if (settles := cluster.service_settles(resource)) is not None
            ]
            if not pending or (left is not None and left <= 0):
                return
            step = min(seconds for seconds, _ in pending)
            if left is not None:
                step = min(step, left)
                left -= step
            cluster.clock.advance(step)
            cluster.skip(step)
            cluster.settle_due()


class GetClusterResource(FcCmdlet):
    cmdlet_name = "Get-ClusterResource"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        self._pending_errors = []
        names = strings(arg(args, "Name"))
        piped = arg(args, "InputObject")
        resources = list(self.cluster.resources.values())
        kind = type_of(piped) if piped is not None else ""
        if kind == f"{FC}.ClusterGroup":
            group = self.group(object_name(piped))
            resources = self.cluster.group_resources(group.name)
        elif kind == f"{FC}.ClusterNode":
            owner = fold(object_name(piped))
            resources = [r for r in resources if fold(self.cluster.owner_of(r)) == owner]
        elif piped is not None:
            names = [object_name(piped)]
        if names:
            pool = {fold(r.name): r for r in resources}
            own = piped is not None and kind not in (f"{FC}.ClusterGroup", f"{FC}.ClusterNode")
            resources = self.matching(names, pool, 5007, "resource_not_found", own)
        for resource in resources:
            ctx.write_output(resource_object(self.cluster, resource))
        self.emit_errors(ctx)


class AddClusterResource(FcCmdlet):
    cmdlet_name = "Add-ClusterResource"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        name = text(arg(args, "Name"))
        piped = arg(args, "InputObject")
        group_name = object_name(piped) if piped is not None else text(arg(args, "Group"))
        if not group_name:
            # CHOICE: the docs leave "no group given" open; refuse rather than guess.
            raise CmdletError(
                error_records.cluster_usage_error(
                    self.spec.name, "Specify the group with -Group or pipe a ClusterGroup."
                ),
                terminating=False,
            )
        group = self.group(group_name)
        try:
            type_name = self.cluster.resource_type(text(arg(args, "ResourceType")))
        except SimModelError as exc:
            raise self.fail(5078, "add_resource", name, name=name) from exc
        if fold(name) in self.cluster.resources:
            raise self.fail(5010, "add_resource", name, name=name)
        schema = PRIVATE_SCHEMA.get(fold(type_name), {})
        resource = Resource(
            name=name,
            type=type_name,
            group=group.name,
            state="Offline",
            possible_owners=[n.name for n in self.cluster.nodes.values()],
            parameters={k: ClusterParameter(n, v) for k, (n, v) in schema.items()},
            separate_monitor=flag(args, "SeparateMonitor"),
        )
        for key, (_, default) in schema.items():
            if isinstance(default, int):
                resource.parameters[key].kind = "UInt32"
        self.cluster.resources[fold(name)] = resource
        self.changed(name)
        ctx.write_output(resource_object(self.cluster, resource))


def _confirmed(args: PSHashtable) -> bool:
    """-Force, or -Confirm:$false, skips the prompt a non-interactive host cannot show."""
    return flag(args, "Force") or ("Confirm" in args and not args["Confirm"])


_DEPENDENT_RESOURCE_EXISTS = 5001
_DEPENDENT_RESOURCE_TEXT = (
    "The operation cannot be completed because other resources are dependent on this resource."
)
"""Win32 ERROR_DEPENDENT_RESOURCE_EXISTS and its text (System Error Codes 5000-5999)."""


class RemoveClusterResource(FcCmdlet):
    cmdlet_name = "Remove-ClusterResource"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        piped = arg(args, "InputObject")
        names = [object_name(piped)] if piped is not None else strings(arg(args, "Name"))
        for name in names:
            resource = self.resource(name)
            if flag(args, "WhatIf"):
                continue
            if not _confirmed(args):
                question = f"Are you sure you want to remove cluster resource '{resource.name}'?"
                raise CmdletError(
                    error_records.prompt_refused(
                        self.spec.name, self.spec.implementing_type, question
                    )
                )
            # CHOICE: an online resource is taken offline first (its dependents before it,
            # as Stop-ClusterResource does): the cluster deletes only an Offline or Failed
            # resource (MS-CMRP 3.1.4.2.11 ApiDeleteResource), and the help removes
            # resources with no word about their state. A Generic Service resource
            # waits for its service to stop, up to its PendingTimeout (then the Resource
            # Monitor terminates it: Failed, and a Failed resource can be deleted; its
            # service stays as it is on that node).
            self.cluster.take_offline(resource)
            settles = self.cluster.service_settles(resource)
            if settles is not None and settles[0] > 0:
                self.cluster.clock.advance(settles[0])
                self.cluster.skip(settles[0])
                self.cluster.settle_due()
            dependents = self.cluster.dependents(resource)
            if dependents:
                # ApiDeleteResource: the server MUST fail if another resource is directly
                # dependent on the designated one; Win32 5001 ERROR_DEPENDENT_RESOURCE_EXISTS.
                # Nothing is dropped from the dependents' expressions. UNVERIFIED: the
                # cmdlet's summary line (the lab's pattern), and that the cmdlet takes the
                # resource offline before the cluster refuses; the lab does (the stricter:
                # the resource and its dependents stay Offline, nothing else changes).
                self.report(
                    ctx,
                    self.fail(
                        _DEPENDENT_RESOURCE_EXISTS,
                        "remove_resource",
                        resource.name,
                        detail=_DEPENDENT_RESOURCE_TEXT,
                        name=resource.name,
                    ),
                )
                continue
            del self.cluster.resources[fold(resource.name)]
            # The cluster database drops the resource's checkpoints with it.
            prefix = f"{fold(resource.name)}|"
            for key in [k for k in self.cluster.checkpoint_data if k.startswith(prefix)]:
                del self.cluster.checkpoint_data[key]
            self.changed(resource.name)


def _wait(args: PSHashtable) -> int | None:
    value = arg(args, "Wait")
    return None if value is None else int(value)


class StartClusterResource(FcCmdlet):
    cmdlet_name = "Start-ClusterResource"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        resource = self.target_resource(args, "Name")
        if resource is None:
            raise CmdletError(
                error_records.cluster_usage_error(
                    self.spec.name, "Specify -Name or pipe a resource."
                )
            )
        before = self.cluster.observe(resource)
        wait = _wait(args)
        timing = self.cluster.timing
        # CHOICE: -Wait N shorter than the transition returns the resource still pending
        # (the facts leave the timeout behaviour open); the virtual clock moves by N.
        complete = wait is None or (wait > 0 and wait >= timing.seconds)
        # A start that waits for the transition blocks as long as it takes on Windows:
        # the rest of one already pending, else a whole transition's time.
        if before == "OnlinePending" and resource.pending_target == "Online":
            transition = max(0.0, resource.pending_due - self.cluster.clock.now)
        elif before == "Online" or resource.pending_target == AWAIT_SERVICE_START:
            transition = 0.0
        else:
            transition = timing.seconds
        try:
            self.cluster.begin_online(resource, wait=complete)
        except SimModelError as exc:
            if resource.state != before:
                self.changed(resource.name)
            raise self.model_error(
                exc, "start_resource", resource.name, name=resource.name
            ) from exc
        if before not in ("Online", "OnlinePending"):
            self.changed(resource.name)
        blocked = 0.0
        failed = False
        if wait is not None and wait > 0 and not complete:
            # Windows blocks for the whole -Wait.
            blocked = float(wait)
        elif complete:
            blocked = transition
            # A Generic Service resource is Online once its service runs: the cmdlet
            # waits for that too, for at most -Wait (the help: without -Wait it "waits for
            # completion"), and the resource fails when PendingTimeout runs out first.
            settles = self.cluster.service_settles(resource)
            if settles is not None:
                seconds, succeeds = settles
                if wait is not None and seconds > wait:
                    blocked = max(blocked, float(wait))
                else:
                    blocked = max(blocked, seconds)
                    failed = not succeeds
        if blocked > 0:
            # The lab returns at once, its clocks moved on by the time Windows blocks
            # (the virtual one and the nodes' Get-Date reads).
            self.cluster.clock.advance(blocked)
            self.cluster.skip(blocked)
            self.cluster.settle_due()
        if failed:
            # The online ran out of PendingTimeout: the resource failed (its restart
            # policy has acted since). The cmdlet reports the failure it waited for, the
            # stricter reading (UNVERIFIED which code Windows gives; 5018, the resource
            # monitor could not bring it online).
            raise self.model_error(
                SimModelError(5018, f"{resource.name} timed out coming online"),
                "start_resource",
                resource.name,
                name=resource.name,
            )
        ctx.write_output(resource_object(self.cluster, resource, observe=False))


class StopClusterResource(FcCmdlet):
    cmdlet_name = "Stop-ClusterResource"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        resource = self.target_resource(args, "Name")
        if resource is None:
            raise CmdletError(
                error_records.cluster_usage_error(
                    self.spec.name, "Specify -Name or pipe a resource."
                )
            )
        wait = _wait(args)
        if self.cluster.observe(resource) != "Offline":
            self.cluster.take_offline(resource)
            self.changed(resource.name)
        if wait is None or wait > 0:
            # -Wait as Start-ClusterResource's (failoverclusters.json: "same -Wait
            # semantics"): a Generic Service resource is Offline once its service has
            # stopped, and Failed when PendingTimeout runs out first (the Resource Monitor
            # terminates it). -Wait N shorter returns it still OfflinePending (CHOICE, as
            # for Start-ClusterResource).
            settles = self.cluster.service_settles(resource)
            if settles is not None:
                seconds, _ = settles
                blocked = seconds if wait is None else min(seconds, float(wait))
                if blocked > 0:
                    self.cluster.clock.advance(blocked)
                    self.cluster.skip(blocked)
                    self.cluster.settle_due()
                if self.cluster.observe(resource) == "Failed":
                    # UNVERIFIED which code Windows gives; 5038 ERROR_RESOURCE_FAILED.
                    raise self.fail(
                        5038,
                        "stop_resource",
                        resource.name,
                        detail="A cluster resource failed.",
                        name=resource.name,
                    )
        ctx.write_output(resource_object(self.cluster, resource))


def _checkpoint_key(value: str) -> str:
    key = value.replace("/", "\\").strip("\\")
    for prefix in ("HKEY_LOCAL_MACHINE\\", "HKLM:\\", "HKLM\\"):
        if key.upper().startswith(prefix.upper()):
            key = key[len(prefix) :]
    return key


class GetClusterCheckpoint(FcCmdlet):
    cmdlet_name = "Get-ClusterCheckpoint"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        self._pending_errors = []
        piped = arg(args, "InputObject")
        names = [object_name(piped)] if piped is not None else strings(arg(args, "ResourceName"))
        resources = (
            self.matching(
                names, self.cluster.resources, 5007, "resource_not_found", piped is not None
            )
            if names
            else list(self.cluster.resources.values())
        )
        pattern = arg(args, "CheckpointName")
        crypto_only = flag(args, "CryptoCheckpoint") and not flag(args, "RegistryCheckpoint")
        for resource in resources:
            if crypto_only:
                continue
            for key in resource.checkpoints:
                if pattern is None or wildcard_match(text(pattern), key):
                    ctx.write_output(checkpoint_object(resource, key))
        self.emit_errors(ctx)


class AddClusterCheckpoint(FcCmdlet):
    cmdlet_name = "Add-ClusterCheckpoint"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        resource = self.target_resource(args, "ResourceName")
        if resource is None:
            raise CmdletError(
                error_records.cluster_usage_error(
                    self.spec.name, "Specify -ResourceName or pipe a resource."
                )
            )
        if arg(args, "CryptoCheckpointName") is not None:
            raise CmdletError(
                error_records.cluster_usage_error(
                    self.spec.name, "Crypto checkpoints are not simulated."
                ),
                terminating=False,
            )
        raw = arg(args, "RegistryCheckpoint")
        if raw is None or not text(raw):
            raise CmdletError(
                error_records.cluster_usage_error(self.spec.name, "Specify -RegistryCheckpoint."),
                terminating=False,
            )
        key = _checkpoint_key(text(raw))
        if any(fold(key) == fold(k) for k in resource.checkpoints):
            raise self.fail(183, "add_checkpoint", key, name=resource.name, key=key)
        resource.checkpoints.append(key)
        # Adding a checkpoint takes the cluster's copy of the key at once, whatever the
        # resource's state (KB 174070: "When you specify a new registry key for the
        # resource, the specified key is checkpointed"), from the node owning the resource.
        self.cluster.observe(resource)  # a pending online due now settles (and restores) first
        host = self.cluster.nodes.get(fold(self.cluster.owner_of(resource)))
        if host is not None and host.state == "Up":
            self.cluster.snapshot_checkpoint(resource, key, host)
        self.changed(f"{resource.name}|{key}")
        ctx.write_output(checkpoint_object(resource, key))


_PATTERN_CHARACTERS = frozenset("\\.^$()+{}|*?[")
"""Characters a regular expression or a wildcard reads as more than themselves."""


class RemoveClusterCheckpoint(FcCmdlet):
    cmdlet_name = "Remove-ClusterCheckpoint"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        piped = arg(args, "InputObject")
        if piped is not None and type_of(piped) == f"{FC}.ClusterRegistryCheckpoint":
            self._remove_piped(ctx, args, piped)
            return
        resource = self.target_resource(args, "ResourceName")
        if resource is None:
            raise CmdletError(
                error_records.cluster_usage_error(
                    self.spec.name, "Specify -ResourceName or pipe a resource."
                )
            )
        pattern = arg(args, "CheckpointName")
        if pattern is None:
            # The help documents only piping checkpoint objects (Example 1); what a
            # resource without -CheckpointName removes (every checkpoint, none, a prompt
            # per checkpoint) is not written anywhere, so the lab runs neither reading.
            raise CommandRefused(
                "Remove-ClusterCheckpoint of a resource without -CheckpointName: what it "
                "removes is not documented (pipe the checkpoint objects instead: "
                "Get-ClusterCheckpoint ... | Where-Object Name -eq ... | "
                "Remove-ClusterCheckpoint)"
            )
        if any(c in text(pattern) for c in _PATTERN_CHARACTERS):
            # The module's HelpMessage says -CheckpointName takes a regular expression, the
            # online help says no wildcards (failoverclusters.json): a key path such as
            # SOFTWARE\Microsoft\...\150 reads differently (or is no valid expression)
            # under each, so the lab answers neither.
            raise CommandRefused(
                "Remove-ClusterCheckpoint -CheckpointName with a name a regular expression "
                "or a wildcard reads differently (pipe the checkpoint objects instead: "
                "Get-ClusterCheckpoint ... | Where-Object Name -eq ... | "
                "Remove-ClusterCheckpoint)"
            )
        key = _checkpoint_key(text(pattern))
        selected = [k for k in resource.checkpoints if wildcard_match(key, k)]
        if not selected:
            raise self.fail(1168, "remove_checkpoint", key, name=resource.name, key=key)
        self._remove(args, resource, selected)

    def _remove_piped(self, ctx: CmdletContext, args: PSHashtable, piped: PSObject) -> None:
        """The checkpoint a ClusterRegistryCheckpoint object (Get-ClusterCheckpoint's output,
        the help's Example 1) stands for: its Resource and its Name, the key path compared
        whole (ignoring case, as the cluster does), never read as a pattern."""
        if arg(args, "CheckpointName") is not None or arg(args, "ResourceName") is not None:
            raise CommandRefused(
                "Remove-ClusterCheckpoint with a piped checkpoint and -CheckpointName or "
                "-ResourceName: which one wins is not documented"
            )
        resource = self.resource(object_name(piped.properties.get("Resource")))
        key = text(piped.properties.get("Name", ""))
        selected = [k for k in resource.checkpoints if fold(k) == fold(key)]
        if not selected:
            self.report(ctx, self.fail(1168, "remove_checkpoint", key, name=resource.name, key=key))
            return
        self._remove(args, resource, selected)

    def _remove(self, args: PSHashtable, resource: Resource, selected: list[str]) -> None:
        if flag(args, "WhatIf"):
            return
        for key in selected:
            if not _confirmed(args):
                question = (
                    f"Are you sure you want to remove registry checkpoint '{key}' on resource "
                    f"'{resource.name}'?"
                )
                raise CmdletError(
                    error_records.prompt_refused(
                        self.spec.name, self.spec.implementing_type, question
                    )
                )
            resource.checkpoints.remove(key)
            self.cluster.checkpoint_data.pop(f"{fold(resource.name)}|{fold(key)}", None)
            self.changed(f"{resource.name}|{key}")


class GetClusterOwnerNode(FcCmdlet):
    cmdlet_name = "Get-ClusterOwnerNode"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        piped = arg(args, "InputObject")
        group_name = arg(args, "Group")
        if piped is not None and type_of(piped) == f"{FC}.ClusterGroup":
            group_name = object_name(piped)
        if group_name is not None:
            group = self.group(text(group_name))
            owners = [node_ref(self.cluster, n) for n in group.preferred_owners]
            ctx.write_output(owner_list_object(group_object(self.cluster, group), owners))
            return
        resource_type = arg(args, "ResourceType")
        if resource_type is not None and piped is None and arg(args, "Resource") is None:
            type_name = self.cluster.resource_type(text(resource_type))
            owners = [node_ref(self.cluster, n.name) for n in self.cluster.nodes.values()]
            ctx.write_output(
                owner_list_object(resource_type_object(self.cluster, type_name), owners)
            )
            return
        resource = self.target_resource(args, "Resource")
        if resource is None:
            raise CmdletError(
                error_records.cluster_usage_error(
                    self.spec.name, "Specify -Resource, -Group or pipe an object."
                )
            )
        owners = [node_ref(self.cluster, n) for n in self._possible(resource)]
        ctx.write_output(owner_list_object(resource_object(self.cluster, resource), owners))

    def _possible(self, resource: Resource) -> list[str]:
        if resource.possible_owners:
            return list(resource.possible_owners)
        return [n.name for n in self.cluster.nodes.values()]


class SetClusterOwnerNode(FcCmdlet):
    cmdlet_name = "Set-ClusterOwnerNode"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        # -Owners is a StringCollection: each element is one node name, as given. The
        # binder converts an array element by element and does not split a string, so
        # 'NODE1,NODE2' is one name that no node has (5042), while NODE1,NODE2 unquoted
        # is an array of two (failoverclusters.json: Set-ClusterOwnerNode.behaviour.owners).
        owners_raw = strings(arg(args, "Owners"))
        piped = arg(args, "InputObject")
        group_name = arg(args, "Group")
        if piped is not None and type_of(piped) == f"{FC}.ClusterGroup":
            group_name = object_name(piped)
        target = text(group_name) if group_name is not None else text(arg(args, "Resource"))
        if piped is not None and group_name is None:
            target = object_name(piped)
        if not target:
            raise CmdletError(
                error_records.cluster_usage_error(
                    self.spec.name, "Specify -Resource, -Group or pipe an object."
                )
            )
        try:
            owners = [self.cluster.node(o).name for o in owners_raw]
        except SimModelError as exc:
            raise self.fail(5042, "set_owners", target, name=target) from exc
        if group_name is not None:
            group = self.group(text(group_name))
            if [fold(o) for o in group.preferred_owners] != [fold(o) for o in owners]:
                group.preferred_owners = owners
                self.changed(group.name)
            return
        resource = self.resource(target)
        if {fold(o) for o in resource.possible_owners} != {fold(o) for o in owners}:
            resource.possible_owners = owners
            self.changed(resource.name)


class GetClusterResourceDependency(FcCmdlet):
    cmdlet_name = "Get-ClusterResourceDependency"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        self._pending_errors = []
        piped = arg(args, "InputObject")
        names = [object_name(piped)] if piped is not None else strings(arg(args, "Resource"))
        resources = (
            self.matching(
                names, self.cluster.resources, 5007, "resource_not_found", piped is not None
            )
            if names
            else list(self.cluster.resources.values())
        )
        for resource in resources:
            out = dependency_object(self.cluster, resource)
            if flag(args, "Guid"):
                expression = text(out.properties["DependencyExpression"])
                for provider in resource.providers():
                    found = self.cluster.resources.get(fold(provider))
                    if found is not None:
                        expression = expression.replace(f"[{provider}]", f"[{found.id}]")
                out.properties["DependencyExpression"] = expression
            ctx.write_output(out)
        self.emit_errors(ctx)


def _check_provider(
    cmdlet: FcCmdlet, resource: Resource, provider_name: str, kind: str
) -> Resource:
    try:
        provider = cmdlet.cluster.resource(provider_name)
    except SimModelError as exc:
        raise cmdlet.fail(5007, "resource_not_found", provider_name, name=provider_name) from exc
    values = {"name": resource.name, "provider": provider.name}
    if fold(provider.name) == fold(resource.name):
        raise cmdlet.fail(1059, kind, resource.name, **values)
    if fold(provider.group) != fold(resource.group):
        raise cmdlet.fail(87, kind, resource.name, **values)
    if _depends_on(cmdlet, provider, resource, set()):
        raise cmdlet.fail(1059, kind, resource.name, **values)
    return provider


def _depends_on(cmdlet: FcCmdlet, resource: Resource, target: Resource, seen: set[str]) -> bool:
    for name in resource.providers():
        if fold(name) == fold(target.name):
            return True
        if fold(name) in seen:
            continue
        seen.add(fold(name))
        found = cmdlet.cluster.resources.get(fold(name))
        if found is not None and _depends_on(cmdlet, found, target, seen):
            return True
    return False


class AddClusterResourceDependency(FcCmdlet):
    cmdlet_name = "Add-ClusterResourceDependency"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        resource = self.target_resource(args, "Resource")
        provider_name = text(arg(args, "Provider"))
        if resource is None or not provider_name:
            raise CmdletError(
                error_records.cluster_usage_error(
                    self.spec.name, "Specify -Resource and -Provider."
                )
            )
        provider = _check_provider(self, resource, provider_name, "add_dependency")
        if any(fold(p) == fold(provider.name) for p in resource.providers()):
            raise self.fail(
                5003, "add_dependency", resource.name, name=resource.name, provider=provider.name
            )
        resource.dependencies.append([provider.name])
        self.changed(f"{resource.name}|{provider.name}")
        ctx.write_output(resource_object(self.cluster, resource))


class RemoveClusterResourceDependency(FcCmdlet):
    cmdlet_name = "Remove-ClusterResourceDependency"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        resource = self.target_resource(args, "Resource")
        provider_name = text(arg(args, "Provider"))
        if resource is None or not provider_name:
            raise CmdletError(
                error_records.cluster_usage_error(
                    self.spec.name, "Specify -Resource and -Provider."
                )
            )
        if not any(fold(p) == fold(provider_name) for p in resource.providers()):
            raise self.fail(
                5002, "remove_dependency", resource.name, name=resource.name, provider=provider_name
            )
        if flag(args, "WhatIf"):
            return
        clauses = [[p for p in c if fold(p) != fold(provider_name)] for c in resource.dependencies]
        resource.dependencies = [c for c in clauses if c]
        self.changed(f"{resource.name}|{provider_name}")
        ctx.write_output(resource_object(self.cluster, resource))


_TOKEN = re.compile(r"\s*(\[[^\]]*\]|\(|\)|and\b|or\b)", re.IGNORECASE)


def parse_dependency_expression(expression: str) -> list[list[str]]:
    """``[A] and ([B] or [C])`` -> ``[["A"], ["B", "C"]]``; raises ValueError otherwise.

    Supported: an AND of clauses, each clause a name or a parenthesised/bare OR of
    names, which is every expression the cluster itself produces for dependencies.
    """
    tokens: list[str] = []
    position = 0
    stripped = expression.strip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None:
            raise ValueError(f"unexpected text at {position}: {stripped[position:]!r}")
        tokens.append(match.group(1))
        position = match.end()
        while position < len(stripped) and stripped[position].isspace():
            position += 1
    if not tokens:
        return []
    has_and = any(t.lower() == "and" for t in tokens)
    clauses: list[list[str]] = []
    current: list[str] = []
    depth = 0
    expect_name = True
    for piece in tokens:
        low = piece.lower()
        if piece == "(":
            depth += 1
            continue
        if piece == ")":
            depth -= 1
            continue
        if low == "and":
            if depth or expect_name:
                raise ValueError("'and' inside parentheses or without operands")
            clauses.append(current)
            current = []
            expect_name = True
            continue
        if low == "or":
            if expect_name or (has_and and depth == 0):
                raise ValueError("mixing 'and' and 'or' needs parentheses around the 'or'")
            expect_name = True
            continue
        if not expect_name:
            raise ValueError("two names without an operator")
        current.append(piece[1:-1])
        expect_name = False
    if depth or expect_name:
        raise ValueError("unbalanced parentheses or trailing operator")
    clauses.append(current)
    return clauses


class SetClusterResourceDependency(FcCmdlet):
    cmdlet_name = "Set-ClusterResourceDependency"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        resource = self.target_resource(args, "Resource")
        if resource is None:
            raise CmdletError(
                error_records.cluster_usage_error(
                    self.spec.name, "Specify -Resource or pipe a resource."
                )
            )
        expression = text(arg(args, "Dependency", ""))
        try:
            clauses = parse_dependency_expression(expression)
        except ValueError as exc:
            raise self.fail(87, "set_dependency", expression, name=resource.name) from exc
        checked = [
            [_check_provider(self, resource, name, "set_dependency").name for name in clause]
            for clause in clauses
        ]
        current = [[fold(p) for p in c] for c in resource.dependencies]
        if current != [[fold(p) for p in c] for c in checked]:
            resource.dependencies = checked
            self.changed(resource.name)


def _cluster_object_of(cmdlet: FcCmdlet, piped: Any) -> tuple[PSObject, Resource | None]:
    """The cluster object a parameter cmdlet works on, and its resource when it is one."""
    kind = type_of(piped)
    name = object_name(piped)
    if kind == f"{FC}.ClusterGroup":
        return group_object(cmdlet.cluster, cmdlet.group(name)), None
    if kind == f"{FC}.ClusterNode":
        node = cmdlet.cluster.node(cmdlet.node_name(name))
        return node_object(cmdlet.cluster, node), None
    if kind == f"{FC}.Cluster":
        return cluster_object(cmdlet.cluster), None
    resource = cmdlet.resource(name)
    return resource_object(cmdlet.cluster, resource), resource


class GetClusterParameter(FcCmdlet):
    cmdlet_name = "Get-ClusterParameter"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        piped = arg(args, "InputObject")
        if piped is None:
            # CHOICE: the cluster object itself has no private properties here.
            return
        owner, resource = _cluster_object_of(self, piped)
        if resource is None:
            return
        wanted = strings(arg(args, "Name"))
        params = list(resource.parameters.values())
        for name in wanted:
            if not any(fold(p.name) == fold(name) for p in params):
                self.report(
                    ctx,
                    self.fail(1168, "parameter_not_found", name, name=resource.name, key=name),
                )
        for param_ in params:
            if wanted and not any(fold(param_.name) == fold(w) for w in wanted):
                continue
            ctx.write_output(parameter_object(owner, param_))


class SetClusterParameter(FcCmdlet):
    cmdlet_name = "Set-ClusterParameter"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        piped = arg(args, "InputObject")
        if piped is None:
            raise CmdletError(
                error_records.cluster_usage_error(
                    self.spec.name, "Pipe a cluster object or ClusterParameter."
                )
            )
        if type_of(piped) == f"{FC}.ClusterParameter":
            target = piped.properties["ClusterObject"]
            updates = [(text(piped.properties["Name"]), piped.properties["Value"])]
        else:
            target = piped
            multiple = arg(args, "Multiple")
            if multiple is not None:
                updates = [(text(k), v) for k, v in dict(multiple.items()).items()]
            else:
                name = text(arg(args, "Name"))
                if not name:
                    raise CmdletError(
                        error_records.cluster_usage_error(self.spec.name, "Specify -Name.")
                    )
                updates = [(name, arg(args, "Value"))]
        _, resource = _cluster_object_of(self, target)
        if resource is None:
            raise CmdletError(
                error_records.cluster_usage_error(
                    self.spec.name, "Only resource private properties are simulated."
                ),
                terminating=False,
            )
        changed = False
        for name, value in updates:
            changed |= self._set(resource, name, value, args)
        if changed and self.cluster.observe(resource) == "Online":
            # CHOICE: the 5024 condition (stored, effective at next online) as a warning.
            ctx.write_warning(
                "The properties were stored, but not all changes will take effect until "
                f"{resource.name} is taken offline and then online again."
            )

    def _set(self, resource: Resource, name: str, value: Any, args: PSHashtable) -> bool:
        schema = PRIVATE_SCHEMA.get(fold(resource.type))
        existing = resource.parameter(name)
        if flag(args, "Delete"):
            if existing is None:
                raise self.fail(1168, "parameter_not_found", name, name=resource.name, key=name)
            del resource.parameters[fold(name)]
            self.changed(f"{resource.name}|{name}")
            return True
        if existing is None and not flag(args, "Create") and schema is not None:
            raise self.fail(87, "parameter", name, name=resource.name, key=name)
        if fold(name) in _UINT_PARAMS:
            try:
                value = int(value)
            except (TypeError, ValueError) as exc:
                raise self.fail(87, "parameter", name, name=resource.name, key=name) from exc
            kind = "UInt32"
        else:
            value = text(value)
            kind = "String"
        if existing is not None and existing.value == value:
            return False
        shown = existing.name if existing is not None else name
        resource.parameters[fold(name)] = ClusterParameter(shown, value, kind)
        self.changed(f"{resource.name}|{shown}")
        return True


class GetClusterResourceType(FcCmdlet):
    cmdlet_name = "Get-ClusterResourceType"

    def process(self, ctx: CmdletContext, args: PSHashtable) -> None:
        names = strings(arg(args, "Name"))
        for type_name in self.cluster.resource_types:
            if names and not any(wildcard_match(n, type_name) for n in names):
                continue
            ctx.write_output(resource_type_object(self.cluster, type_name))
        for name in names:
            if not has_wildcard(name) and not any(
                fold(name) == fold(t) for t in self.cluster.resource_types
            ):
                self.report(ctx, self.fail(5078, "type_not_found", name, name=name))


CLUSTER_CMDLETS: tuple[type[FcCmdlet], ...] = (
    GetCluster,
    GetClusterNode,
    GetClusterGroup,
    AddClusterGroup,
    MoveClusterGroup,
    GetClusterResource,
    AddClusterResource,
    RemoveClusterResource,
    StartClusterResource,
    StopClusterResource,
    GetClusterCheckpoint,
    AddClusterCheckpoint,
    RemoveClusterCheckpoint,
    GetClusterOwnerNode,
    SetClusterOwnerNode,
    GetClusterResourceDependency,
    AddClusterResourceDependency,
    RemoveClusterResourceDependency,
    SetClusterResourceDependency,
    GetClusterParameter,
    SetClusterParameter,
    GetClusterResourceType,
)
