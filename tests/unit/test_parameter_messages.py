"""Runbook parameter refusals name the cause: the field, the file, and what the value is.

Through the real CLI (``export`` validates without a cluster, ``plan --sim`` against the
embedded lab): keys with control characters cannot forge a second ``error:`` line, a
boolean given for a number is called a boolean, and undo's per-node tables refuse two
spellings of one node by field name.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from psrunbook.cli.app import app
from tests.conftest import REPO

INVENTORY = REPO / "examples" / "inventory.toml"
SSIS_PARAMS = (REPO / "examples" / "ssis-clustered.toml").read_text(encoding="utf-8")
UNDO_PARAMS = 'sql_version = "2019"\n'


def export(
    tmp_path: Path, runbook: str, params: str, *options: str, first: tuple[str, ...] = ()
) -> tuple[int, str]:
    """``psrunbook [first] export RUNBOOK ... [options]`` with ``params`` as the file."""
    params_file = tmp_path / "params.toml"
    params_file.write_text(params, encoding="utf-8")
    result = CliRunner().invoke(
        app,
        [
            *first,
            "export",
            runbook,
            "-i",
            str(INVENTORY),
            "--params-file",
            str(params_file),
            "-o",
            str(tmp_path / "bundle"),
            *options,
        ],
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def forged(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("error: fake")]


def test_a_params_file_key_with_a_line_break_stays_on_its_line(tmp_path: Path) -> None:
    """An unknown key holding "\\nerror: fake" is shown escaped, on one line."""
    code, out = export(tmp_path, "ssis-clustered", SSIS_PARAMS + '"k\\nerror: fake" = 1\n')
    assert (2, []) == (code, forged(out))
    assert "k\\x0aerror: fake: unknown parameter" in out


def test_a_nested_key_with_a_line_break_stays_on_its_line(tmp_path: Path) -> None:
    """The control-character check quotes nested keys too."""
    code, out = export(tmp_path, "ssis-clustered", '[x]\n"a\\nerror: fake" = "\\u0001"\n')
    assert (2, []) == (code, forged(out))
    assert "x.a\\x0aerror: fake: control character U+0001" in out


def test_a_command_line_key_with_a_line_break_stays_on_its_line(tmp_path: Path) -> None:
    """-p with a line break in the key is quoted like a file's key."""
    code, out = export(tmp_path, "ssis-clustered", SSIS_PARAMS, "-p", "k\nerror: fake=1")
    assert (2, []) == (code, forged(out))
    assert "k\\x0aerror: fake: unknown parameter" in out


def test_a_boolean_for_a_number_says_it_is_a_boolean(tmp_path: Path) -> None:
    """online_timeout_s = true is "a boolean, not a number", in the file it came from."""
    params = SSIS_PARAMS.replace("online_timeout_s = 120", "online_timeout_s = true")
    code, out = export(tmp_path, "ssis-clustered", params)
    assert 2 == code
    assert "online_timeout_s: is true, a boolean, not a number; give a whole number" in out
    assert "params.toml" in out.split("online_timeout_s:", 1)[1]
    assert "greater than or equal" not in out


def test_a_boolean_inside_a_numbers_range_is_refused_too(
    tmp_path: Path, user_runbooks: Path
) -> None:
    """repeat = true (ge=1) would pass as 1: a boolean is not a number at all."""
    code, out = export(
        tmp_path,
        "greeting",
        'name = "w"\nrepeat = true\n',
        first=("--runbooks", str(user_runbooks)),
    )
    assert 2 == code, out
    assert "repeat: is true, a boolean, not a number" in out


def test_undo_refuses_two_spellings_of_one_node_naming_the_field(tmp_path: Path) -> None:
    """recorded_config_files keys SQLNODE1 and sqlnode1 are one node: the field is named."""
    params = UNDO_PARAMS + (
        '[recorded_config_files]\nSQLNODE1 = "C:\\\\a.xml"\nsqlnode1 = "C:\\\\b.xml"\n'
    )
    code, out = export(tmp_path, "ssis-clustered-undo", params)
    assert 2 == code
    assert "recorded_config_files: " in out
    assert "lists node 'sqlnode1' twice (also as 'SQLNODE1')" in out


def test_undo_plan_refuses_two_spellings_of_one_node(tmp_path: Path) -> None:
    """plan refuses them too (before, it planned as if they were two nodes)."""
    params = tmp_path / "params.toml"
    params.write_text(
        UNDO_PARAMS + '[recorded_service_states.NODE1]\nstart_type = "Manual"\nstatus = "Stopped"\n'
        '[recorded_service_states.node1]\nstart_type = "Manual"\nstatus = "Stopped"\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app,
        [
            "plan",
            "ssis-clustered-undo",
            "--sim",
            "--state-dir",
            str(tmp_path / "state"),
            "--params-file",
            str(params),
        ],
    )
    assert 2 == result.exit_code, result.output
    assert "recorded_service_states: " in result.output
    assert "lists node 'node1' twice (also as 'NODE1')" in result.output
