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

import tree_sitter

from bench.common import Figure, Profile, Section, absolute_goal, median
from bench.own_process import section_in_own_process
from bench.render_lint_probe import lint_rate, per_second, rate, render_and_lint, work_list
from psrunbook.lint import language
from psrunbook.templates import TemplateLibrary

__all__ = ["measure", "render_and_lint", "work_list"]


def parse_rate(texts: list[str], seconds: float) -> float:
    """Texts parsed per second by tree-sitter alone (one parser, reused, as the linter
    keeps one per thread): the part of a lint no rule of psrunbook's can make cheaper."""
    parser = tree_sitter.Parser(language())
    sources = [text.encode("utf-8", "surrogatepass") for text in texts]
    return per_second(sources, seconds, parser.parse)


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
        rates["uncached"].append(rate(library, items, half, uncached=True))
        rates["fresh_plan"].append(rate(library, items, half / 2, fresh_plan=True))
        rates["cached"].append(rate(library, items, half / 2))
    lint_rates = [lint_rate(texts, half / 2) for _ in range(2)]
    parse_rates = [parse_rate(texts, half / 4) for _ in range(2)]
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
            detail=f"{distinct} distinct texts; the linter alone, without rendering; "
            f"tree-sitter's parse alone {median(parse_rates):,.0f}/s "
            f"({median(lint_rates) / median(parse_rates):.0%} of a lint)",
        )
    )
    section.raw = {
        "scripts_per_pass": len(items),
        "templates": sorted(templates),
        "unused_templates": sorted(shipped - templates),
        "distinct_texts": distinct,
        "rates_per_s": rates,
        "lint_rates_per_s": lint_rates,
        "tree_sitter_parse_per_s": parse_rates,
    }
    return section
