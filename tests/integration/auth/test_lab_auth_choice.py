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
from psrunbook.errors import UserError
from psrunbook.inventory import load_inventory
from psrunbook.sim.lab.serve import SIM_USER, ServeOptions, serve
from tests.support.kdc import write_keytab

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


def serve_kerberos(keytab: str, monkeypatch: pytest.MonkeyPatch) -> UserError:
    """The error ``sim serve --auth kerberos`` stops with, given ``KRB5_KTNAME=keytab``.

    ``stop`` is set before serving, so a lab that started instead ends at once (and the
    test fails on the missing error, never hangs).
    """
    monkeypatch.setenv("KRB5_KTNAME", keytab)
    printed: list[str] = []
    with pytest.raises(UserError) as refused:
        serve(
            ServeOptions(nodes=1, auth="kerberos"),
            password="unused",
            echo=printed.append,
            stop=_stopped(),
        )
    assert [] == printed  # no node listening, nothing a client could use
    return refused.value


def _stopped() -> threading.Event:
    event = threading.Event()
    event.set()
    return event


@pytest.mark.parametrize(
    ("principals", "named"),
    [
        (["host/node1.example.test@EXAMPLE.TEST"], "(host/node1.example.test@EXAMPLE.TEST)"),
        ([], "(it is empty)"),
    ],
    ids=["another host", "empty"],
)
def test_sim_serve_kerberos_refuses_a_keytab_without_the_nodes_principal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, principals: list[str], named: str
) -> None:
    """Every client would be refused: a UserError (exit 2) naming what the keytab holds
    and the fix, before any port is opened."""
    keytab = write_keytab(tmp_path / "nodes.keytab", principals)
    error = serve_kerberos(f"FILE:{keytab}", monkeypatch)
    assert (
        f"auth kerberos: the keytab KRB5_KTNAME=FILE:{keytab} holds no principal for the "
        f"address the nodes listen on {named}; add host/127.0.0.1@REALM to it "
        "(kadmin: ktadd -k KEYTAB host/127.0.0.1@REALM)"
    ) == str(error)


def test_sim_serve_kerberos_refuses_a_file_that_is_not_a_keytab(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    keytab = tmp_path / "krb5.conf"
    keytab.write_text("[libdefaults]\n", encoding="utf-8")
    error = serve_kerberos(str(keytab), monkeypatch)
    assert f"auth kerberos: KRB5_KTNAME={keytab}: {keytab} is not an MIT keytab" in str(error)
