"""A runbook installed by entry point finds the templates its own package ships.

The plug-in is a real installed distribution: a package folder and a ``.dist-info`` with
``entry_points.txt`` on ``sys.path``, which is all ``importlib.metadata`` (and so pip's
installs) amount to. Its runbook is ``psrunbook new``'s scaffold moved into the package,
its template in ``<package>/ps_templates``; no ``--templates`` option is given.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.integration.conftest import Psrunbook

PACKAGE = "psrunbook_acme_plugin"
RUNBOOK = "acme-disk"


@pytest.fixture
def install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, psrunbook: Psrunbook
) -> Iterator[Callable[[dict[str, str]], Path]]:
    """Installs the plug-in into a site folder on ``sys.path``; extra files by relative path."""

    def installed(extra: dict[str, str]) -> Path:
        scaffold = tmp_path / "scaffold"
        psrunbook("new", RUNBOOK, "--dir", str(scaffold))
        site = tmp_path / "site"
        package = site / PACKAGE
        (package / "ps_templates").mkdir(parents=True)
        (package / "__init__.py").write_text('"""Acme\'s runbooks."""\n', encoding="utf-8")
        shutil.copy(scaffold / "runbooks" / "acme_disk.py", package / "acme_disk.py")
        shutil.copytree(scaffold / "templates", package / "ps_templates", dirs_exist_ok=True)
        for relative, text in extra.items():
            (package / relative).parent.mkdir(parents=True, exist_ok=True)
            (package / relative).write_text(text, encoding="utf-8")
        info = site / f"{PACKAGE}-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            "Metadata-Version: 2.1\nName: psrunbook-acme-plugin\nVersion: 1.0\n", encoding="utf-8"
        )
        (info / "entry_points.txt").write_text(
            f"[psrunbook.runbooks]\n{RUNBOOK} = {PACKAGE}.acme_disk\n", encoding="utf-8"
        )
        monkeypatch.syspath_prepend(str(site))
        return package

    yield installed
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def test_an_entry_point_runbook_runs_with_the_templates_its_package_ships(
    psrunbook: Psrunbook, install: Callable[[dict[str, str]], Path]
) -> None:
    install({})
    listed = psrunbook("list")
    line = next(line for line in listed.stdout.splitlines() if line.startswith(RUNBOOK))
    assert "entry point" in line
    linted = psrunbook("lint")
    assert linted.stdout.startswith("lint clean"), linted.stdout
    psrunbook("run", RUNBOOK, "--sim")
    assert "succeeded" == psrunbook.last_run().outcome
    again = psrunbook("plan", RUNBOOK, "--sim", "--detailed-exitcode")
    assert 0 == again.exit_code


def test_a_plugin_cannot_replace_a_builtin_template(
    psrunbook: Psrunbook, install: Callable[[dict[str, str]], Path]
) -> None:
    """Shipping ``_lib/prelude.ps1.j2`` would change every runbook's prelude: refused."""
    package = install({"ps_templates/_lib/prelude.ps1.j2": "# no strict mode here\n"})
    listed = psrunbook("list")
    assert "ssis-clustered" in listed.stdout
    warning = next(line for line in listed.stderr.splitlines() if RUNBOOK in line)
    assert "'_lib/prelude.ps1.j2'" in warning
    assert "already provides" in warning
    refused = psrunbook("plan", RUNBOOK, "--sim", expect=2)
    assert str(package / "ps_templates") in refused.stderr
    psrunbook("plan", "ssis-clustered", "--sim")
