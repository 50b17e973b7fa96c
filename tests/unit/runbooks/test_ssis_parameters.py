"""Parameter validation of the SSIS runbooks: every bad input is refused with a clear fix."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from psrunbook.errors import ParameterError, UserError
from psrunbook.inventory import load_inventory
from psrunbook.runbook.parameters import validate_parameters
from psrunbook.runbook.planner import build_plan
from psrunbook.runbooks import cluster_report, ssis_clustered, ssis_standalone
from psrunbook.runbooks._ssis.versions import known_versions
from psrunbook.runbooks.ssis_clustered import SsisClusteredParameters
from psrunbook.runbooks.ssis_standalone import SsisStandaloneParameters
from psrunbook.templates import TemplateLibrary

REPO = Path(__file__).resolve().parents[3]

VALID_CLUSTERED: dict[str, Any] = {
    "sql_version": "2019",
    "group": "SQL Server (MSSQLSERVER)",
    "sql_resource": "SQL Server",
    "disk_resource": "Cluster Disk 1",
    "shared_folder": "S:\\SSIS",
    "virtual_server": "SQLVS01",
    "package_principals": ["NT SERVICE\\MsDtsServer150"],
}
VALID_STANDALONE: dict[str, Any] = {"sql_version": "2019", "instances": ["SQLVS01"]}


def _refusal(model: type[BaseModel], values: dict[str, Any]) -> str:
    with pytest.raises(ParameterError) as caught:
        validate_parameters(model, file_values=values)
    return str(caught.value)


def test_parameter_errors_are_user_errors() -> None:
    """A refused parameter is a UserError, which the CLI maps to exit code 2."""
    assert issubclass(ParameterError, UserError)


def test_valid_parameters_are_accepted() -> None:
    """The reference parameter set validates and keeps its values."""
    params = validate_parameters(SsisClusteredParameters, file_values=VALID_CLUSTERED)
    assert isinstance(params, SsisClusteredParameters)
    assert "SQL Server Integration Services" == params.resource_name


@pytest.mark.parametrize(
    ("changes", "field", "fix"),
    [
        ({"sql_version": "2001"}, "sql_version", "2008, 2008R2, 2012"),
        ({"sql_version": "2005"}, "sql_version", "MSDTS"),
        ({"group": ""}, "group", "is empty"),
        ({"group": "   "}, "group", "is empty"),
        ({"group": " SQL Server"}, "group", "blanks"),
        ({"ssis_group": "SSIS"}, "ssis_group", "double hop"),
        ({"ssis_group": "SSIS"}, "ssis_group", "dependencies only between resources of one group"),
        ({"possible_owners": ["SQLNODE1", "sqlnode1"]}, "possible_owners", "twice"),
        ({"possible_owners": ["SQL NODE1"]}, "possible_owners", "not a computer name"),
        ({"package_principals": ['CONTOSO\\"Ops"']}, "package_principals", "cannot contain"),
        (
            {"package_principals": ["NT SERVICE\\MsDtsServer140"]},
            "package_principals",
            "NT SERVICE\\MsDtsServer150",
        ),
        ({"package_principals": ["CONTOSO\\Ops\x00"]}, "package_principals", "control"),
        ({"package_principals": ["CONTOSO\\Ops:F"]}, "package_principals", "DOMAIN\\name"),
        ({"package_principals": ["A\\B\\C"]}, "package_principals", "one backslash"),
        ({"package_principals": ["CONTOSO\\Ops", "contoso\\ops"]}, "package_principals", "twice"),
        ({"shared_folder": "\\\\fs01\\ssis"}, "shared_folder", "UNC"),
        ({"shared_folder": "SSIS"}, "shared_folder", "drive letter"),
        ({"shared_folder": "S:\\SSIS\\..\\Other"}, "shared_folder", "'..'"),
        ({"shared_folder": "S:\\SS|IS"}, "shared_folder", "not allowed"),
        ({"virtual_server": "SQLVS01\\MSSQLSERVER"}, "virtual_server", "server name alone"),
        ({"virtual_server": "SQL VS01"}, "virtual_server", "SERVER\\INSTANCE"),
        ({"virtual_server": "SQLVS01\\1nst"}, "virtual_server", "instance name"),
        ({"virtual_server": "."}, "virtual_server", "SERVER\\INSTANCE"),
        ({"disk_resource": "SQL Server"}, "sql_resource", "three different resources"),
        ({"online_timeout_s": 0}, "online_timeout_s", "greater than or equal to 5"),
        ({"unknown": 1}, "unknown", "unknown parameter"),
    ],
    ids=lambda value: str(value)[:40],
)
def test_clustered_refusals_name_field_and_fix(
    changes: dict[str, Any], field: str, fix: str
) -> None:
    """Each invalid input is refused with a message naming the parameter and the remedy."""
    message = _refusal(SsisClusteredParameters, VALID_CLUSTERED | changes)
    assert field in message
    assert fix in message


@pytest.mark.parametrize("quote", ["'", "\u2018", "\u2019", "\u201a", "\u201b"])
def test_principals_with_any_single_quote_are_accepted(quote: str) -> None:
    """O'Brien is a legal account name; values travel as parameters, never spliced."""
    name = f"CONTOSO\\O{quote}Brien"
    values = VALID_CLUSTERED | {"package_principals": [name]}
    params = validate_parameters(SsisClusteredParameters, file_values=values)
    assert isinstance(params, SsisClusteredParameters)
    assert [name] == params.principals


