"""5. Render + lint throughput: scripts per second for every shipped template, one core.

What ``plan``, ``export`` and ``run`` do for every step before anything runs: render
the template with the step's structure, read its ``param()`` block, hash the text and
check the step's values against it, then lint the text as a step's (``step=True``, the
step rules PSR6xx included, as the planner lints it). The work list is every step of
every shipped runbook, built from the runbooks' documented example parameters, for
every SQL Server version the SSIS runbooks support, plus the owner probe.

The headline is *uncached*: every cache psrunbook keeps on the way (rendered text per
template and structure, ``param()`` blocks and lint findings per text) is cleared before
each script, so every script is rendered, parsed and linted as if it were the first of
its kind; a slower linter shows in it at once. The cached rate (caches warm, what a
second identical step costs) and a fresh plan (caches cleared once per pass over the
work list) are reported beside it.

What stays loaded, as in any process that plans more than once: the compiled templates
(Jinja compiles each once per library and no longer stats its file on every render),
the tree-sitter grammar and its compiled queries, and the cmdlet catalog. None of these
depends on a script's text.

Measured in a process of its own (:mod:`bench.own_process`), as a ``plan`` renders and
lints in its own process.
"""

from __future__ import annotations

import time
from typing import Any

from pydantic import BaseModel

from bench.common import Figure, Profile, Section, absolute_goal, median
from bench.own_process import section_in_own_process
from psrunbook.lint import lint_script
from psrunbook.runbook.examples import example_inventory, example_parameters, example_values
from psrunbook.runbook.planner import OWNER_PROBE
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
    lint.parse.cache_clear()


def caches_clear() -> None:
    """Forget every per-text and per-structure cache of render, ``param()`` parse and lint.

    Compiled templates and the tree-sitter grammar stay loaded: a process pays for those
    once, whatever it plans.
    """
    from psrunbook.templates import environment, params

    environment._render_cached.cache_clear()
    params.parse_declared_parameters.cache_clear()
    lint_cache_clear()


def render_and_lint(library: TemplateLibrary, items: list[Work], *, uncached: bool = False) -> None:
    for template, arguments, structure in items:
        if uncached:
            caches_clear()
        script = library.render(template, arguments, structure)
        lint_script(script.text, source=script.template_id, step=True)


def _lint_rate(texts: list[str], seconds: float) -> float:
    """Distinct texts linted per second, the lint cache cleared before each: the linter
    alone (parse and every rule), without rendering."""
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for text in texts:
            lint_cache_clear()
            lint_script(text, source="bench", step=True)
        done += len(texts)
    return done / (time.perf_counter() - started)


def _rate(library: TemplateLibrary, items: list[Work], seconds: float, **how: bool) -> float:
    """Scripts per second over whole passes, for at least ``seconds``."""
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        if how.get("fresh_plan"):
            caches_clear()
        render_and_lint(library, items, uncached=how.get("uncached", False))
        done += len(items)
        if time.perf_counter() >= deadline:
            break
    return done / (time.perf_counter() - started)


def measure(profile: Profile) -> Section:
    """:func:`measure_here` in a process of its own (:mod:`bench.own_process`)."""
    return section_in_own_process("bench.render_lint", profile)


def measure_here(profile: Profile) -> Section:
    section = Section("render + lint")
    library = TemplateLibrary()
    items = work_list()
    templates = {t for t, _, _ in items}
    shipped = set(library.template_ids())
    render_and_lint(library, items)  # compile templates, load the grammar
    texts = sorted({library.render(t, a, s).text for t, a, s in items})
    distinct = len(texts)
    # Interleaved in halves, so a noisy second falls on each alike.
    half = profile.render_seconds / 2
    rates: dict[str, list[float]] = {"uncached": [], "fresh_plan": [], "cached": []}
    for _ in range(2):
        rates["uncached"].append(_rate(library, items, half, uncached=True))
        rates["fresh_plan"].append(_rate(library, items, half / 2, fresh_plan=True))
        rates["cached"].append(_rate(library, items, half / 2))
    lint_rates = [_lint_rate(texts, half / 2) for _ in range(2)]
    uncached, fresh, cached = (median(rates[k]) for k in ("uncached", "fresh_plan", "cached"))
    section.figures.append(
        Figure(
            "render_lint_uncached_per_s",
            "distinct scripts rendered + linted per second, no cache, one thread",
            uncached,
            "scripts/s",
            absolute_goal(">=", 1916, "issue 16: 4x the 479/s measured there"),
            f"{len(items)} scripts from {len(templates)} templates, each as if new "
            f"({1000 / uncached:.2f} ms a script); a fresh plan (caches cleared per pass, "
            f"{distinct} distinct texts): {fresh:,.0f}/s",
        )
    )
    section.figures.append(
        Figure(
            "render_lint_cached_per_s",
            "the same scripts with every cache warm (repeated identical steps)",
            cached,
            "scripts/s",
        )
    )
    section.figures.append(
        Figure(
            "lint_distinct_per_s",
            "distinct scripts linted per second, lint cache cleared before each, one thread",
            median(lint_rates),
            "scripts/s",
            detail=f"{distinct} distinct texts; the linter alone, without rendering",
        )
    )
    section.raw = {
        "scripts_per_pass": len(items),
        "templates": sorted(templates),
        "unused_templates": sorted(shipped - templates),
        "distinct_texts": distinct,
        "rates_per_s": rates,
    }
    return section
