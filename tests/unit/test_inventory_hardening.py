"""Inventory input an adversarial probe found accepted or badly reported, through the real loader.

Node addresses, PEM file settings, proxy values, keys with control characters and
``password_command`` (run for real): each is exit 2 material, named by file and key, with
no traceback and no secret in the message.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import sqlite3
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from psrunbook.cli.app import app
from psrunbook.errors import InventoryError
from psrunbook.inventory import PASSWORD_COMMAND_MAX_BYTES, load_inventory
from psrunbook.secrets import clear_secrets

CLUSTER = '[cluster]\nname = "C1"\n'
NODE = '[[nodes]]\nname = "N1"\naddress = "{address}"\n'
CERT_AUTH = (
    '[connection]\nauth = "certificate"\ncertificate_pem = "{cert}"\n'
    'certificate_key_pem = "{key}"\n'
)


@pytest.fixture(autouse=True)
def _no_secrets() -> Iterator[None]:
    yield
    clear_secrets()


def write(tmp_path: Path, text: str, name: str = "inventory.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def inventory(tmp_path: Path, connection: str = "", address: str = "sqlnode1.contoso.com") -> Path:
    return write(tmp_path, CLUSTER + NODE.format(address=address) + connection)


def refusal(path: Path) -> str:
    with pytest.raises(InventoryError) as info:
        load_inventory(path)
    return str(info.value)


# --------------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    "address",
    [
        "[]",
        "[",
        "]",
        "[abc]",
        "[:::]",
        "%",
        "%%",
        "host%eth0",
        ".",
        "..",
        "sqlnode1..contoso.com",
        ".sqlnode1",
        "-",
        "sqlnode1-.contoso.com",
        "a" * 64 + ".contoso.com",
        "999.999.999.999",
        "10.0.0",
        "1234",
        "0.0.0.0",
        "::",
        "ff02::1",
        "fd00::1::2",
    ],
)
def test_a_malformed_address_is_refused_naming_the_node_and_field(
    tmp_path: Path, address: str
) -> None:
    """An address the URL or the resolver cannot read as one host is refused at load."""
    message = refusal(inventory(tmp_path, address=address))
    assert 'nodes[0].address (node "N1"): ' in message
    assert "give a host name" in message or "`port` key" in message


@pytest.mark.parametrize(
    ("address", "host"),
    [
        ("sqlnode1.contoso.com", "sqlnode1.contoso.com"),
        ("sqlnode1.contoso.com.", "sqlnode1.contoso.com."),
        ("SQL_NODE1", "SQL_NODE1"),
        ("10.0.0.11", "10.0.0.11"),
        ("fd00::11", "fd00::11"),
        ("[fd00::11]", "fd00::11"),
        ("fe80::1%eth0", "fe80::1%eth0"),
        ("[::ffff:127.0.0.1]", "::ffff:127.0.0.1"),
    ],
)
def test_host_names_and_ip_addresses_are_accepted(tmp_path: Path, address: str, host: str) -> None:
    """Host names (a trailing dot, '_' as Windows allows), IPv4, IPv6 with or without
    brackets and with a zone load, the brackets dropped."""
    assert host == load_inventory(inventory(tmp_path, address=address)).nodes[0].address


def test_plan_with_a_bracket_address_exits_2_and_journals_nothing(tmp_path: Path) -> None:
    """plan refuses the inventory before any run starts: no failed run in the journal."""
    path = inventory(tmp_path, address="[]")
    state = tmp_path / "state"
    result = CliRunner().invoke(
        app,
        ["plan", "cluster-report", "-i", str(path), "--state-dir", str(state)],
    )
    assert (2, 0) == (result.exit_code, _journaled_runs(state)), result.output
    assert 'nodes[0].address (node "N1")' in result.output
    assert "Traceback" not in result.output


def _journaled_runs(state: Path) -> int:
    """How many runs the local journal in ``state`` holds (none without a journal)."""
    journal = state / "journal.sqlite3"
    if not journal.exists():
        return 0
    with contextlib.closing(sqlite3.connect(f"file:{journal}?mode=ro", uri=True)) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        return int(db.execute("SELECT count(*) FROM runs").fetchone()[0]) if "runs" in tables else 0


# --------------------------------------------------------------------------- PEM files


def _certificate_and_key(directory: Path) -> tuple[Path, Path, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "psrunbook-test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "client.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path = directory / "client.key"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path, key


def test_real_certificate_and_key_files_are_accepted(tmp_path: Path) -> None:
    """A PEM certificate and its PKCS#8 key load; the same certificate is a CA bundle too."""
    cert, key, _ = _certificate_and_key(tmp_path)
    loaded = load_inventory(inventory(tmp_path, CERT_AUTH.format(cert=cert, key=key)))
    assert (cert, key) == (loaded.connection.certificate_pem, loaded.connection.certificate_key_pem)
    bundle = load_inventory(inventory(tmp_path, f'[connection]\nca_bundle = "{cert}"\n'))
    assert cert == bundle.connection.ca_bundle


