"""The SSIS runbooks' lab hooks: what ``--sim`` fills in, and which lab it builds.

The defaults are pinned value by value: they are what made ``psrunbook run ssis-clustered
--sim`` work with no parameter before the hooks existed, and must stay so.
"""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from psrunbook import LabFacts, LabVariant
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.runbooks.ssis_clustered import SsisClusteredParameters
from psrunbook.runbooks.ssis_standalone import SsisStandaloneParameters
from psrunbook.sim.lab.lab_files import lab_facts, sample_lab


@pytest.fixture(scope="module")
def registry() -> RunbookRegistry:
    return RunbookRegistry.discover()


@pytest.fixture(scope="module")
def facts() -> LabFacts:
    return lab_facts(sample_lab())


def test_clustered_defaults_are_the_labs_group_resources_and_disk(
    registry: RunbookRegistry, facts: LabFacts
) -> None:
    """ssis-clustered gets the SQL Server group, its resources and S:\\SSIS; principals are
    left to the runbook's default, the version's SSIS service account (issue 12)."""
    defaults = registry.get("ssis-clustered").lab_defaults_for(facts, {})
    assert {
        "sql_version": "2019",
        "group": "SQL Server (MSSQLSERVER)",
        "sql_resource": "SQL Server",
        "disk_resource": "Cluster Disk 1",
        "virtual_server": "SQLVS01",
        "shared_folder": "S:\\SSIS",
    } == defaults
    params = SsisClusteredParameters.model_validate(defaults)
    assert ["NT SERVICE\\MsDtsServer150"] == params.principals


def test_standalone_defaults_are_the_labs_version_and_instances(
    registry: RunbookRegistry, facts: LabFacts
) -> None:
    """ssis-standalone gets the version and every instance as a client names it."""
    defaults = registry.get("ssis-standalone").lab_defaults_for(facts, {})
    assert {"sql_version": "2019", "instances": ["SQLVS01"]} == defaults
    SsisStandaloneParameters.model_validate(defaults)


def test_named_instances_are_written_server_backslash_instance(
    registry: RunbookRegistry, facts: LabFacts
) -> None:
    """A named instance is SERVER\\INSTANCE, the default instance SERVER alone."""
    lab = replace(facts, instances=("MSSQLSERVER", "INST2"))
    defaults = registry.get("ssis-standalone").lab_defaults_for(lab, {})
    assert ["SQLVS01", "SQLVS01\\INST2"] == defaults["instances"]


def test_cluster_report_takes_nothing_from_the_lab(
    registry: RunbookRegistry, facts: LabFacts
) -> None:
    """A runbook without the hook gets no defaults, whatever its field names."""
    runbook = registry.get("cluster-report")
    assert ({}, LabVariant()) == (runbook.lab_defaults_for(facts, {}), runbook.lab_variant_for({}))


@pytest.mark.parametrize(
    ("given", "version"),
    [({}, None), ({"sql_version": "2016"}, "2016"), ({"sql_version": "2008r2"}, "2008R2")],
)
@pytest.mark.parametrize("name", ["ssis-clustered", "ssis-standalone"])
def test_the_lab_is_built_at_the_version_asked_for(
    registry: RunbookRegistry, name: str, given: dict[str, str], version: str | None
) -> None:
    """sql_version, as typed, picks the lab's SQL Server version; none leaves the default."""
    assert LabVariant(sql_version=version) == registry.get(name).lab_variant_for(given)


def test_an_unknown_version_leaves_the_lab_default_for_validation_to_refuse(
    registry: RunbookRegistry,
) -> None:
    """An unknown version builds the default lab; the parameter check then names the mistake."""
    assert LabVariant() == registry.get("ssis-clustered").lab_variant_for({"sql_version": "1999"})
