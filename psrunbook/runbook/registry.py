"""Finds runbooks: the built-in package, installed entry points, and user folders.

Every source yields :class:`Runbook` objects; a name offered twice is refused rather
than silently shadowed, because running a different procedure than the one reviewed
is exactly the mistake this tool exists to prevent.

A plug-in (an entry point or a ``--runbooks`` file) that cannot be loaded (a syntax
error, a failed import, an exception at import, no ``runbook`` object, a name another
runbook already has) is isolated: it becomes a :class:`BrokenPlugin` and every other
runbook still works. Asking for it by name (its runbook's name, or its file's) is
refused with the file and the error; ``list`` names it. The built-in runbooks are part
of psrunbook itself, so a failure there is not isolated: it stops every command that
loads that runbook (a built-in module is imported only when its runbook is used, see
:class:`BuiltinRunbook`).

A plug-in installed by entry point brings its templates with it: a ``ps_templates``
folder in its package (the entry point's module's package, or the nearest parent package
that has one) joins the template search path after the built-in templates, so it can add
templates but never replace one of psrunbook's (``_lib/prelude.ps1.j2`` included). A
template id that two sources ship is refused for the plug-in that brings the second,
as a runbook name offered twice is.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import importlib.util
import os
import pkgutil
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Protocol, TypeVar, cast

from psrunbook.errors import RunbookDefinitionError, RunbookNotFound

if TYPE_CHECKING:
    from psrunbook.runbook.model import Runbook


class Listed(Protocol):
    """What ``list`` prints of a runbook: a :class:`Runbook`, or a built-in one's index entry."""

    @property
    def name(self) -> str: ...

    @property
    def summary(self) -> str: ...

    @property
    def origin(self) -> str: ...


_Found = TypeVar("_Found", bound=Listed)

ENTRY_POINT_GROUP = "psrunbook.runbooks"
BUILTIN_PACKAGE = "psrunbook.runbooks"
PLUGIN_TEMPLATES = "ps_templates"
"""The folder, inside a plug-in's package, that holds the templates it ships."""


def _model() -> type[Runbook]:
    """The runbook model (pydantic), imported when a runbook module is loaded, not before."""
    from psrunbook.runbook.model import Runbook  # noqa: PLC0415 (list and show without plug-ins must not import pydantic: issue 16)

    return Runbook


def _runbook_of(module: ModuleType, origin: str) -> Runbook:
    candidate = getattr(module, "runbook", None)
    if not isinstance(candidate, _model()):
        raise RunbookDefinitionError(
            f"{origin} defines no `runbook = Runbook(...)` at module level: add one"
        )
    return _with_origin(candidate, origin)


def _with_origin(runbook: Runbook, origin: str) -> Runbook:
    """A copy of ``runbook`` that says where it came from (runbooks are frozen)."""
    from msgspec.structs import replace  # noqa: PLC0415 (list and show of built-ins import no msgspec: docs/development.md, "Records")

    return replace(runbook, origin=origin)


def builtin_runbooks() -> Iterator[Runbook]:
    """The shipped runbooks, each module imported (``psrunbook.runbook.index`` caches them)."""
    for entry in _builtin_entries():
        yield entry.load()


@dataclass(frozen=True)  # a dataclass: list and show import this module, not msgspec
class BuiltinRunbook:
    """A shipped runbook known by its module's name, imported only when it is used.

    A shipped runbook's module is named after it (``ssis_clustered`` holds
    ``ssis-clustered``), so the registry knows every built-in name, and refuses a plug-in
    that takes one, without importing the five modules: a ``run`` imports only the
    runbook it runs (the others were about 0.5 % of a ``run --sim``'s instructions, issue
    16). A module whose runbook has another name is refused when it is loaded.
    """

    module: str
    """The module's name in ``psrunbook.runbooks``."""
    origin: str = "builtin"

    @property
    def name(self) -> str:
        return self.module.replace("_", "-")

    @property
    def summary(self) -> str:
        return self.load().summary

    def load(self) -> Runbook:
        """The runbook, from its module (imported the first time; Python keeps it)."""
        module = importlib.import_module(f"{BUILTIN_PACKAGE}.{self.module}")
        runbook = _runbook_of(module, self.origin)
        if runbook.name != self.name:
            raise RunbookDefinitionError(
                f"{module.__name__} defines the runbook {runbook.name!r}: a shipped "
                f"runbook's module is named after it, {runbook.name.replace('-', '_')}.py"
            )
        return runbook


