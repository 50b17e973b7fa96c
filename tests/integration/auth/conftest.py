"""A real MIT Kerberos realm per test session (per xdist worker), and its environment."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.kdc import Realm, start_realm


@pytest.fixture(scope="session")
def realm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Realm]:
    """A KDC with the user ``operator`` and ``host/127.0.0.1`` in the lab's keytab."""
    started = start_realm(tmp_path_factory.mktemp("realm"))
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def kerberos_env(realm: Realm, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Realm:
    """This process uses the realm (config, keytab) and holds the user's ticket in a
    credential cache of its own: a copy of the one the session's ``kinit`` filled, so a
    test that spoils its cache spoils no other, at the cost of a file copy, not a ``kinit``.
    """
    ccache = tmp_path / "ccache"
    shutil.copyfile(realm.ccache, ccache)
    mine = dataclasses.replace(realm, env={**realm.env, "KRB5CCNAME": f"FILE:{ccache}"})
    for name, value in mine.env.items():
        monkeypatch.setenv(name, value)
    return mine


def http_inventory(path: Path, port: int, *connection: str) -> Path:
    """An inventory of one node, NODE1 on 127.0.0.1:``port``, over HTTP with ``connection``."""
    path.write_text(
        "\n".join(
            [
                "[cluster]",
                'name = "CLUSTER1"',
                "[connection]",
                "ssl = false",
                *connection,
                "[[nodes]]",
                'name = "NODE1"',
                'address = "127.0.0.1"',
                f"port = {port}",
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return path
