"""Commands that read runbooks and produce reviews: list, show, export, lint."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from psrunbook.cli import completion
from psrunbook.cli.context import settings
from psrunbook.cli.display import shown
from psrunbook.cli.exit_codes import EXIT_FAILED, exits_cleanly, fail
from psrunbook.cli.inputs import load_plan_inputs
from psrunbook.errors import ParameterError, TemplateError, UserError

if TYPE_CHECKING:
    from typing import Any

    from rich.console import Console

    from psrunbook.runbook.model import Runbook
    from psrunbook.runbook.registry import RunbookListing

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


JsonOption = Annotated[
    bool,
    typer.Option(
        "--json", help="Print one JSON document on stdout instead (see docs/execution.md)."
    ),
]


def _listing(ctx: typer.Context) -> RunbookListing:
    """The runbooks ``list`` and ``show`` name: the built-in ones from their cached index
    (no runbook module imported, see psrunbook/runbook/index.py), plug-ins loaded."""
    from psrunbook.runbook.index import builtin_index
    from psrunbook.runbook.registry import RunbookListing

    return RunbookListing.discover(builtin_index(describe), settings(ctx).runbook_dirs)


def list_runbooks(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List every runbook: built-in, installed plug-ins and --runbooks folders.

    A plug-in that failed to load is named on stderr with its error, and the others are
    listed: the exit code stays 0 (see docs/writing-runbooks.md).
    """
    listing = _listing(ctx)
    runbooks = list(listing.runbooks)
    for broken in listing.broken:
        typer.echo(
            shown(f"warning: plug-in {broken}; its runbooks are left out until the file is fixed"),
            err=True,
        )
    if as_json:
        from psrunbook.cli import documents

        documents.emit(documents.runbook_list(runbooks))
        return
    from rich.table import Column, Table

    # A runbook's name is what `show`, `plan` and `run` take: never shortened with an
    # ellipsis or broken across lines, however narrow the terminal (the summary wraps).
    name_column = Column("runbook", no_wrap=True, overflow="ignore")
    summary_column = Column("summary", overflow="fold")  # a long word is broken, not cut
    table = Table(name_column, summary_column, "origin", box=None, pad_edge=False)
    for runbook in runbooks:
        table.add_row(runbook.name, runbook.summary, runbook.origin)
    _console().print(table)


def _type_name(annotation: object) -> str:
    text = getattr(annotation, "__name__", None) or str(annotation)
    return text.replace("typing.", "").replace("psrunbook.secrets.", "")


def _toml_key(key: str) -> str:
    import json
    import re

    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def toml_value(value: object) -> str:
    """``value`` spelled as TOML, so an example or default from ``show`` pastes into a params file.

    Strings become literal strings (``'S:\\SSIS'`` as typed, no escapes) unless they hold
    a quote or a control character; those become basic strings, whose escapes JSON shares.
    TOML has no null: None is spelled ``(unset)``, which is what leaving the key out means.
    """
    import json

    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(item) for item in value) + "]"
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    text = str(value)
    if "'" in text or any(ord(c) < 0x20 or ord(c) == 0x7F for c in text):
        return json.dumps(text, ensure_ascii=False)
    return f"'{text}'"


def describe(definition: Runbook) -> dict[str, Any]:
    """``show --json``'s document for ``definition``: parameters, advisories, and the steps
    its documented examples produce. Also what the built-in runbooks' index holds."""
    from psrunbook.cli import documents
    from psrunbook.runbook.examples import (
        example_inventory,
        example_parameters,
    )

    fields = definition.parameters.model_fields
    entries = [documents.parameter(n, f, _type_name(f.annotation)) for n, f in fields.items()]
    params = example_parameters(definition.parameters)
    try:
        steps = None if params is None else list(definition.steps(params, example_inventory()))
    except ValueError as exc:  # the runbook's own check of its steps, as a plan reports it
        raise ParameterError(f"runbook {definition.name}: {exc}") from exc
    advisories = list(definition.advisories_for(params))
    return documents.runbook_detail(definition, entries, advisories, steps)


