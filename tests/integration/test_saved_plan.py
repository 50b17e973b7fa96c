"""``plan -o FILE`` and ``run --plan FILE`` through the real CLI (issue 15).

A saved plan runs exactly as planned, or is refused with exit 2 naming what changed:
the inventory, the parameters, the runbook version, a script's hash, or the cluster
state the plan's probes saw. Nothing is journaled or changed when it is refused.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from psrunbook.plan_file import PLAN_FORMAT
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import lab_facts, sample_lab
from psrunbook.sim.lab.serve import PASSWORD_ENV
from tests.integration.conftest import served_inventory
from tests.integration.test_ssis_clustered_owners import _params, _state

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

PASSWORD = "saved-plan-test-password"
ENV = {PASSWORD_ENV: PASSWORD}


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[SimCluster, Path]]:
    """A 2-node lab served in this process (the test changes it between plan and run)."""
    lab = sample_lab(nodes=2)
    with served_inventory(lab, tmp_path / "inventory.toml", PASSWORD) as path:
        yield lab, path


def _saved(psrunbook: Psrunbook, lab: SimCluster, inventory: Path, plan: Path) -> None:
    psrunbook(
        *("plan", "ssis-clustered", "-i", str(inventory), "-o", str(plan)), *_params(lab), env=ENV
    )


def test_a_saved_plan_runs_exactly_and_takes_its_target(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """plan -o writes the versioned document; run --plan (no -i/--sim) runs it on that target."""
    plan = tmp_path / "plan.json"
    planned = psrunbook("plan", "ssis-clustered", "--sim", "-o", str(plan))
    assert f"plan saved to {plan}" in planned.stdout
    document = json.loads(plan.read_text(encoding="utf-8"))
    body = document["plan"]
    assert (PLAN_FORMAT, "ssis-clustered", True) == (
        document["format"],
        body["runbook"],
        body["target"]["sim"],
    )
    (plan_run,) = psrunbook.runs()
    assert plan_run.run_id == body["plan_run_id"]
    assert {"SQL Server (MSSQLSERVER)": "NODE1"} == body["probes"]["owners"]
    assert body["probes"]["cluster_name"] == "SIMCLUSTER"
    assert all(len(step["script_sha256"]) == 64 for step in body["steps"])
    expected = {
        (step["name"], node)
        for step in body["steps"]
        for node, status in step["expected"].items()
        if status == "would change"
    }
    assert expected == {
        (a.step_name, a.node) for a in psrunbook.attempts(plan_run.run_id) if a.changed
    }

    ran = psrunbook("run", "--plan", str(plan))
    assert f"running saved plan {plan}" in ran.stdout
    run = psrunbook.last_run()
    assert ("run", "succeeded", plan_run.parameters_sha256, plan_run.inventory_sha256) == (
        run.mode,
        run.outcome,
        run.parameters_sha256,
        run.inventory_sha256,
    )
    changed = {(a.step_name, a.node) for a in psrunbook.attempts(run.run_id) if a.changed}
    assert changed and changed <= expected  # a step may find its work done by an earlier one


def _moved(lab: SimCluster) -> None:
    facts = lab_facts(lab)
    lab.move_group(lab.group(facts.group), "NODE2")


def _renamed(lab: SimCluster) -> None:
    lab.name = "OTHERCLUSTER"


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_moved, "owner of group 'SQL Server (MSSQLSERVER)': NODE1 when planned, NODE2 now"),
        (_renamed, "cluster: the plan saw 'SIMCLUSTER'"),
    ],
    ids=["group-moved", "other-cluster"],
)
def test_run_plan_refuses_when_the_cluster_changed_since(
    psrunbook: Psrunbook,
    served: tuple[SimCluster, Path],
    tmp_path: Path,
    change: Callable[[SimCluster], None],
    named: str,
) -> None:
    """The plan's probes answer differently now: exit 2 naming it; nothing run or journaled."""
    lab, inventory = served
    plan = tmp_path / "plan.json"
    _saved(psrunbook, lab, inventory, plan)
    change(lab)
    before, runs = _state(lab), psrunbook.runs()
    refused = psrunbook("run", "--plan", str(plan), "--yes", env=ENV, expect=2)
    assert named in refused.stderr
    assert "the cluster changed since the plan was made" in refused.stderr
    assert "Traceback" not in refused.output
    assert (before, runs) == (_state(lab), psrunbook.runs())


