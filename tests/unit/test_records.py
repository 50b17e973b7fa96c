"""psrunbook's records are msgspec structs; the few dataclasses left are named with why.

A dataclass class costs about 0.33 ms to build (its methods are generated as source and
compiled), a struct class a tenth of that, and a ``run --sim`` imports about 150 record
classes (issue 16; docs/development.md, "Records"). A new dataclass anywhere in the
package fails here until it is a struct or joins the list below with its reason.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil

import msgspec

import psrunbook
from psrunbook.execution.session import ExecutionLimits, PreparedRun
from psrunbook.journal_model import RunRecord
from psrunbook.runbook.model import Runbook, Step
from psrunbook.sim.lab.cluster_model import Service

STILL_DATACLASSES = {
    # A field left out of equality and repr: a per-field option structs do not have.
    "psrunbook.cli.context.Settings": "caches (_registry, _library) kept out of repr",
    "psrunbook.lint.Finding": "severity and template are not part of a finding's identity",
    "psrunbook.lint._Script": "its parse caches are kept out of equality and repr",
    "psrunbook.runbook.registry.RunbookRegistry": "an init=False cache of loaded built-ins",
    "psrunbook.sim.endpoint.counters.EndpointCounters": "its lock is kept out of repr",
    "psrunbook.sim.lab.cluster_model.SimCluster": "its lock and failover flag out of equality",
    "psrunbook.sim.ps.parser.ParsedScript": "its lookup tables are kept out of equality",
    # On the import path of --help, list or show: a struct there imports msgspec (4-6 ms,
    # against 0.4-0.9 ms for a dataclass; tests/unit/test_cli_startup.py).
    "psrunbook.cli.inputs.PlanInputs": "built by command bodies; defined where --help loads",
    "psrunbook.cli.run_cmds.RunCommand": "built by command bodies; defined where --help loads",
    "psrunbook.runbook.index.IndexedRunbook": "what list and show read",
    "psrunbook.runbook.registry.BuiltinRunbook": "what list and show name",
    "psrunbook.runbook.registry.BrokenPlugin": "what list and show report",
    "psrunbook.runbook.registry.RunbookListing": "what list and show read",
    # An ABC base: a struct's metaclass cannot be combined with ABCMeta.
    "psrunbook.journal._Queued": "abstract base of the group commit's queued writes",
    "psrunbook.journal._Starting": "a _Queued",
    "psrunbook.journal._Finishing": "a _Queued",
}


def _package_classes() -> dict[str, type]:
    classes: dict[str, type] = {}
    for module_info in pkgutil.walk_packages(psrunbook.__path__, "psrunbook."):
        if module_info.name.endswith(".__main__"):
            continue  # running it is the command line
        module = importlib.import_module(module_info.name)
        for name, value in vars(module).items():
            if inspect.isclass(value) and value.__module__ == module.__name__:
                classes[f"{module.__name__}.{name}"] = value
    return classes


def test_only_the_listed_classes_are_dataclasses() -> None:
    dataclasses_found = {
        name for name, cls in _package_classes().items() if dataclasses.is_dataclass(cls)
    }
    assert dataclasses_found == set(STILL_DATACLASSES)


def test_the_records_a_run_uses_are_structs() -> None:
    for record in (ExecutionLimits, PreparedRun, RunRecord, Runbook, Step, Service):
        assert issubclass(record, msgspec.Struct), record
