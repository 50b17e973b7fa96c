"""``psrunbook sim serve``: a simulated cluster on loopback until Ctrl-C or SIGTERM.

By default the nodes run the simulated failover cluster (the PowerShell evaluator over
the cluster model of a lab); ``executor="trivial"`` serves the small protocol-test
executor instead. :func:`make_executor` is the one place that decides.
"""

from __future__ import annotations

import gc
import logging
import os
import secrets
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Literal

import msgspec

from psrunbook.errors import UserError
from psrunbook.execution.interrupts import catch, wait_handling_signals
from psrunbook.output_files import OutputRefused, check_output_file, write_output_file
from psrunbook.sim.endpoint.http_server import MAX_PORT, SimFleet
from psrunbook.sim.endpoint.negotiate_auth import AUTH_MODES, AuthMode
from psrunbook.sim.executor_protocol import Executor
from psrunbook.sim.lab.lab_files import (
    LabError,
    build_lab,
    checked_latency_ms,
    dump_text,
    read_lab,
    restore,
    sample_lab,
)

if TYPE_CHECKING:
    from psrunbook.sim.lab.cluster_model import SimCluster

log = logging.getLogger(__name__)

SIM_USER = "psrunbook"
PASSWORD_ENV = "PSRUNBOOK_SIM_PASSWORD"  # noqa: S105 - the variable's name, not a password
CLUSTER_NAME = "SIMCLUSTER"
AUTH_ENV = "PSRUNBOOK_SIM_AUTH"
"""Chooses the embedded (``--sim``) lab's authentication: basic (the default), ntlm,
kerberos or negotiate, as ``sim serve --auth`` does."""


def make_executor(options: ServeOptions) -> tuple[Executor, SimCluster | None]:
    """The executor shared by the served nodes, and the cluster it serves (if any)."""
    if options.executor == "trivial":
        from psrunbook.sim.endpoint.trivial_executor import TrivialExecutor  # noqa: PLC0415 (chosen at serve time)

        return TrivialExecutor(), None
    from psrunbook.sim.lab.cluster_executor import cluster_executor  # noqa: PLC0415 (chosen at serve time)
    from psrunbook.sim.lab.cluster_faults import FailoverPlan, fail_resource_online  # noqa: PLC0415 (chosen at serve time)
    from psrunbook.sim.lab.cluster_model import fold  # noqa: PLC0415 (chosen at serve time)

    cluster = load_lab(options)
    for resource in options.fail_online:
        if fold(resource) not in cluster.resources:
            raise UserError(
                f"--fail-online {resource!r}: the lab has no such cluster resource; "
                f"give one of: {', '.join(sorted(r.name for r in cluster.resources.values()))}"
            )
        fail_resource_online(cluster, resource)
    plan = (
        FailoverPlan(seed=options.seed, probability=options.failover_probability)
        if options.failover_probability > 0
        else None
    )
    return cluster_executor(cluster, plan, time_scale=options.time_scale), cluster


def load_lab(options: ServeOptions) -> SimCluster:
    """The lab to serve: a saved state, a lab description, or the sample lab."""
    if options.state_file is not None and options.state_file.exists():
        return restore(options.state_file)
    if options.lab_file is not None:
        return build_lab(read_lab(options.lab_file))
    return sample_lab(options.nodes, options.lab_version)


def lab_version(text: str) -> str:
    """``sql2019`` or ``2019`` -> ``2019``."""
    return text.lower().removeprefix("sql")


def node_names(count: int) -> tuple[str, ...]:
    """``NODE1`` .. ``NODE<count>``."""
    return tuple(f"NODE{i}" for i in range(1, count + 1))


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def inventory_toml(fleet: SimFleet, *, cluster: str = CLUSTER_NAME) -> str:
    """An inventory (``psrunbook.inventory`` format) that reaches every node of ``fleet``.

    It authenticates as the nodes do: Basic, unencrypted on loopback HTTP; NTLM, Negotiate
    or CredSSP with the lab's user, sealed messages over HTTP; Kerberos with no user name
    and no password, so the ticket in the caller's credential cache is used.
    """
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
        f"auth = {_toml_string(first.auth)}",
    ]
    if https:
        lines += ["cert_validation = true", f"ca_bundle = {_toml_string(str(first.cert_path))}"]
    elif first.auth == "basic":
        lines += ['encryption = "never"', "cert_validation = true"]
    else:
        lines += ['encryption = "auto"  # every message sealed by the Negotiate session']
    if first.auth != "kerberos":
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


