"""Choosing how the lab authenticates: ``PSRUNBOOK_SIM_AUTH`` for ``--sim``, ``--auth`` for
``sim serve``; the inventory the lab writes authenticates the same way."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from psrunbook.cli.app import app
from psrunbook.inventory import load_inventory
from psrunbook.sim.lab.serve import SIM_USER, ServeOptions, serve

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("mode", ["ntlm", "negotiate", "credssp"])
def test_the_embedded_lab_serves_the_chosen_auth(psrunbook: Psrunbook, mode: str) -> None:
    psrunbook = dataclasses.replace(psrunbook, sim_auth=mode)
    document = json.loads(psrunbook("ping", "--sim", "--json").stdout)
    assert document["all_answered"] is True
    inventory = load_inventory(psrunbook.state_dir / "sim" / "inventory.toml")
    assert (mode, False, "auto", SIM_USER) == (
        inventory.connection.auth,
        inventory.connection.ssl,
        inventory.connection.encryption,
        inventory.connection.username,
    )


def test_an_unknown_lab_auth_is_exit_2_naming_the_variable(psrunbook: Psrunbook) -> None:
    result = dataclasses.replace(psrunbook, sim_auth="kerberoz")("ping", "--sim", expect=2)
    assert "PSRUNBOOK_SIM_AUTH: 'kerberoz' is not an auth mode the lab serves" in result.stderr
    assert "basic, ntlm, kerberos, negotiate, credssp" in result.stderr


def test_sim_serve_refuses_an_unknown_auth() -> None:
    result = CliRunner().invoke(app, ["sim", "serve", "--auth", "digest"])
    assert 2 == result.exit_code
    assert "--auth: 'digest' is not an auth mode" in result.stderr


def test_sim_serve_writes_an_ntlm_inventory(tmp_path: Path) -> None:
    out = tmp_path / "lab.toml"
    stop, ready = threading.Event(), threading.Event()
    lines: list[str] = []

    def echo(line: str) -> None:
        lines.append(line)
        if line.startswith("serving"):
            ready.set()

    worker = threading.Thread(
        target=serve,
        args=(ServeOptions(nodes=1, inventory_out=out, auth="ntlm"),),
        kwargs={"password": "pw-ntlm", "echo": echo, "stop": stop},
    )
    worker.start()
    try:
        assert ready.wait(30)
        inventory = load_inventory(out)
    finally:
        stop.set()
        worker.join(30)
    assert ("ntlm", "auto", SIM_USER) == (
        inventory.connection.auth,
        inventory.connection.encryption,
        inventory.connection.username,
    )
    assert "stopped" == lines[-1]
