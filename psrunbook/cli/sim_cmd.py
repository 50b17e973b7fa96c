"""``psrunbook sim``: run the simulated cluster for manual use and other tools."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

import typer

from psrunbook.cli.exit_codes import exits_cleanly

sim_app = typer.Typer(
    name="sim",
    help="The simulated failover cluster behind real WSMan/PSRP endpoints on loopback.",
    no_args_is_help=True,
    add_completion=False,
    # Plain click help: typer's rich formatter imports ~60 ms of rich and markdown
    # modules, which would be most of the start-up time of `psrunbook --help`.
    rich_markup_mode=None,
)


@sim_app.callback()
def sim_group() -> None:
    """Serve simulated cluster nodes over WSMan/PSRP on loopback."""


@sim_app.command("serve")
@exits_cleanly
def serve_command(
    nodes: Annotated[int, typer.Option("--nodes", "-n", min=1, max=64, help="How many nodes.")] = 2,
    port_base: Annotated[
        int | None,
        typer.Option(
            "--port-base",
            min=1,
            max=65535,
            help="First port (node i on base+i-1); free ports if unset.",
        ),
    ] = None,
    inventory_out: Annotated[
        Path | None,
        typer.Option("--inventory-out", help="Write a ready-to-use inventory TOML here."),
    ] = None,
    https: Annotated[
        bool, typer.Option("--https", help="Serve HTTPS with a certificate generated at start.")
    ] = False,
    lab: Annotated[
        str,
        typer.Option(
            "--lab", help="SQL Server version of the sample lab (2008..2025, e.g. sql2019)."
        ),
    ] = "2019",
    lab_file: Annotated[
        Path | None,
        typer.Option(
            "--lab-file", help="Lab description (TOML or JSON) instead of the sample lab."
        ),
    ] = None,
    state: Annotated[
        Path | None,
        typer.Option("--state", help="Load the lab from this dump if it exists; save it on exit."),
    ] = None,
    fail_online: Annotated[
        list[str] | None,
        typer.Option("--fail-online", help="This resource fails to come online (repeatable)."),
    ] = None,
    failover_probability: Annotated[
        float,
        typer.Option(min=0.0, max=1.0, help="After each pipeline, move a group with this chance."),
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="Seed of the random failovers.")] = 0,
    time_scale: Annotated[
        float,
        typer.Option(
            min=0.0, help="Start-Sleep really waits this fraction of its time (1 = as Windows)."
        ),
    ] = 1.0,
    idle_timeout: Annotated[
        float,
        typer.Option(
            min=0.1,
            help="Seconds a shell may go without a request before it is disconnected "
            "(PowerShell; its pipelines run on, and it is deleted after as long again) "
            "or deleted (cmd).",
        ),
    ] = 7200.0,
    auth: Annotated[
        str,
        typer.Option(
            "--auth",
            help="basic, or as a domain node: ntlm, kerberos (keytab from KRB5_KTNAME), "
            "negotiate (both) or credssp, with every message sealed over HTTP; several, "
            "comma-separated (ntlm,basic,credssp), are offered together as by a node with "
            "each enabled (the first is the inventory's).",
        ),
    ] = "basic",
    clusters: Annotated[
        int,
        typer.Option(
            "--clusters", min=1, max=1000, help="Serve this many clusters (needs --inventory-dir)."
        ),
    ] = 1,
    inventory_dir: Annotated[
        Path | None,
        typer.Option(
            "--inventory-dir",
            help="Write one inventory per cluster here (a fleet, see --clusters).",
        ),
    ] = None,
    processes: Annotated[
        int,
        typer.Option(
            "--processes",
            min=1,
            max=64,
            help="Serve the --clusters from this many processes (a group of clusters each).",
        ),
    ] = 1,
    latency_ms: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            max=60000.0,
            help="Add this many ms of round trip to every request (default: the lab's, or 0).",
        ),
    ] = None,
    protocol_only: Annotated[
        bool,
        typer.Option(
            "--protocol-only",
            help="Serve the protocol-test executor instead of the cluster (no PowerShell).",
        ),
    ] = False,
) -> None:
    """Serve a simulated cluster's nodes NODE1..NODEn on 127.0.0.1 until Ctrl-C or SIGTERM.

    The nodes execute PowerShell against the lab's cluster model. The Basic or NTLM user
    is `psrunbook`; its password comes from PSRUNBOOK_SIM_PASSWORD, or a new one is
    generated and printed as an `export` line. Kerberos users are the KDC's: with
    --auth kerberos no password is printed, but the principals the nodes accept, the
    keytab in use and what a client needs.
    """

    from psrunbook.errors import ParameterError
    from psrunbook.sim.lab.serve import (
        PASSWORD_ENV,
        ServeOptions,
        lab_version,
        parse_auths,
        serve,
        sim_password,
    )

    if clusters > 1 and inventory_dir is None:
        raise ParameterError("--clusters needs --inventory-dir DIR: one inventory per cluster")
    if processes > 1 and inventory_dir is None:
        raise ParameterError(
            "--processes serves a fleet of clusters: give --clusters N --inventory-dir DIR"
        )
    if inventory_dir is not None and (inventory_out or lab_file or state or protocol_only):
        raise ParameterError(
            "--inventory-dir serves sample labs: leave out --inventory-out, --lab-file, "
            "--state and --protocol-only"
        )
    if protocol_only and (state or lab_file or fail_online):
        raise ParameterError(
            "--protocol-only serves no cluster: leave out --state, --lab-file and --fail-online"
        )
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    mode, *also = parse_auths(auth, source="--auth")
    password, generated = sim_password()
    if generated and (mode != "kerberos" or also):  # a Kerberos client uses its ticket
        typer.echo(f"export {PASSWORD_ENV}={password}")
    options = ServeOptions(
        nodes=nodes,
        port_base=port_base,
        inventory_out=inventory_out,
        https=https,
        executor="trivial" if protocol_only else "cluster",
        lab_version=lab_version(lab),
        lab_file=lab_file,
        state_file=state,
        fail_online=tuple(fail_online or ()),
        failover_probability=failover_probability,
        seed=seed,
        time_scale=time_scale,
        idle_timeout=idle_timeout,
        auth=mode,
        also_auth=tuple(also),
        clusters=clusters,
        inventory_dir=inventory_dir,
        latency_ms=latency_ms,
        processes=processes,
    )
    serve(options, password=password, echo=typer.echo)
