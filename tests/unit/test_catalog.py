"""The FailoverClusters catalog file has one reader, shared by the linter, simulator and results."""

from __future__ import annotations

import ast
from pathlib import Path

from psrunbook.catalog import catalog_document, load_catalog
from psrunbook.sim.lab.specs import facts

PACKAGE = Path(__file__).resolve().parents[2] / "psrunbook"
CATALOG_FILE = "failoverclusters.json"


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring constants in a module, which may name the file freely."""
    owners = [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.ClassDef))]
    return {
        id(owner.body[0].value)
        for owner in owners
        if owner.body
        and isinstance(owner.body[0], ast.Expr)
        and isinstance(owner.body[0].value, ast.Constant)
    }


def test_only_the_catalog_module_names_the_file_in_code() -> None:
    """No module but psrunbook/catalog.py opens failoverclusters.json (messages may name it)."""
    readers = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value.endswith(CATALOG_FILE)
                and id(node) not in docstrings
            ):
                readers.append(str(path.relative_to(PACKAGE.parent)))
    assert ["psrunbook/catalog.py"] == readers


def test_simulator_and_results_share_the_one_parsed_document() -> None:
    """The simulator's specs see the very document the catalog parsed, not a second copy."""
    assert catalog_document() is facts()
    assert load_catalog().names == tuple(sorted(catalog_document()["cmdlets"]))
