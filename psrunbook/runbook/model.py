"""The runbook model: what a procedure is, independent of how or where it runs.

A runbook declares its parameters as a pydantic model (so validation, help text and
examples come from one place) and turns validated parameters plus the inventory into
an ordered list of :class:`Step`. Steps are plain data: the engine renders, exports,
plans and executes them without knowing which runbook produced them.
"""

from __future__ import annotations

import enum
import itertools
import traceback
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import msgspec
from pydantic import BaseModel, ConfigDict, JsonValue

from psrunbook.runbook.lab import (
    GivenParameters,
    LabDefaults,
    LabFacts,
    LabVariant,
    LabVariantChooser,
)

if TYPE_CHECKING:
    from psrunbook.inventory import Inventory
    from psrunbook.runbook.history import HistoryDefaults, RunHistory


class Target(enum.Enum):
    """Where a step runs."""

    EVERY_NODE = "every-node"
    GROUP_OWNER = "group-owner"
    ANY_NODE = "any-node"


class Severity(enum.Enum):
    INFO = "info"
    WARNING = "warning"


class Advisory(msgspec.Struct, frozen=True):
    """A warning the operator must see in ``show``, ``export``, ``plan`` and ``run``."""

    code: str
    message: str
    severity: Severity = Severity.WARNING


class ChangeKey(enum.Enum):
    """The keys a test-then-set script reports its change under (DESIGN section 5).

    ``plan`` shows them, in this order, for every step and node that would change.
    """

    BEFORE = "Before"
    AFTER = "After"
    ACTIONS = "Actions"


