"""Credentials as Windows domains use them, through the real CLI against real simulator nodes.

A password outside Latin-1, a secret manager's command (``password_command``), a prompt on
a real pseudo-terminal (``--ask-pass``) and a missing Kerberos or CredSSP library, which
must be named with the extra that installs it before any connection.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from psrunbook.sim.endpoint.http_server import SimFleet
from psrunbook.sim.lab.cluster_executor import cluster_executor
from psrunbook.sim.lab.lab_files import sample_lab
from psrunbook.sim.lab.serve import SIM_USER
from tests.integration.conftest import REPO, basic_http_inventory, refused_port

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration

PASSWORD_ENV = "PSRUNBOOK_CREDENTIALS_TEST_PASSWORD"
# "€" and "✓" are outside Latin-1: requests' own Basic auth cannot encode them.
PASSWORD = "Pä€ss-✓-word"


@pytest.fixture
def node_port() -> Iterator[int]:
    """One simulated node whose only user has :data:`PASSWORD`."""
    with SimFleet(
        ["NODE1"], executor=cluster_executor(sample_lab()), users={SIM_USER: PASSWORD}
    ) as fleet:
        yield fleet.endpoints["NODE1"].port


def inventory_with(path: Path, port: int, *connection: str) -> Path:
    """A Basic-over-loopback-HTTP inventory whose password comes from ``connection`` lines."""
    basic_http_inventory(path, [("NODE1", "127.0.0.1", port)], password_env=PASSWORD_ENV)
    text = path.read_text(encoding="utf-8").replace(
        f'password_env = "{PASSWORD_ENV}"\n', "".join(f"{line}\n" for line in connection)
    )
    path.write_text(text, encoding="utf-8")
    return path


def answered(stdout: str) -> bool:
    document = json.loads(stdout)
    return document["all_answered"] is True


def test_basic_auth_password_outside_latin1_signs_in(
    psrunbook: Psrunbook, tmp_path: Path, node_port: int
) -> None:
    inventory = inventory_with(
        tmp_path / "inventory.toml", node_port, f'password_env = "{PASSWORD_ENV}"'
    )
    result = psrunbook("ping", "-i", str(inventory), "--json", env={PASSWORD_ENV: PASSWORD})
    assert answered(result.stdout)
    assert PASSWORD not in result.stdout + result.stderr


def write_script(path: Path, body: str) -> Path:
    path.write_text("#!/bin/sh\n" + body, encoding="utf-8")
    path.chmod(0o700)
    return path


def test_password_command_first_line_is_the_password(
    psrunbook: Psrunbook, tmp_path: Path, node_port: int
) -> None:
    # A secret manager: checks the argv it was given (split without a shell), prints the
    # password and a second line that must be ignored, and chatters on stderr.
    write_script(
        tmp_path / "get-pass.sh",
        '[ "$1" = "show" ] && [ "$2" = "winrm entry" ] || exit 3\n'
        f"printf '%s\\nsecond line\\n' '{PASSWORD}'\n"
        "echo 'unlocking the vault' >&2\n",
    )
    inventory = inventory_with(
        tmp_path / "inventory.toml",
        node_port,
        """password_command = "./get-pass.sh show 'winrm entry'" """,
    )
    result = psrunbook("ping", "-i", str(inventory), "--json")
    assert answered(result.stdout)
    assert PASSWORD not in result.stdout + result.stderr
    assert "unlocking the vault" not in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("echo 'vault is locked' >&2\nexit 4\n", "exited with status 4; run it yourself"),
        ("exit 0\n", "printed no password; make it print the password as its first line"),
    ],
)
def test_password_command_failure_is_bad_input_naming_the_key(
    psrunbook: Psrunbook, tmp_path: Path, node_port: int, body: str, problem: str
) -> None:
    write_script(tmp_path / "get-pass.sh", body)
    inventory = inventory_with(
        tmp_path / "inventory.toml", node_port, 'password_command = "./get-pass.sh"'
    )
    result = psrunbook("ping", "-i", str(inventory), expect=2)
    assert f"connection.password_command: {problem}" in result.stderr
    assert "vault is locked" not in result.stderr
    assert "Traceback" not in result.stderr


def test_password_command_program_not_found(
    psrunbook: Psrunbook, tmp_path: Path, node_port: int
) -> None:
    inventory = inventory_with(
        tmp_path / "inventory.toml", node_port, 'password_command = "./no-such-helper"'
    )
    result = psrunbook("ping", "-i", str(inventory), expect=2)
    assert f"program {tmp_path / 'no-such-helper'} not found" in result.stderr


@pytest.mark.parametrize("command", ["run cluster-report", "plan cluster-report", "ping"])
def test_ask_pass_without_a_terminal_is_refused(
    psrunbook: Psrunbook, tmp_path: Path, node_port: int, command: str
) -> None:
    inventory = inventory_with(tmp_path / "inventory.toml", node_port)
    result = psrunbook(*command.split(), "-i", str(inventory), "--ask-pass", expect=2)
    assert "--ask-pass needs a terminal to ask on" in result.stderr


def read_until(fd: int, marker: bytes) -> bytes:
    """Terminal output up to ``marker``; the generous select bound only stops a hang."""
    seen = b""
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], 120)
        assert ready, f"no {marker!r} on the terminal; got {seen!r}"
        seen += os.read(fd, 4096)
    return seen


def drain(fd: int) -> bytes:
    """What is left on the terminal once the process has exited."""
    rest = b""
    while select.select([fd], [], [], 0)[0]:
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        rest += chunk
    return rest


def test_ask_pass_prompts_on_the_terminal_without_echo_and_never_on_stdout(
    tmp_path: Path, node_port: int
) -> None:
    inventory = inventory_with(tmp_path / "inventory.toml", node_port)
    master, slave = pty.openpty()
    env = {
        **os.environ,
        "PSRUNBOOK_STATE_DIR": str(tmp_path / "state"),
        "PYTHONPATH": str(REPO),
    }
    with subprocess.Popen(
        [sys.executable, "-m", "psrunbook", "ping", "-i", str(inventory), "--ask-pass", "--json"],
        stdin=slave,
        stdout=subprocess.PIPE,
        stderr=slave,
        env=env,
        start_new_session=True,  # no controlling terminal: getpass uses stdin and stderr
    ) as process:
        os.close(slave)
        try:
            terminal = read_until(master, b"Password for psrunbook: ")
            os.write(master, PASSWORD.encode() + b"\n")
            assert process.stdout is not None
            stdout = process.stdout.read().decode()
            assert 0 == process.wait()
            terminal += drain(master)
        finally:
            os.close(master)
    assert answered(stdout)
    assert "Password" not in stdout
    assert PASSWORD.encode() not in terminal  # not echoed


BLOCKED_IMPORT = """
import sys

