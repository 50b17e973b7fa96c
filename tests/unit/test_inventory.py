"""Inventory files: valid loading, every refusal naming file, key and fix, and helpers."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from psrunbook.errors import InventoryError
from psrunbook.inventory import (
    ClusterSettings,
    ConnectionSettings,
    Inventory,
    NodeSettings,
    is_loopback,
    load_inventory,
)
from psrunbook.logging import REDACTED
from psrunbook.secrets import clear_secrets, redact_text

NODES = """
[cluster]
name = "SQLCLUSTER01"

[[nodes]]
name = "SQLNODE1"
address = "sqlnode1.contoso.com"

[[nodes]]
name = "SQLNODE2"
address = "sqlnode2.contoso.com"
"""


@pytest.fixture(autouse=True)
def _no_secrets() -> Iterator[None]:
    """Secrets registered by password() do not leak into other tests."""
    yield
    clear_secrets()


def write(tmp_path: Path, text: str, name: str = "inventory.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(InventoryError) as info:
        load_inventory(path)
    return str(info.value)


def assert_names(message: str, path: Path, key: str, fix: str) -> None:
    """The message has a line that names the file, the key and the fix."""
    lines = [line for line in message.splitlines() if f": {key}" in line]
    assert lines, f"no line names {key!r} in:\n{message}"
    assert any(line.startswith(f"{path}: ") and fix in line for line in lines), message


# --------------------------------------------------------------------------- valid files


def test_example_inventory_loads(example_inventory_path: Path) -> None:
    """The shipped example is valid and says what the README says it does."""
    inventory = load_inventory(example_inventory_path)
    expected = (
        "SQLCLUSTER01",
        ("SQLNODE1", "SQLNODE2"),
        "CONTOSO\\svc-psrunbook",
        "PSRUNBOOK_PASSWORD",
    )
    assert expected == (
        inventory.cluster.name,
        inventory.node_names,
        inventory.connection.username,
        inventory.connection.password_env,
    )


def test_defaults_are_safe(tmp_path: Path) -> None:
    """Without a [connection] table: HTTPS 5986, validation on, negotiate, pypsrp timeouts."""
    connection = load_inventory(write(tmp_path, NODES)).connection
    expected = (5986, True, True, "negotiate", "auto", "Microsoft.PowerShell", 30, 20, 30, 153600)
    assert expected == (
        connection.port,
        connection.ssl,
        connection.cert_validation,
        connection.auth,
        connection.encryption,
        connection.configuration_name,
        connection.connect_timeout_s,
        connection.operation_timeout_s,
        connection.read_timeout_s,
        connection.max_envelope_size,
    )


def test_path_and_sha256_describe_the_file(tmp_path: Path) -> None:
    """The inventory records its absolute path and the sha256 of the exact bytes."""
    path = write(tmp_path, NODES)
    inventory = load_inventory(path)
    expected = (path.resolve(), hashlib.sha256(path.read_bytes()).hexdigest())
    assert expected == (inventory.path, inventory.sha256)


def test_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    """A UTF-8 byte-order mark, as Windows editors write it, does not break loading."""
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + NODES.encode())
    expected = "SQLCLUSTER01"
    assert expected == load_inventory(path).cluster.name


def test_http_without_port_defaults_to_5985(tmp_path: Path) -> None:
    """ssl = false without a port means WinRM's HTTP port."""
    path = write(tmp_path, NODES + "[connection]\nssl = false\n")
    expected = ("sqlnode1.contoso.com", 5985, False)
    assert expected == load_inventory(path).endpoint_for("SQLNODE1")


def test_endpoint_uses_node_port_over_connection_port(tmp_path: Path) -> None:
    """A node's own port wins over connection.port."""
    text = NODES.replace('address = "sqlnode2.contoso.com"', 'address = "10.0.0.2"\nport = 15986')
    inventory = load_inventory(write(tmp_path, text))
    expected = [("sqlnode1.contoso.com", 5986, True), ("10.0.0.2", 15986, True)]
    assert expected == [inventory.endpoint_for(node) for node in inventory.nodes]


def test_node_lookup_is_case_insensitive(tmp_path: Path) -> None:
    """node() finds a node whatever the case, as Windows does."""
    inventory = load_inventory(write(tmp_path, NODES))
    expected = "SQLNODE2"
    assert expected == inventory.node("sqlnode2").name