class ServeOptions(msgspec.Struct, frozen=True):
    """What ``sim serve`` was asked for."""

    nodes: int
    port_base: int | None = None
    inventory_out: Path | None = None
    https: bool = False
    host: str = "127.0.0.1"
    executor: Literal["cluster", "trivial"] = "cluster"
    lab_version: str = "2019"
    lab_file: Path | None = None
    state_file: Path | None = None
    fail_online: tuple[str, ...] = ()
    failover_probability: float = 0.0
    seed: int = 0
    time_scale: float = 1.0
    """Real waits (``Start-Sleep``) last this fraction of the time asked for."""
    idle_timeout: float = 7200.0
    """Seconds without a request before a shell is deleted, as WinRM's IdleTimeOut."""
    auth: AuthMode = "basic"
    """How the nodes authenticate: Basic, or Negotiate (NTLM, Kerberos, either) or
    CredSSP, with every message sealed over HTTP. The inventory written uses it."""
    also_auth: tuple[AuthMode, ...] = ()
    """Schemes the nodes offer beside ``auth`` (``--auth ntlm,basic,credssp``), as a
    Windows node with those enabled does."""
    clusters: int = 1
    inventory_dir: Path | None = None
    """A fleet of ``clusters`` sample labs, one inventory each written here (``cluster_fleet``)."""
    latency_ms: float | None = None
    """Round-trip time added to every request; None: the lab's own (``[network]``), or 0."""
    processes: int = 1
    """The fleet's clusters are served by this many processes (``cluster_groups``), so
    they are not one interpreter lock."""


def parse_auth(value: str, *, source: str) -> AuthMode:
    """``value`` as an auth mode; a UserError naming ``source`` and the choices if not one."""
    for mode in AUTH_MODES:
        if value.strip().lower() == mode:
            return mode
    raise UserError(
        f"{source}: {value!r} is not an auth mode the lab serves; "
        f"give one of: {', '.join(AUTH_MODES)}"
    )


_NEGOTIATE_FAMILY = frozenset({"ntlm", "kerberos", "negotiate"})


def parse_auths(value: str, *, source: str) -> tuple[AuthMode, ...]:
    """``value`` as one auth mode or several, comma-separated (``ntlm,basic,credssp``: a
    node with each enabled, the first the one its inventory uses). A UserError naming
    ``source`` for an unknown mode, a repeated one, or two of ntlm, kerberos and
    negotiate (a node has one Negotiate: ``negotiate`` is NTLM and Kerberos both)."""
    modes = tuple(parse_auth(part, source=source) for part in value.split(","))
    if len(set(modes)) != len(modes):
        raise UserError(f"{source}: {value!r} names a mode twice; give each once")
    if len(_NEGOTIATE_FAMILY.intersection(modes)) > 1:
        raise UserError(
            f"{source}: {value!r} names more than one of ntlm, kerberos and negotiate; a "
            "node has one Negotiate scheme: give negotiate for NTLM and Kerberos both"
        )
    return modes


def check_kerberos_keytab(auth: AuthMode, environ: dict[str, str] | None = None) -> None:
    """Refuse to serve Kerberos without the nodes' keytab, rather than refuse every client.

    The acceptor reads the service keys from the keytab ``KRB5_KTNAME`` names (MIT
    Kerberos' variable); it must hold ``host/<address>`` for the address clients use.
    """
    if auth != "kerberos":
        return
    env = os.environ if environ is None else environ
    keytab = env.get("KRB5_KTNAME", "")
    path = Path(keytab.removeprefix("FILE:")) if keytab else None
    if path is None or not path.is_file():
        raise UserError(
            "auth kerberos: KRB5_KTNAME does not name a keytab file"
            + (f" ({keytab} does not exist)" if keytab else " (it is not set)")
            + "; export KRB5_KTNAME=FILE:/path/to/nodes.keytab holding host/127.0.0.1@REALM "
            "(docs/inventory.md, Kerberos, 'Trying it against the lab')"
        )


