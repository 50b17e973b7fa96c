"""The parameter sets the rendered-script fixtures are built from, one per runbook and version.

``tests/fixtures/rendered/<runbook>/<case>/`` holds, for each case, ``params.json`` (the
input) and per step ``NN-step.json`` (template, target, group, script hash and argument
values) and, for steps that write MsDtsSrvr.ini.xml, ``NN-step.MsDtsSrvr.ini.xml`` (the
document argument, for review). The exact script texts live once each in
``tests/fixtures/rendered/scripts/``, named by template and hash: values travel as
parameters, so every version of a step runs the same text unless its template branches.
Regenerate them with ``PSRUNBOOK_REGEN_FIXTURES=1 pytest tests/unit/runbooks`` and review
the diff.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from psrunbook.inventory import Inventory, load_inventory
from psrunbook.runbook.model import Runbook
from psrunbook.runbook.planner import Plan, build_plan, plan_scripts
from psrunbook.runbooks import (
    cluster_report,
    ssis_clustered,
    ssis_clustered_undo,
    ssis_failover_drill,
    ssis_standalone,
)
from psrunbook.templates import TemplateLibrary

ROOT = Path(__file__).resolve().parents[2] / "fixtures" / "rendered"
SCRIPTS = ROOT / "scripts"
VERSIONS = ("2008", "2012", "2016", "2019", "2022")
REGEN_VARIABLE = "PSRUNBOOK_REGEN_FIXTURES"

_SERVICE = {"2008": "100", "2012": "110", "2016": "130", "2019": "150", "2022": "160"}


def _clustered(version: str) -> dict[str, Any]:
    account = f"NT SERVICE\\MsDtsServer{_SERVICE[version]}"
    params: dict[str, Any] = {
        "sql_version": version,
        "group": "SQL Server (MSSQLSERVER)",
        "sql_resource": "SQL Server",
        "disk_resource": "Cluster Disk 1",
        "shared_folder": "S:\\SSIS",
        "virtual_server": "SQLVS01",
        "package_principals": [account],
        "online_timeout_s": 120,
    }
    if version == "2012":
        params |= {
            "group": "SQL Server (INST1)",
            "sql_resource": "SQL Server (INST1)",
            "disk_resource": "Cluster Disk 2",
            "shared_folder": "T:\\Apps\\SSIS",
            "virtual_server": "SQLVS02\\INST1",
            "package_principals": [account, "CONTOSO\\SSIS Operators, Tier 2"],
        }
    if version == "2016":
        params |= {"possible_owners": ["SQLNODE2", "SQLNODE1"], "online_timeout_s": 300}
    if version == "2022":
        params |= {
            "resource_name": "SSIS 2022",
            "stop_executing_packages_on_shutdown": False,
            "shared_folder": "S:\\R&D\\SSIS",
            "package_principals": [account, "CONTOSO\\R&D Packages"],
        }
    return params


def _standalone(version: str) -> dict[str, Any]:
    instances = {
        "2008": ["."],
        "2012": [".", ".\\INST2"],
        "2016": ["SQLVS01", "SQLVS02\\INST2"],
        "2019": ["SQLVS01"],
        "2022": ["SQLVS01", "SQLVS02\\INST2", "sqlvs03.contoso.com"],
    }[version]
    params: dict[str, Any] = {"sql_version": version, "instances": instances}
    if version == "2022":
        params |= {
            "store_path": "D:\\SSIS\\Packages",
            "config_file": "D:\\SSIS\\MsDtsSrvr.ini.xml",
            "service_timeout_s": 90,
        }
    return params


CASES: dict[tuple[str, str], tuple[Runbook, dict[str, Any]]] = {
    **{("ssis-clustered", v): (ssis_clustered.runbook, _clustered(v)) for v in VERSIONS},
    **{("ssis-standalone", v): (ssis_standalone.runbook, _standalone(v)) for v in VERSIONS},
    ("cluster-report", "default"): (cluster_report.runbook, {}),
    ("ssis-failover-drill", "2019"): (
        ssis_failover_drill.runbook,
        {
            "sql_version": "2019",
            "group": "SQL Server (MSSQLSERVER)",
            "shared_folder": "S:\\SSIS",
            "home_node": "SQLNODE1",
        },
    ),
    ("ssis-clustered-undo", "2019"): (
        ssis_clustered_undo.runbook,
        {
            "sql_version": "2019",
            "group": "SQL Server (MSSQLSERVER)",
            "shared_folder": "S:\\SSIS",
        },
    ),
}


def inventory() -> Inventory:
    return load_inventory(ROOT / "inventory.toml")


def plan_for(runbook: Runbook, params: dict[str, Any]) -> Plan:
    validated = runbook.parameters.model_validate(params)
    return build_plan(runbook, validated, inventory(), TemplateLibrary())


@cache
def case_plan(runbook_name: str, case: str) -> Plan:
    """The plan of one fixture case, built once per test session."""
    runbook, params = CASES[(runbook_name, case)]
    return plan_for(runbook, params)


def expected_files(runbook: Runbook, params: dict[str, Any]) -> dict[str, str]:
    """File name -> exact content, for one case directory."""
    files = {"params.json": _json(params)}
    for planned in plan_for(runbook, params).steps:
        step = planned.step
        files[f"{planned.slug}.json"] = _json(
            {
                "template": step.template,
                "target": step.target.value,
                "group": step.group,
                "changes": step.changes,
                "sha256": planned.script.sha256,
                "script": script_name(planned.script.template_id, planned.script.sha256),
                "arguments": dict(step.arguments),
            }
        )
        document = step.arguments.get("Document")
        if isinstance(document, str):
            files[f"{planned.slug}.MsDtsSrvr.ini.xml"] = document
    return files


def _json(value: object) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def script_name(template_id: str, sha256: str) -> str:
    """A template and its hash -> its fixture file, e.g. ``ssis/set_service_automatic.ps1.j2``
    -> ``ssis-set_service_automatic.<first 12 hex digits>.ps1``."""
    stem = template_id.removesuffix(".ps1.j2").replace("/", "-")
    return f"{stem}.{sha256[:12]}.ps1"


def expected_scripts() -> dict[str, str]:
    """Every distinct script text any case renders (the engine's probes too), by file name."""
    return {
        script_name(script.template_id, script.sha256): script.text
        for runbook_name, case in CASES
        for script in plan_scripts(case_plan(runbook_name, case))
    }