def test_unknown_node_names_file_and_known_nodes(tmp_path: Path) -> None:
    """Asking for a node that is not there names the file and the nodes that are."""
    path = write(tmp_path, NODES)
    inventory = load_inventory(path)
    with pytest.raises(InventoryError, match="SQLNODE1, SQLNODE2") as info:
        inventory.node("SQLNODE9")
    assert str(path.resolve()) in str(info.value)


def test_ca_bundle_is_relative_to_the_inventory(tmp_path: Path) -> None:
    """ca_bundle resolves against the inventory's directory, not the working directory."""
    (tmp_path / "certs").mkdir()
    bundle = tmp_path / "certs" / "ca.pem"
    # A PEM block of DER shape (the check at load reads labels and shape, not X.509).
    bundle.write_text(
        "-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n", encoding="utf-8"
    )
    inventory = load_inventory(
        write(tmp_path, NODES + '[connection]\nca_bundle = "certs/ca.pem"\n')
    )
    expected = (bundle, str(bundle))
    assert expected == (inventory.connection.ca_bundle, inventory.connection.verify)


def test_models_are_frozen(tmp_path: Path) -> None:
    """A loaded inventory cannot be changed afterwards."""
    inventory = load_inventory(write(tmp_path, NODES))
    with pytest.raises(ValidationError):
        inventory.connection.port = 5985


# --------------------------------------------------------------------------- passwords


