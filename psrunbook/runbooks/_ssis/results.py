"""Typed results of the SSIS and cluster steps: what each script's ``Data`` JSON holds.

Scripts write PascalCase keys (PowerShell's convention); the models read them through
aliases so Python code uses snake_case. ``Before`` and ``After`` are the state the script
saw and the state it left (or, in check mode, would leave).
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field
from pydantic.alias_generators import to_pascal

from psrunbook import StepResult

_PASCAL = ConfigDict(alias_generator=to_pascal, populate_by_name=True, defer_build=True)
"""PascalCase keys; validators built when a model first validates a result, not at import:
a run reads the results of its own steps only, and importing the runbooks built all of
them (issue 16). tests/unit/runbooks/test_result_models_deferred.py keeps it so."""


class _Result(StepResult):
    model_config = _PASCAL

    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


class PreflightResult(_Result):
    """Observed state; a preflight that finds problems fails instead of returning."""

    problems: list[str] = Field(default_factory=list)


class AddGenericServiceResult(_Result):
    actions: list[str] = Field(default_factory=list)


class PossibleOwnersResult(_Result):
    added: list[str] = Field(default_factory=list)
    removed: list[str] = Field(default_factory=list)


class DependenciesResult(_Result):
    added: list[str] = Field(default_factory=list)


class CheckpointResult(_Result):
    checkpoint: str


class SharedConfigResult(_Result):
    """``Before.MissingGrants``: principals lacking List Folder + Write (with Read and
    Synchronize) on Packages;
    ``Before.MissingReadGrants``: the SSIS service's account when it could not read
    MsDtsSrvr.ini.xml (granted Read on the file); ``service_account`` is that account;
    ``backup_sha256`` the SHA-256 (upper-case hex, as Get-FileHash writes it) of the file
    as the step found it, which ``backup_file`` is a byte-for-byte copy of (None: no file
    was replaced, or a psrunbook that did not record it)."""

    config_file: str
    backup_file: str | None = None
    backup_sha256: str | None = None
    service_account: str | None = None


class RegistryResult(_Result):
    key: str


class ServiceManualResult(_Result):
    resource_online: bool = False
    actions: list[str] = Field(default_factory=list)


class StartResourceResult(_Result):
    waited_seconds: int = 0


class StandaloneConfigResult(_Result):
    config_file: str
    backup_file: str | None = None
    restarted: bool = False
    stale_reasons: list[str] = Field(default_factory=list)
    """Why the running service was older than its file (restarted for it)."""


class ServiceAutomaticResult(_Result):
    actions: list[str] = Field(default_factory=list)
    waited_seconds: int = 0


class SsisServiceState(StepResult):
    model_config = _PASCAL

    name: str
    status: str
    start_type: str | None = None
    config_file: str | None = None


class SsisServicesResult(_Result):
    services: list[SsisServiceState] = Field(default_factory=list)


class NodeState(StepResult):
    model_config = _PASCAL

    name: str
    state: str


class GroupState(StepResult):
    model_config = _PASCAL

    name: str
    owner_node: str
    state: str


class ResourceState(StepResult):
    model_config = _PASCAL

    name: str
    resource_type: str
    state: str
    owner_group: str
    owner_node: str
    possible_owners: list[str] = Field(default_factory=list)
    dependencies: str = ""
    checkpoints: list[str] = Field(default_factory=list)
    restart_action: int | None = None
    service_name: str | None = None
    """A Generic Service's ServiceName parameter; None for other resource types."""


class ClusterReportResult(_Result):
    cluster: str
    nodes: list[NodeState] = Field(default_factory=list)
    groups: list[GroupState] = Field(default_factory=list)
    resources: list[ResourceState] = Field(default_factory=list)


class RestartStaleResult(_Result):
    stale_reasons: list[str] = Field(default_factory=list)
    deferred: bool = False
    actions: list[str] = Field(default_factory=list)


class LoadedConfigResult(_Result):
    """Read-only: what the service on a node runs with; ``After.Loaded`` is ``current``,
    ``older`` (a deferred restart), ``unreadable`` (its account may not read the file, so
    it runs on its defaults; reported only by a plan, a run fails) or ``not running``."""

    stale_reasons: list[str] = Field(default_factory=list)
    read_problems: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)


class MoveGroupResult(_Result):
    skipped: str | None = None
    actions: list[str] = Field(default_factory=list)


class RemoveResult(_Result):
    actions: list[str] = Field(default_factory=list)