def _builtin_entries() -> tuple[BuiltinRunbook, ...]:
    """Every shipped runbook module, by name, none imported."""
    package = importlib.import_module(BUILTIN_PACKAGE)
    names = sorted(info.name for info in pkgutil.iter_modules(package.__path__))
    return tuple(BuiltinRunbook(name) for name in names if not name.startswith("_"))


@dataclass(frozen=True)  # a dataclass: list and show import this module, not msgspec
class BrokenPlugin:
    """A plug-in that could not be loaded; the runbook names it would answer to."""

    origin: str
    """Its file, or its entry point."""
    error: str
    names: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.origin}: {self.error}"

    def claims(self, name: str) -> bool:
        return _key(name) in {_key(n) for n in self.names}


def _key(name: str) -> str:
    """``disk-check`` asks for ``disk_check.py``: one spelling for file and runbook names."""
    return name.replace("_", "-").casefold()


def _failure(exc: BaseException) -> str:
    """The error in one line: its type and message (a syntax error's own text names the line)."""
    return f"{type(exc).__name__}: {exc}"


def _may_declare_entry_points() -> bool:
    """False only when no distribution importlib.metadata would find declares a runbook.

    ``importlib.metadata`` costs about 15 ms to import and 7 ms to search, most of what
    ``list`` would spend on plug-ins, and usually finds none (issue 16). So first, each
    folder on ``sys.path`` is read as importlib.metadata reads it (``*.dist-info`` and
    ``*.egg-info`` folders) for an ``entry_points.txt`` that names the group at all. Any
    other place distributions can come from (a zip or egg on ``sys.path``, a finder of
    its own on ``sys.meta_path``) answers True: then importlib.metadata decides.
    """
    group = ENTRY_POINT_GROUP.encode("ascii")
    for finder in sys.meta_path:
        if hasattr(finder, "find_distributions") and finder is not importlib.machinery.PathFinder:
            return True
    for entry in sys.path:
        root = os.fspath(entry) or "."
        if root.lower().endswith(".egg"):
            return True
        try:
            children = os.listdir(root)  # noqa: PTH208 (as above: names, not Path objects)
        except NotADirectoryError:
            return True  # a zip file: its distributions are read by importlib.metadata only
        except OSError:
            continue
        for child in children:
            if not child.lower().endswith((".dist-info", ".egg-info")):
                continue
            try:
                with open(os.path.join(root, child, "entry_points.txt"), "rb") as file:  # noqa: PTH118, PTH123 (plain strings, as importlib.metadata reads them)
                    if group in file.read():
                        return True
            except OSError:
                continue
    return False


def _shipped_templates(module_name: str) -> Path | None:
    """The ``ps_templates`` folder of the module's package or its nearest parent, if any.

    A top-level module that is not a package (``greet = my_module``) has no package to
    ship templates in: it uses the built-in templates and ``--templates`` only.
    """
    module = sys.modules.get(module_name)
    if module is not None and not module.__package__ and not hasattr(module, "__path__"):
        return None
    package = (module.__package__ if module is not None else None) or module_name
    from importlib.resources import files  # noqa: PLC0415 (only for a plug-in: list imports no more than it needs, issue 16)

    parts = package.split(".")
    while parts:
        folder = Path(str(files(".".join(parts)))) / PLUGIN_TEMPLATES
        if folder.is_dir():
            return folder
        parts.pop()
    return None


def _from_entry_points(template_dirs: dict[str, Path]) -> Iterator[Runbook | BrokenPlugin]:
    """Each entry point's runbook; the templates it ships go into ``template_dirs`` (by origin)."""
    if not _may_declare_entry_points():
        return
    from importlib.metadata import entry_points  # noqa: PLC0415 (see _may_declare_entry_points)

    for ep in sorted(entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        origin = f"entry point {ep.name} ({ep.value})"
        try:
            loaded = ep.load()
            shipped = _shipped_templates(ep.module)
        except (Exception, SystemExit) as exc:  # noqa: BLE001 (a plug-in may raise anything: it is isolated and named, not hidden)
            yield BrokenPlugin(origin, f"failed to load: {_failure(exc)}", (ep.name,))
            continue
        if shipped is not None:
            template_dirs[origin] = shipped
        try:
            if isinstance(loaded, _model()):
                yield _with_origin(loaded, origin)
            elif isinstance(loaded, ModuleType):
                yield _runbook_of(loaded, origin)
            else:
                raise RunbookDefinitionError(
                    f"{origin} must point at a runbook module or a Runbook object"
                )
        except RunbookDefinitionError as exc:
            yield BrokenPlugin(origin, str(exc).removeprefix(f"{origin} "), (ep.name,))


def _from_directory(directory: Path) -> Iterator[Runbook | BrokenPlugin]:
    if not directory.is_dir():
        raise RunbookDefinitionError(
            f"runbook directory {directory} does not exist: pass an existing folder to --runbooks"
        )
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        yield _from_file(path)


def _from_file(path: Path) -> Runbook | BrokenPlugin:
    module_name = f"psrunbook_user_runbooks.{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        return BrokenPlugin(str(path), "cannot be imported as a Python module", (path.stem,))
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
        return _runbook_of(module, str(path))
    except (Exception, SystemExit) as exc:  # noqa: BLE001 (as above)
        sys.modules.pop(module_name, None)
        if isinstance(exc, RunbookDefinitionError):
            return BrokenPlugin(str(path), str(exc).removeprefix(f"{path} "), (path.stem,))
        return BrokenPlugin(str(path), f"failed to import: {_failure(exc)}", (path.stem,))


def _template_ids(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*.j2") if p.is_file()}


def _without_clashes(
    shipped: dict[str, Path], found: dict[str, _Found], broken: list[BrokenPlugin]
) -> tuple[Path, ...]:
    """The plug-ins' template folders, minus any that ships a template id already taken.

    The built-in ids come first, then each plug-in's in entry-point order; a plug-in that
    ships an id already taken is broken (its runbooks are not offered), so a template is
    never silently replaced by another one of the same id.
    """
    if not shipped:
        return ()
    from importlib.resources import files  # noqa: PLC0415 (as in _shipped_templates)

    from psrunbook.templates.environment import BUILTIN_PACKAGE as TEMPLATES  # noqa: PLC0415 (jinja2 loads only when a plug-in ships templates)

    owners = dict.fromkeys(_template_ids(Path(str(files(TEMPLATES)))), "psrunbook")
    kept: list[Path] = []
    for origin, folder in shipped.items():
        ids = _template_ids(folder)
        taken = sorted(i for i in ids if i in owners)
        if taken:
            names = tuple(n for n, r in found.items() if r.origin == origin)
            for name in names:
                del found[name]
            broken.append(
                BrokenPlugin(
                    origin,
                    f"ships template {taken[0]!r} ({folder}), which {owners[taken[0]]} "
                    "already provides; put the plug-in's templates in a folder named "
                    "after it",
                    names,
                )
            )
            continue
        owners.update(dict.fromkeys(ids, origin))
        kept.append(folder)
    return tuple(kept)


def _merge(
    builtin: Iterable[_Found], extra_dirs: Sequence[Path]
) -> tuple[tuple[_Found, ...], tuple[BrokenPlugin, ...], tuple[Path, ...]]:
    """The built-in runbooks, then each plug-in source's: a name offered twice is refused,
    and so is an entry-point plug-in whose templates clash; the template folders kept."""
    found: dict[str, _Found] = {}
    shipped: dict[str, Path] = {}
    origins: dict[str, str] = {}
    broken: list[BrokenPlugin] = []
    for runbook in builtin:
        found[runbook.name] = runbook
        origins[runbook.name] = runbook.origin
    for source in [_from_entry_points(shipped), *(_from_directory(d) for d in extra_dirs)]:
        for item in source:
            if isinstance(item, BrokenPlugin):
                broken.append(item)
                continue
            first = origins.setdefault(item.name, item.origin)
            if first == item.origin:
                # A plug-in is a Runbook: one of _Found whether the built-ins are Runbooks
                # (RunbookRegistry) or anything Listed (RunbookListing).
                found[item.name] = cast("_Found", item)
                continue
            # Neither is used: running the other one than was meant is the danger.
            found.pop(item.name, None)
            broken.append(
                BrokenPlugin(
                    item.origin,
                    f"runbook name {item.name!r} is defined twice: by {first} "
                    f"and by {item.origin}; rename one of them",
                    (item.name,),
                )
            )
    template_dirs = _without_clashes(shipped, found, broken)
    return tuple(sorted(found.values(), key=lambda r: r.name)), tuple(broken), template_dirs


def _lookup(runbooks: Sequence[_Found], broken: Sequence[BrokenPlugin], name: str) -> _Found:
    """The runbook called ``name``; refused naming the file when its plug-in is broken."""
    for plugin in broken:
        if plugin.claims(name):
            raise RunbookDefinitionError(
                f"runbook {name!r} cannot be loaded: {plugin}; fix the file, then "
                "check it with `psrunbook list`"
            )
    for runbook in runbooks:
        if runbook.name == name:
            return runbook
    known = ", ".join(r.name for r in runbooks) or "none"
    failed = f"; {len(broken)} plug-in(s) failed to load" if broken else ""
    raise RunbookNotFound(
        f"no runbook named {name!r}; known runbooks: {known}{failed} (see `psrunbook list`)"
    )


@dataclass(frozen=True)
class RunbookRegistry:
    """All runbooks known for this invocation, by name, and the plug-ins that failed.

    Plug-ins are loaded (and checked) when it is discovered; a built-in runbook's module
    is imported when that runbook is asked for (:meth:`get`) or all are (:attr:`runbooks`).
    """

    found: tuple[Runbook | BuiltinRunbook, ...]
    """Every usable runbook by name: the plug-ins loaded, the built-ins by module."""
    broken: tuple[BrokenPlugin, ...] = ()
    template_dirs: tuple[Path, ...] = ()
    """The ``ps_templates`` folders that entry-point plug-ins ship, searched after the
    built-in templates."""
    _loaded_builtins: dict[str, Runbook] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )
    """Each built-in runbook once loaded: one object per name for this registry's life."""

    @classmethod
    def discover(cls, extra_dirs: Sequence[Path] = ()) -> RunbookRegistry:
        builtins: tuple[Runbook | BuiltinRunbook, ...] = _builtin_entries()  # plug-ins join
        found, broken, template_dirs = _merge(builtins, extra_dirs)
        return cls(found, broken, template_dirs)

    @property
    def runbooks(self) -> tuple[Runbook, ...]:
        """Every runbook, each built-in module imported."""
        return tuple(self._loaded(item) for item in self.found)

    def get(self, name: str) -> Runbook:
        """The runbook called ``name``; refused naming the file when its plug-in is broken."""
        return self._loaded(_lookup(self.found, self.broken, name))

    def _loaded(self, item: Runbook | BuiltinRunbook) -> Runbook:
        if not isinstance(item, BuiltinRunbook):
            return item
        runbook = self._loaded_builtins.get(item.name)
        if runbook is None:
            runbook = self._loaded_builtins[item.name] = item.load()
        return runbook


@dataclass(frozen=True)  # a dataclass: list and show import this module, not msgspec
class RunbookListing:
    """What ``list`` and ``show`` name: the built-in runbooks as given (their index entries,
    so no runbook module is imported for them) and every plug-in, loaded and checked as
    :class:`RunbookRegistry` does, by the same rules (a broken or doubly defined name is
    refused)."""

    runbooks: tuple[Listed, ...]
    broken: tuple[BrokenPlugin, ...] = ()

    @classmethod
    def discover(cls, builtin: Iterable[Listed], extra_dirs: Sequence[Path] = ()) -> RunbookListing:
        runbooks, broken, _ = _merge(builtin, extra_dirs)
        return cls(runbooks, broken)

    def get(self, name: str) -> Listed:
        return _lookup(self.runbooks, self.broken, name)