def test_a_ca_bundle_that_is_not_pem_is_refused_at_load(tmp_path: Path) -> None:
    """A text file without a certificate (/etc/hostname, say) is refused naming the key."""
    (tmp_path / "hostname").write_text("sqlnode1\n", encoding="utf-8")
    message = refusal(inventory(tmp_path, '[connection]\nca_bundle = "hostname"\n'))
    assert "connection.ca_bundle: " in message
    assert "holds no PEM block" in message


def test_a_ca_bundle_that_is_a_directory_says_so(tmp_path: Path) -> None:
    """A folder is reported as a folder, not as a file that does not exist."""
    (tmp_path / "certs").mkdir()
    message = refusal(inventory(tmp_path, '[connection]\nca_bundle = "certs"\n'))
    assert "connection.ca_bundle: " in message
    assert "is a directory" in message
    assert "does not exist" not in message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_ca_bundle_that_is_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    """The hardened reader refuses a FIFO rather than waiting for a writer."""
    os.mkfifo(tmp_path / "ca.pem")
    message = refusal(inventory(tmp_path, '[connection]\nca_bundle = "ca.pem"\n'))
    assert "a FIFO (named pipe), not a regular file" in message


def test_an_empty_ca_bundle_is_refused_as_empty(tmp_path: Path) -> None:
    """ca_bundle = "" is not the inventory's folder: it is refused as empty."""
    message = refusal(inventory(tmp_path, '[connection]\nca_bundle = ""\n'))
    assert "connection.ca_bundle: is empty; give a PEM file path" in message


def test_a_home_directory_of_an_unknown_user_is_bad_input(tmp_path: Path) -> None:
    """~user of no such user is an InventoryError naming the key, not a RuntimeError."""
    path = inventory(tmp_path, '[connection]\nca_bundle = "~nosuchuser_zz/ca.pem"\n')
    message = refusal(path)
    assert "connection.ca_bundle: ~nosuchuser_zz/ca.pem starts with a ~" in message


def test_a_certificate_given_as_the_key_is_named_as_such(tmp_path: Path) -> None:
    """certificate_key_pem holding a certificate says it holds a certificate."""
    cert, _, _ = _certificate_and_key(tmp_path)
    message = refusal(inventory(tmp_path, CERT_AUTH.format(cert=cert, key=cert)))
    assert "connection.certificate_key_pem: " in message
    assert "holds a certificate, not a private key" in message


def test_a_key_given_as_the_certificate_is_named_as_such(tmp_path: Path) -> None:
    """certificate_pem holding a private key says so, and never shows the key."""
    _, key, _ = _certificate_and_key(tmp_path)
    message = refusal(inventory(tmp_path, CERT_AUTH.format(cert=key, key=key)))
    assert "connection.certificate_pem: " in message
    assert "holds a private key, not a certificate" in message
    assert key.read_text(encoding="ascii").splitlines()[1] not in message


@pytest.mark.parametrize(
    "private_format",
    [serialization.PrivateFormat.PKCS8, serialization.PrivateFormat.TraditionalOpenSSL],
)
def test_an_encrypted_key_is_refused_at_load(
    tmp_path: Path, private_format: serialization.PrivateFormat
) -> None:
    """An encrypted key (PKCS#8 or OpenSSL's Proc-Type form) would make TLS ask for a
    passphrase mid-run: refused, with how to store it unencrypted."""
    cert, key, private = _certificate_and_key(tmp_path)
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            private_format,
            serialization.BestAvailableEncryption(b"passphrase"),
        )
    )
    message = refusal(inventory(tmp_path, CERT_AUTH.format(cert=cert, key=key)))
    assert "connection.certificate_key_pem: the private key in" in message
    assert "is encrypted" in message


def test_a_damaged_pem_block_is_refused(tmp_path: Path) -> None:
    """A block whose body is not base64 of DER data is refused, not left to TLS."""
    bad = tmp_path / "ca.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
    message = refusal(inventory(tmp_path, '[connection]\nca_bundle = "ca.pem"\n'))
    assert "has a PEM block that is damaged" in message


# --------------------------------------------------------------------------- echoed values


def test_a_too_long_proxy_is_refused_without_its_password(tmp_path: Path) -> None:
    """The "got" value of a proxy URL shows its password masked."""
    proxy = "http://u:PrxSecr3t-Vv3@p" + "x" * 2100 + ":8080"
    message = refusal(inventory(tmp_path, f'[connection]\nproxy = "{proxy}"\n'))
    assert "connection.proxy: is too long (got 'http://u:***@pxxx" in message
    assert "PrxSecr3t" not in message