def kerberos_client_notes(host: str, environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """What a Kerberos client of nodes listening on ``host`` needs, for ``sim serve`` to print.

    The password ``export`` line means nothing to a Kerberos client; what it needs is the
    realm to get a ticket in, the service principal it will ask for (``host/<address>``,
    pypsrp's service name; ``HTTP/<address>`` is what Windows' own client asks), and the
    keytab the nodes read. A keytab with no principal for ``host`` would refuse every
    client with an opaque GSSAPI error, so it is refused here, naming what it holds.
    """
    from psrunbook.sim.lab.keytab import KeytabError, keytab_principals  # noqa: PLC0415 (Kerberos only)

    env = os.environ if environ is None else environ
    keytab = env["KRB5_KTNAME"]
    try:
        principals = keytab_principals(Path(keytab.removeprefix("FILE:")))
    except (OSError, KeytabError) as exc:
        raise UserError(f"auth kerberos: KRB5_KTNAME={keytab}: {exc}") from exc
    wanted = {f"host/{host}".casefold(), f"http/{host}".casefold()}
    served = [p for p in principals if p.rpartition("@")[0].casefold() in wanted]
    if not served:
        raise UserError(
            f"auth kerberos: the keytab KRB5_KTNAME={keytab} holds no principal for the "
            f"address the nodes listen on ({', '.join(principals) or 'it is empty'}); add "
            f"host/{host}@REALM to it (kadmin: ktadd -k KEYTAB host/{host}@REALM)"
        )
    realm = served[0].rpartition("@")[2]
    return (
        f"auth kerberos: the nodes accept tickets for {', '.join(served)} "
        f"(keytab KRB5_KTNAME={keytab})",
        f"a client needs: a ticket of realm {realm} (kinit USER@{realm}); a krb5.conf naming "
        f"its KDC, with dns_canonicalize_hostname = false and rdns = false so it asks for "
        f"host/{host}; no username or password in the inventory",
    )


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
    """Run the fleet until ``stop`` is set or SIGINT/SIGTERM arrives, then close it.

    A lab that cannot be loaded, a port or a file that cannot be used is a
    :class:`~psrunbook.errors.UserError` ("cannot serve: ..."), named with its cause.
    """
    try:
        _serve(options, password=password, echo=echo, stop=stop or threading.Event())
    except (OSError, LabError) as exc:
        raise UserError(f"cannot serve: {exc}") from exc


def _serve(
    options: ServeOptions, *, password: str, echo: Callable[[str], None], stop: threading.Event
) -> None:
    for mode in (options.auth, *options.also_auth):
        check_kerberos_keytab(mode)
    if options.inventory_out is not None:  # refused before a lab is built or a port opened
        _checked_inventory_out(options.inventory_out)
    if options.state_file is not None:  # saved on exit: refused now, not after hours of serving
        _checked_state_file(options.state_file)
    if options.inventory_dir is not None:
        _serve_clusters(options, password=password, echo=echo, stop=stop)
        return
    if "kerberos" in (options.auth, *options.also_auth):
        for line in kerberos_client_notes(options.host):
            echo(line)
    executor, cluster = make_executor(options)
    latency_ms = latency_of(options, cluster)
    names = (
        tuple(n.name for n in cluster.nodes.values())
        if cluster is not None
        else node_names(options.nodes)
    )
    check_port_range(options.port_base, len(names))
    with SimFleet(
        names,
        executor=executor,
        users={SIM_USER: password},
        host=options.host,
        port_base=options.port_base,
        tls=options.https,
        idle_timeout=options.idle_timeout,
        auth=options.auth,
        latency_s=latency_ms / 1000,
        also_auth=options.also_auth,
    ) as fleet:
        if cluster is not None:
            for endpoint in fleet:
                endpoint.refuse_when = _down_check(cluster, endpoint.node)
        if options.inventory_out is not None:
            name = cluster.name if cluster is not None else CLUSTER_NAME
            _write_inventory_out(options.inventory_out, inventory_toml(fleet, cluster=name))
            echo(f"inventory written to {options.inventory_out}")
        for endpoint in fleet:
            echo(f"{endpoint.node} listening on {endpoint.url}")
        if fleet.certificate is not None:
            echo(f"certificate (use it as the CA bundle): {fleet.certificate.cert_path}")
        if latency_ms:
            echo(f"every request takes {latency_ms:g} ms longer (injected latency)")
        with _start_up_frozen():
            _wait_for_stop(stop, echo)
    if cluster is not None and options.state_file is not None:
        with cluster.lock:
            _save_state(cluster, options.state_file)
        echo(f"lab state saved to {options.state_file}")
    echo("stopped")


def check_port_range(port_base: int | None, nodes: int) -> None:
    """Refuse ``--port-base`` when its nodes' ports (base .. base+nodes-1) pass 65535."""
    if port_base is None:
        return
    last = port_base + nodes - 1
    if port_base < 1 or last > MAX_PORT:
        raise UserError(
            f"--port-base {port_base}: {nodes} node(s) listen on ports {port_base}..{last}, "
            f"but TCP ports end at {MAX_PORT}; give --port-base from 1 to "
            f"{MAX_PORT - nodes + 1}, or leave it out for free ports"
        )


def _checked_inventory_out(path: Path) -> None:
    try:
        check_output_file(path)
    except OutputRefused as exc:
        raise UserError(f"--inventory-out {path}: {exc.reason}; nothing was served") from None


def _checked_state_file(path: Path) -> None:
    """``--state`` is read now and written on exit: a target the save would fail on (no
    folder, a directory, a link, a FIFO, read-only) is refused before anything is served."""
    try:
        check_output_file(path)
    except OutputRefused as exc:
        raise UserError(f"--state {path}: {exc.reason}; nothing was served") from None


def _save_state(cluster: SimCluster, path: Path) -> None:
    """The lab's state, written whole (a temporary sibling renamed into place): a save
    that fails, on a full disk say, leaves the state the lab was loaded from."""
    try:
        write_output_file(path, dump_text(cluster).encode("utf-8"))
    except OutputRefused as exc:
        raise UserError(f"--state {path}: {exc.reason}; the lab's state was not saved") from None
    except OSError as exc:
        raise UserError(
            f"--state {path}: cannot write ({exc.strerror or exc}); the lab's state was not saved"
        ) from None


def _write_inventory_out(path: Path, text: str) -> None:
    try:
        write_output_file(path, text.encode("utf-8"))
    except OutputRefused as exc:
        raise UserError(f"--inventory-out {path}: {exc.reason}") from None
    except OSError as exc:
        raise UserError(
            f"--inventory-out {path}: cannot write ({exc.strerror or exc}); give a writable path"
        ) from None


def _serve_clusters(
    options: ServeOptions, *, password: str, echo: Callable[[str], None], stop: threading.Event
) -> None:
    """``--clusters N --inventory-dir DIR``: N sample labs, one inventory each in DIR."""
    from psrunbook.sim.lab.cluster_fleet import (  # noqa: PLC0415 (they import this module)
        ClusterFleet,
        start_clusters,
    )
    from psrunbook.sim.lab.cluster_groups import (  # noqa: PLC0415
        ClusterGroups,
        start_cluster_groups,
    )

    assert options.inventory_dir is not None
    if options.auth != "basic" or options.also_auth:
        modes = ",".join((options.auth, *options.also_auth))
        raise UserError(
            f"--auth {modes}: a fleet of clusters (--clusters) is served with Basic "
            "only; leave out --auth, or serve one cluster with it"
        )
    start: Callable[..., ClusterFleet | ClusterGroups] = start_clusters
    served_by = ""
    if options.processes > 1:
        start = partial(start_cluster_groups, processes=options.processes)
        served_by = f" in {min(options.processes, options.clusters)} processes"
    fleet = start(
        options.clusters,
        nodes=options.nodes,
        password=password,
        sql_version=options.lab_version,
        inventory_dir=options.inventory_dir,
        latency_s=latency_of(options, None) / 1000,
        time_scale=options.time_scale,
    )
    with fleet:
        echo(
            f"{len(fleet.clusters)} clusters{served_by}; "
            f"inventories written to {options.inventory_dir}"
        )
        _wait_for_stop(stop, echo)
    echo("stopped")


@contextmanager
def _start_up_frozen() -> Iterator[None]:
    """Keep what start-up built (imports, the lab, every endpoint) out of the collector
    while the fleet serves, as ``psrunbook run`` does for its own start-up.

    Those objects live as long as the fleet; unfrozen, the first sweeps of the older
    generations walked them all again while a fan-out was being served (issue 16: 0.1 to
    0.2 s each, 64 nodes). When serving ends they are given back to the collector, so a
    caller in Python (a test) keeps collecting them; nothing is frozen when the collector
    is off or something else froze objects before (their owner unfreezes).
    """
    if not gc.isenabled() or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _wait_for_stop(stop: threading.Event, echo: Callable[[str], None]) -> None:
    """Serve until ``stop`` is set or SIGINT/SIGTERM arrives."""
    restore_signals = _install_signal_handlers(stop)
    try:
        echo("serving; press Ctrl-C to stop")
        wait_handling_signals(stop)
    finally:
        restore_signals()


def latency_of(options: ServeOptions, cluster: SimCluster | None) -> float:
    """Milliseconds added to each request: ``--latency-ms``, else the lab's, else none."""
    if options.latency_ms is not None:
        return checked_latency_ms(options.latency_ms, "--latency-ms")
    return cluster.latency_ms if cluster is not None else 0.0


def _down_check(cluster: SimCluster, node: str) -> Callable[[], bool]:
    return lambda: cluster.node_is_down(node)


def _install_signal_handlers(stop: threading.Event) -> Callable[[], None]:
    """Route SIGINT/SIGTERM to ``stop`` (main thread only); returns the undo."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def handler(signum: int, frame: FrameType | None) -> None:
        del frame
        log.info("signal %d received, stopping", signum)
        stop.set()

    previous = catch((signal.SIGINT, signal.SIGTERM), handler)

    def undo() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return undo
