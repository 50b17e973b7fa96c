"""A lab node offering several authentication schemes at once, as a Windows node with
Basic and CredSSP enabled beside Negotiate does (WinRM's ``Auth`` settings): one
endpoint answers clients of each scheme, as a client test suite that tries them all
against one server expects (pypsrp 1.0's ``test_wsman_integration.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from pypsrp.exceptions import AuthenticationError, WinRMTransportError
from pypsrp.powershell import PowerShell, RunspacePool
from typer.testing import CliRunner

from psrunbook.cli.app import app
from psrunbook.errors import UserError
from psrunbook.sim.endpoint.http_server import SimEndpoint
from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor
from psrunbook.sim.lab.serve import ServeOptions, parse_auths, serve
from tests.integration.sim.simclient import PASSWORD, USER, client_for

pytestmark = pytest.mark.integration

ACCOUNT = f"LAB\\{USER}"


@pytest.fixture
def node() -> Iterator[SimEndpoint]:
    with SimEndpoint(
        TrivialExecutor(),
        node="NODE1",
        users={ACCOUNT: PASSWORD},
        auth="ntlm",
        also_auth=("basic", "credssp"),
    ) as ep:
        yield ep


@pytest.mark.parametrize(
    ("auth", "encryption"),
    [("basic", "never"), ("ntlm", "auto"), ("ntlm", "never"), ("credssp", "auto")],
)
def test_one_node_answers_each_offered_scheme(
    node: SimEndpoint, auth: str, encryption: str
) -> None:
    """NTLM without sealing is accepted here, unlike on a node offering Negotiate only:
    Basic over HTTP needs the service's AllowUnencrypted, which admits it too."""
    client = client_for(node, auth=auth, username=ACCOUNT, encryption=encryption)
    with RunspacePool(client) as pool:
        assert [f"NODE1\\{ACCOUNT}"] == PowerShell(pool).add_script("whoami").invoke()


def test_a_refusal_offers_every_scheme(node: SimEndpoint) -> None:
    answer = requests.post(node.url, data=b"", timeout=10)
    assert 401 == answer.status_code
    offered = answer.raw.headers.getlist("WWW-Authenticate")
    assert ['Negotiate', 'Basic realm="WSMAN"', "CredSSP"] == offered


def test_a_wrong_basic_password_is_refused(node: SimEndpoint) -> None:
    client = client_for(node, auth="basic", username=ACCOUNT, password="wrong")
    with pytest.raises(AuthenticationError):
        RunspacePool(client).open()
    assert 0 == node.counters.requests("Create")


def test_a_negotiate_only_node_still_refuses_basic_and_plain_messages() -> None:
    with SimEndpoint(
        TrivialExecutor(), node="NODE1", users={ACCOUNT: PASSWORD}, auth="ntlm"
    ) as ep:
        for auth, encryption in (("basic", "never"), ("ntlm", "never")):
            client = client_for(ep, auth=auth, username=ACCOUNT, encryption=encryption)
            with pytest.raises((AuthenticationError, WinRMTransportError)):
                RunspacePool(client).open()
        assert 0 == ep.counters.requests("Create")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ntlm,basic,credssp", ("ntlm", "basic", "credssp")),
        ("basic", ("basic",)),
        (" negotiate , basic", ("negotiate", "basic")),
    ],
)
def test_parse_auths_reads_a_comma_list(value: str, expected: tuple[str, ...]) -> None:
    assert expected == parse_auths(value, source="--auth")


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("ntlm,ntlm", "names a mode twice"),
        ("ntlm,kerberos", "more than one of ntlm, kerberos and negotiate"),
        ("ntlm,digest", "'digest' is not an auth mode"),
    ],
)
def test_parse_auths_refuses_what_a_node_cannot_offer(value: str, named: str) -> None:
    with pytest.raises(UserError, match=named):
        parse_auths(value, source="--auth")


def test_sim_serve_refuses_two_negotiate_modes_with_exit_2() -> None:
    result = CliRunner().invoke(app, ["sim", "serve", "--auth", "ntlm,negotiate"])
    assert 2 == result.exit_code
    assert "a node has one Negotiate scheme" in result.stderr


def test_a_fleet_of_clusters_refuses_more_than_basic(tmp_path: Path) -> None:
    options = ServeOptions(
        nodes=1, auth="basic", also_auth=("ntlm",), clusters=2, inventory_dir=tmp_path
    )
    with pytest.raises(UserError, match="--auth basic,ntlm: a fleet of clusters"):
        serve(options, password="pw", echo=lambda line: None)
