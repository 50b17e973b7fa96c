"""The built-in SSIS result models build their validators on first use, safely.

Importing the runbooks built every result model's validator, though a run reads the
results of its own steps only (issue 16). They are deferred now: these tests check that
importing leaves them unbuilt, that a step's result still parses into its model, and
that node threads reading their first results at once all get that model.
"""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from pydantic import ConfigDict

from psrunbook.results import parse_output
from psrunbook.runbook.model import StepResult
from tests.support.fresh_interpreter import json_report

DEFERRED_PROBE = """
import inspect, json
import psrunbook.runbooks.cluster_report, psrunbook.runbooks.ssis_clustered
import psrunbook.runbooks.ssis_clustered_undo, psrunbook.runbooks.ssis_failover_drill
import psrunbook.runbooks.ssis_standalone
from psrunbook.runbooks._ssis import results
from psrunbook.runbook.model import StepResult
models = [
    m for m in vars(results).values()
    if inspect.isclass(m) and issubclass(m, StepResult) and m.__module__ == results.__name__
]
print(json.dumps({m.__name__: m.__pydantic_complete__ for m in models}))
"""


def test_importing_the_runbooks_builds_no_result_model() -> None:
    built = json_report(DEFERRED_PROBE)
    assert len(built) > 10  # the probe saw the models
    assert {} == {name: done for name, done in built.items() if done}


def _result(data: dict[str, Any]) -> dict[str, Any]:
    return {"PSRunbookResult": 1, "Changed": False, "CheckOnly": False, "Data": json.dumps(data)}


def _deferred_model() -> type[StepResult]:
    """A result model like the built-in ones, not built yet (a new class for each test)."""

    class Nested(StepResult):
        model_config = ConfigDict(defer_build=True)

        name: str

    class Deferred(StepResult):
        model_config = ConfigDict(defer_build=True)

        count: int
        nested: list[Nested]

    assert not Deferred.__pydantic_complete__
    return Deferred


def test_a_deferred_result_model_parses_as_a_built_one() -> None:
    model = _deferred_model()
    parsed = parse_output([_result({"count": "3", "nested": [{"name": "a"}]})], [], False, model)
    assert isinstance(parsed.data, model)
    assert 3 == parsed.data.count
    assert ["a"] == [n.name for n in parsed.data.nested]
    assert [] == list(parsed.errors)
    refused = parse_output([_result({"count": "x", "nested": []})], [], False, model)
    assert refused.data is None
    assert "does not match Deferred" in refused.errors[0].message


def test_node_threads_reading_their_first_results_at_once_get_the_model() -> None:
    model = _deferred_model()
    threads = 8
    start = threading.Barrier(threads)
    parsed: list[Any] = []

    def read() -> None:
        start.wait()
        outcome = parse_output([_result({"count": 1, "nested": []})], [], False, model)
        parsed.append(outcome.data)

    workers = [threading.Thread(target=read) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert threads == len(parsed)
    assert all(type(data) is model for data in parsed)


def test_a_model_that_cannot_be_built_fails_as_pydantic_says() -> None:
    """A plug-in's result model with an undefined annotation: the error is pydantic's
    own, as when its validator was built at import."""

    class Broken(StepResult):
        later: Undefined  # type: ignore[name-defined]  # noqa: F821

    assert not Broken.__pydantic_complete__
    with pytest.raises(Exception) as expected:
        Broken.model_validate({"later": 1})
    with pytest.raises(type(expected.value)) as got:
        parse_output([_result({"later": 1})], [], False, Broken)
    assert str(expected.value) == str(got.value)


def test_a_plugins_result_model_is_built_at_import_as_before() -> None:
    """The deferral is the built-in models' own setting, not StepResult's: a plug-in's
    result model still reports a definition error when its module is imported."""
    assert not StepResult.model_config.get("defer_build", False)

    class PluginResult(StepResult):
        name: str

    assert PluginResult.__pydantic_complete__
