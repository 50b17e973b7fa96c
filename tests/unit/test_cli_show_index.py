"""``show`` from the built-in runbooks' index prints what it printed from the runbook itself.

The expected document is computed here the way ``show`` computed it before the index
(issue 16): from the imported runbook, its parameter model, its example parameters and
the steps they give. ``show`` is then run twice with a fresh cache: the first builds the
index, the second reads it; both must print that document, and the same text.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from psrunbook.cache_dir import CACHE_ENV
from psrunbook.cli import documents
from psrunbook.cli.app import app
from psrunbook.runbook.examples import example_inventory, example_parameters
from psrunbook.runbook.index import cache_file
from psrunbook.runbook.registry import RunbookRegistry

BUILTIN = sorted(r.name for r in RunbookRegistry.discover().runbooks)


def _as_shown_before(name: str) -> dict[str, Any]:
    definition = RunbookRegistry.discover().get(name)
    fields = definition.parameters.model_fields
    entries = [
        documents.parameter(n, f, getattr(f.annotation, "__name__", None) or str(f.annotation))
        for n, f in fields.items()
    ]
    for entry in entries:
        entry["type"] = entry["type"].replace("typing.", "").replace("psrunbook.secrets.", "")
    params = example_parameters(definition.parameters)
    steps = None if params is None else list(definition.steps(params, example_inventory()))
    advisories = list(definition.advisories_for(params))
    return documents.runbook_detail(definition, entries, advisories, steps)


def _show(*args: str) -> str:
    result = CliRunner().invoke(app, ["show", *args])
    assert 0 == result.exit_code, result.output
    return result.stdout


@pytest.mark.parametrize("name", BUILTIN)
def test_show_prints_the_same_from_the_index(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    expected = _as_shown_before(name)
    built = json.loads(_show(name, "--json"))  # builds the index
    written = cache_file().stat()
    read = json.loads(_show(name, "--json"))  # reads it: a rebuild would replace the file
    assert (written.st_ino, written.st_mtime_ns) == (
        cache_file().stat().st_ino,
        cache_file().stat().st_mtime_ns,
    )
    assert expected == built == read
    cache_file().unlink()
    text_built = _show(name)
    assert text_built == _show(name)


def test_show_without_a_described_runbook_imports_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An index entry whose description failed: show imports the runbook, as before."""
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    _show("ssis-clustered", "--json")
    data = json.loads(cache_file().read_text("utf-8"))
    for entry in data["runbooks"]:
        entry["detail"] = None
    cache_file().write_text(json.dumps(data), "utf-8")
    assert _as_shown_before("ssis-clustered") == json.loads(_show("ssis-clustered", "--json"))