def test_password_read_from_named_variable_and_registered(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """password() reads the variable at call time and registers it for redaction."""
    text = NODES + '[connection]\nusername = "u"\npassword_env = "PSRB_TEST_PW"\n'
    inventory = load_inventory(write(tmp_path, text))
    monkeypatch.setenv("PSRB_TEST_PW", "s3cret-value")
    expected = "s3cret-value"
    assert expected == inventory.password("SQLNODE1")
    assert f"pw={REDACTED}" == redact_text("pw=s3cret-value")
    assert "s3cret-value" not in repr(inventory)


def test_password_none_without_password_env(tmp_path: Path) -> None:
    """Without password_env there is no password (Kerberos ticket or prompt)."""
    assert load_inventory(write(tmp_path, NODES)).password("SQLNODE1") is None


def test_password_unset_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A named but unset variable is an error naming the variable, the file and the fix."""
    path = write(tmp_path, NODES + '[connection]\nusername = "u"\npassword_env = "PSRB_UNSET"\n')
    monkeypatch.delenv("PSRB_UNSET", raising=False)
    with pytest.raises(InventoryError) as info:
        load_inventory(path).password("SQLNODE1")
    message = str(info.value)
    assert "PSRB_UNSET is not set" in message
    assert "connection.password_env" in message
    assert str(path.resolve()) in message


# --------------------------------------------------------------------------- refusals


def test_refuses_literal_password_in_connection(tmp_path: Path) -> None:
    """A password key is refused without echoing it, pointing at password_env."""
    path = write(tmp_path, NODES + '[connection]\nusername = "u"\npassword = "hunter2"\n')
    message = refusal(path)
    assert_names(message, path, "connection.password", "name it with connection.password_env")
    assert "hunter2" not in message


def test_refuses_literal_password_in_a_node(tmp_path: Path) -> None:
    """A password key inside a node is found too."""
    path = write(tmp_path, NODES.replace('"sqlnode1.contoso.com"', '"a"\npassword = "x"'))
    assert_names(refusal(path), path, "nodes[0].password", "put it in an environment variable")


def test_refuses_duplicate_node_names_ignoring_case(tmp_path: Path) -> None:
    """SQLNODE1 and sqlnode1 are the same node to Windows, so they are refused."""
    path = write(tmp_path, NODES.replace('name = "SQLNODE2"', 'name = "sqlnode1"'))
    assert_names(refusal(path), path, "nodes[1].name", "give every node a unique name")


@pytest.mark.parametrize("port", ["70000", "0", '"5986"', "true", "5986.0"])
def test_refuses_bad_node_port(tmp_path: Path, port: str) -> None:
    """Ports outside 1-65535, or not whole numbers, are refused with the valid range."""
    path = write(tmp_path, NODES.replace('"sqlnode2.contoso.com"', f'"b"\nport = {port}'))
    assert_names(refusal(path), path, "nodes[1].port", "use a TCP port from 1 to 65535")


def test_refuses_bad_connection_port(tmp_path: Path) -> None:
    """connection.port is checked like a node port."""
    path = write(tmp_path, NODES + "[connection]\nport = 65536\n")
    assert_names(refusal(path), path, "connection.port", "use a TCP port from 1 to 65535")


def test_refuses_unknown_auth(tmp_path: Path) -> None:
    """An auth method pypsrp does not know is refused with the list of valid ones."""
    path = write(tmp_path, NODES + '[connection]\nauth = "kerberoz"\n')
    assert_names(
        refusal(path),
        path,
        "connection.auth",
        "use one of: negotiate, kerberos, ntlm, basic, credssp, certificate",
    )


def test_refuses_unknown_key_with_suggestion(tmp_path: Path) -> None:
    """A misspelt key is refused, with the closest valid key suggested."""
    path = write(tmp_path, NODES + "[connection]\ncert_validaton = false\n")
    assert_names(refusal(path), path, "connection.cert_validaton", 'did you mean "cert_validation"')


def test_refuses_unknown_top_level_table(tmp_path: Path) -> None:
    """An unknown table is refused with the tables that exist."""
    path = write(tmp_path, NODES + "[settings]\nx = 1\n")
    assert_names(refusal(path), path, "settings", "keys allowed in the top level: cluster, nodes")


def test_refuses_empty_nodes(tmp_path: Path) -> None:
    """An inventory without nodes is refused."""
    path = write(tmp_path, 'nodes = []\n[cluster]\nname = "C"\n')
    assert_names(refusal(path), path, "nodes", "add one [[nodes]] table per node")


def test_refuses_missing_nodes(tmp_path: Path) -> None:
    """An inventory with no nodes key at all is refused."""
    path = write(tmp_path, '[cluster]\nname = "C"\n')
    assert_names(refusal(path), path, "nodes", "add one [[nodes]] table per node")


def test_refuses_missing_cluster_name(tmp_path: Path) -> None:
    """The cluster needs a name."""
    path = write(tmp_path, NODES.replace('name = "SQLCLUSTER01"', ""))
    assert_names(refusal(path), path, "cluster.name", 'add name = "CLUSTERNAME" under [cluster]')


def test_refuses_url_as_address(tmp_path: Path) -> None:
    """A URL in address is refused: the scheme and port come from other keys."""
    path = write(tmp_path, NODES.replace('"sqlnode1.contoso.com"', '"https://sqlnode1:5986/wsman"'))
    assert_names(refusal(path), path, "nodes[0].address", "give only the host name or IP")


def test_refuses_host_and_port_in_address(tmp_path: Path) -> None:
    """host:port in address is refused, pointing at the node's port key."""
    path = write(tmp_path, NODES.replace('"sqlnode1.contoso.com"', '"sqlnode1:5986"'))
    assert_names(refusal(path), path, "nodes[0].address", "put the port in the node's `port` key")


@pytest.mark.parametrize("address", ["svc@sqlnode1", "sqlnode1?x=1", "sql node1", "sqlnode1#a"])
def test_refuses_address_with_url_characters(tmp_path: Path, address: str) -> None:
    """Characters that would change the endpoint URL's meaning (user@host) are refused."""
    path = write(tmp_path, NODES.replace('"sqlnode1.contoso.com"', f'"{address}"'))
    assert_names(refusal(path), path, "nodes[0].address", "give only the host name or IP")


def test_directly_built_inventory_checks_duplicates(tmp_path: Path) -> None:
    """An Inventory built in code gets the same duplicate-name check as a file."""
    node = NodeSettings(name="N1", address="127.0.0.1")
    with pytest.raises(ValidationError, match="repeats nodes"):
        Inventory(
            cluster=ClusterSettings(name="C"),
            nodes=(node, node.model_copy(update={"name": "n1"})),
            connection=ConnectionSettings(),
            path=tmp_path / "x.toml",
            sha256="0" * 64,
        )


def test_accepts_ipv6_address(tmp_path: Path) -> None:
    """An IPv6 literal, bracketed or not, is an address, not host:port."""
    text = NODES.replace('"sqlnode1.contoso.com"', '"[fe80::1]"').replace(
        '"sqlnode2.contoso.com"', '"fe80::2"'
    )
    expected = ("fe80::1", "fe80::2")
    assert expected == tuple(n.address for n in load_inventory(write(tmp_path, text)).nodes)


def test_refuses_unsafe_node_name(tmp_path: Path) -> None:
    """Node names become file names in bundles, so path characters are refused."""
    path = write(tmp_path, NODES.replace('name = "SQLNODE1"', 'name = "../etc"'))
    assert_names(refusal(path), path, "nodes[0].name", "letters, digits")


def test_refuses_password_env_that_is_not_a_variable_name(tmp_path: Path) -> None:
    """A password pasted into password_env is refused and not echoed."""
    path = write(tmp_path, NODES + '[connection]\nusername = "u"\npassword_env = "Pa ss!"\n')
    message = refusal(path)
    assert_names(message, path, "connection.password_env", "give the NAME of an environment")
    assert "Pa ss!" not in message


def test_refuses_basic_over_http_without_encryption_never(tmp_path: Path) -> None:
    """Basic over HTTP cannot encrypt; the user must say encryption = "never" or use HTTPS."""
    path = write(tmp_path, NODES + '[connection]\nauth = "basic"\nssl = false\nusername = "u"\n')
    assert_names(refusal(path), path, "connection.encryption", "set ssl = true")


def test_refuses_ntlm_without_username(tmp_path: Path) -> None:
    """NTLM has no ticket to fall back on, so it needs a username."""
    path = write(tmp_path, NODES + '[connection]\nauth = "ntlm"\n')
    assert_names(refusal(path), path, "connection.username", "needs a username")


def test_refuses_certificate_auth_without_pem(tmp_path: Path) -> None:
    """Certificate auth needs the certificate and key files."""
    path = write(tmp_path, NODES + '[connection]\nauth = "certificate"\n')
    assert_names(refusal(path), path, "connection.certificate_pem", "needs certificate_pem")


def test_refuses_missing_ca_bundle_file(tmp_path: Path) -> None:
    """A ca_bundle that does not exist is refused with the resolved path."""
    path = write(tmp_path, NODES + '[connection]\nca_bundle = "nope.pem"\n')
    message = refusal(path)
    assert_names(message, path, "connection.ca_bundle", "relative to the inventory file")
    assert str(tmp_path / "nope.pem") in message


def test_refuses_ca_bundle_with_validation_off(tmp_path: Path) -> None:
    """A CA bundle with cert_validation = false would silently do nothing."""
    path = write(tmp_path, NODES + '[connection]\nca_bundle = "x.pem"\ncert_validation = false\n')
    assert_names(refusal(path), path, "connection.ca_bundle", "remove ca_bundle or turn those on")


def test_refuses_read_timeout_not_above_operation_timeout(tmp_path: Path) -> None:
    """HTTP reads must outlast WinRM's operation timeout."""
    path = write(tmp_path, NODES + "[connection]\nread_timeout_s = 20\n")
    assert_names(refusal(path), path, "connection.read_timeout_s", "greater than")


def test_refuses_cluster_written_as_value(tmp_path: Path) -> None:
    """cluster = "X" instead of a [cluster] table is refused with the table form."""
    path = write(tmp_path, 'cluster = "C"\n[[nodes]]\nname = "A"\naddress = "a"\n')
    assert_names(refusal(path), path, "cluster", "write it as [cluster]")


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    """Several problems give one line each, so the user fixes them in one pass."""
    path = write(
        tmp_path,
        NODES.replace('"sqlnode2.contoso.com"', '"b"\nport = 0') + '[connection]\nauth = "x"\n',
    )
    lines = refusal(path).splitlines()
    expected = 2
    assert expected == len(lines)
    assert all(line.startswith(f"{path}: ") for line in lines)


def test_refuses_invalid_toml(tmp_path: Path) -> None:
    """A syntax error names the file and the line."""
    path = write(tmp_path, "[cluster\n")
    message = refusal(path)
    assert message.startswith(f"{path}: not valid TOML")
    assert "line 1" in message


def test_refuses_missing_file(tmp_path: Path) -> None:
    """A missing file names the path and the example to start from."""
    path = tmp_path / "missing.toml"
    assert f"{path}: no such inventory file" in refusal(path)


def test_refuses_non_utf8_file(tmp_path: Path) -> None:
    """A file in a legacy code page is refused with the fix."""
    path = tmp_path / "latin1.toml"
    path.write_bytes(NODES.replace("SQLCLUSTER01", "CLÜSTER").encode("latin-1"))
    assert "save the file as UTF-8" in refusal(path)


def test_refuses_directory(tmp_path: Path) -> None:
    """A directory is not an inventory."""
    assert f"{tmp_path}: is a directory" in refusal(tmp_path)


# --------------------------------------------------------------------------- insecure


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("localhost", True),
        ("LOCALHOST.", True),
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("sqlnode1.contoso.com", False),
        ("localhost.contoso.com", False),
        ("::ffff:10.0.0.1", False),
    ],
)
def test_is_loopback(address: str, expected: bool) -> None:
    """Only localhost and loopback literals count; names are not resolved."""
    assert expected == is_loopback(address)


