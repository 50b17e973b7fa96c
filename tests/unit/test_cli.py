"""The read-only commands through the real CLI: list, show, lint, export and exit codes."""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from psrunbook.cli.app import app
from psrunbook.runbook.examples import example_inventory, example_parameters
from psrunbook.runbook.registry import RunbookRegistry
from tests.conftest import REPO


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_list_shows_builtin_and_user_runbooks(user_runbooks: Path) -> None:
    """list names the built-in runbooks and those of a --runbooks folder with its origin."""
    code, out = invoke("--runbooks", str(user_runbooks), "list")
    assert 0 == code
    for name in ("cluster-report", "ssis-clustered", "ssis-standalone", "greeting"):
        assert name in out


def test_show_lists_parameters_steps_and_advisories() -> None:
    """show prints every parameter, every step with its target, and the advisories."""
    code, out = invoke("show", "ssis-clustered")
    assert 0 == code
    for text in ("sql_version", "package_principals", "09 bring-online", "[warning] SSIS-"):
        assert text in out


def test_lint_covers_every_runbook_step() -> None:
    """lint renders every step of every runbook with its examples and finds nothing."""
    registry = RunbookRegistry.discover()
    steps = 0
    for runbook in registry.runbooks:
        params = example_parameters(runbook.parameters)
        assert params is not None, runbook.name
        steps += len(runbook.steps(params, example_inventory()))
    code, out = invoke("lint")
    assert 0 == code
    assert f"lint clean: {steps} rendered scripts" in out


def test_lint_fails_on_a_bad_template(tmp_path: Path, user_runbooks: Path) -> None:
    """A template that interpolates a value makes lint exit 1 naming the template."""
    templates = tmp_path / "templates"
    shutil.copytree(REPO / "tests" / "fixtures" / "user_templates", templates)
    bad = templates / "demo" / "set_greeting.ps1.j2"
    bad.write_text(bad.read_text() + "Write-Output '{{ \"x\" }}'\n")
    code, out = invoke("--runbooks", str(user_runbooks), "--templates", str(templates), "lint")
    assert 1 == code
    assert "demo/set_greeting.ps1.j2" in out


def test_unknown_runbook_is_usage_error() -> None:
    """An unknown runbook exits 2 with one line naming the known ones."""
    code, out = invoke("show", "nope")
    assert 2 == code
    assert "error: no runbook named 'nope'; known runbooks:" in out


def test_export_without_inputs_is_usage_error() -> None:
    """export without inventory and output says what it needs and exits 2."""
    code, out = invoke("export", "cluster-report")
    assert 2 == code
    assert "export needs RUNBOOK, --inventory and --output" in out


def test_export_then_verify_and_tamper(tmp_path: Path, example_inventory_path: Path) -> None:
    """export writes a bundle --verify accepts; one changed byte makes --verify exit 1."""
    out_dir = tmp_path / "review"
    code, _ = invoke(
        "export",
        "ssis-clustered",
        "-i",
        str(example_inventory_path),
        "--params-file",
        str(REPO / "examples" / "ssis-clustered.toml"),
        "-o",
        str(out_dir),
    )
    assert 0 == code
    code, out = invoke("export", "--verify", str(out_dir))
    assert (0, True) == (code, "verified" in out)
    script = out_dir / "05-shared-config.ps1"
    script.write_bytes(script.read_bytes().replace(b"Stop", b"Stap", 1))
    code, out = invoke("export", "--verify", str(out_dir))
    assert 1 == code
    assert "TAMPERED 05-shared-config.ps1: changed since export" in out


def test_bad_parameter_is_usage_error(tmp_path: Path, example_inventory_path: Path) -> None:
    """An invalid parameter value exits 2 naming the field, and writes no bundle."""
    code, out = invoke(
        "export",
        "ssis-clustered",
        "-i",
        str(example_inventory_path),
        "--params-file",
        str(REPO / "examples" / "ssis-clustered.toml"),
        "-p",
        "sql_version=2031",
        "-o",
        str(tmp_path / "b"),
    )
    assert 2 == code
    assert "sql_version" in out
    assert not (tmp_path / "b").exists()