def show(
    ctx: typer.Context,
    runbook: Annotated[
        str,
        typer.Argument(
            help="Runbook name (see `psrunbook list`).", autocompletion=completion.runbook_names
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Show a runbook's parameters, steps, targets and advisories."""
    from psrunbook.runbook.index import IndexedRunbook

    found = _listing(ctx).get(runbook)
    if isinstance(found, IndexedRunbook) and found.detail is not None:
        document = found.detail
    elif isinstance(found, IndexedRunbook):  # describing it failed: import it, show the error
        document = describe(settings(ctx).registry().get(runbook))
    else:
        document = describe(cast("Runbook", found))  # a plug-in: listed as its Runbook
    if as_json:
        from psrunbook.cli import documents

        documents.emit(document)
        return
    _print_detail(document)


def _print_detail(document: dict[str, Any]) -> None:
    """``show`` for a person: the same document as ``--json``, as text."""
    console = _console()
    console.print(f"[bold]{document['name']}[/bold]: {document['summary']}")
    if document["description"]:
        console.print(document["description"])
    console.print("\n[bold]Parameters[/bold] (values spelled as in a --params-file)")
    for entry in document["parameters"]:
        name = entry["name"]
        required = "required" if entry["required"] else f"default {toml_value(entry['default'])}"
        console.print(f"  {name} ({entry['type']}, {required})", markup=False)
        if entry["description"]:
            console.print(f"      {entry['description']}", markup=False)
        if entry["examples"]:
            console.print(
                f"      example: {name} = {toml_value(entry['examples'][0])}", markup=False
            )
    if document["advisories"]:
        console.print("\n[bold]Advisories[/bold]")
        for advisory in document["advisories"]:
            console.print(
                f"  [{advisory['severity']}] {advisory['code']}: {advisory['message']}",
                markup=False,
            )
    console.print("\n[bold]Steps[/bold] (with the documented example values)")
    if document["steps"] is None:
        console.print("  (the examples do not form a valid parameter set; steps need -p values)")
        return
    for step in document["steps"]:
        where = step["target"] + (f" '{step['group']}'" if step["group"] else "")
        if step.get("serial"):
            where += ", one at a time"
        if step.get("waits_for_all_nodes") is False:
            where += ", node by node"
        kind = "changes" if step["changes"] else "read-only"
        console.print(
            f"  {step['index']:02d} {step['name']}: {step['title']} [{where}, {kind}]",
            markup=False,
        )


def export(
    ctx: typer.Context,
    runbook: Annotated[
        str | None,
        typer.Argument(
            help="Runbook name; omit with --verify.",
            show_default=False,
            autocompletion=completion.runbook_names,
        ),
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
        given = [
            name
            for name, value in (
                ("the runbook name", runbook),
                ("--inventory", inventory),
                ("-p", param),
                ("--params-file", params_file),
                ("--output", output),
            )
            if value
        ]
        if given:
            raise ParameterError(
                f"--verify {verify} checks an exported bundle against its own manifest and "
                f"uses nothing else: leave out {', '.join(given)} (to export, leave out "
                "--verify instead)"
            )
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
    from psrunbook.lint import in_templates, lint_script, lint_template_source
    from psrunbook.runbook.examples import (
        example_inventory,
        example_parameters,
    )

    current = settings(ctx)
    library = current.library()
    # A template that cannot be read, compiled or included is bad input: every one is
    # named and nothing is linted (exit 2), as `plan` refuses it.
    broken = []
    for tid in library.template_ids():
        try:
            library.check(tid)
        except TemplateError as exc:
            broken.append(str(exc))
    if broken:
        raise TemplateError("\n".join(broken))
    findings = [
        f for tid in library.template_ids() for f in lint_template_source(library.source(tid), tid)
    ]
    checked = 0
    registry = current.registry()
    # A broken plug-in is one error among the findings; every other runbook is still linted.
    failures = [f"plug-in {broken}" for broken in registry.broken]
    for definition in registry.runbooks:
        params = example_parameters(definition.parameters)
        if params is None:
            typer.echo(f"skipped {definition.name}: its examples are not a valid parameter set")
            continue
        try:
            for step in definition.steps(params, example_inventory()):
                script = library.render(step.template, step.arguments, step.structure)
                found = lint_script(
                    script.text, source=f"{definition.name}:{step.name}", step=True
                )
                findings.extend(in_templates(found, script.text, step.template, library.source))
                checked += 1
        except (UserError, ValueError) as exc:
            failures.append(f"runbook {definition.name} ({definition.origin}): {exc}")
    for finding in findings:
        typer.echo(f"{finding} [{finding.severity}]")
    for failure in failures:
        typer.echo(shown(f"{failure} [error]"))
    errors = [f for f in findings if f.severity == "error"]
    if errors or failures:
        raise fail(f"{len(errors) + len(failures)} lint error(s)", EXIT_FAILED)
    typer.echo(f"lint clean: {checked} rendered scripts, {len(library.template_ids())} templates")


def register(app: typer.Typer) -> None:
    app.command("list")(exits_cleanly(list_runbooks))
    app.command()(exits_cleanly(show))
    app.command()(exits_cleanly(export))
    app.command()(exits_cleanly(lint))
