"""Runbook discovery from the package, entry points and user folders."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from psrunbook.errors import RunbookDefinitionError, RunbookNotFound
from psrunbook.runbook.registry import RunbookRegistry


def test_user_folder_runbook_is_found(user_runbooks: Path) -> None:
    """A runbook module in a --runbooks folder is discovered with its origin."""
    registry = RunbookRegistry.discover([user_runbooks])
    greeting = registry.get("greeting")
    assert str(user_runbooks / "greeting.py") == greeting.origin


def test_duplicate_names_are_refused(user_runbooks: Path, tmp_path: Path) -> None:
    """Two runbooks with one name: neither runs, the refusal names both origins."""
    shutil.copy(user_runbooks / "greeting.py", tmp_path / "greeting_copy.py")
    registry = RunbookRegistry.discover([user_runbooks, tmp_path])
    with pytest.raises(RunbookDefinitionError, match="'greeting' is defined twice") as raised:
        registry.get("greeting")
    assert str(user_runbooks / "greeting.py") in str(raised.value)
    assert "ssis-clustered" in {r.name for r in registry.runbooks}


def test_a_third_definition_of_a_name_is_refused_too(user_runbooks: Path, tmp_path: Path) -> None:
    for copy in ("a", "b"):
        (tmp_path / copy).mkdir()
        shutil.copy(user_runbooks / "greeting.py", tmp_path / copy / f"greeting_{copy}.py")
    registry = RunbookRegistry.discover([user_runbooks, tmp_path / "a", tmp_path / "b"])
    assert "greeting" not in {r.name for r in registry.runbooks}
    assert 2 == len(registry.broken)


def test_module_without_runbook_is_refused(tmp_path: Path) -> None:
    """A module that defines no runbook object is refused by name, with the fix."""
    (tmp_path / "empty.py").write_text("x = 1\n")
    registry = RunbookRegistry.discover([tmp_path])
    with pytest.raises(RunbookDefinitionError, match=r"defines no `runbook = Runbook\("):
        registry.get("empty")


def test_broken_module_names_its_file(tmp_path: Path) -> None:
    """A runbook file that fails to import is reported with its path and the error."""
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')\n")
    (broken,) = RunbookRegistry.discover([tmp_path]).broken
    assert f"{tmp_path / 'broken.py'}: failed to import: RuntimeError: boom" == str(broken)
    assert "psrunbook_user_runbooks.broken" not in sys.modules


def test_a_module_that_exits_at_import_is_isolated(tmp_path: Path) -> None:
    (tmp_path / "quits.py").write_text("import sys\nsys.exit(3)\n")
    (broken,) = RunbookRegistry.discover([tmp_path]).broken
    assert "SystemExit: 3" in broken.error


def test_unknown_runbook_lists_known_ones(user_runbooks: Path) -> None:
    """Asking for an unknown name lists the known runbooks."""
    with pytest.raises(RunbookNotFound, match=r"known runbooks: .*greeting"):
        RunbookRegistry.discover([user_runbooks]).get("nope")


def test_missing_folder_is_refused(tmp_path: Path) -> None:
    """A --runbooks folder that does not exist is refused."""
    with pytest.raises(RunbookDefinitionError, match="does not exist"):
        RunbookRegistry.discover([tmp_path / "missing"])
