"""The one JSON spelling psrunbook hashes and writes: sorted keys, indented, LF-ended.

A module of its own so that every run can hash its parameters with it without importing
:mod:`psrunbook.bundle` (its manifest models, verifier and review text), which only a
run from an approved bundle reads (issue 16).
"""

from __future__ import annotations

import json
from typing import Any


def canonical_json(value: Any) -> str:
    """The one JSON spelling used for hashing and for files: sorted, indented, LF-ended."""
    return json.dumps(value, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
