"""The built-in runbooks' index: built once, read back, rebuilt whenever a source changes.

Whether it was read or built is seen from ``describe``: the index calls it only when it
imports and describes the runbooks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from psrunbook.cache_dir import CACHE_ENV
from psrunbook.runbook.index import IndexedRunbook, builtin_index, cache_file
from psrunbook.runbook.model import Runbook
from psrunbook.runbook.registry import RunbookRegistry

BUILTIN = sorted(r.name for r in RunbookRegistry.discover().runbooks)


class Describer:
    """A ``describe`` that counts its calls and can fail for one runbook."""

    def __init__(self, failing: str | None = None) -> None:
        self.calls: list[str] = []
        self.failing = failing

    def __call__(self, runbook: Runbook) -> dict[str, Any]:
        self.calls.append(runbook.name)
        if runbook.name == self.failing:
            raise ValueError("cannot describe")
        return {"name": runbook.name}


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    return cache_file()


def _edit(path: Path, change: Any) -> None:
    data = json.loads(path.read_text("utf-8"))
    change(data)
    path.write_text(json.dumps(data), "utf-8")


def test_built_once_then_read_back(cache: Path) -> None:
    first = Describer()
    built = builtin_index(first)
    assert BUILTIN == sorted(first.calls)
    assert cache.is_file()
    later = Describer()
    assert built == builtin_index(later)
    assert [] == later.calls
    assert BUILTIN == [entry.name for entry in built]
    assert {"builtin"} == {entry.origin for entry in built}


def _stale_source(data: dict[str, Any]) -> None:
    source = next(s for s in data["sources"] if s[0].endswith("ssis_clustered.py"))
    source[1] = [source[1][0] - 1, source[1][1]]  # as if the file had been edited since


def _runbook_added(data: dict[str, Any]) -> None:
    data["runbook_files"].pop()  # the folder now holds a file the index did not see


def _other_python(data: dict[str, Any]) -> None:
    data["key"]["python"] = "2.7.18"


def _corrupt(data: dict[str, Any]) -> None:
    data["runbooks"] = "not a list"


@pytest.mark.parametrize("change", [_stale_source, _runbook_added, _other_python, _corrupt])
def test_a_changed_source_rebuilds_it(cache: Path, change: Any) -> None:
    builtin_index(Describer())
    _edit(cache, change)
    again = Describer()
    builtin_index(again)
    assert BUILTIN == sorted(again.calls)
    read = Describer()
    builtin_index(read)
    assert [] == read.calls  # and rewritten whole


def test_a_file_that_is_not_json_is_rebuilt(cache: Path) -> None:
    cache.parent.mkdir(parents=True)
    cache.write_bytes(b"\x00not json")
    assert BUILTIN == [entry.name for entry in builtin_index(Describer())]
    assert BUILTIN == [entry["name"] for entry in json.loads(cache.read_text("utf-8"))["runbooks"]]


def test_an_unwritable_cache_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cache directory that cannot be made: every command builds the index, none fails."""
    blocker = tmp_path / "file"
    blocker.write_text("", "utf-8")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    for _ in range(2):
        describer = Describer()
        assert BUILTIN == [entry.name for entry in builtin_index(describer)]
        assert BUILTIN == sorted(describer.calls)


def test_a_runbook_that_cannot_be_described_is_listed_without_detail(cache: Path) -> None:
    built = {entry.name: entry for entry in builtin_index(Describer(failing="ssis-clustered"))}
    clustered = built["ssis-clustered"]
    assert IndexedRunbook("ssis-clustered", clustered.summary, None) == clustered
    assert built["cluster-report"].detail is not None


@pytest.mark.parametrize("xdg", [None, "", "  ", "/srv/cache"])
def test_the_default_folder_is_platformdirs_user_cache_dir(
    xdg: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from platformdirs import user_cache_dir  # noqa: PLC0415 (the reference, here only)

    monkeypatch.delenv(CACHE_ENV, raising=False)
    if xdg is None:
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    else:
        monkeypatch.setenv("XDG_CACHE_HOME", xdg)
    assert Path(user_cache_dir("psrunbook", appauthor=False)) == cache_file().parent
