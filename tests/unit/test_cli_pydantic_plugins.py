"""The ``psrunbook`` command loads no pydantic plugin unless the operator asks for one.

A real plugin distribution (a ``*.dist-info`` with a ``pydantic`` entry point, on
``PYTHONPATH``) records in a file when pydantic imports it; ``psrunbook lint`` builds
pydantic models, so pydantic would load it there. The cases where the operator sets the
variable show that the plugin is found and loaded when allowed: the default case cannot
pass by a plugin that would never load.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from psrunbook.cli import pydantic_plugins

PLUGIN_MODULE = """
import os
with open(os.environ["PSRUNBOOK_TEST_PLUGIN_MARK"], "a", encoding="utf-8") as mark:
    mark.write("loaded\\n")


class _Plugin:
    def new_schema_validator(self, *args, **kwargs):
        return None, None, None


plugin = _Plugin()
"""


def _plugin_distribution(folder: Path) -> None:
    info = folder / "psrunbook_test_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: psrunbook-test-plugin\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[pydantic]\nrecorder = psrunbook_test_plugin:plugin\n", encoding="utf-8"
    )
    (folder / "psrunbook_test_plugin.py").write_text(PLUGIN_MODULE, encoding="utf-8")


def _lint_loads_the_plugin(tmp_path: Path, setting: str | None) -> bool:
    """Run ``python -m psrunbook lint`` with the variable unset (None) or set; True when
    pydantic imported the plugin."""
    site = tmp_path / "site"
    _plugin_distribution(site)
    mark = tmp_path / "mark"
    env = {k: v for k, v in os.environ.items() if k != pydantic_plugins.VARIABLE}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(site), env.get("PYTHONPATH")]))
    env["PSRUNBOOK_TEST_PLUGIN_MARK"] = str(mark)
    if setting is not None:
        env[pydantic_plugins.VARIABLE] = setting
    completed = subprocess.run(
        [sys.executable, "-m", "psrunbook", "lint"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert completed.returncode == 0, completed.stderr
    return mark.exists()


def test_the_command_loads_no_plugin_by_default(tmp_path: Path) -> None:
    assert not _lint_loads_the_plugin(tmp_path, None)


@pytest.mark.parametrize("setting", ["", "another-plugin"])
def test_an_operator_who_sets_the_variable_gets_the_plugins(tmp_path: Path, setting: str) -> None:
    assert _lint_loads_the_plugin(tmp_path, setting)


@pytest.mark.parametrize("setting", ["__all__", "recorder"])
def test_an_operator_can_turn_them_off_by_name_or_all(tmp_path: Path, setting: str) -> None:
    assert not _lint_loads_the_plugin(tmp_path, setting)


def test_a_value_in_the_environment_is_left_as_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(pydantic_plugins.VARIABLE, "")
    pydantic_plugins.keep_plugins_off_unless_asked()
    assert os.environ[pydantic_plugins.VARIABLE] == ""


def test_an_unset_variable_turns_every_plugin_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pydantic_plugins.VARIABLE, raising=False)
    pydantic_plugins.keep_plugins_off_unless_asked()
    assert os.environ[pydantic_plugins.VARIABLE] == pydantic_plugins.ALL
