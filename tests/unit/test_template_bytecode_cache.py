"""Compiled templates are kept in the cache directory and used only when still right.

A second library (a later command) renders a template from the code the first one
compiled; an edited template, another way of compiling (an option, Jinja's or Python's
version) or a damaged entry is compiled again; a cache that cannot be written never
fails a render.
"""

from __future__ import annotations

import stat
from pathlib import Path

import jinja2
import pytest
from jinja2.bccache import bc_magic

from psrunbook.cache_dir import CACHE_ENV
from psrunbook.templates import TemplateLibrary
from psrunbook.templates.bytecode_cache import compile_key

TEMPLATE = "ssis/set_service_automatic.ps1.j2"
ARGUMENTS = {"ServiceName": "S", "TimeoutSeconds": 1}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(directory))
    return directory


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the templates Jinja compiles from source from now on."""
    names: list[str] = []
    compile_source = jinja2.Environment.compile

    def counted(
        self: jinja2.Environment, source: str, name: str | None = None, *a: object, **k: object
    ) -> object:
        names.append(str(name))
        return compile_source(self, source, name, *a, **k)  # type: ignore[arg-type]

    monkeypatch.setattr(jinja2.Environment, "compile", counted)
    return names


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("templates-*/*.jinja"))


def test_a_later_library_renders_from_the_code_an_earlier_one_compiled(
    cache: Path, compiled: list[str]
) -> None:
    first = TemplateLibrary().render(TEMPLATE, ARGUMENTS)
    assert TEMPLATE in compiled and _entries(cache)
    compiled.clear()
    second = TemplateLibrary().render(TEMPLATE, ARGUMENTS)
    assert [] == compiled
    assert first == second


def test_an_edited_template_is_compiled_again(
    cache: Path, compiled: list[str], tmp_path: Path
) -> None:
    site = tmp_path / "site" / "ssis"
    site.mkdir(parents=True)
    shipped = TemplateLibrary().source(TEMPLATE)
    (site / "set_service_automatic.ps1.j2").write_text(shipped, "utf-8")
    TemplateLibrary([site.parent]).render(TEMPLATE, ARGUMENTS)
    (site / "set_service_automatic.ps1.j2").write_text(shipped + "# edited\n", "utf-8")
    compiled.clear()
    edited = TemplateLibrary([site.parent]).render(TEMPLATE, ARGUMENTS)
    assert TEMPLATE in compiled
    assert edited.text.endswith("# edited\n")


def test_another_way_of_compiling_has_its_own_folder() -> None:
    options = {"trim_blocks": True, "lstrip_blocks": True, "keep_trailing_newline": True}
    assert compile_key(options) == compile_key(dict(options))
    assert compile_key(options) != compile_key({**options, "trim_blocks": False})
    assert compile_key(options) != compile_key({**options, "extra": 1})


@pytest.mark.parametrize(
    "damage",
    [
        b"",  # cut in half
        b"j2",  # a header cut short
        b"garbage" * 40,  # another program's file
        bc_magic + b"\x80\x05garbage",  # Jinja's header, then no checksum it can read
    ],
)
def test_a_damaged_entry_is_compiled_again(cache: Path, compiled: list[str], damage: bytes) -> None:
    expected = TemplateLibrary().render(TEMPLATE, ARGUMENTS)
    entries = _entries(cache)
    assert entries
    for entry in entries:
        entry.write_bytes(damage or entry.read_bytes()[: len(entry.read_bytes()) // 2])
    compiled.clear()
    assert expected == TemplateLibrary().render(TEMPLATE, ARGUMENTS)
    assert TEMPLATE in compiled


def test_a_cache_that_cannot_be_written_never_fails_a_render(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "working"))
    expected = TemplateLibrary().render(TEMPLATE, ARGUMENTS)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder", "utf-8")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    assert expected == TemplateLibrary().render(TEMPLATE, ARGUMENTS)
    assert blocker.read_text("utf-8") == "not a folder"


def test_the_cache_is_private_to_its_user(cache: Path) -> None:
    TemplateLibrary().render(TEMPLATE, ARGUMENTS)
    entries = _entries(cache)
    assert entries
    assert {0o700} == {stat.S_IMODE(e.parent.stat().st_mode) for e in entries}
    assert {0o600} == {stat.S_IMODE(e.stat().st_mode) for e in entries}