def basic_http() -> ConnectionSettings:
    return ConnectionSettings(auth="basic", ssl=False, encryption="never", username="u")


def test_basic_over_http_to_remote_requires_insecure() -> None:
    """Basic auth over plain HTTP to a remote node needs --insecure, with the reason."""
    reason = basic_http().requires_insecure("sqlnode1.contoso.com")
    assert reason is not None
    assert "Basic auth over plain HTTP" in reason


def test_basic_over_http_to_loopback_is_allowed() -> None:
    """The same settings to loopback (the simulator) need nothing."""
    assert basic_http().requires_insecure("127.0.0.1") is None


def test_cert_validation_off_requires_insecure_even_on_loopback() -> None:
    """Turning certificate validation off always needs --insecure."""
    reason = ConnectionSettings(cert_validation=False).requires_insecure("localhost")
    assert reason is not None
    assert "cert_validation = false" in reason


def test_default_settings_need_nothing() -> None:
    """HTTPS with validation and negotiate is fine anywhere."""
    assert ConnectionSettings().requires_insecure("sqlnode1.contoso.com") is None


def test_inventory_model_has_no_password_field() -> None:
    """No model can hold a password: only where one comes from (a variable, a command)."""
    fields = (
        set(Inventory.model_fields)
        | set(ConnectionSettings.model_fields)
        | set(NodeSettings.model_fields)
    )
    sources = {"password_env", "password_command"}
    assert not {f for f in fields if "password" in f and f not in sources}


