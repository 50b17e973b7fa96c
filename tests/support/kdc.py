"""A real MIT Kerberos realm for tests: its own KDC process, database, keytab and tickets.

:func:`start_realm` creates a realm in a directory (``kdb5_util``), adds a user principal
and a service principal per lab host (``kadmin.local``), writes the hosts' keys to one
keytab, starts ``krb5kdc`` on a free loopback port and waits until it logs that it
serves. :class:`Realm` gives the environment a client and the lab need
(``KRB5_CONFIG``, ``KRB5CCNAME``, ``KRB5_KTNAME``), ``kinit`` and ``kdestroy``.

Host names without DNS or /etc/hosts: the lab's nodes are reached as ``127.0.0.1``,
and the client asks for the service principal of the name it connects to
(``host/127.0.0.1``, pypsrp's default service ``host``) because the test krb5.conf
turns name canonicalisation off (``dns_canonicalize_hostname = false``,
``rdns = false``). Each host also gets ``HTTP/<host>``, the principal Windows' own
WinRM client asks for.

A machine without the MIT binaries fails here, naming the Debian packages to install;
nothing is skipped.
"""

from __future__ import annotations

import os
import selectors
import shutil
import socket
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REALM = "PSRUNBOOK.TEST"
USER = "operator"
PACKAGES = "krb5-kdc krb5-admin-server krb5-user libkrb5-dev"
_SBIN = ("/usr/sbin", "/usr/local/sbin", "/sbin")


def _binary(name: str) -> str:
    found = shutil.which(name) or next(
        (str(Path(d) / name) for d in _SBIN if (Path(d) / name).is_file()), None
    )
    if found is None:
        pytest.fail(
            f"the Kerberos tests need MIT Kerberos' {name}, which is not installed; "
            f"install it with: apt-get install -y --no-install-recommends {PACKAGES} "
            "(.ci/run does this; docs/inventory.md, 'Running the Kerberos tests')",
            pytrace=False,
        )
    return found


def _free_port() -> int:
    """A loopback port free for both TCP and UDP at this moment."""
    while True:
        with socket.socket() as tcp:
            tcp.bind(("127.0.0.1", 0))
            port: int = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
        return port


@dataclass
class Realm:
    """A running realm; :meth:`close` stops its KDC."""

    directory: Path
    port: int
    password: str
    kdc: subprocess.Popen[bytes]
    env: dict[str, str] = field(default_factory=dict)

    @property
    def user(self) -> str:
        return f"{USER}@{REALM}"

    @property
    def ccache(self) -> Path:
        return Path(self.env["KRB5CCNAME"].removeprefix("FILE:"))

    @property
    def keytab(self) -> Path:
        return Path(self.env["KRB5_KTNAME"].removeprefix("FILE:"))

    def run(self, *argv: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            list(argv),
            input=stdin,
            capture_output=True,
            text=True,
            env={**os.environ, **self.env},
            check=False,
        )
        if done.returncode != 0:
            raise AssertionError(f"{' '.join(argv)} failed: {done.stderr.strip()}")
        return done.stdout

    def kadmin(self, query: str) -> str:
        return self.run(_binary("kadmin.local"), "-r", REALM, "-q", query)

    def kinit(self) -> None:
        """A fresh ticket for the user in the realm's credential cache."""
        self.run(_binary("kinit"), self.user, stdin=self.password + "\n")

    def kdestroy(self) -> None:
        self.run(_binary("kdestroy"), "-q")

    def add_hosts(self, *hosts: str) -> None:
        """Service principals ``host/<h>`` and ``HTTP/<h>`` in the lab's keytab."""
        for host in hosts:
            for service in ("host", "HTTP"):
                principal = f"{service}/{host}@{REALM}"
                self.kadmin(f"addprinc -randkey {principal}")
                self.kadmin(f"ktadd -k {self.keytab} {principal}")

    def close(self) -> None:
        if self.kdc.poll() is None:
            self.kdc.terminate()
            self.kdc.wait(30)
        if self.kdc.stderr is not None:
            self.kdc.stderr.close()


