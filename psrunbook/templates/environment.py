"""The one Jinja environment that renders every PowerShell template.

Templates render *structure* only (includes, optional blocks, version branches); values
reach the script as PSRP parameters, so the rendered text is the same for every node
and its hash identifies exactly what ran. ``StrictUndefined`` makes a misspelt
structure variable an error instead of an empty string in a production script.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import jinja2

from psrunbook.errors import TemplateError
from psrunbook.templates.bytecode_cache import TemplateBytecodeCache
from psrunbook.templates.script import RenderedScript

BUILTIN_PACKAGE = "psrunbook.ps_templates"
TEMPLATE_SUFFIX = ".ps1.j2"


def _builtin_root() -> Path:

    return Path(str(files(BUILTIN_PACKAGE)))


class _Environment(jinja2.Environment):
    """Jinja's environment with each template's globals in one plain dict.

    Jinja keeps them as a ``ChainMap`` over the environment's globals, a live view, and
    every render and every include makes a context that lists its keys: iterating a
    ``ChainMap`` builds a dict of all its maps each time (about 2 us a context, four
    contexts a step script). Nothing here changes the environment's globals once a
    template is loaded (Jinja's own advice), so a copy made when the template is
    compiled reads the same.
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}


class _ConfinedLoader(jinja2.FileSystemLoader):
    """Jinja's file loader, reading only inside its folders, and only UTF-8 text.

    A template name with a ``..`` part (``{% include '../../etc/passwd' %}``) is refused,
    and so is a file that is a link to outside its template folder: no template, include
    or ``--templates`` folder can make psrunbook read a file elsewhere. A file that cannot
    be read or is not UTF-8 is refused naming it, as a :class:`TemplateError`.
    """

    def get_source(
        self, environment: jinja2.Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = [piece for piece in template.split("/") if piece not in ("", ".")]
        if ".." in pieces:
            raise TemplateError(
                f"template name {template!r} leaves the template folders ('..'); name a "
                "template by its path inside a template folder, e.g. _lib/prelude.ps1.j2"
            )
        for root in self.searchpath:
            filename = Path(root, *pieces)
            if filename.is_file():
                break
        else:
            raise jinja2.TemplateNotFound(template)
        real = filename.resolve()
        if not real.is_relative_to(Path(root).resolve()):
            raise TemplateError(
                f"template {template} ({filename}) is a link to {real}, outside its template "
                f"folder {root}; templates are read only from their folders: copy it in, "
                "or pass its own folder with --templates"
            )
        try:
            data = filename.read_bytes()
            mtime = filename.stat().st_mtime
        except OSError as exc:
            raise TemplateError(
                f"template {template} ({filename}) cannot be read ({exc.strerror or exc})"
            ) from None
        try:
            # As a text-mode read gives it (universal newlines), which Jinja's own loader does.
            contents = data.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
        except UnicodeDecodeError as exc:
            raise TemplateError(
                f"template {template} ({filename}) is not UTF-8 text (byte {exc.start}); "
                "save it as UTF-8"
            ) from None

        def uptodate() -> bool:
            try:
                return filename.stat().st_mtime == mtime
            except OSError:
                return False

        return contents, os.path.normpath(filename), uptodate


class TemplateLibrary:
    """Finds, compiles and renders templates from the package plus user directories.

    User directories come first, so a site can override a shipped template by giving
    one of the same id; the rendered script's hash then shows that it differs.
    """

    def __init__(self, extra_dirs: Sequence[Path] = (), plugin_dirs: Sequence[Path] = ()) -> None:
        for directory in extra_dirs:
            if not directory.is_dir():
                raise TemplateError(
                    f"template directory {directory} does not exist: "
                    "pass an existing folder to --templates"
                )
        # Plug-ins' own templates come after the built-in ones: they add, never replace.
        self.search_path: tuple[Path, ...] = (*extra_dirs, _builtin_root(), *plugin_dirs)
        options: dict[str, Any] = {
            "undefined": jinja2.StrictUndefined,
            "keep_trailing_newline": True,
            "trim_blocks": True,
            "lstrip_blocks": True,
            "autoescape": False,  # PowerShell, not HTML: no value is ever interpolated
            # Compiled once per library: no stat of the template and each include on every
            # render (a third of rendering's time). A run must not pick up an edit half way
            # anyway: rendered texts are cached per library, and a plan's hashes are fixed.
            "auto_reload": False,
            # Every compiled template kept in a plain dict: a library holds a few dozen
            # (the search path's files), and Jinja's LRU cache took a lock and moved its
            # entry in a deque on every include of every render.
            "cache_size": -1,
        }
        self._env = _Environment(
            loader=_ConfinedLoader([str(p) for p in self.search_path]),
            # Compiled code from the last command that compiled the same source the same
            # way (psrunbook.templates.bytecode_cache): 12 ms of a first run, issue 16.
            bytecode_cache=TemplateBytecodeCache(options),
            **options,
        )

    def template_ids(self) -> list[str]:
        """Every renderable template id (partials under ``_lib/`` excluded)."""
        return sorted(
            name
            for name in self._env.list_templates(filter_func=lambda n: n.endswith(TEMPLATE_SUFFIX))
            if not name.startswith("_lib/")
        )

    def source(self, template_id: str) -> str:
        """The raw template text, for the template-source lint rule."""
        try:
            source, _, _ = self._env.loader.get_source(self._env, template_id)  # type: ignore[union-attr]  # loader is always set above
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(self._not_found(template_id)) from exc
        return source

    def check(self, template_id: str) -> None:
        """Refuse (:class:`TemplateError`) a template that does not compile, or one whose
        includes (through every branch) are missing, unreadable or loop back to it."""
        self._check_includes(template_id, (), set())

    def _check_includes(self, template_id: str, stack: tuple[str, ...], done: set[str]) -> None:
        from jinja2 import meta  # noqa: PLC0415 (lint only)

        source = self.source(template_id)
        try:
            tree = self._env.parse(source, template_id)
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"template {template_id} line {exc.lineno}: {exc.message}") from exc
        done.add(template_id)
        for name in meta.find_referenced_templates(tree):
            if name is None:  # a computed name: rendering checks it
                continue
            chain = (*stack, template_id)
            if name in chain:
                loop = " -> ".join((*chain[chain.index(name) :], name))
                raise TemplateError(
                    f"template {name} includes itself ({loop}); remove the include loop"
                )
            if name in done:
                continue
            try:
                self._env.loader.get_source(self._env, name)  # type: ignore[union-attr]  # loader is always set
            except jinja2.TemplateNotFound:
                raise TemplateError(
                    f"template {template_id} includes {name!r}, which is not found in "
                    f"{self._where()}: check the include's template id"
                ) from None
            except TemplateError as exc:
                raise TemplateError(f"template {template_id} includes {name!r}: {exc}") from None
            self._check_includes(name, chain, done)

    def render(
        self,
        template_id: str,
        arguments: Mapping[str, Any],
        structure: Mapping[str, Any] | None = None,
    ) -> RenderedScript:
        """Render ``template_id`` and check ``arguments`` against its ``param()`` block."""
        from psrunbook.templates.params import parse_declared_parameters  # noqa: PLC0415 (tree-sitter loads on the first render, not on import)

        text = self._render_text(template_id, tuple(sorted((structure or {}).items())))
        declared = parse_declared_parameters(text, source=template_id)
        script = RenderedScript(
            template_id=template_id,
            text=text,
            sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
            parameters=declared,
        )
        script.check_arguments(arguments)
        return script

    def _render_text(self, template_id: str, structure: tuple[tuple[str, Any], ...]) -> str:
        return _render_cached(self, template_id, structure)

    def _compile(self, template_id: str) -> jinja2.Template:
        try:
            return self._env.get_template(template_id)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(self._not_found(template_id)) from exc
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"template {template_id} line {exc.lineno}: {exc.message}") from exc

    def _where(self) -> str:
        return ", ".join(str(p) for p in self.search_path)

    def _not_found(self, template_id: str) -> str:
        where = self._where()
        return f"template {template_id!r} not found in {where}: check the step's template id"


@lru_cache(maxsize=512)
def _render_cached(
    library: TemplateLibrary, template_id: str, structure: tuple[tuple[str, Any], ...]
) -> str:
    """Rendering is pure in (template, structure), so a run renders each variant once."""
    template = library._compile(template_id)
    try:
        return template.render(dict(structure))
    except jinja2.UndefinedError as exc:
        raise TemplateError(
            f"template {template_id}: {exc.message}; pass it in the step's structure"
        ) from exc
    except jinja2.TemplateNotFound as exc:  # an include's
        raise TemplateError(
            f"template {template_id} includes {exc.name!r}, which is not found in "
            f"{library._where()}: check the include's template id"
        ) from None
    except jinja2.TemplateSyntaxError as exc:  # an included template's
        raise TemplateError(
            f"template {exc.name or template_id} line {exc.lineno}: {exc.message}"
        ) from None
    except jinja2.TemplateError as exc:
        raise TemplateError(f"template {template_id}: {exc.message or exc}") from None
    except TemplateError as exc:  # the loader refused an included file
        raise TemplateError(f"template {template_id}, in an include: {exc}") from None
    except RecursionError:
        raise TemplateError(
            f"template {template_id} includes itself, directly or through another template; "
            "remove the include loop"
        ) from None