class StepResult(BaseModel):
    """The base of every step's typed result: what a script's ``Data`` JSON holds.

    Unknown keys are kept, so a newer template can report more than an older model
    knows without the run failing.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    def reported(self) -> dict[str, JsonValue]:
        """The result as JSON under the keys the script wrote (aliases, so PascalCase).

        This is what the node said, whatever snake_case names a model gives it in
        Python: the form the journal stores and ``plan`` shows.
        """
        return self.model_dump(mode="json", by_alias=True)

    def reported_change(self) -> dict[ChangeKey, JsonValue]:
        """``Before``, ``After`` and ``Actions`` as reported, for the keys the result has.

        Read from :meth:`reported`, so it works alike for a model that aliases its
        fields to these keys, one that names its fields so, and a plain ``StepResult``
        that received them as extra keys; a key the result lacks is left out (a
        reported ``null`` is kept).
        """
        data = self.reported()
        return {key: data[key.value] for key in ChangeKey if key.value in data}


STEP_WORK_MARGIN_S = 30.0
"""What a step that waits by design needs beyond its wait: the rest of its script and the
round trips that carry it."""


class Step(msgspec.Struct, frozen=True):
    """One script run on one or more nodes.

    ``arguments`` are the values bound to the template's ``param()`` block;
    ``structure`` holds the few Jinja variables that shape the text (version branches).
    ``changes`` is False for read-only probes. ``safe_to_repeat`` allows transport
    retries: true for probes and for test-then-set scripts. ``serial`` runs an every-node
    step on one node at a time and stops at the first failure (a rolling restart: never
    all nodes at once, and a restart that breaks one node leaves the others untouched).

    ``waits_for_all_nodes`` False lets an every-node step start on a node as soon as that
    node finished the step before it, instead of when every node has (per-node progress:
    a slow node no longer holds the others back). Only for a step whose work on one node
    never depends on what the previous step did on another: the default waits, because a
    step often relies on the one before having succeeded everywhere (a preflight gates
    every change). A failure anywhere still stops every node from starting a further step.
    A rolling step that does not wait is *checked* on each node as soon as that node
    finished the step before; its changes still wait for every node's check and go one
    node at a time (a check changes nothing, so a preflight before it still gates every
    change).
    """

    name: str
    title: str
    template: str
    target: Target
    arguments: Mapping[str, Any] = msgspec.field(default_factory=dict)
    structure: Mapping[str, Any] = msgspec.field(default_factory=dict)
    group: str | None = None
    changes: bool = True
    safe_to_repeat: bool = True
    continue_on_error: bool = False
    serial: bool = False
    waits_for_all_nodes: bool = True
    result: type[StepResult] = StepResult
    waits_up_to_s: float | None = None
    """The longest the script waits by design (a timeout the runbook passes it, such as
    bring-online's ``online_timeout_s``): the step's own timeout is that wait plus
    :data:`STEP_WORK_MARGIN_S` when the default ``--step-timeout`` is shorter
    (:meth:`timeout_s`), so the wait the parameter asks for is not cut short by the
    general default; a ``--step-timeout`` the operator gave caps it still."""
    wait_parameter: str | None = None
    """The runbook parameter that sets :attr:`waits_up_to_s`, for the run's notice."""

    def timeout_s(self, step_timeout_s: float) -> float:
        """Seconds this step may take on one node under ``--step-timeout``."""
        if self.waits_up_to_s is None:
            return step_timeout_s
        return max(step_timeout_s, self.waits_up_to_s + STEP_WORK_MARGIN_S)

    def __post_init__(self) -> None:
        if self.target is Target.GROUP_OWNER and not self.group:
            raise ValueError(f"step {self.name!r} targets a group owner but names no group")
        if not self.waits_for_all_nodes and self.target is not Target.EVERY_NODE:
            raise ValueError(
                f"step {self.name!r} does not wait for all nodes, which only an every-node "
                "step can do: set waits_for_all_nodes=True"
            )

    @property
    def runs_on_each_node_alone(self) -> bool:
        """On every node at once, each node on its own (neither rolling nor a single node)."""
        return self.target is Target.EVERY_NODE and not self.serial


class ReportTable(msgspec.Struct, frozen=True):
    """One table a runbook shows on the console after a run: title, headers, rows of text."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


StepResults = Mapping[str, Mapping[str, StepResult]]
"""Results of a finished run: step name -> node -> the step's validated result.

Each result is an instance of the model its :class:`Step` declared (``Step.result``):
the runner validated the script's data against it, so a presenter narrows with
``isinstance`` instead of validating again.
"""

StepBuilder = Callable[[Any, "Inventory"], Sequence[Step]]
AdvisoryBuilder = Callable[[Any], Sequence[Advisory]]
Presenter = Callable[[StepResults], Sequence[ReportTable]]


def _no_advisories(_: Any) -> Sequence[Advisory]:
    return ()


class Runbook(msgspec.Struct, frozen=True):
    """A named procedure: parameters model, advisories and the steps it builds.

    A runbook module exposes one ``runbook = Runbook(...)``; importing it does no I/O.
    ``parameters`` is a pydantic model whose field descriptions and examples are the
    documentation ``psrunbook show`` prints.
    """

    name: str
    summary: str
    parameters: type[BaseModel]
    build_steps: StepBuilder
    advisories: AdvisoryBuilder = _no_advisories
    description: str = ""
    version: str = "1"
    origin: str = "builtin"
    present: Presenter | None = None
    """Turns the results of a successful run into console tables (reports)."""
    lab_variant: LabVariantChooser | None = None
    """Which simulated lab (``--sim``) the runbook needs, from the parameters given."""
    lab_defaults: LabDefaults | None = None
    """Parameters the simulated lab answers (``--sim``); given ones override them."""
    history_defaults: HistoryDefaults | None = None
    """Parameters read from earlier runs on the same cluster (the journal), for a new run."""

    def steps(self, params: BaseModel, inventory: Inventory) -> list[Step]:
        """The runbook's steps; ``ValueError`` naming the fix when they cannot be built.

        Any other error the runbook's own code raises (a plug-in's typo) becomes a
        ``ValueError`` naming its type, message and where it was raised, so ``show``,
        ``lint`` and ``plan`` report it as they report a runbook's refusal, never as a
        traceback.
        """
        try:
            steps = list(self.build_steps(params, inventory))
        except ValueError:
            raise
        except Exception as exc:  # re-raised as the runbook's error, with its place
            frames = traceback.extract_tb(exc.__traceback__)
            where = f" ({frames[-1].filename}:{frames[-1].lineno})" if frames else ""
            raise ValueError(
                f"building its steps failed: {type(exc).__name__}: {exc}{where}"
            ) from exc
        names = [s.name for s in steps]
        if len(set(names)) != len(names):
            raise ValueError(f"runbook {self.name!r} builds duplicate step names: {names}")
        for before, step in itertools.pairwise(steps):
            if not step.waits_for_all_nodes and not before.runs_on_each_node_alone:
                raise ValueError(
                    f"runbook {self.name!r}: step {step.name!r} does not wait for all nodes, "
                    f"but the step before it ({before.name!r}) is not an every-node step "
                    "that runs on each node alone: set waits_for_all_nodes=True"
                )
        if steps and not steps[0].waits_for_all_nodes:
            raise ValueError(
                f"runbook {self.name!r}: the first step ({steps[0].name!r}) has no step before "
                "it to follow node by node: set waits_for_all_nodes=True"
            )
        return steps

    def advisories_for(self, params: BaseModel | None) -> list[Advisory]:
        return list(self.advisories(params))

    def lab_variant_for(self, given: GivenParameters) -> LabVariant:
        """The lab to build for these parameters; the lab's default without a hook."""
        return self.lab_variant(given) if self.lab_variant is not None else LabVariant()

    def lab_defaults_for(self, facts: LabFacts, given: GivenParameters) -> dict[str, Any]:
        """What the lab fills in; nothing without a hook, whatever the field names."""
        return dict(self.lab_defaults(facts, given)) if self.lab_defaults is not None else {}

    def history_defaults_for(
        self, history: RunHistory, cluster: str | None, given: GivenParameters
    ) -> dict[str, Any]:
        """What the journal answers; nothing without a hook."""
        if self.history_defaults is None:
            return {}
        return dict(self.history_defaults(history, cluster, given))
