"""Finds runbooks: the built-in package, installed entry points, and user folders.

Every source yields :class:`Runbook` objects; a name offered twice is refused rather
than silently shadowed, because running a different procedure than the one reviewed
is exactly the mistake this tool exists to prevent.
"""

from __future__ import annotations

import importlib
import importlib.util
import pkgutil
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType

from psrunbook.errors import RunbookDefinitionError, RunbookNotFound
from psrunbook.runbook.model import Runbook

ENTRY_POINT_GROUP = "psrunbook.runbooks"
BUILTIN_PACKAGE = "psrunbook.runbooks"


def _runbook_of(module: ModuleType, origin: str) -> Runbook:
    candidate = getattr(module, "runbook", None)
    if not isinstance(candidate, Runbook):
        raise RunbookDefinitionError(
            f"{origin} defines no `runbook = Runbook(...)` at module level: add one"
        )
    return replace(candidate, origin=origin)


def _builtin() -> Iterator[Runbook]:
    package = importlib.import_module(BUILTIN_PACKAGE)
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{BUILTIN_PACKAGE}.{info.name}")
        yield _runbook_of(module, "builtin")


def _from_entry_points() -> Iterator[Runbook]:
    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            loaded = ep.load()
        except Exception as exc:
            raise RunbookDefinitionError(
                f"entry point {ep.name!r} ({ep.value}) failed to load: {exc}"
            ) from exc
        origin = f"entry point {ep.name} ({ep.value})"
        if isinstance(loaded, Runbook):
            yield replace(loaded, origin=origin)
        elif isinstance(loaded, ModuleType):
            yield _runbook_of(loaded, origin)
        else:
            raise RunbookDefinitionError(
                f"{origin} must point at a runbook module or a Runbook object"
            )


def _from_directory(directory: Path) -> Iterator[Runbook]:
    if not directory.is_dir():
        raise RunbookDefinitionError(
            f"runbook directory {directory} does not exist: pass an existing folder to --runbooks"
        )
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        module_name = f"psrunbook_user_runbooks.{path.stem}"
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise RunbookDefinitionError(f"{path} cannot be imported as a Python module")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise RunbookDefinitionError(f"{path} failed to import: {exc}") from exc
        yield _runbook_of(module, str(path))


@dataclass(frozen=True)
class RunbookRegistry:
    """All runbooks known for this invocation, by name."""

    runbooks: tuple[Runbook, ...]

    @classmethod
    def discover(cls, extra_dirs: Sequence[Path] = ()) -> RunbookRegistry:
        found: dict[str, Runbook] = {}
        sources = [_builtin(), _from_entry_points(), *(_from_directory(d) for d in extra_dirs)]
        for source in sources:
            for runbook in source:
                previous = found.get(runbook.name)
                if previous is not None:
                    raise RunbookDefinitionError(
                        f"runbook name {runbook.name!r} is defined twice: by {previous.origin} "
                        f"and by {runbook.origin}; rename one of them"
                    )
                found[runbook.name] = runbook
        return cls(tuple(sorted(found.values(), key=lambda r: r.name)))

    def get(self, name: str) -> Runbook:
        for runbook in self.runbooks:
            if runbook.name == name:
                return runbook
        known = ", ".join(r.name for r in self.runbooks) or "none"
        raise RunbookNotFound(
            f"no runbook named {name!r}; known runbooks: {known} (see `psrunbook list`)"
        )
