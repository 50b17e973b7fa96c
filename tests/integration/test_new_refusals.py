"""`psrunbook new` refuses before writing anything: no file, no folder left behind.

A name a runbook already has (built-in or plug-in) would give a scaffold that cannot
load ("defined twice"); a name too long for its files, or a --dir under a regular file,
cannot be written. Each is exit 2 with the fix, and the --dir is left as it was.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from typer.testing import CliRunner

from psrunbook.cli.app import app


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def test_new_refuses_the_name_of_a_built_in_runbook(tmp_path: Path) -> None:
    """new ssis-clustered: exit 2 (it would be defined twice), nothing written."""
    code, out = invoke("new", "ssis-clustered", "--dir", str(tmp_path / "ops"))
    assert (2, True) == (code, "runbook name 'ssis-clustered' is taken (a built-in runbook)" in out)
    assert [] == list(tmp_path.iterdir())


def test_new_refuses_the_name_of_a_plugin_runbook(tmp_path: Path, user_runbooks: Path) -> None:
    """new greeting with --runbooks holding greeting: exit 2 naming its file."""
    code, out = invoke(
        "--runbooks", str(user_runbooks), "new", "greeting", "--dir", str(tmp_path / "ops")
    )
    assert 2 == code
    assert f"is taken (defined by {user_runbooks / 'greeting.py'})" in out
    assert [] == list(tmp_path.iterdir())


def test_new_refuses_a_runbook_of_that_name_in_its_own_folder(tmp_path: Path) -> None:
    """A runbook named so in DIR/runbooks (another file name) is found too."""
    assert 0 == invoke("new", "disk-check", "--dir", str(tmp_path))[0]
    module = tmp_path / "runbooks" / "disk_check.py"
    module.rename(tmp_path / "runbooks" / "renamed.py")
    shutil.rmtree(tmp_path / "templates")
    shutil.rmtree(tmp_path / "tests")
    code, out = invoke("new", "disk-check", "--dir", str(tmp_path))
    assert (2, True) == (code, "runbook name 'disk-check' is taken" in out)
    assert ["renamed.py"] == [p.name for p in (tmp_path / "runbooks").glob("*.py")]
    assert ["runbooks"] == [p.name for p in tmp_path.iterdir()]


def test_new_refuses_a_name_too_long_and_leaves_no_folder(tmp_path: Path) -> None:
    """A 300-character name: exit 2 before ops/runbooks/ or anything else is made."""
    code, out = invoke("new", "a" * 300, "--dir", str(tmp_path / "ops"))
    assert (2, True) == (code, "at most 64 characters" in out)
    assert [] == list(tmp_path.iterdir())


def test_new_refuses_a_dir_under_a_regular_file(tmp_path: Path) -> None:
    """--dir FILE/sub: exit 2 naming the file, nothing made."""
    (tmp_path / "f").write_text("x\n", encoding="utf-8")
    code, out = invoke("new", "x", "--dir", str(tmp_path / "f" / "sub"))
    assert (2, True) == (code, f"{tmp_path / 'f'} is not a directory" in out)
    assert ["f"] == [p.name for p in tmp_path.iterdir()]
