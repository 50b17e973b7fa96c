"""Commands that read runbooks and produce reviews: list, show, export, lint."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from psrunbook.cli.context import settings
from psrunbook.cli.exit_codes import EXIT_FAILED, exits_cleanly, fail
from psrunbook.cli.inputs import load_plan_inputs
from psrunbook.errors import ParameterError

if TYPE_CHECKING:
    from rich.console import Console

    from psrunbook.runbook.model import Runbook

InventoryOption = Annotated[
    Path,
    typer.Option("--inventory", "-i", help="Inventory TOML file (clusters, nodes, connection)."),
]
ParamOption = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        "-p",
        help="Runbook parameter key=value; repeat for each list item (never split on commas).",
    ),
]
ParamsFileOption = Annotated[
    Path | None, typer.Option("--params-file", help="TOML file of runbook parameters.")
]


def _console() -> Console:
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def list_runbooks(ctx: typer.Context) -> None:
    """List every runbook: built-in, installed plug-ins and --runbooks folders."""
    from rich.table import Table

    table = Table("runbook", "summary", "origin", box=None, pad_edge=False)
    for runbook in settings(ctx).registry().runbooks:
        table.add_row(runbook.name, runbook.summary, runbook.origin)
    _console().print(table)


def _type_name(annotation: object) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    return text.replace("typing.", "").replace("psrunbook.secrets.", "")


def show(
    ctx: typer.Context,
    runbook: Annotated[str, typer.Argument(help="Runbook name (see `psrunbook list`).")],
) -> None:
    """Show a runbook's parameters, steps, targets and advisories."""
    from psrunbook.runbook.examples import (
        example_inventory,
        example_parameters,
    )

    definition = settings(ctx).registry().get(runbook)
    console = _console()
    console.print(f"[bold]{definition.name}[/bold]: {definition.summary}")
    if definition.description:
        console.print(definition.description)
    console.print("\n[bold]Parameters[/bold]")
    for name, field in definition.parameters.model_fields.items():
        required = "required" if field.is_required() else f"default {field.default!r}"
        console.print(f"  {name} ({_type_name(field.annotation)}, {required})")
        if field.description:
            console.print(f"      {field.description}")
        if field.examples:
            console.print(f"      example: {field.examples[0]!r}")
    params = example_parameters(definition.parameters)
    _print_advisories(console, definition, params)
    console.print("\n[bold]Steps[/bold] (with the documented example values)")
    if params is None:
        console.print("  (the examples do not form a valid parameter set; steps need -p values)")
        return
    for index, step in enumerate(definition.steps(params, example_inventory()), start=1):
        where = step.target.value + (f" '{step.group}'" if step.group else "")
        kind = "changes" if step.changes else "read-only"
        console.print(f"  {index:02d} {step.name}: {step.title} [{where}, {kind}]", markup=False)


def _print_advisories(console: Console, definition: Runbook, params: object) -> None:
    advisories = definition.advisories_for(params)  # type: ignore[arg-type]  # None is allowed: runbooks give general advisories
    if not advisories:
        return
    console.print("\n[bold]Advisories[/bold]")
    for advisory in advisories:
        console.print(
            f"  [{advisory.severity.value}] {advisory.code}: {advisory.message}", markup=False
        )


def export(
    ctx: typer.Context,
    runbook: Annotated[
        str | None, typer.Argument(help="Runbook name; omit with --verify.", show_default=False)
    ] = None,
    inventory: Annotated[
        Path | None,
        typer.Option(
            "--inventory", "-i", help="Inventory TOML file (clusters, nodes, connection)."
        ),
    ] = None,
    param: ParamOption = None,
    params_file: ParamsFileOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="New directory for the bundle.")
    ] = None,
    verify: Annotated[
        Path | None, typer.Option("--verify", help="Check an exported bundle's hashes instead.")
    ] = None,
) -> None:
    """Export the exact scripts a run would execute, per step and node, for review."""

    if verify is not None:
        _verify(verify)
        return
    if runbook is None or inventory is None or output is None:
        raise ParameterError(
            "export needs RUNBOOK, --inventory and --output (or --verify DIR to check a bundle)"
        )
    from psrunbook.bundle import export_bundle

    inputs = load_plan_inputs(settings(ctx), runbook, inventory, param, params_file)
    result = export_bundle(inputs.plan, inputs.inventory, output)
    typer.echo(
        f"exported {inputs.runbook.name}: {len(inputs.plan.steps)} steps, "
        f"{len(result.files)} files to {result.directory}"
    )
    typer.echo(f"manifest sha256 {result.manifest_sha256}")


def _verify(directory: Path) -> None:
    from psrunbook.bundle import check_bundle

    manifest, _, problems = check_bundle(directory)
    if problems:
        for problem in problems:
            typer.echo(f"TAMPERED {problem}", err=True)
        raise fail(f"bundle {directory} fails verification ({len(problems)} file(s))", EXIT_FAILED)
    typer.echo(
        f"bundle {directory} verified: {len(manifest.files)} files match "
        f"(runbook {manifest.runbook.name})"
    )


def lint(ctx: typer.Context) -> None:
    """Lint every template as rendered by every runbook with its example parameters."""
    from psrunbook.lint import lint_script, lint_template_source
    from psrunbook.runbook.examples import (
        example_inventory,
        example_parameters,
    )

    current = settings(ctx)
    library = current.library()
    findings = [
        f for tid in library.template_ids() for f in lint_template_source(library.source(tid), tid)
    ]
    checked = 0
    for definition in current.registry().runbooks:
        params = example_parameters(definition.parameters)
        if params is None:
            typer.echo(f"skipped {definition.name}: its examples are not a valid parameter set")
            continue
        for step in definition.steps(params, example_inventory()):
            script = library.render(step.template, step.arguments, step.structure)
            findings.extend(lint_script(script.text, source=f"{definition.name}:{step.name}"))
            checked += 1
    for finding in findings:
        typer.echo(f"{finding} [{finding.severity}]")
    errors = [f for f in findings if f.severity == "error"]
    if errors:
        raise fail(f"{len(errors)} lint error(s)", EXIT_FAILED)
    typer.echo(f"lint clean: {checked} rendered scripts, {len(library.template_ids())} templates")


def register(app: typer.Typer) -> None:
    app.command("list")(exits_cleanly(list_runbooks))
    app.command()(exits_cleanly(show))
    app.command()(exits_cleanly(export))
    app.command()(exits_cleanly(lint))
