"""Reading the resource names out of a DependencyExpression, brackets in names included.

``ssis-clustered``'s dependencies step split the expression between bracketed names and
stripped a ``]`` from the end of every piece, so a provider named ``Data [S]`` first in the
expression read as ``Data [S``: a second run found it missing and added it again, which
the cluster refuses (5003, ERROR_DEPENDENCY_ALREADY_EXISTS). The drill's move step split at
every bracket and so never looked at such a provider's state.
"""

from __future__ import annotations

import json
from typing import Any

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import sample_lab
from tests.unit.sim.lab.scripts import planned_step, run_on
from tests.unit.sim.lab.test_hidden_files import run_on_step

GROUP = "SQL Server (MSSQLSERVER)"
PROVIDER = "Data [S]"


def _lab() -> SimCluster:
    """The SQL group with an SSIS resource and a resource whose name ends in ``]``."""
    lab = sample_lab(nodes=2)
    made = run_on(
        lab,
        f"Add-ClusterResource -Name 'SSIS' -ResourceType 'Generic Service' -Group '{GROUP}' "
        "| Out-Null\n"
        f"Add-ClusterResource -Name '{PROVIDER}' -ResourceType 'Generic Script' -Group '{GROUP}' "
        "| Out-Null\n",
    )
    assert made.failed is None, made.failed
    return lab


def _data(result: Any) -> dict[str, Any]:
    assert result.failed is None, result.failed
    data: dict[str, Any] = json.loads(result.output[-1].properties["Data"])
    return data


def test_a_second_run_finds_a_provider_whose_name_ends_in_a_bracket() -> None:
    lab = _lab()
    script = planned_step("ssis-clustered", "dependencies").script.text
    arguments = {"Resource": "SSIS", "Providers": [PROVIDER, "SQL Server"]}

    first = _data(run_on_step(lab, script, arguments))
    second = _data(run_on_step(lab, script, arguments))

    assert [PROVIDER, "SQL Server"] == first["Added"]
    assert [] == second["Added"]
    assert [PROVIDER, "SQL Server"] == second["Before"]["Providers"]


def test_the_drill_sees_a_provider_whose_name_holds_brackets_and_does_not_start_it() -> None:
    """SSIS depends on ``Data [S]``, which is Offline: after the move the drill must not
    start SSIS (Start-ClusterResource would bring ``Data [S]`` online with it) and must
    name it. Split at every bracket, the name read as ``Data `` and ``S``, neither found."""
    lab = _lab()
    made = run_on(
        lab,
        "$ErrorActionPreference = 'Stop'\n"
        f"Add-ClusterResourceDependency -Resource 'SSIS' -Provider '{PROVIDER}' | Out-Null\n"
        "Add-ClusterResourceDependency -Resource 'SSIS' -Provider 'SQL Server' | Out-Null\n",
    )
    assert made.failed is None, made.failed
    step = planned_step("ssis-failover-drill", "move-1")
    arguments = {**dict(step.arguments), "Resource": "SSIS", "Node": "NODE2"}

    result = run_on_step(lab, step.script.text, arguments)

    assert result.failed is not None
    assert f"it depends on '{PROVIDER}' (Offline)" in result.failed.message
    assert "Offline" == str(lab.resource(PROVIDER).state)