def test_principals_default_to_the_versioned_service_account() -> None:
    values = {k: v for k, v in VALID_CLUSTERED.items() if k != "package_principals"}
    for version, account in (("2019", "MsDtsServer150"), ("2022", "MsDtsServer160")):
        params = validate_parameters(
            SsisClusteredParameters, file_values=values | {"sql_version": version}
        )
        assert isinstance(params, SsisClusteredParameters)
        assert [f"NT SERVICE\\{account}"] == params.principals


def test_missing_required_parameter_says_how_to_give_it() -> None:
    """Leaving out a required parameter names it and shows -p NAME=VALUE."""
    values = dict(VALID_CLUSTERED)
    del values["virtual_server"]
    assert "-p virtual_server=VALUE" in _refusal(SsisClusteredParameters, values)


def test_same_group_given_twice_is_accepted() -> None:
    """ssis_group equal to group (in any case) is the supported layout."""
    params = validate_parameters(
        SsisClusteredParameters,
        file_values=VALID_CLUSTERED | {"ssis_group": "sql server (mssqlserver)"},
    )
    assert isinstance(params, SsisClusteredParameters)
    assert "sql server (mssqlserver)" == params.ssis_group


def test_versions_are_normalised() -> None:
    """A TOML integer and a lower-case R2 name both give the canonical version key."""
    as_int = validate_parameters(
        SsisClusteredParameters, file_values=VALID_CLUSTERED | {"sql_version": 2019}
    )
    r2 = validate_parameters(
        SsisClusteredParameters,
        file_values=VALID_CLUSTERED
        | {"sql_version": "2008r2", "package_principals": ["CONTOSO\\SSIS Operators"]},
    )
    assert isinstance(as_int, SsisClusteredParameters)
    assert isinstance(r2, SsisClusteredParameters)
    assert ("2019", "2008R2") == (as_int.sql_version, r2.sql_version)


def test_documented_version_list_matches_the_facts() -> None:
    """The version list in the parameter description is the list ssis.json supports."""
    assert ", ".join(known_versions()) == ssis_clustered.VERSIONS_TEXT
    assert ", ".join(known_versions()) == ssis_standalone.VERSIONS_TEXT


def test_list_items_are_taken_verbatim_from_repeated_p() -> None:
    """One -p per principal; a comma inside a name does not split it."""
    params = validate_parameters(
        SsisClusteredParameters,
        file_values={k: v for k, v in VALID_CLUSTERED.items() if k != "package_principals"},
        assignments=[
            "package_principals=CONTOSO\\SSIS, Operators",
            "package_principals=NT SERVICE\\MsDtsServer150",
        ],
    )
    assert isinstance(params, SsisClusteredParameters)
    expected = ["CONTOSO\\SSIS, Operators", "NT SERVICE\\MsDtsServer150"]
    assert expected == params.package_principals


def test_shared_folder_trailing_backslash_is_dropped() -> None:
    """S:\\SSIS\\ and S:\\SSIS name the same folder and give the same paths."""
    params = SsisClusteredParameters.model_validate(
        VALID_CLUSTERED | {"shared_folder": "S:\\SSIS\\"}
    )
    assert ("S:\\SSIS", "S:\\SSIS\\Packages", "S:\\SSIS\\MsDtsSrvr.ini.xml", "S:\\") == (
        params.shared_folder,
        params.packages_folder,
        params.config_file,
        params.drive_root,
    )


