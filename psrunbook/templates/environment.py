"""The one Jinja environment that renders every PowerShell template.

Templates render *structure* only (includes, optional blocks, version branches); values
reach the script as PSRP parameters, so the rendered text is the same for every node
and its hash identifies exactly what ran. ``StrictUndefined`` makes a misspelt
structure variable an error instead of an empty string in a production script.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, MutableMapping, Sequence
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
            loader=jinja2.FileSystemLoader([str(p) for p in self.search_path]),
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

    def _not_found(self, template_id: str) -> str:
        where = ", ".join(str(p) for p in self.search_path)
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