def start_realm(directory: Path, *, hosts: tuple[str, ...] = ("127.0.0.1",)) -> Realm:
    """Create the realm in ``directory``, start its KDC, add ``hosts`` and kinit the user."""
    kdb5_util, krb5kdc = _binary("kdb5_util"), _binary("krb5kdc")
    _binary("kadmin.local"), _binary("kinit")
    directory.mkdir(parents=True, exist_ok=True)
    port = _free_port()
    (directory / "krb5.conf").write_text(
        f"""[libdefaults]
    default_realm = {REALM}
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    kdc_timesync = 0
[realms]
    {REALM} = {{
        kdc = 127.0.0.1:{port}
    }}
""",
        encoding="utf-8",
    )
    (directory / "kdc.conf").write_text(
        f"""[kdcdefaults]
    kdc_ports = {port}
    kdc_tcp_ports = {port}
[realms]
    {REALM} = {{
        database_name = {directory}/principal
        key_stash_file = {directory}/stash
        acl_file = {directory}/kadm5.acl
        max_life = 10h
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }}
[logging]
    kdc = STDERR
""",
        encoding="utf-8",
    )
    (directory / "kadm5.acl").write_text("", encoding="utf-8")
    env = {
        "KRB5_CONFIG": str(directory / "krb5.conf"),
        "KRB5_KDC_PROFILE": str(directory / "kdc.conf"),
        "KRB5CCNAME": f"FILE:{directory / 'ccache'}",
        "KRB5_KTNAME": f"FILE:{directory / 'nodes.keytab'}",
        "KRB5RCACHETYPE": "none",  # no replay cache files outside the directory
    }
    full_env = {**os.environ, **env}
    subprocess.run(
        [kdb5_util, "-r", REALM, "create", "-s", "-P", "master-key-for-tests"],
        env=full_env,
        capture_output=True,
        check=True,
    )
    kdc = subprocess.Popen(
        [krb5kdc, "-n", "-r", REALM],
        env=full_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    realm = Realm(directory, port, "Op3rator-pw!", kdc, env)
    try:
        _wait_until_serving(kdc)
        realm.kadmin(f"addprinc -pw {realm.password} {realm.user}")
        realm.add_hosts(*hosts)
        realm.kinit()
    except BaseException:
        realm.close()
        raise
    return realm


def _wait_until_serving(kdc: subprocess.Popen[bytes]) -> None:
    """Read the KDC's log until it says it serves (its own event, not a sleep)."""
    assert kdc.stderr is not None
    log = b""
    with selectors.DefaultSelector() as selector:
        selector.register(kdc.stderr, selectors.EVENT_READ)
        while b"commencing operation" not in log:
            if not selector.select(timeout=60):
                raise AssertionError(f"krb5kdc did not start within 60 s: {log.decode()}")
            chunk = os.read(kdc.stderr.fileno(), 4096)
            if not chunk:
                raise AssertionError(f"krb5kdc exited: {log.decode()}")
            log += chunk


def expire_tickets(ccache: Path) -> None:
    """Rewrite every ticket's end time in a FILE ccache (v4) to 1 January 2000.

    The tickets stay as the KDC issued them; only the client's record of their end time
    changes, which is what MIT's client checks before using one. This gives an expired
    ticket without waiting for one to expire.
    """
    data = bytearray(ccache.read_bytes())
    if data[:2] != b"\x05\x04":
        raise AssertionError(f"{ccache} is not a version 4 credential cache")
    (header_length,) = struct.unpack_from(">H", data, 2)
    offset = _skip_principal(data, 4 + header_length)  # the default principal
    past = 946_684_800
    while offset < len(data):
        offset = _skip_principal(data, _skip_principal(data, offset))  # client, server
        offset += 2  # key enctype
        offset = _skip_data(data, offset)  # key
        struct.pack_into(">I", data, offset + 8, past)  # authtime, starttime, endtime
        struct.pack_into(">I", data, offset + 12, past)  # renew_till
        offset += 16 + 1 + 4  # times, is_skey, flags
        for _ in range(2):  # addresses, then authdata: count, then (type, data) each
            (count,) = struct.unpack_from(">I", data, offset)
            offset += 4
            for _ in range(count):
                offset = _skip_data(data, offset + 2)
        offset = _skip_data(data, _skip_data(data, offset))  # ticket, second ticket
    ccache.write_bytes(bytes(data))


def _skip_data(data: bytearray, offset: int) -> int:
    (length,) = struct.unpack_from(">I", data, offset)
    return offset + 4 + length


def _skip_principal(data: bytearray, offset: int) -> int:
    _name_type, count = struct.unpack_from(">II", data, offset)
    offset = _skip_data(data, offset + 8)  # realm
    for _ in range(count):
        offset = _skip_data(data, offset)
    return offset


def write_keytab(path: Path, principals: list[str], *, holes: int = 0) -> Path:
    """A keytab (MIT format 0x0502) holding ``principals`` (``svc/host@REALM``) with
    zeroed AES256 keys, after ``holes`` removed entries: for what reads only the names."""
    data = bytearray(b"\x05\x02")
    for _ in range(holes):
        data += struct.pack(">i", -8) + bytes(8)
    for principal in principals:
        name, _, realm = principal.rpartition("@")
        components = name.split("/")
        entry = struct.pack(">H", len(components)) + _counted(realm)
        for component in components:
            entry += _counted(component)
        entry += struct.pack(">IIB", 1, 0, 1)  # name type KRB5_NT_PRINCIPAL, timestamp, kvno
        entry += struct.pack(">HH", 18, 32) + bytes(32)  # enctype aes256-cts, key
        data += struct.pack(">i", len(entry)) + entry
    path.write_bytes(bytes(data))
    return path


def _counted(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw
