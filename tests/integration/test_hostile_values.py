"""Hostile values through a shipped runbook over PSRP: they arrive exactly and run nothing."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from psrunbook.cli.app import app

pytestmark = pytest.mark.integration

HOSTILE_NAMES = [
    "SSIS 'x' $(Remove-Item C:\\ -Recurse)",
    "SSIS \u2019; Stop-ClusterResource 'SQL Server' \u2018",
    "SSIS \"@ '@ `n; | & --% \u2013Force\u00a0;",
    "SSIS \U0001f600 ${env:COMPUTERNAME} @(1) @{a=1}",
]


def _run(state: Path, name: str) -> str:
    args = [
        "run",
        "ssis-clustered",
        "--sim",
        "--state-dir",
        str(state),
        "-p",
        f"resource_name={name}",
    ]
    result = CliRunner().invoke(app, args)
    assert 0 == result.exit_code, result.output
    return result.output


def _lab(state: Path) -> dict[str, object]:
    return dict(json.loads((state / "sim" / "lab.json").read_text("utf-8")))


def _changes(lab: dict[str, object]) -> Counter[str]:
    """Which commands changed the cluster, how often (the simulator's change log)."""
    return Counter(str(entry[0]) for entry in lab["change_log"])  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def clean_changes(tmp_path_factory: pytest.TempPathFactory) -> Counter[str]:
    state = tmp_path_factory.mktemp("clean")
    _run(state, "SQL Server Integration Services")
    return _changes(_lab(state))


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_resource_name_arrives_exactly_and_runs_nothing(
    tmp_path: Path, name: str, clean_changes: Counter[str]
) -> None:
    """The cluster gets a resource named exactly the value, and the same changes as usual."""
    _run(tmp_path, name)
    lab = _lab(tmp_path)
    resources = lab["resources"]
    names = list(resources) if isinstance(resources, dict) else [r["name"] for r in resources]  # type: ignore[attr-defined]
    assert [name] == [n for n in names if n.startswith("SSIS")]
    assert clean_changes == _changes(lab)
    assert "nothing to do" in _run(tmp_path, name)


@pytest.mark.parametrize("name", HOSTILE_NAMES[:2])
def test_failover_drill_with_a_hostile_resource_name_only_moves_the_group(
    tmp_path: Path, name: str
) -> None:
    """The drill finds the resource by its exact name; it moves the group and nothing else."""
    _run(tmp_path, name)
    before = len(_lab(tmp_path)["change_log"])  # type: ignore[arg-type]
    args = ["run", "ssis-failover-drill", "--sim", "--state-dir", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "-p", f"resource_name={name}"])
    assert 0 == result.exit_code, result.output
    log = _lab(tmp_path)["change_log"][before:]  # type: ignore[index]
    assert {"Move-ClusterGroup"} == {str(entry[0]) for entry in log}


@pytest.mark.parametrize("name", HOSTILE_NAMES[:2])
def test_undo_with_a_hostile_resource_name_removes_exactly_that_resource(
    tmp_path: Path, name: str
) -> None:
    _run(tmp_path, name)
    args = ["run", "ssis-clustered-undo", "--sim", "--state-dir", str(tmp_path)]
    result = CliRunner().invoke(app, [*args, "-p", f"resource_name={name}"])
    assert 0 == result.exit_code, result.output
    resources = _lab(tmp_path)["resources"]
    names = [r["name"] for r in resources]  # type: ignore[attr-defined]
    assert [] == [n for n in names if n.startswith("SSIS")]
    assert "SQL Server" in names
