"""The SSIS runbooks' structure: versions, steps, targets, advisories and result models."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from psrunbook.inventory import load_inventory
from psrunbook.runbook.model import Runbook, Severity, Target
from psrunbook.runbooks import cluster_report, ssis_clustered, ssis_standalone
from psrunbook.runbooks._ssis.results import (
    ClusterReportResult,
    SharedConfigResult,
    SsisServicesResult,
)
from psrunbook.runbooks._ssis.versions import ssis_version, ssis_versions
from psrunbook.runbooks.ssis_clustered import SsisClusteredParameters
from psrunbook.runbooks.ssis_standalone import SsisStandaloneParameters

REPO = Path(__file__).resolve().parents[3]
CLUSTERED = {
    "sql_version": "2019",
    "group": "SQL Server (MSSQLSERVER)",
    "sql_resource": "SQL Server",
    "disk_resource": "Cluster Disk 1",
    "shared_folder": "S:\\SSIS",
    "virtual_server": "SQLVS01",
    "package_principals": ["CONTOSO\\SSIS Operators"],
}


@pytest.mark.parametrize(
    ("key", "folder", "service"),
    [
        ("2008", "100", "MsDtsServer100"),
        ("2008R2", "100", "MsDtsServer100"),
        ("2012", "110", "MsDtsServer110"),
        ("2014", "120", "MsDtsServer120"),
        ("2016", "130", "MsDtsServer130"),
        ("2017", "140", "MsDtsServer140"),
        ("2019", "150", "MsDtsServer150"),
        ("2022", "160", "MsDtsServer160"),
        ("2025", "170", "MsDtsServer170"),
    ],
)
def test_version_table(key: str, folder: str, service: str) -> None:
    """Each version maps to its service name, registry key, checkpoint and config file."""
    version = ssis_version(key)
    assert (folder, service) == (version.version_folder, version.service_name)
    key_path = f"SOFTWARE\\Microsoft\\Microsoft SQL Server\\{folder}\\SSIS\\ServiceConfigFile"
    assert "HKLM:\\" + key_path == version.registry_path
    assert key_path == version.checkpoint_path
    expected_file = (
        f"C:\\Program Files\\Microsoft SQL Server\\{folder}\\DTS\\Binn\\MsDtsSrvr.ini.xml"
    )
    assert expected_file == version.default_config_file


def test_sql_server_2005_is_refused_with_its_reason() -> None:
    """2005 is in the facts but uses another registry key, so it is refused, not guessed."""
    assert "2005" not in ssis_versions()
    with pytest.raises(ValueError, match="MSDTS"):
        ssis_version("2005")


def test_clustered_steps_follow_the_documented_procedure() -> None:
    """The documented steps in order (checkpoint after the value), each on its target, and
    before bring-online the service handed to the cluster on every node (issue 12)."""
    params = SsisClusteredParameters.model_validate(CLUSTERED)
    inventory = load_inventory(REPO / "examples" / "inventory.toml")
    steps = ssis_clustered.runbook.steps(params, inventory)
    expected = [
        ("preflight", Target.EVERY_NODE, False),
        ("add-resource", Target.ANY_NODE, True),
        ("possible-owners", Target.ANY_NODE, True),
        ("dependencies", Target.ANY_NODE, True),
        ("shared-config", Target.GROUP_OWNER, True),
        ("config-registry", Target.EVERY_NODE, True),
        ("registry-checkpoint", Target.ANY_NODE, True),
        ("service-manual", Target.EVERY_NODE, True),
        ("restart-stale", Target.GROUP_OWNER, True),
        ("bring-online", Target.ANY_NODE, True),
        ("verify", Target.EVERY_NODE, False),
    ]
    assert expected == [(s.name, s.target, s.changes) for s in steps]
    assert all(s.safe_to_repeat for s in steps)
    assert "SQL Server (MSSQLSERVER)" == steps[4].group


def test_the_ssis_resource_never_fails_the_sql_group_over() -> None:
    """add-resource sets RestartAction 1 before the first online (issue 12, review H2)."""
    params = SsisClusteredParameters.model_validate(CLUSTERED)
    inventory = load_inventory(REPO / "examples" / "inventory.toml")
    steps = ssis_clustered.runbook.steps(params, inventory)
    assert 1 == steps[1].arguments["RestartAction"]


def test_generic_service_runs_the_versioned_service_not_the_2005_name() -> None:
    """The erratum is corrected: ServiceName is MsDtsServer150 for SQL Server 2019."""
    params = SsisClusteredParameters.model_validate(CLUSTERED)
    inventory = load_inventory(REPO / "examples" / "inventory.toml")
    add = ssis_clustered.runbook.steps(params, inventory)[1]
    assert "MsDtsServer150" == add.arguments["ServiceName"]


def test_standalone_steps_run_on_every_node() -> None:
    """Preflight, write-config and service-running all run on every node."""
    params = SsisStandaloneParameters.model_validate({"sql_version": "2019", "instances": ["."]})
    inventory = load_inventory(REPO / "examples" / "inventory.toml")
    steps = ssis_standalone.runbook.steps(params, inventory)
    assert [("preflight", False), ("write-config", True), ("service-running", True)] == [
        (s.name, s.changes) for s in steps
    ]
    assert {Target.EVERY_NODE} == {s.target for s in steps}


def test_standalone_restarts_roll_one_node_at_a_time() -> None:
    """Only the step that restarts SSIS is serial (issue 12, review M5)."""
    params = SsisStandaloneParameters.model_validate({"sql_version": "2019", "instances": ["."]})
    inventory = load_inventory(REPO / "examples" / "inventory.toml")
    steps = ssis_standalone.runbook.steps(params, inventory)
    assert ["write-config"] == [s.name for s in steps if s.serial]


def test_cluster_report_is_read_only() -> None:
    """Every cluster-report step is a probe that changes nothing."""
    params = cluster_report.ClusterReportParameters()
    inventory = load_inventory(REPO / "examples" / "inventory.toml")
    steps = cluster_report.runbook.steps(params, inventory)
    assert [False, False] == [s.changes for s in steps]


def test_cluster_report_lists_each_ssis_service_once() -> None:
    """2008 and 2008 R2 share MsDtsServer100, so it is probed once, with its registry key."""
    names, keys = cluster_report.ssis_service_keys()
    assert len(set(names)) == len(names) == len(keys)
    assert "MsDtsServer100" == names[0]


def _codes(advisories: list[object]) -> list[str]:
    return [getattr(a, "code", "") for a in advisories]


def test_clustered_advisories_cover_the_documented_warnings() -> None:
    """Not recommended, no package restart, single instance, double hop and both errata."""
    codes = _codes(list(ssis_clustered.runbook.advisories_for(None)))
    for code in (
        "SSIS-NOT-RECOMMENDED",
        "SSIS-NO-PACKAGE-RESTART",
        "SSIS-SINGLE-INSTANCE",
        "SSIS-DOUBLE-HOP",
        "SSIS-DOC-ERRATUM-SERVICE-NAME",
        "SSIS-DOC-ERRATUM-CROSS-GROUP",
    ):
        assert code in codes


def test_service_name_erratum_names_the_chosen_version() -> None:
    """With parameters, the erratum says which service name and key are used instead."""
    params = SsisClusteredParameters.model_validate(CLUSTERED | {"sql_version": "2016"})
    erratum = next(
        a
        for a in ssis_clustered.runbook.advisories_for(params)
        if a.code == "SSIS-DOC-ERRATUM-SERVICE-NAME"
    )
    assert "MsDtsServer130" in erratum.message
    assert Severity.INFO == erratum.severity


def test_unverified_version_gets_a_warning() -> None:
    """SQL Server 2025's facts are community-only, so the runbook says so."""
    params = SsisClusteredParameters.model_validate(CLUSTERED | {"sql_version": "2025"})
    assert "SSIS-VERSION-UNVERIFIED" in _codes(list(ssis_clustered.runbook.advisories_for(params)))
    confident = SsisClusteredParameters.model_validate(CLUSTERED)
    assert "SSIS-VERSION-UNVERIFIED" not in _codes(
        list(ssis_clustered.runbook.advisories_for(confident))
    )


