"""The read-only commands through the real CLI: list, show, lint, export and exit codes."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from psrunbook.cli.app import app
from psrunbook.runbook.examples import example_inventory, example_parameters
from psrunbook.runbook.registry import RunbookRegistry
from psrunbook.version import VERSION
from tests.conftest import REPO
from tests.json_documents import document


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


def test_list_keeps_every_runbook_name_whole_in_a_narrow_terminal() -> None:
    """A name is what `show`, `plan` and `run` take: never cut with an ellipsis or broken
    across lines, however narrow the terminal; the summary wraps and loses no letter."""
    result = CliRunner().invoke(app, ["list"], env={"COLUMNS": "40"})
    assert 0 == result.exit_code, result.output
    names = [line.split()[0] for line in result.output.splitlines()[1:] if line[:1].strip()]
    assert names == [runbook.name for runbook in RunbookRegistry.discover().runbooks]
    assert "\u2026" not in result.output


def test_show_lists_parameters_steps_and_advisories() -> None:
    """show prints every parameter, every step with its target, and the advisories."""
    code, out = invoke("show", "ssis-clustered")
    assert 0 == code
    for text in ("sql_version", "package_principals", "10 bring-online", "[warning] SSIS-"):
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


# --------------------------------------------------------------------------- issue 15


def invoke_split(*args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr apart: --json promises stdout holds the document alone."""
    result = CliRunner().invoke(app, list(args))
    assert "Traceback" not in result.output
    return result.exit_code, result.stdout, result.stderr


def test_list_json_is_one_document(user_runbooks: Path) -> None:
    """list --json prints one runbook-list document naming every runbook and its origin."""
    code, out, _ = invoke_split("--runbooks", str(user_runbooks), "list", "--json")
    assert 0 == code
    listed = {r["name"]: r["origin"] for r in document(out, "runbook-list")["runbooks"]}
    registry = RunbookRegistry.discover((user_runbooks,))
    assert {r.name: r.origin for r in registry.runbooks} == listed


def test_show_json_is_one_document() -> None:
    """show --json gives every parameter (defaults as JSON), the advisories and the steps."""
    code, out, _ = invoke_split("show", "ssis-clustered", "--json")
    assert 0 == code
    shown = document(out, "runbook")
    parameters = {p["name"]: p for p in shown["parameters"]}
    assert {"required": True, "examples": ["S:\\SSIS"]} == {
        k: parameters["shared_folder"][k] for k in ("required", "examples")
    }
    assert (False, []) == (
        parameters["possible_owners"]["required"],
        parameters["possible_owners"]["default"],
    )
    assert parameters["ssis_group"]["default"] is None
    assert "bring-online" in [s["name"] for s in shown["steps"]]
    assert any(a["code"] == "SSIS-NOT-RECOMMENDED" for a in shown["advisories"])


def test_show_prints_defaults_and_examples_as_toml(tmp_path: Path) -> None:
    """show spells defaults and examples as TOML a params file accepts, without Python reprs."""
    code, out = invoke("show", "ssis-standalone")
    assert 0 == code
    assert "PydanticUndefined" not in out
    assert "\\\\" not in out  # no doubled backslashes: 'S:\SSIS' is a TOML literal string
    assert "store_path (str, default '..\\Packages')" in out
    examples = [
        line.strip().removeprefix("example: ") for line in out.splitlines() if "example: " in line
    ]
    assert examples
    pasted = tomllib.loads("\n".join(examples))
    assert ["SQLVS01", "SQLVS02\\INST2"] == pasted["instances"]
    code, out = invoke("show", "cluster-report")
    assert "include_ssis (bool, default true)" in out


def test_version_prints_the_installed_version() -> None:
    """--version and -V print the installed distribution's version and exit 0; the
    distribution's metadata takes its version from psrunbook.version, so they agree."""
    for flag in ("--version", "-V"):
        code, out, _ = invoke_split(flag)
        assert (0, f"psrunbook {VERSION}\n") == (code, out)
    assert importlib.metadata.version("psrunbook") == VERSION


