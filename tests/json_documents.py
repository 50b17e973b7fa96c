"""Reading a ``--json`` command's stdout as the one document the docs promise, checked.

``json.loads`` on the whole of stdout is the "nothing else there" check: a progress line,
a log event or a prompt on stdout makes it fail. The document is then validated against
its ``kind``'s definition in tests/schemas/cli_documents.schema.json.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # ships no stubs

SCHEMA_PATH = Path(__file__).resolve().parent / "schemas" / "cli_documents.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def document(stdout: str, kind: str) -> dict[str, Any]:
    """The single JSON document on ``stdout``, valid as the schema's ``kind``."""
    value = json.loads(stdout)
    assert isinstance(value, dict)
    assert kind == value.get("kind")
    schema = {**SCHEMA, "oneOf": [{"$ref": f"#/$defs/{kind}"}]}
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]
    assert [] == errors
    return value
