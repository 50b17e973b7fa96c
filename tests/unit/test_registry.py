"""Runbook discovery from the package, entry points and user folders."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from msgspec.structs import replace

from psrunbook.errors import RunbookDefinitionError, RunbookNotFound
from psrunbook.runbook import registry as registry_module
from psrunbook.runbook.registry import RunbookListing, RunbookRegistry
from psrunbook.runbooks import cluster_report


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


# --------------------------------------------------------------------------- entry points
# A plug-in installed as a distribution: a ``*.dist-info`` folder on ``sys.path`` whose
# entry_points.txt names the group, as pip leaves it. ``list`` reads such folders first and
# loads importlib.metadata only when one names the group (issue 16).


def _distribution(site: Path, dist: str, entry_points: str) -> None:
    info = site / f"{dist}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(entry_points)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder on ``sys.path`` holding one unrelated distribution with entry points."""
    folder = tmp_path / "site"
    _distribution(folder, "unrelated", "[console_scripts]\nunrelated = unrelated:main\n")
    monkeypatch.syspath_prepend(str(folder))
    return folder


def test_no_distribution_declares_a_runbook(site: Path) -> None:
    assert not registry_module._may_declare_entry_points()


def test_an_installed_plugin_is_discovered(site: Path, user_runbooks: Path) -> None:
    package = site / "psrunbook_test_greeting_plugin"
    package.mkdir()
    (package / "__init__.py").write_text("")
    shutil.copy(user_runbooks / "greeting.py", package / "greeting.py")
    module = f"{package.name}.greeting"
    _distribution(site, "greeting_plugin", f"[psrunbook.runbooks]\ngreet = {module}\n")
    assert registry_module._may_declare_entry_points()
    greeting = RunbookRegistry.discover().get("greeting")
    assert f"entry point greet ({module})" == greeting.origin
    listing = RunbookListing.discover([]).get("greeting")
    assert greeting.origin == listing.origin
    for name in (module, package.name):  # a name of this test's own: nothing to restore
        sys.modules.pop(name, None)


def test_a_plugin_that_is_a_top_level_module_is_discovered(
    site: Path, user_runbooks: Path
) -> None:
    """``greet = my_module`` (no package around it): found, not reported broken; it ships no
    templates of its own, so it uses the built-in ones and ``--templates``."""
    module = "psrunbook_test_toplevel_greeting"
    shutil.copy(user_runbooks / "greeting.py", site / f"{module}.py")
    _distribution(site, "toplevel_plugin", f"[psrunbook.runbooks]\ngreet = {module}\n")
    listing = RunbookListing.discover([])
    assert [] == [b.origin for b in listing.broken]
    assert f"entry point greet ({module})" == listing.get("greeting").origin
    sys.modules.pop(module, None)  # a name of this test's own: nothing to restore


def test_a_broken_installed_plugin_is_named(site: Path) -> None:
    _distribution(site, "broken_plugin", "[psrunbook.runbooks]\nbad = psrunbook_no_such_plugin\n")
    (broken,) = RunbookListing.discover([]).broken
    assert broken.origin == "entry point bad (psrunbook_no_such_plugin)"
    assert "ModuleNotFoundError" in broken.error


_ONLY_THE_ONE_ASKED_FOR = """
import json, sys
from psrunbook.runbook.registry import RunbookRegistry
registry = RunbookRegistry.discover()
names = [item.name for item in registry.found]
before = sorted(m for m in sys.modules if m.startswith("psrunbook.runbooks."))
runbook = registry.get("ssis-clustered")
after = sorted(m for m in sys.modules if m.startswith("psrunbook.runbooks.") and "._" not in m)
print(json.dumps({"names": names, "before": before, "after": after, "got": runbook.name}))
"""


def test_a_run_imports_only_the_built_in_runbook_it_asks_for() -> None:
    """Discovering knows every built-in name without importing a runbook module; ``get``
    imports the one asked for and no other (issue 16: the other four were about 0.5 %
    of a ``run --sim``)."""
    done = subprocess.run(
        [sys.executable, "-c", _ONLY_THE_ONE_ASKED_FOR],
        capture_output=True,
        text=True,
        check=True,
    )
    report = json.loads(done.stdout)
    assert {"cluster-report", "ssis-clustered", "ssis-standalone"} <= set(report["names"])
    assert [] == report["before"]
    assert ["psrunbook.runbooks.ssis_clustered"] == report["after"]
    assert "ssis-clustered" == report["got"]


def test_every_built_in_runbook_is_named_after_its_module() -> None:
    """The registry names a built-in by its module before importing it: loading every
    one checks that each module holds the runbook of that name."""
    registry = RunbookRegistry.discover()
    assert [item.name for item in registry.found] == [r.name for r in registry.runbooks]
    assert all(r.origin == "builtin" for r in registry.runbooks)
    # One object per name for the registry's life, as when every module was loaded at once.
    assert registry.get("ssis-clustered") is registry.get("ssis-clustered")


def test_a_built_in_module_holding_another_name_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A shipped module whose runbook has another name than the module is refused when
    it is loaded, naming the module and the file name it should have."""
    monkeypatch.setattr(
        cluster_report, "runbook", replace(cluster_report.runbook, name="cluster-summary")
    )
    registry = RunbookRegistry.discover()
    with pytest.raises(RunbookDefinitionError, match=r"cluster_summary\.py") as raised:
        registry.get("cluster-report")
    assert "psrunbook.runbooks.cluster_report" in str(raised.value)
    assert "ssis-clustered" == registry.get("ssis-clustered").name


def test_a_plugin_taking_a_built_in_name_is_refused(user_runbooks: Path, tmp_path: Path) -> None:
    """A user runbook named like a built-in one is refused, and the built-in with it, as
    before: the built-in names are known without importing the built-in modules."""
    text = (user_runbooks / "greeting.py").read_text(encoding="utf-8")
    assert 'name="greeting"' in text
    (tmp_path / "copied.py").write_text(
        text.replace('name="greeting"', 'name="ssis-clustered"'), encoding="utf-8"
    )
    registry = RunbookRegistry.discover([tmp_path])
    with pytest.raises(RunbookDefinitionError, match="'ssis-clustered' is defined twice"):
        registry.get("ssis-clustered")