def test_a_proxy_of_the_wrong_type_is_refused_without_its_value(tmp_path: Path) -> None:
    """An array holding a URL with a password shows only that it is an array."""
    path = inventory(tmp_path, '[connection]\nproxy = ["http://u:PrxSecr3t-Vv3@p:8080"]\n')
    message = refusal(path)
    assert "connection.proxy: must be a string (got an array)" in message
    assert "PrxSecr3t" not in message


def test_a_proxy_with_unbalanced_brackets_is_refused_in_our_words(tmp_path: Path) -> None:
    """urlsplit's "Invalid IPv6 URL" becomes a refusal with the fix, the password masked."""
    message = refusal(inventory(tmp_path, '[connection]\nproxy = "http://u:PrxSecr3t@[::1"\n'))
    assert "connection.proxy: is not a URL (an IPv6 host goes in brackets" in message
    assert [] == [text for text in ("Value error", "PrxSecr3t") if text in message]


def test_a_key_with_a_line_break_cannot_forge_a_message_line(tmp_path: Path) -> None:
    """A key's control characters are escaped: the refusal stays one line."""
    path = write(tmp_path, CLUSTER + '"k\\nerror: fake" = 1\n' + NODE.format(address="h"))
    message = refusal(path)
    assert 1 == len(message.splitlines())
    assert "cluster.k\\x0aerror: fake: unknown key" in message


def test_a_node_name_with_a_line_break_cannot_forge_a_message_line(tmp_path: Path) -> None:
    """The node label of a refusal escapes the name it quotes."""
    text = CLUSTER + '[[nodes]]\nname = "N1\\nerror: fake"\naddress = "[]"\n'
    message = refusal(write(tmp_path, text))
    assert all(not line.startswith("error:") for line in message.splitlines())
    assert '(node "N1\\x0aerror: fake")' in message


# --------------------------------------------------------------------------- password_command


def _password_inventory(tmp_path: Path, command: str) -> Path:
    return inventory(tmp_path, f'[connection]\nusername = "u"\npassword_command = "{command}"\n')


def _program(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _password_refusal(path: Path) -> str:
    loaded = load_inventory(path)
    with pytest.raises(InventoryError) as info:
        loaded.password("N1")
    return str(info.value)


def test_a_nul_in_password_command_is_refused_at_load(tmp_path: Path) -> None:
    """A NUL no command line can hold is named at load, not a ValueError when run."""
    message = refusal(_password_inventory(tmp_path, "/bin/echo a\\u0000b"))
    assert "connection.password_command: contains a NUL character" in message


@pytest.mark.skipif(sys.platform == "win32", reason="#! lines are POSIX")
def test_a_program_without_a_shebang_is_bad_input(tmp_path: Path) -> None:
    """A script the kernel cannot execute (no #! line) is named, with the fix."""
    _program(tmp_path, "get-pass", "echo hunter2\n")
    message = _password_refusal(_password_inventory(tmp_path, "./get-pass"))
    assert "connection.password_command: program " in message
    assert "cannot be run" in message
    assert "#!/bin/sh" in message


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX shell script")
def test_output_over_the_limit_is_refused_and_never_shown(tmp_path: Path) -> None:
    """A one-line "password" of 1 MB is stopped after the limit and refused, unshown."""
    _program(tmp_path, "get-pass", "#!/bin/sh\nhead -c 1000000 /dev/zero | tr '\\0' Q\necho\n")
    message = _password_refusal(_password_inventory(tmp_path, "./get-pass"))
    assert f"printed more than {PASSWORD_COMMAND_MAX_BYTES} bytes (stopped)" in message
    assert "QQQQ" not in message


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX shell script")
def test_an_endless_stream_of_nuls_is_stopped_at_the_limit(tmp_path: Path) -> None:
    """A command that would print 50 MB is stopped at the limit, not read to the end."""
    _program(tmp_path, "get-pass", "#!/bin/sh\nhead -c 50000000 /dev/zero\n")
    message = _password_refusal(_password_inventory(tmp_path, "./get-pass"))
    assert f"printed more than {PASSWORD_COMMAND_MAX_BYTES} bytes" in message


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX shell script")
def test_a_password_with_a_nul_is_refused(tmp_path: Path) -> None:
    """A NUL in the first line is refused without showing the line."""
    _program(tmp_path, "get-pass", "#!/bin/sh\nprintf 'hun\\000ter2\\n'\n")
    message = _password_refusal(_password_inventory(tmp_path, "./get-pass"))
    assert "printed a first line with a NUL character" in message
    assert "hun" not in message


@pytest.mark.skipif(sys.platform == "win32", reason="uses a POSIX shell script")
def test_a_password_just_under_the_limit_is_read(tmp_path: Path) -> None:
    """The limit bounds the whole output; a long password within it is the first line."""
    size = PASSWORD_COMMAND_MAX_BYTES - 100
    _program(tmp_path, "get-pass", f"#!/bin/sh\nhead -c {size} /dev/zero | tr '\\0' Q\necho\n")
    assert "Q" * size == load_inventory(_password_inventory(tmp_path, "./get-pass")).password("N1")
