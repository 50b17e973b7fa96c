"""Injection: hostile strings reach the cmdlet exactly and never run as code.

Two paths, both with values drawn to favour what breaks PowerShell quoting: the five
single quotes, the three double quotes, sub-expressions, variables, backticks, statement
separators, here-string terminators at line start, ``--%``, Unicode dashes, NBSP, very
long strings and non-BMP characters.

* Execution: a template passes the value to ``Set-ItemProperty`` on a simulated node over
  real PSRP; the registry then holds exactly the value, the script's own result echoes it,
  exactly one pipeline ran and the only change is that one value.
* Export: for every string parameter of every runbook (shipped and user), the value goes
  into a plan and a review bundle; each wrapper's ``$arguments`` table is read back by an
  independent tokenizer and evaluated by the simulator's PowerShell with no command at all
  available, so any text that escaped its literal would fail as an unknown command.
"""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from psrunbook.bundle import export_bundle
from psrunbook.errors import EngineError
from psrunbook.inventory import inventory_from_toml
from psrunbook.runbook.examples import example_inventory, example_values
from psrunbook.runbook.model import Runbook
from psrunbook.runbook.parameters import validate_parameters
from psrunbook.runbook.planner import build_plan
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.secrets import Secret
from psrunbook.sim.endpoint.http_server import SimEndpoint, SimFleet
from psrunbook.sim.executor_protocol import CommandRequest, ExecutionContext, PipelineRequest
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.serve import SIM_USER, inventory_toml
from psrunbook.sim.ps.powershell_executor import PowerShellExecutor
from psrunbook.templates import TemplateLibrary
from psrunbook.transport.base import ScriptCall, Session
from psrunbook.transport.psrp import PsrpTransport
from tests.conftest import FIXTURES
from tests.reliability.harness import FULL
from tests.unit.powershell_scan import read_literal
from tests.unit.sim.ps.helpers import Sink

pytestmark = pytest.mark.reliability

EXECUTION_CASES = 12_000 if FULL else 300
EXPORT_CASES = 8_000 if FULL else 200

FRAGMENTS = (
    "'",
    "\u2018",
    "\u2019",
    "\u201a",
    "\u201b",  # the five single quotes
    '"',
    "\u201c",
    "\u201d",
    "\u201e",  # the double quotes PowerShell honours
    "$(",
    ")",
    "$(Remove-Item -Recurse -Force C:\\)",
    "${",
    "}",
    "${env:PATH}",
    "$x",
    "$Value",
    "`",
    "`n",
    "`$(whoami)",
    ";",
    "; Stop-Service MsDtsServer150",
    "|",
    "| Out-Null",
    "&",
    "&&",
    "\n",
    "\r\n",
    "\r",
    "\t",
    "\n'@",
    '\n"@',
    "'@\n",
    '"@\n',
    "@'\n",
    '@"\n',
    "--%",
    "-%",
    "\u2013",
    "\u2014",
    "\u2015",
    "\u00a0",
    "#",
    "<#",
    "#>",
    "@{",
    "@(",
    ",",
    "\\",
    "%",
    "*",
    "\U0001f600",
    "\U00010348",
    "\U0010fffd",
    "\u200b",
    "\ufeff",
    "\u2028",
    "\u0085",
)
PRINTABLE = st.characters(blacklist_categories=("Cc", "Cs"))


def nasty_text(*, min_size: int = 0) -> st.SearchStrategy[str]:
    """Strings built from hostile fragments and random printable text, sometimes very long."""
    pieces = st.one_of(st.sampled_from(FRAGMENTS), st.text(PRINTABLE, max_size=4))
    short = st.lists(pieces, min_size=max(min_size, 0), max_size=16).map("".join)
    long = st.builds(lambda s, n: (s or "x") * n, short, st.integers(200, 3000))
    return st.one_of(short, short, short, long).filter(lambda s: len(s) >= min_size)


# --------------------------------------------------------------------------- execution

KEY = "HKLM:\\SOFTWARE\\PsrunbookInjection"
TEMPLATE = """\
param(
    [Parameter(Mandatory = $true)][string]$Value,
    [switch]$CheckOnly
)
{% include '_lib/prelude.ps1.j2' %}
Set-ItemProperty -Path 'HKLM:\\SOFTWARE\\PsrunbookInjection' -Name 'Value' -Value $Value
$changed = $true
$result = [ordered]@{ Value = $Value }
{% include '_lib/result.ps1.j2' %}
"""
PASSWORD = "injection-test-password"


class Target:
    """The simulated node the execution cases run on (a plain class: short in reports)."""

    def __init__(
        self, cluster: SimCluster, endpoint: SimEndpoint, session: Session, script: str
    ) -> None:
        self.cluster = cluster
        self.endpoint = endpoint
        self.session = session
        self.script = script

    def __repr__(self) -> str:
        return "Target(NODE1)"


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    templates = tmp_path_factory.mktemp("templates")
    (templates / "inj").mkdir()
    (templates / "inj" / "set_value.ps1.j2").write_text(TEMPLATE, encoding="utf-8")
    script = TemplateLibrary((templates,)).render("inj/set_value.ps1.j2", {"Value": "x"}).text
    cluster = sample_lab(2, "2019")
    with SimFleet(
        ["NODE1"], executor=cluster_executor(cluster), users={SIM_USER: PASSWORD}
    ) as fleet:
        inventory = inventory_from_toml(inventory_toml(fleet), path=Path("sim.toml"))
        session = PsrpTransport(inventory, password=PASSWORD).open("NODE1")
        try:
            session.run(ScriptCall(f"New-Item -Path '{KEY}' -Force | Out-Null", {}, 60))
            yield Target(cluster, fleet["NODE1"], session, script)
        finally:
            session.close()


