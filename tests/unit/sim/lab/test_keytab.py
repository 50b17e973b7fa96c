"""Reading the principals of an MIT keytab, for ``sim serve --auth kerberos``'s notes.

A real keytab (written by ``kadmin.local ktadd``) is read in
tests/integration/auth/test_kerberos_end_to_end.py; these cover the format's corners.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from psrunbook.sim.lab.keytab import KeytabError, keytab_principals
from tests.support.kdc import write_keytab


def test_every_principal_once_in_order_past_removed_entries(tmp_path: Path) -> None:
    path = write_keytab(
        tmp_path / "k.keytab",
        ["host/127.0.0.1@R.TEST", "HTTP/127.0.0.1@R.TEST", "host/127.0.0.1@R.TEST", "u@R.TEST"],
        holes=2,
    )
    assert ("host/127.0.0.1@R.TEST", "HTTP/127.0.0.1@R.TEST", "u@R.TEST") == (
        keytab_principals(path)
    )


def test_an_empty_keytab_holds_nothing(tmp_path: Path) -> None:
    assert () == keytab_principals(write_keytab(tmp_path / "k.keytab", []))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is not an MIT keytab"),
        (b"[libdefaults]\n", "is not an MIT keytab"),
        (b"\x05\x02\x00\x00\x00\x10\x00\x01\x00\x40R", "a damaged keytab entry at byte 6"),
    ],
    ids=["empty file", "not a keytab", "truncated entry"],
)
def test_a_file_that_is_not_a_keytab_is_refused(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "k.keytab"
    path.write_bytes(content)
    with pytest.raises(KeytabError, match=message):
        keytab_principals(path)
