"""Render + lint of distinct scripts in whichever psrunbook install runs this file.

``bench/render_lint.py`` measures this install. To hold it against another install on
the same machine in the same minutes (``python -m bench.ab``: before and after a change,
or against the code issue 16 measured), the other install's interpreter runs this file
as a script: it imports nothing of ``bench`` and only the install's own modules, found
under either package layout psrunbook has had (``psrunbook.*`` since the renovation,
``engine.*`` with top-level ``runbooks`` before it; see :func:`installed_layout`).

``python bench/render_lint_probe.py --seconds S`` prints one JSON object: the install's
uncached render + lint rate over its own work list (every step of every shipped runbook,
every cache cleared before each script, as ``render_lint_uncached_per_s``), the number of
scripts, of distinct texts and their mean length. ``--texts-out FILE`` writes the distinct
texts as JSON; ``--texts-in FILE`` also lints those texts, each as new, so two installs
can be compared on the same input (``lint_same_texts_per_s``).
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

Item = TypeVar("Item")
Work = tuple[str, dict[str, Any], dict[str, Any]]

PROBE_KEYS = (
    "layout",
    "step_rules",
    "scripts",
    "distinct_texts",
    "mean_chars",
    "render_lint_uncached_per_s",
)
"""What every probe reports; ``lint_same_texts_per_s`` too when given ``--texts-in``."""


@dataclass(frozen=True)
class Layout:
    """Where one install keeps what rendering and linting a step need."""

    name: str
    lint: ModuleType
    environment: ModuleType
    params: ModuleType
    template_library: type[Any]
    registry: type[Any]
    examples: ModuleType
    owner_probe: str
    ssis_versions: Callable[[], Any]
    step_rules: bool
    """True when the linter takes ``step=True`` (the step rules, as the planner lints)."""

    def lint_text(self, text: str, source: str) -> None:
        if self.step_rules:
            self.lint.lint_script(text, source=source, step=True)
        else:
            self.lint.lint_script(text, source=source)


@cache
def installed_layout() -> Layout:
    """The installed psrunbook's modules: ``psrunbook.*``, or the layout before the
    renovation (``engine.*``, ``runbooks._ssis``) that issue 16's figures were taken on."""
    if importlib.util.find_spec("psrunbook") is not None:
        prefix, ssis, planner = "psrunbook", "psrunbook.runbooks._ssis", "psrunbook.runbook.planner"
    else:
        prefix, ssis, planner = "engine", "runbooks._ssis", "engine.runner.orchestrator"
    templates = importlib.import_module(f"{prefix}.templates")
    lint = importlib.import_module(f"{prefix}.lint")
    return Layout(
        name=prefix,
        lint=lint,
        environment=importlib.import_module(f"{prefix}.templates.environment"),
        params=importlib.import_module(f"{prefix}.templates.params"),
        template_library=templates.TemplateLibrary,
        registry=importlib.import_module(f"{prefix}.runbook.registry").RunbookRegistry,
        examples=importlib.import_module(f"{prefix}.runbook.examples"),
        owner_probe=importlib.import_module(planner).OWNER_PROBE,
        ssis_versions=importlib.import_module(f"{ssis}.versions").ssis_versions,
        step_rules="step" in lint.lint_script.__code__.co_varnames,
    )


def work_list(layout: Layout | None = None) -> list[Work]:
    """(template, arguments, structure) of every step the shipped runbooks can build."""
    layout = layout or installed_layout()
    examples = layout.examples
    inventory = examples.example_inventory()
    items: list[Work] = [(layout.owner_probe, {"Group": "SQL Server (MSSQLSERVER)"}, {})]
    for runbook in layout.registry.discover().runbooks:
        variants: list[Any] = []
        base = examples.example_values(runbook.parameters)
        if "sql_version" in runbook.parameters.model_fields:
            for version in layout.ssis_versions():
                try:
                    variants.append(
                        runbook.parameters.model_validate({**base, "sql_version": version})
                    )
                except ValueError:
                    continue
        else:
            params = examples.example_parameters(runbook.parameters)
            if params is not None:
                variants.append(params)
        for params in variants:
            for step in runbook.steps(params, inventory):
                items.append((step.template, dict(step.arguments), dict(step.structure)))
    return items


def lint_cache_clear(layout: Layout | None = None) -> None:
    """Forget cached lint findings (and parsed trees), so the next lint parses again."""
    lint = (layout or installed_layout()).lint
    lint._findings.cache_clear()
    parse_cache_clear = getattr(getattr(lint, "parse", None), "cache_clear", None)
    if parse_cache_clear is not None:  # before the renovation, parse kept no cache
        parse_cache_clear()


def caches_clear(layout: Layout | None = None) -> None:
    """Forget every per-text and per-structure cache of render, ``param()`` parse and lint.

    Compiled templates and the tree-sitter grammar stay loaded: a process pays for those
    once, whatever it plans.
    """
    layout = layout or installed_layout()
    layout.environment._render_cached.cache_clear()
    layout.params.parse_declared_parameters.cache_clear()
    lint_cache_clear(layout)


def render_and_lint(
    library: Any, items: list[Work], *, uncached: bool = False, layout: Layout | None = None
) -> None:
    """Render each item and lint its text (every cache cleared first when ``uncached``)."""
    layout = layout or installed_layout()
    for template, arguments, structure in items:
        if uncached:
            caches_clear(layout)
        script = library.render(template, arguments, structure)
        layout.lint_text(script.text, script.template_id)


def rate(library: Any, items: list[Work], seconds: float, **how: bool) -> float:
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


def per_second(items: Sequence[Item], seconds: float, each: Callable[[Item], object]) -> float:
    """Items handed to ``each`` per second, over whole passes for at least ``seconds``
    (one pass at least)."""
    done = 0
    started = time.perf_counter()
    while True:
        for item in items:
            each(item)
        done += len(items)
        if time.perf_counter() - started >= seconds:
            return done / (time.perf_counter() - started)


def lint_rate(texts: list[str], seconds: float) -> float:
    """Distinct texts linted per second, the lint cache cleared before each: the linter
    alone (parse and every rule), without rendering."""
    layout = installed_layout()

    def lint(text: str) -> None:
        lint_cache_clear(layout)
        layout.lint_text(text, "bench")

    return per_second(texts, seconds, lint)


def probe(seconds: float, texts_in: Path | None, texts_out: Path | None) -> dict[str, Any]:
    """This install's figures (see the module docstring)."""
    layout = installed_layout()
    library = layout.template_library()
    items = work_list(layout)
    render_and_lint(library, items)  # compile templates, load the grammar
    texts = sorted({library.render(t, a, s).text for t, a, s in items})
    if texts_out is not None:
        texts_out.write_text(json.dumps(texts), encoding="utf-8")
    report: dict[str, Any] = {
        "layout": layout.name,
        "step_rules": layout.step_rules,
        "scripts": len(items),
        "distinct_texts": len(texts),
        "mean_chars": sum(map(len, texts)) / len(texts),
        "render_lint_uncached_per_s": rate(library, items, seconds, uncached=True),
    }
    if texts_in is not None:
        report["lint_same_texts_per_s"] = lint_rate(
            json.loads(texts_in.read_text(encoding="utf-8")), seconds
        )
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="render_lint_probe.py", description=__doc__)
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--texts-in", type=Path)
    parser.add_argument("--texts-out", type=Path)
    args = parser.parse_args(argv)
    print(json.dumps(probe(args.seconds, args.texts_in, args.texts_out)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
