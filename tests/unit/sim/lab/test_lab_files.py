"""The sample lab, lab descriptions (TOML/JSON) and dump/load of the whole state."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster, fold
from psrunbook.sim.lab.lab_files import (
    LabError,
    LabSpec,
    build_lab,
    dump,
    lab_facts,
    load,
    read_lab,
    restore,
    sample_lab,
    sample_spec,
    save,
)

from .conftest import Caller

REPO = Path(__file__).resolve().parents[3]
KEY_2019 = "SOFTWARE\\Microsoft\\Microsoft SQL Server\\150\\SSIS\\ServiceConfigFile"
CONFIG_2019 = "C:\\Program Files\\Microsoft SQL Server\\150\\DTS\\Binn\\MsDtsSrvr.ini.xml"


def test_sample_lab_has_named_nodes_all_up() -> None:
    """sample_lab(3) has NODE1..NODE3, all Up."""
    cluster = sample_lab(nodes=3)
    assert [("NODE1", "Up"), ("NODE2", "Up"), ("NODE3", "Up")] == [
        (n.name, n.state) for n in cluster.nodes.values()
    ]
    assert "SIMCLUSTER" == cluster.name


def test_sample_lab_sql_group_resources_online_on_node1() -> None:
    """The SQL group is owned by NODE1 and holds SQL Server, name, IP and disk, all Online."""
    cluster = sample_lab()
    group = cluster.group("SQL Server (MSSQLSERVER)")
    assert "NODE1" == group.owner
    members = {r.name: (r.type, r.state) for r in cluster.group_resources(group.name)}
    assert {
        "SQL Server": ("SQL Server", "Online"),
        "SQL Network Name (SQLVS01)": ("Network Name", "Online"),
        "SQL IP Address 1 (SQLVS01)": ("IP Address", "Online"),
        "Cluster Disk 1": ("Physical Disk", "Online"),
    } == members
    assert "S" == cluster.resource("Cluster Disk 1").drive


def test_sample_lab_core_group() -> None:
    """The core "Cluster Group" holds the cluster's IP address and name."""
    cluster = sample_lab()
    assert {"Cluster IP Address", "Cluster Name"} == {
        r.name for r in cluster.group_resources("Cluster Group")
    }
    assert cluster.group("Cluster Group").is_core


@pytest.mark.parametrize(
    ("version", "service"),
    [("2019", "MsDtsServer150"), ("2016", "MsDtsServer130"), ("2022", "MsDtsServer160")],
)
def test_sample_lab_installs_ssis_of_the_version_on_every_node(version: Any, service: Any) -> None:
    """Every node runs the SSIS service named in ssis.json for that version."""
    cluster = sample_lab(sql_version=version)
    for node in cluster.nodes.values():
        installed = node.service(service)
        assert installed is not None
        assert "Running" == installed.status


def test_sample_lab_registry_points_at_default_config(lab: SimCluster) -> None:
    """ServiceConfigFile's default value names the default config file, which exists."""
    node = lab.node("NODE2")
    key = node.registry.key(KEY_2019)
    assert key is not None
    value = key.get("")
    assert value is not None
    assert CONFIG_2019 == value.data


def test_sample_lab_default_config_document(call: Caller) -> None:
    """The default MsDtsSrvr.ini.xml holds the document from ssis.json."""
    ctx = call("Get-Content", Path=[CONFIG_2019], Raw=True)
    assert [] == ctx.errors
    assert ctx.output[0].startswith('<?xml version="1.0" encoding="utf-8"?>\r\n')
    assert "<ServerName>.</ServerName>" in ctx.output[0]


def test_lab_facts_describe_the_sample_lab() -> None:
    """lab_facts gives the names a runbook needs, and survives dump/load."""
    cluster = sample_lab()
    facts = lab_facts(cluster)
    assert "SQL Server (MSSQLSERVER)" == facts.group
    assert "SQL Server" == facts.sql_resource
    assert "Cluster Disk 1" == facts.disk_resource
    assert "S:" == facts.drive
    assert "SQLVS01" == facts.virtual_server
    assert ("MSSQLSERVER",) == facts.instances
    assert "MsDtsServer150" == facts.ssis_service
    assert facts == lab_facts(load(dump(cluster)))


