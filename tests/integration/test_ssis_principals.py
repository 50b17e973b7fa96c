"""Principals of ``ssis-clustered`` (issue 12): the versioned service account by default,
another version's account refused, and every name Windows accepts, O'Brien included,
granted exactly once (values travel as parameters; nothing is string-built)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from psrunbook.sim.lab.lab_files import sample_lab
from tests.integration.test_execution import _seed_lab

if TYPE_CHECKING:
    from tests.integration.conftest import Psrunbook

PACKAGES = "ssis\\packages"


def _grantees(state: dict[str, Any]) -> list[str]:
    volume = next(v for v in state["shared_volumes"] if v["letter"] == "S")
    return [entry["identity"] for entry in volume["entries"][PACKAGES]["acl"]]


def test_the_default_principal_is_the_versioned_service_account(psrunbook: Psrunbook) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=2, sql_version="2022"))
    psrunbook("run", "ssis-clustered", "--sim", "--yes")
    assert ["NT SERVICE\\MsDtsServer160"] == _grantees(psrunbook.lab())


def test_another_versions_service_account_is_refused_with_the_right_one(
    psrunbook: Psrunbook,
) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=2))
    result = psrunbook(
        "run",
        "ssis-clustered",
        "--sim",
        "--yes",
        "-p",
        "package_principals=NT SERVICE\\MsDtsServer160",
        expect=2,
    )
    assert "write NT SERVICE\\MsDtsServer150" in result.stdout + result.stderr


@pytest.mark.parametrize("quote", ["'", "\u2019"])
def test_a_name_with_a_single_quote_is_granted_once(psrunbook: Psrunbook, quote: str) -> None:
    name = f"SIMLAB\\O{quote}Brien"
    lab = sample_lab(nodes=2)
    for node in lab.nodes.values():
        node.principals.append(name)
    _seed_lab(psrunbook, lab)
    psrunbook("run", "ssis-clustered", "--sim", "--yes", "-p", f"package_principals={name}")
    assert [name] == _grantees(psrunbook.lab())
    second = psrunbook(
        "run", "ssis-clustered", "--sim", "--yes", "-p", f"package_principals={name}"
    )
    assert "nothing to do" in second.stdout + second.stderr


def test_a_principal_is_compared_by_sid_not_by_spelling(psrunbook: Psrunbook) -> None:
    """Written with the domain's DNS name, the grant shows as SIMLAB\\\\... in Get-Acl; the
    second run translates both to SIDs and finds it (issue 12, review section 4)."""
    _seed_lab(psrunbook, sample_lab(nodes=2))
    alias = "package_principals=simlab.local\\SSIS Package Admins"
    psrunbook("run", "ssis-clustered", "--sim", "--yes", "-p", alias)
    assert ["SIMLAB\\SSIS Package Admins"] == _grantees(psrunbook.lab())
    second = psrunbook("run", "ssis-clustered", "--sim", "--yes", "-p", alias)
    assert "nothing to do" in second.stdout + second.stderr


def test_an_unknown_principal_fails_before_icacls_runs(psrunbook: Psrunbook) -> None:
    _seed_lab(psrunbook, sample_lab(nodes=2))
    result = psrunbook(
        "run",
        "ssis-clustered",
        "--sim",
        "--yes",
        "-p",
        "package_principals=SIMLAB\\nobody",
        expect=1,
    )
    assert "could not be translated" in result.stdout + result.stderr
    assert "icacls.exe" not in psrunbook.lab()["changes"]