def _cluster_of(count: int) -> str:
    nodes = "".join(
        f'[[nodes]]\nname = "N{i}"\naddress = "n{i}.contoso.com"\n' for i in range(count)
    )
    return '[cluster]\nname = "BIG"\n\n' + nodes


def test_64_nodes_are_accepted_65_are_refused(tmp_path: Path) -> None:
    """A Windows failover cluster has at most 64 nodes; an inventory with more is refused."""
    assert 64 == len(load_inventory(write(tmp_path, _cluster_of(64))).nodes)
    path = write(tmp_path, _cluster_of(65), "big.toml")
    assert_names(refusal(path), path, "nodes", "more than the 64 a Windows failover cluster")


def test_fifo_and_device_are_refused_without_reading(tmp_path: Path) -> None:
    """A FIFO (nobody writing) or /dev/zero is refused by its type, before it is opened."""
    fifo = tmp_path / "inv.toml"
    os.mkfifo(fifo)
    assert "FIFO (named pipe), not a regular file" in refusal(fifo)
    assert "character device, not a regular file" in refusal(Path("/dev/zero"))


def test_settings_revalidate_from_their_own_dump() -> None:
    """A connection dumped and validated again (as ping narrows timeouts) keeps proxy None."""
    settings = ConnectionSettings()
    assert settings == ConnectionSettings.model_validate(settings.model_dump())


def test_password_command_needs_a_username_and_excludes_password_env(tmp_path: Path) -> None:
    base = '[cluster]\nname = "C"\n[[nodes]]\nname = "N1"\naddress = "n1"\n[connection]\n'
    both = write(
        tmp_path,
        base + 'username = "u"\npassword_env = "P"\npassword_command = "pass show x"\n',
    )
    assert "connection.password_command: and password_env are both set" in refusal(both)
    alone = write(tmp_path, base + 'password_command = "pass show x"\n', name="b.toml")
    assert "connection.username: password_command is set but username is not" in refusal(alone)
    quotes = write(tmp_path, base + 'username = "u"\npassword_command = "get \'x"\n', "c.toml")
    assert "connection.password_command: cannot be split into a command line" in refusal(quotes)