def test_shell_completion_is_offered() -> None:
    """typer's completion options exist, and the script completes `psrunbook` in bash.

    ``--show-completion`` takes no value: typer detects the shell from the process's
    parents (shellingham), so the installed command is started from bash, as an operator
    would start it. Run in-process, the answer would depend on whatever shell started the
    test run (under ``sh`` it is "Shell sh not supported").
    """
    code, out, _ = invoke_split("--help")
    assert 0 == code
    assert "--install-completion" in out
    bash = shutil.which("bash")
    assert bash is not None, "bash is needed to check its completion script"
    command = str(Path(sys.executable).with_name("psrunbook"))
    shown = subprocess.run(
        # Through a command substitution: bash runs it in a bash subshell, never exec'ing
        # the command in its own place (as it would a lone command), so bash is its parent.
        [bash, "-c", 'shown=$("$0" --show-completion) || exit; printf "%s\\n" "$shown"', command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert 0 == shown.returncode, shown.stderr
    assert "_PSRUNBOOK_COMPLETE=complete_bash" in shown.stdout
    assert "complete -o default -F _psrunbook_completion psrunbook" in shown.stdout


def test_tab_completes_runbook_names() -> None:
    """Tab after `show` or `plan` offers the runbook names that start with what was typed."""
    for words in ("psrunbook show ssis", "psrunbook plan ssis"):
        env = {"_PSRUNBOOK_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": "2"}
        result = CliRunner().invoke(app, [], prog_name="psrunbook", env=env)
        assert [
            "ssis-clustered",
            "ssis-clustered-undo",
            "ssis-failover-drill",
            "ssis-standalone",
        ] == result.stdout.split()


def test_show_says_which_steps_roll_and_which_go_node_by_node() -> None:
    """A rolling step reads "one at a time", a step that does not wait "node by node"."""
    code, out = invoke("show", "ssis-standalone")
    assert 0 == code
    assert "02 write-config:" in out
    assert "[every-node, one at a time, node by node, changes]" in out
    assert "start it if not [every-node, changes]" in out
    code, out, _ = invoke_split("show", "ssis-clustered-undo", "--json")
    steps = {s["name"]: s for s in document(out, "runbook")["steps"]}
    assert (False, False) == (steps["service"]["serial"], steps["service"]["waits_for_all_nodes"])
    assert steps["config-registry"]["waits_for_all_nodes"] is True


def test_show_of_a_runbook_whose_steps_it_refuses_exits_2_naming_the_step(
    tmp_path: Path, user_runbooks: Path
) -> None:
    """A step that asks to skip the wait where it cannot is a runbook error, never a traceback."""
    source = (user_runbooks / "greeting.py").read_text()
    broken = source.replace(
        "            Target.ANY_NODE,\n",
        "            Target.ANY_NODE,\n            waits_for_all_nodes=False,\n",
    ).replace('name="greeting"', 'name="broken-greeting"')
    assert broken != source
    (tmp_path / "broken.py").write_text(broken)
    templates = REPO / "tests" / "fixtures" / "user_templates"
    code, out = invoke(
        "--runbooks", str(tmp_path), "--templates", str(templates), "show", "broken-greeting"
    )
    assert 2 == code
    assert "step 'greet-any' does not wait for all nodes" in out
    assert "set waits_for_all_nodes=True" in out


def test_a_runbook_whose_own_code_fails_is_reported_by_show_lint_and_plan(
    tmp_path: Path, user_runbooks: Path, example_inventory_path: Path
) -> None:
    """A plug-in's typo (a TypeError while building its steps) is named with its place:
    ``show`` and ``plan`` exit 2, ``lint`` reports it as an error; never a traceback."""
    source = (user_runbooks / "greeting.py").read_text()
    broken = source.replace(
        "            Target.ANY_NODE,\n", "            Target.ANY_NODE,\n            retries=3,\n"
    ).replace('name="greeting"', 'name="typo-greeting"')
    assert broken != source
    (tmp_path / "typo.py").write_text(broken)
    options = (
        "--runbooks",
        str(tmp_path),
        "--templates",
        str(REPO / "tests/fixtures/user_templates"),
    )
    expected = "building its steps failed: TypeError:"
    code, out = invoke(*options, "show", "typo-greeting")
    assert (2, True) == (code, expected in out)
    assert "typo.py:" in out
    code, out = invoke(*options, "lint")
    assert (1, True) == (code, expected in out)
    code, out = invoke(*options, "plan", "typo-greeting", "--sim", "-p", "name=x")
    assert (2, True) == (code, expected in out)
