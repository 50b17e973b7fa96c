"""The SSIS preflights refuse a 32-bit session before any change, naming the session
configuration and the fix.

An inventory may name another session configuration (``configuration_name``); every
64-bit Windows node registers ``Microsoft.PowerShell32``, a 32-bit (WOW64) host process
in which Windows redirects HKLM\\SOFTWARE to WOW6432Node and C:\\Windows\\System32 to
SysWOW64, so SSIS's ServiceConfigFile would be written where the service never reads it.
The lab serves that configuration as a 32-bit process and refuses what it would redirect;
the preflight must stop first, with its own message, and leave the cluster as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import dump, sample_lab, without_history
from psrunbook.sim.lab.serve import PASSWORD_ENV
from tests.integration.conftest import served_inventory
from tests.integration.test_ssis_clustered_owners import _params

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

PASSWORD = "wow64-preflight-password"
ENV = {PASSWORD_ENV: PASSWORD}


def _state(lab: SimCluster) -> dict[str, Any]:
    state = without_history(dump(lab))
    state["faults"].pop("pipelines_finished")
    return state


def _with_configuration(path: Path, name: str) -> Path:
    """The served inventory, its ``[connection]`` naming the session configuration."""
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("[connection]\n", f'[connection]\nconfiguration_name = "{name}"\n', 1),
        encoding="utf-8",
    )
    return path


def _arguments(runbook: str, lab: SimCluster) -> list[str]:
    if runbook == "ssis-clustered":
        return _params(lab)
    if runbook == "ssis-standalone":
        return ["-p", "sql_version=2019", "-p", "instances=MSSQLSERVER"]
    return ["-p", "sql_version=2019", "-p", "group=SQL Server (MSSQLSERVER)"]


@pytest.mark.parametrize("runbook", ["ssis-clustered", "ssis-standalone", "ssis-clustered-undo"])
def test_a_32bit_session_is_refused_before_any_change(
    psrunbook: Psrunbook, tmp_path: Path, runbook: str
) -> None:
    lab = sample_lab(nodes=2)
    with served_inventory(lab, tmp_path / "inventory.toml", PASSWORD) as path:
        _with_configuration(path, "Microsoft.PowerShell32")
        before = _state(lab)
        result = psrunbook(
            "run", runbook, "-i", str(path), "--yes", *_arguments(runbook, lab), env=ENV, expect=1
        )
        output = " ".join((result.stdout + result.stderr).split())
        assert (
            "this session runs in a 32-bit host process (session configuration "
            "Microsoft.PowerShell32)" in output
        )
        assert 'set configuration_name = "Microsoft.PowerShell"' in output
        assert "unsupported construct" not in output
        assert before == _state(lab)


def test_the_64bit_configuration_named_in_the_inventory_passes_the_check(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """configuration_name = "Microsoft.PowerShell", written out, is the 64-bit default."""
    lab = sample_lab(nodes=2)
    with served_inventory(lab, tmp_path / "inventory.toml", PASSWORD) as path:
        _with_configuration(path, "Microsoft.PowerShell")
        result = psrunbook(
            "plan", "ssis-standalone", "-i", str(path), *_arguments("ssis-standalone", lab), env=ENV
        )
    assert "32-bit" not in result.stdout + result.stderr


def test_the_drill_refuses_a_32bit_session_too(psrunbook: Psrunbook, tmp_path: Path) -> None:
    """The drill reads ServiceConfigFile on every node: under WOW64 it would read the
    redirected key and judge the wrong value."""
    lab = sample_lab(nodes=2)
    with served_inventory(lab, tmp_path / "inventory.toml", PASSWORD) as path:
        _with_configuration(path, "Microsoft.PowerShell32")
        result = psrunbook(
            "run", "ssis-failover-drill", "-i", str(path), "--yes", "-p", "sql_version=2019",
            "-p", "group=SQL Server (MSSQLSERVER)", "-p", "shared_folder=S:\\SSIS",
            "-p", "home_node=NODE1", env=ENV, expect=1,
        )  # fmt: skip
        output = " ".join((result.stdout + result.stderr).split())
        assert "this session runs in a 32-bit host process" in output


def test_an_unknown_configuration_name_is_named_with_the_inventory_setting(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    lab = sample_lab(nodes=1)
    with served_inventory(lab, tmp_path / "inventory.toml", PASSWORD) as path:
        _with_configuration(path, "Contoso.Admin")
        result = psrunbook("ping", "-i", str(path), env=ENV, expect=None)
        output = " ".join((result.stdout + result.stderr).split())
        assert "2150858811" in output, output
        assert "check connection.configuration_name in the inventory" in output
