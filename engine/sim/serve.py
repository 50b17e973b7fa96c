"""``psrunbook sim serve``: a simulated cluster on loopback until Ctrl-C or SIGTERM.

:func:`make_executor` is the single place that decides what runs the pipelines of the
served nodes; replacing its body is all it takes to serve another executor.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from engine.sim.executor import Executor
from engine.sim.server import SimFleet

log = logging.getLogger(__name__)

SIM_USER = "psrunbook"
PASSWORD_ENV = "PSRUNBOOK_SIM_PASSWORD"  # noqa: S105 - the variable's name, not a password
CLUSTER_NAME = "SIMCLUSTER"


def make_executor(node_names: Sequence[str]) -> Executor:
    """The executor shared by the served nodes."""
    from engine.sim.trivial_executor import TrivialExecutor  # noqa: PLC0415 - chosen at serve time

    del node_names  # the trivial executor behaves the same on every node
    return TrivialExecutor()


def node_names(count: int) -> tuple[str, ...]:
    """``NODE1`` .. ``NODE<count>``."""
    return tuple(f"NODE{i}" for i in range(1, count + 1))


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def inventory_toml(fleet: SimFleet, *, cluster: str = CLUSTER_NAME) -> str:
    """An inventory (``engine.inventory`` format) that reaches every node of ``fleet``."""
    endpoints = list(fleet)
    first = endpoints[0]
    https = first.scheme == "https"
    lines = [
        "# Written by `psrunbook sim serve`; valid while that process runs.",
        "[cluster]",
        f"name = {_toml_string(cluster)}",
        "",
        "[connection]",
        f"port = {first.port}",
        f"ssl = {'true' if https else 'false'}",
        'auth = "basic"',
    ]
    if https:
        lines += ["cert_validation = true", f"ca_bundle = {_toml_string(str(first.cert_path))}"]
    else:
        lines += ['encryption = "never"', "cert_validation = true"]
    lines += [
        f"username = {_toml_string(SIM_USER)}",
        f"password_env = {_toml_string(PASSWORD_ENV)}",
    ]
    for endpoint in endpoints:
        lines += [
            "",
            "[[nodes]]",
            f"name = {_toml_string(endpoint.node)}",
            f"address = {_toml_string(endpoint.host)}",
            f"port = {endpoint.port}",
        ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ServeOptions:
    """What ``sim serve`` was asked for."""

    nodes: int
    port_base: int | None = None
    inventory_out: Path | None = None
    https: bool = False
    host: str = "127.0.0.1"


def sim_password(environ: dict[str, str] | None = None) -> tuple[str, bool]:
    """The Basic-auth password from the environment, or a new one; True when generated."""
    env = os.environ if environ is None else environ
    existing = env.get(PASSWORD_ENV)
    if existing:
        return existing, False
    return secrets.token_urlsafe(18), True


def serve(
    options: ServeOptions,
    *,
    password: str,
    echo: Callable[[str], None],
    stop: threading.Event | None = None,
) -> None:
    """Run the fleet until ``stop`` is set or SIGINT/SIGTERM arrives, then close it."""
    stop = stop or threading.Event()
    names = node_names(options.nodes)
    with SimFleet(
        names,
        executor=make_executor(names),
        users={SIM_USER: password},
        host=options.host,
        port_base=options.port_base,
        tls=options.https,
    ) as fleet:
        if options.inventory_out is not None:
            options.inventory_out.write_text(inventory_toml(fleet), encoding="utf-8")
            echo(f"inventory written to {options.inventory_out}")
        for endpoint in fleet:
            echo(f"{endpoint.node} listening on {endpoint.url}")
        if fleet.certificate is not None:
            echo(f"certificate (use it as the CA bundle): {fleet.certificate.cert_path}")
        restore = _install_signal_handlers(stop)
        try:
            echo("serving; press Ctrl-C to stop")
            stop.wait()
        finally:
            restore()
    echo("stopped")


def _install_signal_handlers(stop: threading.Event) -> Callable[[], None]:
    """Route SIGINT/SIGTERM to ``stop`` (main thread only); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        del frame
        log.info("signal %d received, stopping", signum)
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore
