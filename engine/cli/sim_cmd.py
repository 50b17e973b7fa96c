"""``psrunbook sim``: run the simulated cluster for manual use and other tools."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

sim_app = typer.Typer(
    name="sim",
    help="The simulated failover cluster behind real WSMan/PSRP endpoints on loopback.",
    no_args_is_help=True,
    add_completion=False,
)


@sim_app.callback()
def sim_group() -> None:
    """Serve simulated cluster nodes over WSMan/PSRP on loopback."""


@sim_app.command("serve")
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
) -> None:
    """Serve NODE1..NODEn on 127.0.0.1 until Ctrl-C or SIGTERM.

    The Basic-auth user is `psrunbook`; its password comes from PSRUNBOOK_SIM_PASSWORD,
    or a new one is generated and printed as an `export` line.
    """
    import logging  # noqa: PLC0415 (lazy: keeps --help fast)

    from engine.sim.serve import PASSWORD_ENV, ServeOptions, serve, sim_password  # noqa: PLC0415

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    password, generated = sim_password()
    if generated:
        typer.echo(f"export {PASSWORD_ENV}={password}")
    options = ServeOptions(
        nodes=nodes, port_base=port_base, inventory_out=inventory_out, https=https
    )
    try:
        serve(options, password=password, echo=typer.echo)
    except OSError as exc:
        typer.echo(f"error: cannot serve: {exc}", err=True)
        raise typer.Exit(2) from exc


if __name__ == "__main__":
    sim_app()
