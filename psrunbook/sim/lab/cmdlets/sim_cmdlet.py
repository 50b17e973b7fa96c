"""What every simulated cmdlet shares: its node, the model lock, argument helpers."""

from __future__ import annotations

from typing import Any

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.paths import FsPath, RegPath, wow64_redirected
from psrunbook.sim.objects import PSEnum, PSHashtable, PSObject
from psrunbook.sim.ps.cmdlet_api import CmdletContext, CmdletSpec, CommandRefused, ParamSpec
from psrunbook.sim.ps.natives import environment_of


class SimCmdlet:
    """A cmdlet bound to one node of one cluster.

    ``invoke`` holds the cluster lock for the call (re-entrant, so the executor may also
    hold it for the whole pipeline) and delegates to :meth:`run`.
    """

    spec: CmdletSpec

    wow64: bool = False
    """Whether this instance serves a 32-bit session (``Microsoft.PowerShell32``), whose
    registry and file paths WOW64 redirects: the node's table for such sessions sets it
    (``cluster_executor.cmdlets_for_node``), and the path cmdlets refuse what Windows
    would redirect (:func:`~psrunbook.sim.lab.paths.wow64_redirected`)."""

    def __init__(self, cluster: SimCluster, node: str) -> None:
        self.cluster = cluster
        self.node = node

    def refuse_redirected(self, path: FsPath | RegPath, raw: str) -> None:
        """Refuse by name, in a 32-bit session, a path Windows would redirect there: the
        lab models only the 64-bit views, so it never answers such a path as if 64-bit."""
        reason = wow64_redirected(path) if self.wow64 else None
        if reason is not None:
            raise CommandRefused(
                f"{self.spec.name} of {raw} in a 32-bit session ({reason}; the lab does not "
                "model WOW64's 32-bit views)"
            )

    def invoke(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        with self.cluster.lock:
            return self.run(ctx, args)

    def run(self, ctx: CmdletContext, args: PSHashtable) -> int | None:
        raise NotImplementedError

    def changed(self, target: str) -> None:
        """Record one applied change made by this cmdlet."""
        self.cluster.record_change(self.spec.name, self.node, target)


def param(
    name: str,
    type_: str = "string",
    *,
    mandatory: bool = False,
    position: int | None = None,
    aliases: tuple[str, ...] = (),
    sets: tuple[str, ...] = ("(All)",),
    pipeline: bool = False,
    by_name: bool = False,
    allow_null: bool = False,
    allow_empty_collection: bool = False,
) -> ParamSpec:
    """Short form of :class:`ParamSpec` for the hand-written (non-cluster) specs; the
    ``allow_*`` flags are the cmdlet's ``[AllowNull]``/``[AllowEmptyCollection]``."""
    return ParamSpec(
        name=name,
        type=type_,
        mandatory=mandatory,
        position=position,
        aliases=aliases,
        parameter_sets=sets,
        from_pipeline=pipeline,
        from_pipeline_by_property_name=by_name,
        allow_null=allow_null,
        allow_empty_collection=allow_empty_collection,
    )


def arg(args: PSHashtable, name: str, default: Any = None) -> Any:
    return args.get(name, default)


def flag(args: PSHashtable, name: str) -> bool:
    return bool(arg(args, name, False))


def as_list(value: Any) -> list[Any]:
    """A bound value as a list: ``$null`` is empty, a scalar is one element."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    return [value]


def text(value: Any) -> str:
    """``[string]$value`` for the simulator's value types."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, PSEnum | PSObject):
        return str(value)
    return str(value)


def strings(value: Any) -> list[str]:
    return [text(v) for v in as_list(value)]


def object_name(value: Any) -> str:
    """The name a piped cluster object (or a plain string) stands for."""
    if isinstance(value, PSObject):
        if "Name" in value.properties:
            return text(value.properties["Name"])
        return text(value)
    return text(value)


def type_of(value: Any) -> str:
    """The most derived .NET type name of a piped object."""
    if isinstance(value, PSObject) and value.type_names:
        return value.type_names[0].removeprefix("Deserialized.")
    if isinstance(value, str):
        return "System.String"
    return ""


def _user_name(ctx: CmdletContext) -> str:
    return ctx.user.rsplit("\\", maxsplit=1)[-1].split("@", maxsplit=1)[0]


def _user_profile(ctx: CmdletContext) -> str:
    """The session's ``USERPROFILE`` (a context without an environment: the user's own)."""
    environment = environment_of(ctx)
    return environment.get("USERPROFILE") or f"C:\\Users\\{_user_name(ctx)}"


def home_expanded(raw: str, ctx: CmdletContext) -> str:
    """``raw`` with a leading ``~`` (alone, or before a separator) read as the user's home
    folder, as the FileSystem provider's Home (``$HOME``) resolves it for ``-Path``
    (about_Providers: the tilde is the provider's home); ``~x`` is a name. A
    ``-LiteralPath`` is not expanded here (the stricter reading: UNVERIFIED whether 5.1
    expands it)."""
    if raw != "~" and not raw.startswith(("~\\", "~/")):
        return raw
    return _user_profile(ctx) + raw[1:]


def profile_owner(ctx: CmdletContext) -> str | None:
    """The session's user when the session loaded the user's profile (which Windows
    creates at that logon, so its folders exist); None for a session without it
    (``WINRS_NOPROFILE``: ``USERPROFILE`` is the system profile), where a user who never
    logged on has no profile folders."""
    own = f"C:\\Users\\{_user_name(ctx)}"
    return ctx.user if _user_profile(ctx).casefold() == own.casefold() else None
