"""Runbook discovery from the package, entry points and user folders."""

from __future__ import annotations

import shutil
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
    """Two runbooks with one name are an error naming both origins."""
    shutil.copy(user_runbooks / "greeting.py", tmp_path / "greeting_copy.py")
    with pytest.raises(RunbookDefinitionError, match="'greeting' is defined twice"):
        RunbookRegistry.discover([user_runbooks, tmp_path])


def test_module_without_runbook_is_refused(tmp_path: Path) -> None:
    """A module that defines no runbook object is refused with the fix."""
    (tmp_path / "empty.py").write_text("x = 1\n")
    with pytest.raises(RunbookDefinitionError, match=r"defines no `runbook = Runbook\("):
        RunbookRegistry.discover([tmp_path])


def test_broken_module_names_its_file(tmp_path: Path) -> None:
    """A runbook file that fails to import is reported with its path and the error."""
    (tmp_path / "broken.py").write_text("raise RuntimeError('boom')\n")
    with pytest.raises(RunbookDefinitionError, match=r"broken\.py failed to import: boom"):
        RunbookRegistry.discover([tmp_path])


def test_unknown_runbook_lists_known_ones(user_runbooks: Path) -> None:
    """Asking for an unknown name lists the known runbooks."""
    with pytest.raises(RunbookNotFound, match=r"known runbooks: .*greeting"):
        RunbookRegistry.discover([user_runbooks]).get("nope")


def test_missing_folder_is_refused(tmp_path: Path) -> None:
    """A --runbooks folder that does not exist is refused."""
    with pytest.raises(RunbookDefinitionError, match="does not exist"):
        RunbookRegistry.discover([tmp_path / "missing"])