def test_drive_root_as_shared_folder() -> None:
    """The root of the shared disk is a valid folder; Packages goes directly under it."""
    params = SsisClusteredParameters.model_validate(VALID_CLUSTERED | {"shared_folder": "S:\\"})
    assert ("S:\\Packages", "S:\\MsDtsSrvr.ini.xml") == (params.packages_folder, params.config_file)


@pytest.mark.parametrize(
    ("changes", "field", "fix"),
    [
        ({"instances": []}, "instances", "at least 1"),
        ({"instances": ["SQLVS01", "sqlvs01"]}, "instances", "twice"),
        ({"instances": ["SQL VS01"]}, "instances", "SERVER\\INSTANCE"),
        ({"instances": ["SQLVS01\\"]}, "instances", "instance name"),
        ({"instances": ["'SQLVS01'"]}, "instances", "not a server name"),
        ({"store_path": "D:\\Pack|ages"}, "store_path", "not allowed"),
        ({"config_file": "MsDtsSrvr.ini.xml"}, "config_file", "drive letter"),
        ({"config_file": "D:\\"}, "config_file", "names a drive"),
        ({"sql_version": "7"}, "sql_version", "use one of"),
        ({"service_timeout_s": 100000}, "service_timeout_s", "less than or equal to 3600"),
    ],
    ids=lambda value: str(value)[:40],
)
def test_standalone_refusals_name_field_and_fix(
    changes: dict[str, Any], field: str, fix: str
) -> None:
    """Each invalid stand-alone input is refused with a message naming the parameter."""
    message = _refusal(SsisStandaloneParameters, VALID_STANDALONE | changes)
    assert field in message
    assert fix in message


def test_standalone_accepts_local_instances() -> None:
    """'.' and '.\\INSTANCE' name the node's own default and named instances."""
    params = SsisStandaloneParameters.model_validate(
        {"sql_version": "2016", "instances": [".", ".\\INST2"]}
    )
    assert [".", ".\\INST2"] == params.instances


def test_standalone_default_config_file_follows_the_version() -> None:
    """Without config_file the installed file of the chosen version is written."""
    params = SsisStandaloneParameters.model_validate(VALID_STANDALONE | {"sql_version": "2012"})
    expected = "C:\\Program Files\\Microsoft SQL Server\\110\\DTS\\Binn\\MsDtsSrvr.ini.xml"
    assert expected == params.target_file


@pytest.mark.parametrize(
    ("module", "example"),
    [(ssis_clustered, "ssis-clustered.toml"), (ssis_standalone, "ssis-standalone.toml")],
)
def test_example_parameter_files_plan_against_the_example_inventory(
    module: Any, example: str, example_inventory_path: Path
) -> None:
    """The shipped example files validate and plan (linted) for examples/inventory.toml."""
    values = tomllib.loads((REPO / "examples" / example).read_text(encoding="utf-8"))
    params = validate_parameters(module.runbook.parameters, file_values=values)
    plan = build_plan(
        module.runbook, params, load_inventory(example_inventory_path), TemplateLibrary()
    )
    assert len(plan.steps) >= 3


def test_example_clustered_file_names_no_node() -> None:
    """The clustered example leaves possible_owners out, so it fits any inventory's nodes."""
    values = tomllib.loads((REPO / "examples" / "ssis-clustered.toml").read_text(encoding="utf-8"))
    assert "possible_owners" not in values


def test_possible_owners_default_to_the_sql_server_resources(example_inventory_path: Path) -> None:
    """Without possible_owners the scripts take the SQL Server resource's possible owners
    from the cluster (issue 12): the inventory only says which nodes the preflight checks."""
    inventory = load_inventory(example_inventory_path)
    params = SsisClusteredParameters.model_validate(VALID_CLUSTERED)
    steps = {s.name: s for s in ssis_clustered.runbook.steps(params, inventory)}
    owners = steps["possible-owners"].arguments
    assert ([], params.sql_resource) == (owners["Owners"], owners["LikeResource"])
    assert list(inventory.node_names) == steps["preflight"].arguments["InventoryNodes"]


def test_cluster_report_takes_no_required_parameters() -> None:
    """cluster-report validates with no parameters at all."""
    assert validate_parameters(cluster_report.runbook.parameters, file_values={}) is not None