class Blocker:
    '''Makes {module} look uninstalled, as on a host without the extra.'''

    def find_spec(self, name, path=None, target=None):
        if name == {module!r} or name.startswith({module!r} + "."):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Blocker())
from psrunbook.cli.app import main
sys.argv[0] = "psrunbook"
main()
"""


@pytest.mark.parametrize(
    ("connection", "module", "extra"),
    [
        (['auth = "credssp"', 'username = "CONTOSO\\\\svc"'], "requests_credssp", "credssp"),
        (['auth = "kerberos"'], "gssapi", "kerberos"),
        (['auth = "negotiate"'], "gssapi", "kerberos"),  # no username: the ticket
    ],
)
def test_missing_auth_library_names_the_extra_before_connecting(
    tmp_path: Path, connection: list[str], module: str, extra: str
) -> None:
    inventory = tmp_path / "inventory.toml"
    inventory.write_text(
        "\n".join(
            [
                "[cluster]",
                'name = "CLUSTER1"',
                "[connection]",
                "ssl = false",
                *connection,
                f'password_env = "{PASSWORD_ENV}"' if "username" in "".join(connection) else "",
                "[[nodes]]",
                'name = "NODE1"',
                'address = "127.0.0.1"',
                f"port = {refused_port()}",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            BLOCKED_IMPORT.format(module=module),
            "ping",
            "-i",
            str(inventory),
        ],
        capture_output=True,
        text=True,
        env={
            **os.environ,
            PASSWORD_ENV: "secret",
            "PSRUNBOOK_STATE_DIR": str(tmp_path / "state"),
            "PYTHONPATH": str(REPO),
        },
        check=False,
    )
    assert 2 == result.returncode, result.stderr
    assert f"pip install 'psrunbook[{extra}]'" in result.stderr
    assert "connection.auth" in result.stderr
    assert "Traceback" not in result.stderr