def test_lab_from_toml(tmp_path: Path) -> None:
    """A TOML description sets names, version, instances, drive and SSIS nodes."""
    path = tmp_path / "lab.toml"
    path.write_text(
        "[cluster]\n"
        'name = "PRODCL"\n'
        'nodes = ["SQLA", "SQLB", "SQLC"]\n'
        "[sql]\n"
        'version = "2017"\n'
        'virtual_server = "SQLVS9"\n'
        'instances = ["INST1"]\n'
        'drive = "T:"\n'
        'ssis_nodes = ["SQLA", "SQLB"]\n'
        "[timing]\n"
        "online_pending_observations = 2\n",
        "utf-8",
    )
    cluster = build_lab(read_lab(path))
    assert "PRODCL" == cluster.name
    assert ["SQLA", "SQLB", "SQLC"] == [n.name for n in cluster.nodes.values()]
    assert cluster.node("SQLC").service("MsDtsServer140") is None
    assert cluster.node("SQLA").service("MsDtsServer140") is not None
    assert cluster.node("SQLA").service("MSSQL$INST1") is not None
    facts = lab_facts(cluster)
    assert ("SQL Server (INST1)", "T:") == (facts.group, facts.drive)
    assert 2 == cluster.timing.observations


def test_lab_from_json(tmp_path: Path) -> None:
    """A JSON description is read like TOML."""
    path = tmp_path / "lab.json"
    path.write_text(json.dumps({"cluster": {"nodes": ["A1"]}, "sql": {"version": "2022"}}))
    assert ["A1"] == list(read_lab(path).nodes)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        ({"clutser": {}}, "clutser"),
        ({"cluster": {"nodes": []}}, "cluster.nodes"),
        ({"cluster": {"nodes": ["A", "a"]}}, "cluster.nodes"),
        ({"sql": {"version": "1999"}}, "sql.version"),
        ({"sql": {"drive": "C"}}, "sql.drive"),
        ({"sql": {"ssis_nodes": ["NODE9"]}}, "sql.ssis_nodes"),
        ({"sql": {"colour": 1}}, "colour"),
    ],
)
def test_invalid_lab_description_names_the_field(raw: Any, field: Any) -> None:
    """Every invalid description is refused with the field in the message."""
    with pytest.raises(LabError, match=field.replace(".", r"\.")):
        LabSpec.from_mapping(raw)


def test_dump_is_plain_json_and_round_trips(call: Caller, lab: SimCluster) -> None:
    """dump() is JSON-able, and load(dump(x)) dumps identically after changes."""
    call("New-Item", Path=["S:\\SSIS"], ItemType="Directory")
    call("Set-Content", Path=["S:\\SSIS\\a.txt"], Value=["x"], Encoding="UTF8")
    call.native("icacls", "S:\\SSIS", "/grant", "SIMLAB\\svc-ssis:(OI)(CI)(RD,W)")
    call("Add-ClusterCheckpoint", ResourceName="SQL Server", RegistryCheckpoint=KEY_2019)
    call("Set-ItemProperty", Path=["HKLM:\\SOFTWARE\\X"], Name="v", Value=1)
    call("New-Item", Path=["HKLM:\\SOFTWARE\\Bin"])
    call("New-ItemProperty", Path=["HKLM:\\SOFTWARE\\Bin"], Name="b", Value=b"\x00\x01")
    before = dump(lab)
    text = json.dumps(before, sort_keys=True)
    assert before == dump(load(json.loads(text)))


def test_save_and_restore_between_processes(tmp_path: Path, lab: SimCluster) -> None:
    """save() then restore() gives a model with the same state (as another process would)."""
    lab.set_node_state("NODE1", "Down")
    path = tmp_path / "state.json"
    save(lab, path)
    restored = restore(path)
    assert dump(lab) == dump(restored)
    assert "NODE2" == restored.group("SQL Server (MSSQLSERVER)").owner


def test_load_refuses_unknown_format() -> None:
    """A dump of another format version is refused, not half-loaded."""
    with pytest.raises(LabError, match="format"):
        load({"format": 99})


def test_sample_spec_refuses_zero_nodes() -> None:
    """A lab needs at least one node."""
    with pytest.raises(LabError):
        sample_spec(nodes=0)


def test_names_fold_case_insensitively() -> None:
    """Lookups ignore case, as Windows does."""
    cluster = sample_lab()
    assert cluster.resource("sql server") is cluster.resource("SQL SERVER")
    assert fold("NODE1") in cluster.nodes


def test_lab_reads_the_ssis_facts_without_importing_runbook_code() -> None:
    """The lab takes ssis.json from the SSIS runbooks' package as data, running no runbook."""
    probe = (
        "import sys; from psrunbook.sim.lab.lab_files import sample_lab; sample_lab(); "
        "print(sorted(m for m in sys.modules if m.startswith('psrunbook.runbooks')))"
    )
    imported = subprocess.check_output([sys.executable, "-c", probe], cwd=REPO, text=True)
    assert "['psrunbook.runbooks', 'psrunbook.runbooks._ssis']" == imported.strip()