def _registry_value(cluster: SimCluster) -> Any:
    with cluster.lock:
        key = cluster.node("NODE1").registry.key(KEY.removeprefix("HKLM:\\"))
        assert key is not None
        value = key.get("Value")
        return None if value is None else value.data


@settings(
    max_examples=EXECUTION_CASES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(value=nasty_text(min_size=1))
def test_cmdlet_receives_the_value_exactly_and_nothing_else_runs(
    target: Target, value: str
) -> None:
    """Over PSRP the cmdlet gets the exact value; one pipeline, one change, no other command."""
    changes_before = len(target.cluster.change_log)
    pipelines_before = target.endpoint.counters.pipelines_created
    raw = target.session.run(ScriptCall(target.script, {"Value": value}, 60))
    assert [] == [str(e) for e in raw.errors]
    assert not raw.had_errors
    assert 1 == target.endpoint.counters.pipelines_created - pipelines_before
    assert value == _registry_value(target.cluster)
    result = raw.output[-1]
    data = json.loads(result.adapted_properties.get("Data") or result.extended_properties["Data"])
    assert value == data["Value"]
    new_changes = target.cluster.change_log[changes_before:]
    assert all(["Set-ItemProperty", "NODE1", f"{KEY}|Value"] == c for c in new_changes), new_changes
    assert len(new_changes) <= 1


# --------------------------------------------------------------------------- export


@functools.cache
def _registry() -> RunbookRegistry:
    """The shipped and fixture runbooks, discovered once: discovery reads every file again."""
    return RunbookRegistry.discover((FIXTURES / "user_runbooks",))


@functools.cache
def _library() -> TemplateLibrary:
    """One template library for every example, as in a process that plans many runs: a
    new one compiles every template again, and the values under test never reach the
    rendered text (they are parameters), so sharing it hides nothing."""
    return TemplateLibrary((FIXTURES / "user_templates",))


def _string_fields(model: type[BaseModel]) -> list[tuple[str, bool]]:
    """(field, is_list) for every plain-text parameter (secrets excluded)."""
    found = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        args = set(typing.get_args(annotation)) - {type(None)}
        if annotation is str or args == {str}:
            found.append((name, False))
        elif typing.get_origin(annotation) is list and typing.get_args(annotation) == (str,):
            found.append((name, True))
    return found


FIELDS = [
    (runbook.name, name, is_list)
    for runbook in _registry().runbooks
    for name, is_list in _string_fields(runbook.parameters)
]


def _evaluate_arguments(wrapper: str) -> dict[str, Any]:
    """Run the wrapper's ``$arguments`` table in the simulator with no command available."""
    table = wrapper.split("$arguments = @{\n", 1)[1].rsplit("\n}\n& (Join-Path", 1)[0]
    script = "$arguments = @{\n" + table + "\n}\n$arguments"
    sink = Sink()
    PowerShellExecutor(lambda ctx: {}).execute(
        PipelineRequest((CommandRequest(script, True),)), ExecutionContext("NODE1", "u"), sink
    )
    assert [] == sink.result.errors
    (value,) = sink.result.output
    return dict(value)


def _public(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


@settings(
    max_examples=EXPORT_CASES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
    ],
)
@given(field=st.sampled_from(FIELDS), value=nasty_text(min_size=1), data=st.data())
def test_export_wrappers_carry_every_string_parameter_exactly(
    field: tuple[str, str, bool],
    value: str,
    data: st.DataObject,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Every runbook's string parameters read back exactly from the wrappers, and run no command."""
    runbook_name, name, is_list = field
    registry = _registry()
    runbook: Runbook = registry.get(runbook_name)
    values = example_values(runbook.parameters)
    values[name] = [value, data.draw(nasty_text(min_size=1))] if is_list else value
    try:
        params = validate_parameters(runbook.parameters, defaults=values)
        plan = build_plan(
            runbook, params, example_inventory(), _library()
        )
    except EngineError:
        assume(False)  # the runbook's own validators refuse this value for this field
    out = tmp_path_factory.mktemp("bundle") / "b"
    export_bundle(plan, example_inventory(), out)
    for planned in plan.steps:
        expected = {
            k: _public(v) for k, v in planned.arguments.items() if not isinstance(v, Secret)
        }
        for wrapper in sorted(out.glob(f"{planned.slug}.*.ps1")):
            text = wrapper.read_bytes().decode("utf-8")
            evaluated = _evaluate_arguments(text)
            assert expected == {k: _public(v) for k, v in evaluated.items()}
            table = text.split("$arguments = @{\n", 1)[1].rsplit("\n}\n& (Join-Path", 1)[0]
            for key, literal in _entries(table, expected):
                assert expected[key] == _public(read_literal(literal))


def _entries(table: str, expected: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(name, literal text) of each ``'Name' = literal`` entry, split on the known names."""
    names = list(expected)
    starts = [table.index(f"    '{n}' = ") for n in names]
    order = sorted(zip(starts, names, strict=True))
    for i, (start, key) in enumerate(order):
        end = order[i + 1][0] - 1 if i + 1 < len(order) else len(table)
        yield key, table[start + len(f"    '{key}' = ") : end]
