"""A plan file's field names are quoted in its refusal: a key with a line break cannot
add a forged ``error:`` line to the message."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from psrunbook.canonical_json import canonical_json
from psrunbook.plan_file import PLAN_FORMAT, PlanFileError, read_plan


def test_a_control_character_in_a_field_name_is_written_as_an_escape(tmp_path: Path) -> None:
    body = {"x\nerror: fake": 1}
    digest = hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()
    path = tmp_path / "plan.json"
    path.write_text(json.dumps({"format": PLAN_FORMAT, "plan": body, "sha256": digest}))
    with pytest.raises(PlanFileError) as refused:
        read_plan(path)
    message = str(refused.value)
    assert "\n" not in message
    assert "x\\x0aerror: fake" in message
