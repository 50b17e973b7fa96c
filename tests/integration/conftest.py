"""Fixtures for end-to-end runs: the real CLI, in-process, against the embedded lab.

Every command goes through ``psrunbook.cli.app.app`` exactly as the ``psrunbook`` script
runs it, with its own state directory, so the journal and the simulated lab
(``sim/lab.json``) are the real ones; only the process is shared, which keeps a run
well under a second.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from psrunbook.cli.app import app
from psrunbook.journal import AttemptRecord, Journal, RunRecord
from psrunbook.logging import reset_logging
from psrunbook.secrets import clear_secrets
from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.cluster_model import SimCluster
from psrunbook.sim.lab.lab_files import dump, restore, without_history
from psrunbook.sim.lab.serve import AUTH_ENV as SIM_AUTH_ENV
from psrunbook.sim.lab.serve import SIM_USER, inventory_toml

REPO = Path(__file__).resolve().parents[2]
NODE_PASSWORD = "one-node-password"
"""The password of :func:`one_node`'s account."""
EXAMPLES = REPO / "examples"
SCHEMAS = REPO / "tests" / "schemas"


@dataclass(frozen=True)
class Psrunbook:
    """The ``psrunbook`` command bound to one state directory."""

    state_dir: Path
    sim_auth: str = "basic"
    """How the ``--sim`` lab's nodes authenticate (``PSRUNBOOK_SIM_AUTH``)."""

    def __call__(
        self,
        *args: str,
        env: Mapping[str, str] | None = None,
        expect: int | None = 0,
    ) -> Result:
        """Run one command; fail the test on a traceback or an unexpected exit code."""
        result = CliRunner().invoke(
            app,
            list(args),
            env={
                "PSRUNBOOK_STATE_DIR": str(self.state_dir),
                SIM_AUTH_ENV: self.sim_auth,
                # Tables laid out for 200 columns whatever the developer's terminal width:
                # a test reads whole cells (a narrow COLUMNS wraps them, as it should).
                "COLUMNS": "200",
                **(env or {}),
            },
        )
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        if expect is not None:
            assert expect == result.exit_code, (
                f"psrunbook {' '.join(args)}\n--- stdout\n{result.stdout}"
                f"\n--- stderr\n{result.stderr}"
            )
        return result

    @property
    def lab_file(self) -> Path:
        return self.state_dir / "sim" / "lab.json"

    def lab(self) -> dict[str, Any]:
        """The simulated lab's whole state, as the last command saved it."""
        return dump(restore(self.lab_file))

    def lab_state(self) -> dict[str, Any]:
        """:meth:`lab` minus its history (process ids, write moments: ``without_history``)
        and the count of pipelines run, which every script bumps.

        The counter only schedules faults ("move the group after N pipelines"); it is
        neither cluster nor node state, so a command that changes nothing still moves it.
        """
        state = without_history(self.lab())
        state["faults"].pop("pipelines_finished")
        return state

    def runs(self) -> list[RunRecord]:
        with Journal.open(self.state_dir) as journal:
            return journal.runs(1000)

    def attempts(self, run_id: str) -> list[AttemptRecord]:
        with Journal.open(self.state_dir) as journal:
            return journal.attempts(run_id)

    def last_run(self) -> RunRecord:
        return self.runs()[0]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "all_sim_auths: run once per lab authentication the product must work over: "
        "Basic on loopback, and NTLM with every message sealed over HTTP",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test marked ``all_sim_auths`` runs with the ``--sim`` lab over Basic and over NTLM."""
    if metafunc.definition.get_closest_marker("all_sim_auths") and (
        "sim_auth" in metafunc.fixturenames
    ):
        metafunc.parametrize("sim_auth", ["basic", "ntlm"], indirect=True)


@pytest.fixture
def sim_auth(request: pytest.FixtureRequest) -> str:
    """The ``--sim`` lab's authentication; Basic unless the test is ``all_sim_auths``."""
    return str(getattr(request, "param", "basic"))


@pytest.fixture
def psrunbook(tmp_path: Path, sim_auth: str) -> Iterator[Psrunbook]:
    """A fresh state directory; afterwards, logging and registered secrets are undone.

    Each command configures logging on the runner's captured streams and registers the
    secrets it saw, both process-wide; the next test must not inherit them.
    """
    yield Psrunbook(tmp_path / "state", sim_auth)
    reset_logging()
    clear_secrets()


@contextlib.contextmanager
def served_inventory(
    lab: SimCluster, path: Path, password: str, nodes: Sequence[str] = ("NODE1", "NODE2")
) -> Iterator[Path]:
    """``lab`` served in this process on loopback ports, and an inventory of ``nodes`` at
    ``path``: a test can change the lab between two commands, as a cluster changes."""
    with SimFleet(list(nodes), executor=cluster_executor(lab), users={SIM_USER: password}) as fleet:
        path.write_text(inventory_toml(fleet, cluster=lab.name), encoding="utf-8")
        yield path


def refused_port() -> int:
    """A loopback port nobody listens on: bound, then closed again (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def basic_http_inventory(
    path: Path, nodes: list[tuple[str, str, int]], *, password_env: str, **connection: int
) -> Path:
    """An inventory of ``(name, address, port)`` nodes over Basic auth on plain HTTP."""
    lines = [
        "[cluster]",
        'name = "CLUSTER1"',
        "[connection]",
        "ssl = false",
        'auth = "basic"',
        'encryption = "never"',
        'username = "psrunbook"',
        f'password_env = "{password_env}"',
        *(f"{key} = {value}" for key, value in connection.items()),
    ]
    for name, address, port in nodes:
        lines += ["[[nodes]]", f'name = "{name}"', f'address = "{address}"', f"port = {port}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(params=["basic", "ntlm"])
def one_node(request: pytest.FixtureRequest) -> Iterator[SimFleet]:
    """NODE1 of a trivial lab, over Basic (psrunbook's own sender) and over NTLM with
    every message sealed (pypsrp's requests session), as a domain serves it."""
    from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor  # noqa: PLC0415

    with SimFleet(
        ["NODE1"], executor=TrivialExecutor(), users={SIM_USER: NODE_PASSWORD}, auth=request.param
    ) as served:
        yield served


def node_session(fleet: SimFleet) -> Any:
    """A real :class:`~psrunbook.transport.psrp.PsrpSession` to ``fleet``'s NODE1."""
    from psrunbook.inventory import inventory_from_toml  # noqa: PLC0415
    from psrunbook.transport.psrp import PsrpTransport  # noqa: PLC0415

    inventory = inventory_from_toml(inventory_toml(fleet), path=Path("sim.toml"))
    return PsrpTransport(inventory, password=NODE_PASSWORD).open("NODE1")
