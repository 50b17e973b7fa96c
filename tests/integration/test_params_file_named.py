"""`plan` and `run` name the parameter file a bad value came from, as `export` does."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("command", ["plan", "run"])
def test_a_bad_value_from_the_params_file_names_the_file(
    psrunbook: Psrunbook, tmp_path: Path, command: str
) -> None:
    params = tmp_path / "ssis.toml"
    params.write_text('online_timeout_s = "soon"\n', encoding="utf-8")
    extra = ["--yes"] if command == "run" else []
    refused = psrunbook(
        command, "ssis-clustered", "--sim", "--params-file", str(params), *extra, expect=2
    )
    assert "online_timeout_s: Input should be a valid integer" in refused.stderr
    assert f"(in {params})" in refused.stderr
    assert [] == psrunbook.runs()
