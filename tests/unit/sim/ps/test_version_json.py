"""A ``[version]`` through ConvertTo-Json is an object of its public properties in
Windows PowerShell 5.1 (ConvertToJsonCommand's ``ProcessCustomObject``: System.Version is
no primitive, enum, dictionary or list); the lab wrote its text, which a step's result
would have carried only in the lab."""

from __future__ import annotations

import json

import pytest

from tests.unit.sim.ps.helpers import output_of


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.2.3.4", [1, 2, 3, 4, 0, 4]),
        ("5.1.17763.65540", [5, 1, 17763, 65540, 1, 4]),
        ("1.2", [1, 2, -1, -1, -1, -1]),
    ],
)
def test_a_version_is_written_as_its_properties(version: str, expected: list[int]) -> None:
    (text,) = output_of(f"ConvertTo-Json -InputObject @{{ v = [version]'{version}' }} -Compress")
    names = ["Major", "Minor", "Build", "Revision", "MajorRevision", "MinorRevision"]
    assert {"v": dict(zip(names, expected, strict=True))} == json.loads(str(text))


def test_a_version_as_text_stays_text() -> None:
    (text,) = output_of("ConvertTo-Json -InputObject @{ v = [string][version]'1.2.3' } -Compress")
    assert {"v": "1.2.3"} == json.loads(str(text))
