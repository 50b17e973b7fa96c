"""The advisory about the SSIS resource left Offline while ssis-clustered runs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from psrunbook.cli.app import app
from psrunbook.inventory import load_inventory
from psrunbook.runbook.model import Severity
from psrunbook.runbooks import ssis_clustered
from psrunbook.runbooks.ssis_clustered import SsisClusteredParameters

REPO = Path(__file__).resolve().parents[3]
CODE = "SSIS-OFFLINE-UNTIL-ONLINE"
CLUSTERED = {
    "sql_version": "2019",
    "group": "SQL Server (MSSQLSERVER)",
    "sql_resource": "SQL Server",
    "disk_resource": "Cluster Disk 1",
    "shared_folder": "S:\\SSIS",
    "virtual_server": "SQLVS01",
}


def _message(params: SsisClusteredParameters | None) -> str:
    (found,) = [a for a in ssis_clustered.runbook.advisories_for(params) if a.code == CODE]
    assert Severity.WARNING == found.severity
    return found.message


@pytest.mark.parametrize("restart_when_stale", [True, False])
def test_the_advisory_is_given_with_and_without_parameters(restart_when_stale: bool) -> None:
    """show (no parameters), plan and run (parameters) all carry it, whatever the options."""
    params = SsisClusteredParameters.model_validate(
        CLUSTERED | {"restart_when_stale": restart_when_stale}
    )
    assert _message(None) == _message(params)


def test_the_advisory_names_the_way_out() -> None:
    """It says what monitoring shows, what a failure leaves, and how to get out of it."""
    message = _message(None)
    for text in (
        "partially online",
        "stopped and Manual on every node",
        "psrunbook resume",
        "ssis-clustered-undo",
    ):
        assert text in message


def test_the_steps_it_names_are_the_runbooks_steps() -> None:
    """Every 'step NN (name)' in the advisory is that step of the runbook."""
    params = SsisClusteredParameters.model_validate(CLUSTERED)
    inventory = load_inventory(REPO / "examples" / "inventory.toml")
    numbered = {
        f"{i:02d}": step.name
        for i, step in enumerate(ssis_clustered.runbook.steps(params, inventory), 1)
    }
    named = re.findall(r"step (\d\d) \(([a-z-]+)\)", _message(None))
    assert {"02", "08", "09", "10"} == {number for number, _ in named}
    assert [(number, numbered[number]) for number, _ in named] == named


def test_show_prints_the_advisory() -> None:
    """`psrunbook show ssis-clustered` lists it as a warning."""
    result = CliRunner().invoke(app, ["show", "ssis-clustered"])
    assert 0 == result.exit_code, result.output
    assert f"[warning] {CODE}:" in result.output
