"""`run --bundle` and `export --verify` refuse what they would otherwise silently ignore.

`run cluster-report --bundle B` ran B's runbook, `run --plan P --bundle B` dropped the
plan, `run --bundle B -p k=v` (or `--params-file`) dropped the parameters, and
`export --verify B` ignored a runbook name, `-p` and `-i`. Each is now exit 2 naming
what to leave out, with nothing executed or journaled.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from psrunbook.sim.lab.embedded import EmbeddedLab
from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def bundle(psrunbook: Psrunbook, tmp_path: Path) -> Path:
    """An ssis-clustered bundle exported for the state directory's simulated lab."""
    with EmbeddedLab(psrunbook.state_dir):
        pass
    directory = tmp_path / "bundle"
    psrunbook(
        "export", "ssis-clustered", "-i", str(psrunbook.lab_file.parent / "inventory.toml"),
        "--params-file", str(EXAMPLES / "ssis-clustered.toml"), "-o", str(directory),
    )  # fmt: skip
    return directory


def _refused(psrunbook: Psrunbook, *args: str) -> str:
    """The command refused, exit 2, no traceback, lab and journal as they were: stderr."""
    runs, lab = psrunbook.runs(), psrunbook.lab_state()
    refused = psrunbook(*args, expect=2)
    assert "Traceback" not in refused.output
    assert runs == psrunbook.runs()
    assert lab == psrunbook.lab_state()
    return refused.stderr


def test_run_refuses_a_runbook_name_other_than_the_bundles(
    psrunbook: Psrunbook, bundle: Path
) -> None:
    """`run cluster-report --bundle B` (B of ssis-clustered) names both runbooks."""
    message = _refused(psrunbook, "run", "cluster-report", "--bundle", str(bundle), "--sim", "-y")

    assert f"--bundle {bundle} is a bundle of ssis-clustered, not cluster-report" in message
    assert "leave out the runbook name" in message


def test_run_refuses_a_plan_and_a_bundle_together(
    psrunbook: Psrunbook, bundle: Path, tmp_path: Path
) -> None:
    """`run --plan P --bundle B`: one of the two, not the bundle alone."""
    plan = tmp_path / "plan.json"
    psrunbook("plan", "ssis-clustered", "--sim", "-o", str(plan))

    message = _refused(
        psrunbook, "run", "--plan", str(plan), "--bundle", str(bundle), "--sim", "--yes"
    )

    assert f"--plan {plan} runs a saved plan: give no --bundle" in message


@pytest.mark.parametrize(
    "given",
    [("-p", "group=Other Group"), ("--params-file", str(EXAMPLES / "ssis-clustered.toml"))],
    ids=["param", "params-file"],
)
def test_run_refuses_parameters_beside_a_bundle(
    psrunbook: Psrunbook, bundle: Path, given: tuple[str, str]
) -> None:
    """A bundle fixes its parameters: -p and --params-file are refused, not ignored."""
    message = _refused(psrunbook, "run", "--bundle", str(bundle), *given, "--sim", "--yes")

    assert f"--bundle {bundle} fixes the parameters it was exported with" in message
    assert "leave out -p and --params-file" in message


def test_export_verify_refuses_a_runbook_name_parameters_and_an_inventory(
    psrunbook: Psrunbook, bundle: Path
) -> None:
    """--verify checks the bundle against itself: every other input is named, exit 2."""
    named = _refused(psrunbook, "export", "ssis-clustered", "--verify", str(bundle))
    others = _refused(
        psrunbook, "export", "--verify", str(bundle), "-p", "x=1", "-i", "/etc/passwd"
    )

    assert "leave out the runbook name" in named
    assert "leave out --inventory, -p" in others