def test_run_plan_refuses_a_changed_inventory(
    psrunbook: Psrunbook, served: tuple[SimCluster, Path], tmp_path: Path
) -> None:
    lab, inventory = served
    plan = tmp_path / "plan.json"
    _saved(psrunbook, lab, inventory, plan)
    inventory.write_text(inventory.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    refused = psrunbook("run", "--plan", str(plan), "--yes", env=ENV, expect=2)
    assert "inventory: its content differs" in refused.stderr
    assert 1 == len(psrunbook.runs())  # only the plan


def test_run_plan_refuses_a_gone_inventory_naming_it(
    psrunbook: Psrunbook, served: tuple[SimCluster, Path], tmp_path: Path
) -> None:
    lab, inventory = served
    plan = tmp_path / "plan.json"
    _saved(psrunbook, lab, inventory, plan)
    inventory.unlink()
    refused = psrunbook("run", "--plan", str(plan), "--yes", env=ENV, expect=2)
    assert str(inventory) in refused.stderr


def _scaffold(psrunbook: Psrunbook, tmp_path: Path) -> tuple[list[str], Path]:
    """``psrunbook new`` (runs on --sim), with a secret parameter the scripts never see."""
    psrunbook("new", "disk-check", "--dir", str(tmp_path / "plugin"))
    module = tmp_path / "plugin" / "runbooks" / "disk_check.py"
    text = module.read_text(encoding="utf-8")
    text = text.replace(
        "from psrunbook import Inventory, Runbook, Step, StepResult, Target",
        "from psrunbook import Inventory, Runbook, Secret, Step, StepResult, Target",
    ).replace(
        "class Parameters(BaseModel):\n",
        "class Parameters(BaseModel):\n"
        '    token: Secret = Field(description="Never written anywhere.")\n',
    )
    module.write_text(text, encoding="utf-8")
    load = [
        *("--runbooks", str(module.parent)),
        *("--templates", str(tmp_path / "plugin" / "templates")),
    ]
    return load, module


SECRET = "s3cret-token-value"


def _version(module: Path) -> None:
    text = module.read_text(encoding="utf-8")
    module.write_text(
        text.replace("    build_steps=steps,\n", '    build_steps=steps,\n    version="2",\n')
    )


def _parameter(module: Path) -> None:
    text = module.read_text(encoding="utf-8")
    text = text.replace(
        "    token: Secret",
        '    extra: str = Field(default="new", description="Added.")\n    token: Secret',
    )
    module.write_text(text, encoding="utf-8")


def _script(module: Path) -> None:
    template = module.parents[1] / "templates" / "disk_check" / "set_disk_check.ps1.j2"
    text = template.read_text(encoding="utf-8")
    template.write_text(
        text.replace("$changed = $before", "$changed = ($before)"), encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("change", "named"),
    [
        (_version, "runbook version: disk-check was 1, installed is 2"),
        (_parameter, "parameters: extra differ"),
        (_script, "script hash: step 01-set-value: the pinned script differs"),
    ],
    ids=["runbook-version", "parameters", "script"],
)
def test_run_plan_refuses_what_changed_in_the_runbook(
    psrunbook: Psrunbook, tmp_path: Path, change: Callable[[Path], None], named: str
) -> None:
    load, module = _scaffold(psrunbook, tmp_path)
    plan = tmp_path / "plan.json"
    env = {"PSRUNBOOK_PARAM_TOKEN": SECRET}
    psrunbook(*load, "plan", "disk-check", "--sim", "-o", str(plan), env=env)
    assert SECRET not in plan.read_text(encoding="utf-8")  # secrets are never written
    change(module)
    refused = psrunbook(*load, "run", "--plan", str(plan), env=env, expect=2)
    assert named in refused.stderr
    assert "psrunbook plan RUNBOOK -o FILE" in refused.stderr
    assert 1 == len(psrunbook.runs())


def test_run_plan_takes_secrets_from_the_environment_again(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    load, _ = _scaffold(psrunbook, tmp_path)
    plan = tmp_path / "plan.json"
    env = {"PSRUNBOOK_PARAM_TOKEN": SECRET}
    psrunbook(*load, "plan", "disk-check", "--sim", "-o", str(plan), env=env)
    missing = psrunbook(*load, "run", "--plan", str(plan), expect=2)
    assert "never holds secrets: set PSRUNBOOK_PARAM_TOKEN" in missing.stderr
    psrunbook(*load, "run", "--plan", str(plan), env=env)
    assert "succeeded" == psrunbook.last_run().outcome


def _tampered(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    document["plan"]["parameters"]["shared_folder"] = "C:\\Windows"
    path.write_text(json.dumps(document), encoding="utf-8")


def _other_format(path: Path) -> None:
    document = json.loads(path.read_text(encoding="utf-8"))
    document["format"] = "psrunbook-plan/0"
    path.write_text(json.dumps(document), encoding="utf-8")


BAD_FILES: list[tuple[Callable[[Path], Any], str]] = [
    (Path.unlink, "no such file"),
    (lambda p: p.write_text("not json {", encoding="utf-8"), "is not JSON"),
    (_other_format, "format 'psrunbook-plan/0' is not 'psrunbook-plan/1'"),
    (_tampered, "was changed after it was saved"),
    (lambda p: p.unlink() or p.mkdir(), "Is a directory"),
]


@pytest.mark.parametrize(
    ("spoil", "named"), BAD_FILES, ids=["missing", "not-json", "format", "tampered", "directory"]
)
def test_a_bad_plan_file_is_refused_naming_it_and_the_fix(
    psrunbook: Psrunbook, tmp_path: Path, spoil: Callable[[Path], Any], named: str
) -> None:
    plan = tmp_path / "plan.json"
    psrunbook("plan", "ssis-clustered", "--sim", "-o", str(plan))
    spoil(plan)
    refused = psrunbook("run", "--plan", str(plan), expect=2)
    assert f"--plan {plan}" in refused.stderr and named in refused.stderr
    assert "Traceback" not in refused.output
    assert 1 == len(psrunbook.runs())


def test_run_plan_refuses_parameters_beside_it(psrunbook: Psrunbook, tmp_path: Path) -> None:
    plan = tmp_path / "plan.json"
    psrunbook("plan", "ssis-clustered", "--sim", "-o", str(plan))
    refused = psrunbook("run", "--plan", str(plan), "-p", "group=Other", expect=2)
    assert "fixes the parameters it was made with" in refused.stderr
    other = psrunbook("run", "cluster-report", "--plan", str(plan), expect=2)
    assert "is a plan of ssis-clustered, not cluster-report" in other.stderr