def test_standalone_double_hop_only_for_remote_instances() -> None:
    """Local instances need no delegation; a remote instance brings the double-hop warning."""
    local = SsisStandaloneParameters.model_validate({"sql_version": "2019", "instances": ["."]})
    remote = SsisStandaloneParameters.model_validate(
        {"sql_version": "2019", "instances": [".", "SQLVS01"]}
    )
    assert "SSIS-DOUBLE-HOP" not in _codes(list(ssis_standalone.runbook.advisories_for(local)))
    assert "SSIS-DOUBLE-HOP" in _codes(list(ssis_standalone.runbook.advisories_for(remote)))


def test_importing_the_runbooks_does_no_io() -> None:
    """Importing the runbook modules neither reads ssis.json nor compiles the schema."""
    code = (
        "from psrunbook.runbooks import cluster_report, ssis_clustered, ssis_standalone\n"
        "from psrunbook.runbooks._ssis.versions import ssis_versions\n"
        "from psrunbook.runbooks._ssis.config import _built_schema\n"
        "print(ssis_versions.cache_info().currsize, _built_schema.cache_info().currsize)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert "0 0" == done.stdout.strip()


def test_result_models_read_the_scripts_pascal_case_keys() -> None:
    """A script's Data JSON validates into the step's typed result."""
    data = {
        "Before": None,
        "After": None,
        "Cluster": "SQLCLUSTER01",
        "Nodes": [{"Name": "SQLNODE1", "State": "Up"}],
        "Groups": [
            {"Name": "SQL Server (MSSQLSERVER)", "OwnerNode": "SQLNODE1", "State": "Online"}
        ],
        "Resources": [
            {
                "Name": "SQL Server",
                "ResourceType": "SQL Server",
                "State": "Online",
                "OwnerGroup": "SQL Server (MSSQLSERVER)",
                "OwnerNode": "SQLNODE1",
                "PossibleOwners": ["SQLNODE1", "SQLNODE2"],
                "Dependencies": "[Cluster Disk 1]",
                "Checkpoints": [],
            }
        ],
    }
    report = ClusterReportResult.model_validate(data)
    assert ["SQLNODE1", "SQLNODE2"] == report.resources[0].possible_owners
    shared = SharedConfigResult.model_validate(
        {"Before": {}, "After": {}, "ConfigFile": "S:\\SSIS\\MsDtsSrvr.ini.xml", "BackupFile": None}
    )
    assert "S:\\SSIS\\MsDtsSrvr.ini.xml" == shared.config_file


def test_report_tables_show_every_resource_with_its_owners() -> None:
    """The console tables list nodes, groups, resources and SSIS services from the results."""
    report = ClusterReportResult.model_validate(
        {
            "Cluster": "SQLCLUSTER01",
            "Nodes": [{"Name": "SQLNODE1", "State": "Up"}],
            "Groups": [],
            "Resources": [
                {
                    "Name": "SSIS",
                    "ResourceType": "Generic Service",
                    "State": "Online",
                    "OwnerGroup": "SQL Server (MSSQLSERVER)",
                    "OwnerNode": "SQLNODE1",
                    "PossibleOwners": ["SQLNODE1", "SQLNODE2"],
                    "Dependencies": "[SQL Server] and [Cluster Disk 1]",
                    "Checkpoints": ["SOFTWARE\\X"],
                }
            ],
        }
    )
    services = SsisServicesResult.model_validate(
        {"Services": [{"Name": "MsDtsServer150", "Status": "Running", "ConfigFile": None}]}
    )
    tables = cluster_report.report_tables(report, {"SQLNODE1": services})
    assert [
        "Nodes of SQLCLUSTER01",
        "Groups",
        "Resources",
        "Generic Service resources",
        "SSIS services",
    ] == [t.title for t in tables]
    assert "SQLNODE1, SQLNODE2" == tables[2].rows[0][5]
    assert (("SQLNODE1", "MsDtsServer150", "Running", "", ""),) == tables[4].rows


@pytest.mark.parametrize("runbook", [ssis_clustered.runbook, ssis_standalone.runbook])
@pytest.mark.parametrize(
    ("version", "expected", "absent"),
    [
        ("2025", {"SSIS-DEPRECATED-2025"}, {"SSIS-SSMS21"}),
        ("2022", {"SSIS-SSMS21"}, {"SSIS-DEPRECATED-2025"}),
        ("2019", set(), {"SSIS-SSMS21", "SSIS-DEPRECATED-2025"}),
    ],
)
def test_version_advisories_for_sql_server_2022_and_2025(
    runbook: Runbook, version: str, expected: set[str], absent: set[str]
) -> None:
    """SQL Server 2025 deprecates the legacy SSIS service; SSMS 21 cannot manage it for
    2022 (issue 12; sources cited in the advisories)."""
    given = (
        {**CLUSTERED, "sql_version": version}
        if runbook is ssis_clustered.runbook
        else {"sql_version": version, "instances": ["."]}
    )
    params = runbook.parameters.model_validate(given)
    codes = set(_codes(list(runbook.advisories_for(params))))
    assert expected <= codes
    assert not absent & codes
    assert {"SSIS-DEPRECATED-2025", "SSIS-SSMS21"} <= set(
        _codes(list(runbook.advisories_for(None)))
    )
