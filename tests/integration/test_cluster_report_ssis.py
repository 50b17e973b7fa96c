"""``cluster-report`` shows what matters for a clustered SSIS (review: it left out the
service start type, the Generic Service's ServiceName and RestartAction, and read the
registry in a 32-bit session without saying so).

A passive node left Automatic, a second Generic Service running SSIS, a RestartAction
that fails SQL Server over with SSIS, and SSIS narrowing where the SQL Server group can
run (a node added after ``ssis-clustered``) each show in the report; in a 32-bit session
the SSIS step refuses instead of showing every ServiceConfigFile as empty (the Registry
Redirector sends the read to WOW6432Node).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.serve import PASSWORD_ENV
from tests.integration.conftest import served_inventory
from tests.integration.test_execution import _seed_lab
from tests.integration.test_ssis_drill_narrowed_owners import narrowed_lab
from tests.integration.test_ssis_preflight_64bit_session import _with_configuration

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

GROUP = "SQL Server (MSSQLSERVER)"
RESOURCE = "SQL Server Integration Services"


def _tables(psrunbook: Psrunbook, *args: str) -> dict[str, list[dict[str, str]]]:
    result = psrunbook("run", "cluster-report", *args, "--yes", "--json")
    document = json.loads(result.stdout)
    return {
        table["title"]: [dict(zip(table["columns"], row, strict=True)) for row in table["rows"]]
        for table in document["report"]
    }


def test_start_type_service_name_and_restart_action_are_reported(psrunbook: Psrunbook) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=2))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")

    tables = _tables(psrunbook, "--sim")

    [ssis] = [r for r in tables["Generic Service resources"] if r["Resource"] == RESOURCE]
    assert "MsDtsServer150" == ssis["Service"]
    assert ssis["Restart action"].startswith("1")
    assert GROUP == ssis["Group"]
    services = {(r["Node"], r["Service"]): r for r in tables["SSIS services"]}
    assert "Manual" == services[("NODE1", "MsDtsServer150")]["Start type"]
    assert "Manual" == services[("NODE2", "MsDtsServer150")]["Start type"]
    assert "Findings" not in tables


def test_ssis_narrowing_sql_servers_owners_is_a_finding(psrunbook: Psrunbook) -> None:
    narrowed_lab(psrunbook)

    tables = _tables(psrunbook, "--sim")

    [finding] = tables["Findings"]
    assert RESOURCE == finding["Resource"]
    assert "narrows SQL Server's failover targets to NODE1, NODE2" in finding["Finding"]
    assert "re-run ssis-clustered with NODE3 in the inventory" in finding["Finding"]


def test_a_32bit_session_is_refused_by_the_ssis_step(psrunbook: Psrunbook, tmp_path: Path) -> None:
    lab = sample_lab(nodes=2)
    password = "report-wow64-password"
    with served_inventory(lab, tmp_path / "inventory.toml", password) as path:
        _with_configuration(path, "Microsoft.PowerShell32")
        result = psrunbook(
            "run", "cluster-report", "-i", str(path), "--yes",
            env={PASSWORD_ENV: password}, expect=1,
        )  # fmt: skip
    output = " ".join((result.stdout + result.stderr).split())
    assert "this session runs in a 32-bit host process" in output
    assert 'set configuration_name = "Microsoft.PowerShell"' in output
    assert "unsupported construct" not in output  # the step's own refusal, not the lab's
