"""Options that every command shares, set once by the top-level callback."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from psrunbook.runbook.registry import RunbookRegistry
    from psrunbook.templates import TemplateLibrary


@dataclass
class Settings:
    runbook_dirs: tuple[Path, ...] = ()
    template_dirs: tuple[Path, ...] = ()
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

            self._library = TemplateLibrary(self.template_dirs)
        return self._library


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    if not isinstance(obj, Settings):
        obj = Settings()
        ctx.find_root().obj = obj
    return obj
