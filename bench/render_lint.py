"""5. Render + lint throughput: scripts per second for every shipped template, one core.

What ``plan``, ``export`` and ``run`` do for every step before anything runs: render
the template with the step's structure, read its ``param()`` block, hash the text and
check the step's values against it, then lint the text. The work list is every step of
every shipped runbook, built from the runbooks' documented example parameters, for
every SQL Server version the SSIS runbooks support, plus the owner probe.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel

from bench.common import Figure, Profile, Section, timed
from psrunbook.execution.orchestrator import OWNER_PROBE
from psrunbook.lint import lint_script
from psrunbook.runbook.examples import example_inventory, example_parameters, example_values
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.runbooks._ssis.versions import ssis_versions
from psrunbook.templates import TemplateLibrary

Work = tuple[str, dict[str, Any], dict[str, Any]]


def work_list() -> list[Work]:
    """(template, arguments, structure) of every step the shipped runbooks can build."""
    inventory = example_inventory()
    items: list[Work] = [(OWNER_PROBE, {"Group": "SQL Server (MSSQLSERVER)"}, {})]
    for runbook in RunbookRegistry.discover().runbooks:
        variants: list[BaseModel] = []
        base = example_values(runbook.parameters)
        if "sql_version" in runbook.parameters.model_fields:
            for version in ssis_versions():
                try:
                    variants.append(
                        runbook.parameters.model_validate({**base, "sql_version": version})
                    )
                except ValueError:
                    continue
        else:
            params = example_parameters(runbook.parameters)
            if params is not None:
                variants.append(params)
        for params in variants:
            for step in runbook.steps(params, inventory):
                items.append((step.template, dict(step.arguments), dict(step.structure)))
    return items


def lint_cache_clear() -> None:
    """Forget cached lint findings, so the next pass lints every distinct text again."""
    from psrunbook import lint

    lint._findings.cache_clear()


def render_and_lint(library: TemplateLibrary, items: list[Work]) -> None:
    for template, arguments, structure in items:
        script = library.render(template, arguments, structure)
        lint_script(script.text, source=script.template_id)


def measure(profile: Profile) -> Section:
    section = Section("render + lint")
    library = TemplateLibrary()
    items = work_list()
    templates = {t for t, _, _ in items}
    shipped = set(library.template_ids())
    render_and_lint(library, items)  # compile templates, load the grammar
    # One pass with an empty lint cache: what a single `plan` or `export` pays.
    lint_cache_clear()
    first_pass_s = timed(lambda: render_and_lint(library, items))
    distinct = len({library.render(t, a, s).text for t, a, s in items})
    done = 0
    started = time.perf_counter()
    deadline = started + profile.render_seconds
    while True:
        render_and_lint(library, items)
        done += len(items)
        if time.perf_counter() >= deadline:
            break
    elapsed = time.perf_counter() - started
    rate = done / elapsed
    section.figures.append(
        Figure(
            "render_lint_per_s",
            "rendered + linted scripts per second, one thread",
            rate,
            "scripts/s",
            ">= 5000",
            rate >= 5000,
            f"{len(items)} scripts ({distinct} distinct texts) from {len(templates)} "
            f"templates per pass; first pass, empty lint cache: "
            f"{len(items) / first_pass_s:,.0f} scripts/s",
        )
    )
    section.raw = {
        "scripts_per_pass": len(items),
        "templates": sorted(templates),
        "unused_templates": sorted(shipped - templates),
        "distinct_texts": distinct,
        "first_pass_per_s": len(items) / first_pass_s,
        "scripts": done,
        "seconds": elapsed,
    }
    return section
