"""Options that every command shares, set once by the top-level callback."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from psrunbook.journal_model import RunJournal
    from psrunbook.runbook.registry import RunbookRegistry
    from psrunbook.templates import TemplateLibrary


@dataclass
class Settings:
    runbook_dirs: tuple[Path, ...] = ()
    template_dirs: tuple[Path, ...] = ()
    journal: str | None = None
    """``--journal``: a PostgreSQL URL (may hold a password: never print it), or None."""
    _registry: RunbookRegistry | None = field(default=None, repr=False)
    _library: TemplateLibrary | None = field(default=None, repr=False)

    def registry(self) -> RunbookRegistry:
        if self._registry is None:
            from psrunbook.runbook.registry import RunbookRegistry

            self._registry = RunbookRegistry.discover(self.runbook_dirs)
        return self._registry

    def library(self) -> TemplateLibrary:
        if self._library is None:
            from psrunbook.templates import TemplateLibrary

            # Entry-point plug-ins ship templates in their packages (ps_templates).
            self._library = TemplateLibrary(self.template_dirs, self.registry().template_dirs)
        return self._library


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    if not isinstance(obj, Settings):
        obj = Settings()
        ctx.find_root().obj = obj
    return obj


def open_run_journal(ctx: typer.Context, state_dir: Path | None) -> RunJournal:
    """The journal ``--journal`` names, else the local file in ``state_dir`` (or the default)."""
    from psrunbook.journal_open import open_journal

    return open_journal(settings(ctx).journal, state_dir=state_dir)


def option_given(ctx: typer.Context, name: str, *, environment: bool = True) -> bool:
    """Whether option ``name`` was typed, or (with ``environment``) set by its environment
    variable, rather than left at its default."""
    source = ctx.get_parameter_source(name)
    sources = ("COMMANDLINE", "ENVIRONMENT") if environment else ("COMMANDLINE",)
    return source is not None and source.name in sources
