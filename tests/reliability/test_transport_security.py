"""Transport security defaults: verified TLS, no cleartext credentials off loopback, no
credentials on the command line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from psrunbook.journal import Journal
from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.serve import PASSWORD_ENV, SIM_USER, inventory_toml
from tests.conftest import FIXTURES
from tests.reliability.harness import Result, assert_no_traceback, error_line, psrunbook

pytestmark = pytest.mark.reliability

PASSWORD = "transport-test-password"
USER = (
    "--runbooks",
    str(FIXTURES / "user_runbooks"),
    "--templates",
    str(FIXTURES / "user_templates"),
)


@pytest.fixture
def https_fleet() -> Iterator[SimFleet]:
    cluster = sample_lab(2, "2019")
    with SimFleet(
        ["NODE1", "NODE2"],
        executor=cluster_executor(cluster),
        users={SIM_USER: PASSWORD},
        tls=True,
    ) as fleet:
        yield fleet


def greet(tmp_path: Path, inventory: str, *extra: str) -> Result:
    path = tmp_path / "inventory.toml"
    path.write_text(inventory, encoding="utf-8")
    return psrunbook(
        *USER,
        "run",
        "greeting",
        "-i",
        str(path),
        "-p",
        "name=a",
        "--yes",
        *extra,
        state_dir=tmp_path / "state",
        env={PASSWORD_ENV: PASSWORD},
    )


def without_ca(inventory: str) -> str:
    return "\n".join(line for line in inventory.splitlines() if not line.startswith("ca_bundle"))


def test_https_with_the_ca_bundle_is_accepted(tmp_path: Path, https_fleet: SimFleet) -> None:
    """A self-signed endpoint whose CA is given as ca_bundle is verified and used."""
    result = greet(tmp_path, inventory_toml(https_fleet))
    assert 0 == result.code, result.describe()


def test_https_self_signed_without_ca_is_refused(tmp_path: Path, https_fleet: SimFleet) -> None:
    """Without the CA bundle the self-signed certificate fails verification: nothing runs."""
    result = greet(tmp_path, without_ca(inventory_toml(https_fleet)))
    assert 1 == result.code, result.describe()
    assert_no_traceback(result)
    line = error_line(result)
    assert "TLS verification failed" in line
    assert "NODE" in line
    assert 0 == sum(ep.counters.pipelines_created for ep in https_fleet)


def test_https_without_validation_needs_insecure(tmp_path: Path, https_fleet: SimFleet) -> None:
    """cert_validation = false is refused before connecting; --insecure accepts it, warned."""
    inventory = without_ca(inventory_toml(https_fleet)).replace(
        "cert_validation = true", "cert_validation = false"
    )
    refused = greet(tmp_path, inventory)
    assert 2 == refused.code, refused.describe()
    assert "--insecure" in error_line(refused)
    assert 0 == sum(ep.counters.requests() for ep in https_fleet)
    accepted = greet(tmp_path, inventory, "--insecure")
    assert 0 == accepted.code, accepted.describe()
    assert "certificate validation is off" in accepted.stdout


@pytest.mark.parametrize(
    "address", ["10.0.0.1", "localhost.example.com", "127.0.0.1.nip.io", "::ffff:10.0.0.1"]
)
def test_basic_over_http_to_a_remote_address_is_refused_before_connecting(
    tmp_path: Path, address: str
) -> None:
    """Basic over plain HTTP to a non-loopback node is refused before any node is contacted."""
    cluster = sample_lab(2, "2019")
    with SimFleet(
        ["NODE1", "NODE2"], executor=cluster_executor(cluster), users={SIM_USER: PASSWORD}
    ) as fleet:
        text = inventory_toml(fleet)
        remote = text.replace('address = "127.0.0.1"', f'address = "{address}"', 2).replace(
            f'address = "{address}"', 'address = "127.0.0.1"', 1
        )
        assert f'address = "{address}"' in remote
        result = greet(tmp_path, remote)
        assert 0 == sum(ep.counters.requests() for ep in fleet)
    assert 2 == result.code, result.describe()
    assert_no_traceback(result)
    line = error_line(result)
    assert "node NODE2" in line
    assert f"non-loopback address {address}" in line
    with Journal.open(tmp_path / "state") as journal:
        assert [] == journal.runs(5)


@pytest.mark.parametrize("option", ["--password", "--pass", "--credential", "--user"])
def test_credentials_are_never_accepted_on_the_command_line(tmp_path: Path, option: str) -> None:
    """No command takes a password or credential option."""
    result = psrunbook("run", "ssis-clustered", "--sim", option, "x", state_dir=tmp_path)
    assert 2 == result.code, result.describe()
    assert "No such option" in result.stderr


@pytest.mark.parametrize("command", ["run", "plan", "resume", "export", "runs", "sim"])
def test_no_command_offers_a_credential_option(tmp_path: Path, command: str) -> None:
    """The help of every command names no option that takes a password, credential or user.

    ``--ask-pass`` is the one allowed: a flag with no value, the password is typed on the
    terminal (never echoed), so it never reaches the shell history or the process list.
    """
    result = psrunbook(command, "--help", state_dir=tmp_path)
    assert 0 == result.code, result.describe()
    options = [w for w in result.stdout.split() if w.startswith("--") and w != "--ask-pass"]
    assert [] == [o for o in options if any(k in o for k in ("pass", "cred", "user", "secret"))]
