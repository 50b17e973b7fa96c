"""The inventory: which cluster, which nodes, and how to reach them.

An inventory is a TOML file validated once, on load, into frozen pydantic models; the
rest of the engine only ever sees a valid :class:`Inventory`. Every problem in the file
becomes one line of an :class:`~psrunbook.errors.InventoryError` that names the file, the
key path (``nodes[1].port``) and the fix, so a user corrects everything in one pass.

The inventory records connection settings; it does not decide whether they are safe
enough to use. :meth:`ConnectionSettings.requires_insecure` says why a setting would
need ``--insecure`` so the transport can refuse consistently.

Passwords never live in the file or in the models: the file names an environment
variable (``password_env``) or a secret manager's command (``password_command``), and
:meth:`Inventory.password` reads it at call time and registers the value for log
redaction.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import errno
import hashlib
import importlib
import io
import ipaddress
import os
import re
import shlex
import subprocess
import threading
import time
import tomllib
import urllib.parse
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Final, Literal, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from psrunbook.errors import InventoryError
from psrunbook.input_files import MAX_INPUT_BYTES, InputFileRefused, read_input_file
from psrunbook.message_text import quoted
from psrunbook.secrets import mask_url, register_secret

__all__ = [
    "AuthMethod",
    "ClusterSettings",
    "ConnectionSettings",
    "Encryption",
    "Inventory",
    "NodeSettings",
    "is_loopback",
    "load_inventory",
]

AuthMethod = Literal["negotiate", "kerberos", "ntlm", "basic", "credssp", "certificate"]
Encryption = Literal["auto", "always", "never"]

HTTPS_PORT: Final = 5986
HTTP_PORT: Final = 5985
# Auth methods that can encrypt WSMan messages themselves over plain HTTP (pypsrp).
_MESSAGE_ENCRYPTING_AUTH: Final = frozenset({"negotiate", "kerberos", "ntlm", "credssp"})
# Auth methods that cannot pick up a Kerberos ticket and so need a user name.
_NEEDS_USERNAME: Final = frozenset({"ntlm", "basic", "credssp"})
_PASSWORD_KEYS: Final = frozenset({"password", "passwd", "pwd"})
# How long a password_command (a secret manager) may take before it is given up on.
PASSWORD_COMMAND_TIMEOUT_S: Final = 60
# The most a password_command may print, first line and all: a password is a few dozen
# bytes; more is a wrong command (a file's contents, a stream), refused before it is kept.
PASSWORD_COMMAND_MAX_BYTES: Final = 64 * 1024
# The module each auth method needs beyond pypsrp's own, and the extra that installs it.
# Negotiate without a user name can only use the Kerberos ticket, so it needs Kerberos too.
_AUTH_LIBRARIES: Final[dict[str, tuple[str, str, str]]] = {
    "kerberos": ("gssapi", "kerberos", "Kerberos (the gssapi module)"),
    "credssp": ("requests_credssp", "credssp", "CredSSP (the requests_credssp module)"),
}
_CUSTOM_ERROR: Final = "psrunbook_inventory"
# Host names, IPv4 and IPv6 literals (with optional brackets and %zone).
_HOST_CHARACTERS: Final = re.compile(r"[A-Za-z0-9._\-:%\[\]]+")
# One label of a host name (RFC 1123, and "_", which Windows computer names may hold).
_HOST_LABEL: Final = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?")
_HOST_PORT: Final = re.compile(r"[^:]+:[^:]*")  # one colon: host:port
_ADDRESS_FIX: Final = (
    "; give a host name (sqlnode1.contoso.com), an IPv4 address (10.0.0.11) or an IPv6 "
    "address (fd00::11 or [fd00::11])"
)
# "Starting with Windows Server 2012, Failover Clustering can support up to 64 nodes in a
# single cluster" (Microsoft Failover Clustering team, "Planning Failover Cluster Node
# Sizing", https://techcommunity.microsoft.com/blog/failoverclustering/planning-failover-cluster-node-sizing/371981).
MAX_CLUSTER_NODES: Final = 64
_PROXY_FIX: Final = (
    '; give the proxy as a URL, e.g. proxy = "http://proxy.contoso.com:8080" '
    "(no credentials in it), or remove it to connect directly"
)

StrictBool = Annotated[bool, Strict()]
Port = Annotated[int, Strict(), Field(ge=1, le=65535)]
Seconds = Annotated[int, Strict(), Field(ge=1, le=86_400)]
# Node names end up in bundle file names (NN-step.NODE.ps1): letters, digits, . _ - only.
NodeName = Annotated[str, Strict(), Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$")]
EnvVarName = Annotated[str, Strict(), Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]


def _problem(key: str, message: str) -> PydanticCustomError:
    """A validation error that names the offending key inside the model being checked."""
    return PydanticCustomError(_CUSTOM_ERROR, "{message}", {"key": key, "message": message})


def is_loopback(address: str) -> bool:
    """True for ``localhost`` and loopback IP literals; names are never resolved.

    Resolving would let DNS decide whether credentials may travel unprotected, so a
    name other than ``localhost`` counts as remote even if it resolves to 127.0.0.1.
    """
    host = address.strip().rstrip(".").lower()
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    if host == "localhost":
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ClusterSettings(_Model):
    """The failover cluster the inventory describes."""

    name: Annotated[str, Strict(), Field(min_length=1, max_length=63)]
    id: Annotated[str, Strict()] | None = None
    """``(Get-Cluster).Id``, optional: pins the cluster itself, not only its name (a
    rebuilt cluster keeps its name and gets a new id). Bundles exported from this
    inventory carry it, and a run refuses any cluster that answers another id."""

    @field_validator("id")
    @classmethod
    def _guid(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            raise _problem(
                "",
                f"{value!r} is not a GUID; copy it from `(Get-Cluster).Id` on a node, e.g. "
                "'5f2b9c0e-1d1a-4b7e-9a53-2f6e0c1d8a77', or leave it out",
            ) from None


class NodeSettings(_Model):
    """One cluster node: its cluster name, the address to connect to, an optional port."""

    name: NodeName
    address: Annotated[str, Strict(), Field(min_length=1, max_length=253)]
    port: Port | None = None

    @field_validator("address")
    @classmethod
    def _plain_host(cls, value: str) -> str:
        if "://" in value or "/" in value:
            raise _problem("", "is a URL; give only the host name or IP address")
        if not _HOST_CHARACTERS.fullmatch(value):
            # '@', '?', '#' and the like would change the meaning of the endpoint URL.
            raise _problem(
                "",
                "contains characters a host name or IP address cannot have; "
                "give only the host name or IP address",
            )
        return _host_of(value)


def _host_of(value: str) -> str:
    """The host an ``address`` names (an IPv6 literal without its brackets), or refused.

    Checked as the URL and the resolver will read it, so that a typo is exit 2 naming the
    node, not a failed run (``[]`` is an invalid URL, ``%`` an invalid host) or a lucky
    answer (``1234`` is 0.0.4.210 to the resolver).
    """
    if "[" in value or "]" in value:
        inner = value[1:-1] if value.startswith("[") and value.endswith("]") else None
        if inner is None or not _is_ipv6(inner):
            raise _problem("", "has brackets, which only enclose an IPv6 address" + _ADDRESS_FIX)
        return _usable_ip(inner)
    if ":" in value:
        if _is_ipv6(value):
            return _usable_ip(value)
        if _HOST_PORT.fullmatch(value):
            raise _problem("", "looks like host:port; put the port in the node's `port` key")
        raise _problem("", "is not a valid IPv6 address" + _ADDRESS_FIX)
    if "%" in value:
        raise _problem(
            "", "has a '%', which only an IPv6 address may have (before its zone)" + _ADDRESS_FIX
        )
    name = value.removesuffix(".")  # a fully qualified name may end with the root's dot
    labels = name.split(".")
    if "" in labels:
        raise _problem("", "has an empty label (a leading dot or '..')" + _ADDRESS_FIX)
    for label in labels:
        if not _HOST_LABEL.fullmatch(label):
            problem = (
                "longer than 63 characters" if len(label) > 63 else "starting or ending with '-'"
            )
            raise _problem("", f"has a label {problem}, which no host name can have" + _ADDRESS_FIX)
    if labels[-1].isdigit():  # a name never ends in a number label: it is meant as IPv4
        try:
            ipaddress.IPv4Address(name)
        except ValueError:
            raise _problem(
                "", "is not a valid IPv4 address (four numbers from 0 to 255)" + _ADDRESS_FIX
            ) from None
        return _usable_ip(name)
    return value


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


def _usable_ip(text: str) -> str:
    """``text`` unless it is an address no node can have (0.0.0.0, ::, multicast)."""
    ip = ipaddress.ip_address(text)
    if ip.is_unspecified or ip.is_multicast:
        kind = "the unspecified address" if ip.is_unspecified else "a multicast address"
        raise _problem("", f"is {kind}, not a node's address" + _ADDRESS_FIX)
    return text


class ConnectionSettings(_Model):
    """How every node is reached over WinRM (pypsrp ``WSMan`` arguments).

    Defaults are the safe ones: HTTPS on 5986 with certificate validation and
    Negotiate (Kerberos, falling back to NTLM). Timeouts match pypsrp's defaults.
    """

    port: Port = HTTPS_PORT
    ssl: StrictBool = True
    auth: AuthMethod = "negotiate"
    encryption: Encryption = "auto"
    cert_validation: StrictBool = True
    ca_bundle: Path | None = None
    certificate_pem: Path | None = None
    certificate_key_pem: Path | None = None
    username: Annotated[str, Strict(), Field(min_length=1)] | None = None
    password_env: EnvVarName | None = None
    password_command: Annotated[str, Strict(), Field(min_length=1, max_length=4096)] | None = None
    """A secret manager's command line (no shell): the first line it prints is the password."""
    configuration_name: Annotated[str, Strict(), Field(min_length=1)] = "Microsoft.PowerShell"
    connect_timeout_s: Seconds = 30
    connect_deadline_s: Seconds = 45
    operation_timeout_s: Seconds = 20
    read_timeout_s: Seconds = 30
    max_envelope_size: Annotated[int, Strict(), Field(ge=8192, le=16_777_216)] = 153_600
    proxy: Annotated[str, Strict(), Field(min_length=1, max_length=2048)] | None = None
    """The only HTTP proxy credentials and scripts may go through (never to loopback);
    proxies named by the environment (``HTTP_PROXY`` ...) are ignored."""

    @field_validator("proxy")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        """An ``http://`` or ``https://`` URL with a host, and no credentials in it."""
        if value is None:  # given explicitly, as a re-validated copy of settings does
            return None
        try:
            parts = urllib.parse.urlsplit(value)
        except ValueError:  # unbalanced brackets: "Invalid IPv6 URL"
            raise _problem(
                "",
                "is not a URL (an IPv6 host goes in brackets: http://[fd00::1]:8080)" + _PROXY_FIX,
            ) from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _problem("", "is not an http:// or https:// URL with a host" + _PROXY_FIX)
        if parts.username is not None or parts.password is not None:
            raise _problem("", "must not carry a user name or password" + _PROXY_FIX)
        if parts.path not in ("", "/") or parts.query or parts.fragment:
            raise _problem("", "must be only scheme, host and port" + _PROXY_FIX)
        try:
            parts.port  # noqa: B018 (urlsplit checks the port only when it is read)
        except ValueError:
            raise _problem(
                "", "has a port that is not a number from 1 to 65535" + _PROXY_FIX
            ) from None
        return value

    @field_validator("ca_bundle", "certificate_pem", "certificate_key_pem", mode="before")
    @classmethod
    def _not_blank(cls, value: Any) -> Any:
        """``""`` would be ``Path(".")``, the inventory's folder: refused as empty instead."""
        if isinstance(value, str) and not value.strip():
            raise _problem(
                "", "is empty; give a PEM file path, absolute or relative to the inventory file"
            )
        return value

    @model_validator(mode="before")
    @classmethod
    def _port_follows_ssl(cls, data: Any) -> Any:
        """Without an explicit port, HTTP means 5985 and HTTPS 5986, as in WinRM."""
        if isinstance(data, Mapping) and "port" not in data and data.get("ssl") is False:
            return {**data, "port": HTTP_PORT}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        """Refuse combinations pypsrp would reject later, or that silently do nothing."""
        if self.auth == "certificate":
            if not self.ssl:
                raise _problem("ssl", "certificate auth needs HTTPS; set ssl = true")
            for key in ("certificate_pem", "certificate_key_pem"):
                if getattr(self, key) is None:
                    raise _problem(key, f'auth = "certificate" needs {key} (a PEM file path)')
        elif self.certificate_pem is not None or self.certificate_key_pem is not None:
            raise _problem(
                "certificate_pem",
                'is only used with auth = "certificate"; remove it or change auth',
            )
        if self.auth in _NEEDS_USERNAME and self.username is None:
            raise _problem(
                "username", f'auth = "{self.auth}" needs a username (DOMAIN\\user or user@REALM)'
            )
        if self.password_env is not None and self.username is None:
            raise _problem("username", "password_env is set but username is not; add username")
        if self.password_command is not None:
            if self.password_env is not None:
                raise _problem(
                    "password_command",
                    "and password_env are both set; keep only the one the password comes from",
                )
            if self.username is None:
                raise _problem(
                    "username", "password_command is set but username is not; add username"
                )
            try:
                argv = shlex.split(self.password_command)
            except ValueError as exc:
                raise _problem(
                    "password_command",
                    f"cannot be split into a command line ({exc}); check its quotes",
                ) from None
            if not argv:
                raise _problem("password_command", "is blank; give the command to run")
            if "\x00" in self.password_command:
                raise _problem(
                    "password_command",
                    "contains a NUL character (\\u0000), which no command line can hold; remove it",
                )
        if self.auth not in _MESSAGE_ENCRYPTING_AUTH:
            if not self.ssl and self.encryption != "never":
                raise _problem(
                    "encryption",
                    f'auth = "{self.auth}" cannot encrypt messages over HTTP; set ssl = true '
                    '(recommended) or encryption = "never" (then --insecure is needed '
                    "for any non-loopback node)",
                )
            if self.ssl and self.encryption == "always":
                raise _problem(
                    "encryption",
                    f'auth = "{self.auth}" cannot add message encryption; set encryption = "auto"',
                )
        if self.ca_bundle is not None and not (self.ssl and self.cert_validation):
            raise _problem(
                "ca_bundle",
                "is only used with ssl = true and cert_validation = true; "
                "remove ca_bundle or turn those on",
            )
        if self.read_timeout_s <= self.operation_timeout_s:
            raise _problem(
                "read_timeout_s",
                f"must be greater than operation_timeout_s ({self.operation_timeout_s}), "
                "or HTTP reads give up before WinRM answers",
            )
        return self

    def missing_auth_library(self) -> str | None:
        """What this auth method needs that is not installed, with the extra to install.

        Checked by importing the module, so a broken install counts as missing too; the
        transport calls this before connecting, so the answer is exit 2, not a failed run.
        """
        method = self.auth
        if method == "negotiate" and self.username is None:
            method = "kerberos"  # no user name: only the Kerberos ticket can be used
        needed = _AUTH_LIBRARIES.get(method)
        if needed is None:
            return None
        module, extra, what = needed
        try:
            importlib.import_module(module)
        except ImportError:
            reason = (
                f'auth = "{self.auth}" without a username uses the Kerberos ticket'
                if method != self.auth
                else f'auth = "{self.auth}"'
            )
            return (
                f"{reason} needs {what}, which is not installed; install it with "
                f"pip install 'psrunbook[{extra}]'"
                + (
                    " (and the system's Kerberos libraries: krb5 and its headers)"
                    if extra == "kerberos"
                    else ""
                )
            )
        return None

    @property
    def verify(self) -> bool | str:
        """pypsrp's ``cert_validation`` argument: the CA bundle path, or True/False."""
        if self.ca_bundle is not None:
            return str(self.ca_bundle)
        return self.cert_validation

    def requires_insecure(self, address: str) -> str | None:
        """Why connecting to ``address`` with these settings needs ``--insecure``, or None.

        Unencrypted traffic (which Basic auth over HTTP always is) is tolerated only to
        loopback; a disabled certificate check is never tolerated silently, because a
        loopback name does not stop a man in the middle on TLS.
        """
        reasons: list[str] = []
        if self.ssl and not self.cert_validation:
            reasons.append("TLS certificate validation is off (cert_validation = false)")
        if not self.ssl and self.encryption == "never" and not is_loopback(address):
            what = "Basic auth" if self.auth == "basic" else f'auth "{self.auth}"'
            reasons.append(
                f"{what} over plain HTTP with no message encryption to non-loopback "
                f"address {address} sends credentials and scripts readable on the network"
            )
        return "; ".join(reasons) or None


def _unique_nodes(nodes: tuple[NodeSettings, ...]) -> tuple[NodeSettings, ...]:
    """At least one node, and no two with the same name ignoring case."""
    # Checked here rather than with min_length, so that an invalid node is not also
    # reported as "no nodes".
    if not nodes:
        raise _problem("", "has no nodes; add one [[nodes]] table per node, with name and address")
    if len(nodes) > MAX_CLUSTER_NODES:
        raise _problem(
            "",
            f"has {len(nodes)} nodes, more than the {MAX_CLUSTER_NODES} a Windows failover "
            "cluster can have; list only the nodes of one cluster",
        )
    seen: dict[str, int] = {}
    for index, node in enumerate(nodes):
        folded = node.name.casefold()
        if folded in seen:
            raise _problem(
                f"{index}.name",
                f'"{node.name}" repeats nodes[{seen[folded]}] (names are case-insensitive); '
                "give every node a unique name",
            )
        seen[folded] = index
    return nodes


Nodes = Annotated[tuple[NodeSettings, ...], AfterValidator(_unique_nodes)]


class _InventoryDocument(_Model):
    """The TOML document as written, before file-derived fields are added."""

    cluster: ClusterSettings
    nodes: Nodes
    connection: ConnectionSettings = ConnectionSettings()


class Inventory(_Model):
    """A validated inventory, with the file it came from and that file's sha256."""

    cluster: ClusterSettings
    nodes: Nodes
    connection: ConnectionSettings
    path: Path
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]

    @property
    def node_names(self) -> tuple[str, ...]:
        """Node names in file order."""
        return tuple(node.name for node in self.nodes)

    def node(self, name: str) -> NodeSettings:
        """The node called ``name`` (case-insensitive, like Windows)."""
        folded = name.casefold()
        for node in self.nodes:
            if node.name.casefold() == folded:
                return node
        known = ", ".join(self.node_names)
        raise InventoryError(
            f"{quoted(self.path)}: nodes: no node named {name!r}; use one of: {known}"
        )

    def endpoint_for(self, node: NodeSettings | str) -> tuple[str, int, bool]:
        """``(host, port, ssl)`` for one node: its own port, else the connection's."""
        settings = self.node(node) if isinstance(node, str) else node
        port = settings.port if settings.port is not None else self.connection.port
        return settings.address, port, self.connection.ssl

    def password(self, node: NodeSettings | str) -> str | None:
        """The password for ``node``, read from the environment now; None without one.

        The value is registered for log redaction before it is returned, so no later
        log line, traceback or third-party log record can show it.
        """
        if isinstance(node, str):
            self.node(node)  # an unknown name fails loudly, as everywhere else
        if self.connection.password_command is not None:
            typed = self._password_from_command(self.connection.password_command)
            register_secret(typed)
            return typed
        variable = self.connection.password_env
        if variable is None:
            return None
        value = os.environ.get(variable)
        if not value:
            state = "is empty" if value == "" else "is not set"
            raise InventoryError(
                f"{quoted(self.path)}: connection.password_env: environment variable {variable} "
                f"{state}; export it before running, or remove password_env to use Kerberos"
            )
        register_secret(value)
        return value

    def _password_from_command(self, command: str) -> str:
        """Run the secret manager's command; its first line of stdout is the password.

        As Ansible's vault password client: no shell (the line is split as a POSIX shell
        would, then run directly), stdout's first line is the password, a non-zero exit
        or no output is an error. Its stderr goes to the terminal for the operator and is
        never captured or logged; stdin is inherited so it can ask for a passphrase.
        At most :data:`PASSWORD_COMMAND_MAX_BYTES` of its output are read: a command
        that prints more is stopped and refused, and what it printed is never shown.
        """
        key = f"{quoted(self.path)}: connection.password_command"
        argv = shlex.split(command)
        program = os.path.expanduser(argv[0])  # noqa: PTH111 (a str in, a str out)
        if "/" in program and not Path(program).is_absolute():
            program = str(self.path.parent / program)  # relative to the inventory file
        argv[0] = program  # a bare name is looked up on PATH
        shown_program = quoted(program)
        try:
            process = subprocess.Popen(  # noqa: S603 (the operator's own command, no shell)
                argv, stdout=subprocess.PIPE
            )
        except FileNotFoundError:
            raise InventoryError(
                f"{key}: program {shown_program} not found; give its full path, or a path "
                "relative to the inventory file"
            ) from None
        except PermissionError:
            raise InventoryError(
                f"{key}: program {shown_program} cannot be run (permission denied); "
                "make it executable (chmod +x)"
            ) from None
        except OSError as exc:
            hint = (
                "if it is a script, make its first line name the interpreter (#!/bin/sh)"
                if exc.errno == errno.ENOEXEC
                else "check that it is a program for this machine"
            )
            raise InventoryError(
                f"{key}: program {shown_program} cannot be run "
                f"({exc.strerror or type(exc).__name__}); {hint}"
            ) from None
        except ValueError:  # a NUL character, which no argument can hold
            raise InventoryError(
                f"{key}: contains a NUL character (\\u0000), which no command line can "
                "hold; remove it"
            ) from None
        output = _bounded_output(process, key)
        if process.returncode != 0:
            raise InventoryError(
                f"{key}: exited with status {process.returncode}; run it yourself to see "
                "why (its error output is shown above, never logged)"
            )
        lines = output.splitlines()
        try:
            value = lines[0].decode("utf-8") if lines else ""
        except UnicodeDecodeError:
            raise InventoryError(
                f"{key}: printed a first line that is not UTF-8; make it print the password "
                "as UTF-8 text"
            ) from None
        if "\x00" in value:
            raise InventoryError(
                f"{key}: printed a first line with a NUL character (\\u0000), which no "
                "password can hold; make it print only the password"
            )
        if not value:
            raise InventoryError(
                f"{key}: printed no password; make it print the password as its first line"
            )
        return value


def _bounded_output(process: subprocess.Popen[bytes], key: str) -> bytes:
    """The command's whole stdout, read on a thread (pipes cannot be polled on Windows),
    once it ends within :data:`PASSWORD_COMMAND_TIMEOUT_S`; stopped and refused when it
    prints more than :data:`PASSWORD_COMMAND_MAX_BYTES` or runs longer."""
    stream = process.stdout
    assert isinstance(stream, io.BufferedReader)  # stdout=PIPE, buffered (the default)
    received = bytearray()

    def read() -> None:
        with stream:
            while len(received) <= PASSWORD_COMMAND_MAX_BYTES:
                chunk = stream.read1(PASSWORD_COMMAND_MAX_BYTES + 1)
                if not chunk:
                    return
                received.extend(chunk)

    deadline = time.monotonic() + PASSWORD_COMMAND_TIMEOUT_S
    reader = threading.Thread(target=read, name="password-command", daemon=True)
    reader.start()
    reader.join(PASSWORD_COMMAND_TIMEOUT_S)
    too_long = len(received) > PASSWORD_COMMAND_MAX_BYTES
    try:
        if reader.is_alive() or too_long:
            raise subprocess.TimeoutExpired(process.args, PASSWORD_COMMAND_TIMEOUT_S)
        # Its stdout is closed, so it is ending; the same deadline bounds the wait.
        process.wait(max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        received.clear()  # never kept: it may hold the password
        if too_long:
            raise InventoryError(
                f"{key}: printed more than {PASSWORD_COMMAND_MAX_BYTES} bytes (stopped); "
                "make it print only the password, on its first line"
            ) from None
        raise InventoryError(
            f"{key}: did not finish within {PASSWORD_COMMAND_TIMEOUT_S} s (stopped); "
            "check that it runs on its own and prints the password"
        ) from None
    return bytes(received)


# --------------------------------------------------------------------------- loading


def load_inventory(path: Path | str) -> Inventory:
    """Read and validate an inventory file; every problem raises InventoryError."""
    given = Path(path)
    shown = quoted(given)  # a file name may hold a line break: never a second message line
    try:
        raw = read_input_file(given)
    except FileNotFoundError as exc:
        raise InventoryError(
            f"{shown}: no such inventory file; check the path "
            "(examples/inventory.toml shows the format)"
        ) from exc
    except IsADirectoryError as exc:
        raise InventoryError(f"{shown}: is a directory; give the inventory TOML file") from exc
    except InputFileRefused as exc:
        raise InventoryError(
            f"{shown}: --inventory {exc.reason}; give the inventory TOML file "
            f"(a regular file of at most {MAX_INPUT_BYTES} bytes)"
        ) from None
    except OSError as exc:
        raise InventoryError(
            f"{shown}: cannot read the inventory ({exc.strerror or exc}); check its permissions"
        ) from exc
    try:
        # utf-8-sig: Windows editors often save a byte-order mark TOML does not allow.
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InventoryError(
            f"{shown}: is not UTF-8 text (byte {exc.start}); save the file as UTF-8"
        ) from exc
    return inventory_from_toml(text, path=given, digest=hashlib.sha256(raw).hexdigest())


def inventory_from_toml(text: str, *, path: Path, digest: str | None = None) -> Inventory:
    """Validate inventory TOML text; ``path`` names it in messages and anchors relative paths.

    Used for files (through :func:`load_inventory`) and for inventories psrunbook writes
    itself, such as the embedded simulated lab's and the examples ``show`` uses.
    """
    shown = quoted(path)
    try:
        return _inventory_from_toml(text, path=path, digest=digest)
    except RecursionError:
        # tomllib, the password-key search and pydantic all recurse into nested tables.
        raise InventoryError(
            f"{shown}: tables or arrays are nested too deeply for an inventory; "
            "use the flat layout of examples/inventory.toml"
        ) from None


def _inventory_from_toml(text: str, *, path: Path, digest: str | None) -> Inventory:
    shown = quoted(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InventoryError(f"{shown}: not valid TOML: {exc}; fix the syntax there") from exc

    password_keys = list(_find_password_keys(data, ""))
    if password_keys:
        raise InventoryError(
            "\n".join(
                f"{shown}: {key}: a password must not be written in the inventory; "
                "put it in an environment variable and name it with "
                'connection.password_env (e.g. password_env = "PSRUNBOOK_PASSWORD")'
                for key in password_keys
            )
        )

    try:
        document = _InventoryDocument.model_validate(data)
    except ValidationError as exc:
        raise InventoryError(
            "\n".join(_describe(error, shown, data) for error in exc.errors())
        ) from None  # the pydantic text repeats input values, which may be sensitive

    resolved = path.resolve()
    connection = _resolve_files(document.connection, resolved.parent, shown)
    return Inventory(
        cluster=document.cluster,
        nodes=document.nodes,
        connection=connection,
        path=resolved,
        sha256=digest or hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


def _find_password_keys(value: Any, prefix: str) -> list[str]:
    """Key paths of every password-like key, at any depth, in file order."""
    found: list[str] = []
    if isinstance(value, Mapping):
        for key, child in value.items():
            path = f"{prefix}.{quoted(key)}" if prefix else quoted(key)
            folded = str(key).casefold()
            if folded in _PASSWORD_KEYS or folded.endswith("_password"):
                found.append(path)
            found.extend(_find_password_keys(child, path))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_find_password_keys(child, f"{prefix}[{index}]"))
    return found


def _resolve_files(connection: ConnectionSettings, base: Path, shown: str) -> ConnectionSettings:
    """Make file settings absolute (relative to the inventory) and check what they hold.

    Each must be a regular file psrunbook can read (through the hardened reader, as the
    inventory itself) holding a PEM block of its kind, so that a wrong path is exit 2
    naming the key here, not a TLS error on the first connection.
    """
    updates: dict[str, Path] = {}
    for key in ("ca_bundle", "certificate_pem", "certificate_key_pem"):
        value: Path | None = getattr(connection, key)
        if value is None:
            continue
        where = f"{shown}: connection.{key}"
        try:
            candidate = value.expanduser()
        except RuntimeError:  # ~user of no such user, or no home directory at all
            raise InventoryError(
                f"{where}: {quoted(value)} starts with a ~ whose home directory is unknown "
                "(no such user); write the path in full, or relative to the inventory file"
            ) from None
        if not candidate.is_absolute():
            candidate = base / candidate
        _check_pem_file(candidate, key, where)
        updates[key] = candidate
    return connection.model_copy(update=updates) if updates else connection


_PEM_BLOCK: Final = re.compile(
    rb"^-----BEGIN (?P<label>[A-Z0-9 ]+)-----[ \t]*\r?\n(?P<body>.*?)^-----END (?P=label)-----",
    re.DOTALL | re.MULTILINE,
)
_CERTIFICATE_LABELS: Final = frozenset({b"CERTIFICATE", b"X509 CERTIFICATE"})
_PEM_LABELS: Final[dict[str, frozenset[bytes]]] = {
    "ca_bundle": _CERTIFICATE_LABELS | {b"TRUSTED CERTIFICATE"},
    "certificate_pem": _CERTIFICATE_LABELS,
    "certificate_key_pem": frozenset(
        {b"PRIVATE KEY", b"RSA PRIVATE KEY", b"EC PRIVATE KEY", b"DSA PRIVATE KEY"}
    ),
}
_PEM_WANTED: Final = {
    "ca_bundle": "the CA certificate(s) that signed the nodes' certificates",
    "certificate_pem": "the client certificate",
    "certificate_key_pem": "the client certificate's private key",
}
_PEM_FILE_FIX: Final = "give a PEM file path, absolute or relative to the inventory file"


def _check_pem_file(path: Path, key: str, where: str) -> None:
    """Refuse ``path`` unless it is a readable regular file with a PEM block for ``key``.

    Only labels and the shape of the blocks are looked at; the text is never shown (a
    private key file is one of them).
    """
    shown_path = quoted(path)
    try:
        raw = read_input_file(path)
    except FileNotFoundError:
        raise InventoryError(
            f"{where}: file {shown_path} does not exist; {_PEM_FILE_FIX}"
        ) from None
    except IsADirectoryError:
        raise InventoryError(
            f"{where}: {shown_path} is a directory; give the PEM file of {_PEM_WANTED[key]} in it"
        ) from None
    except InputFileRefused as exc:
        raise InventoryError(f"{where}: {shown_path} {exc.reason}; {_PEM_FILE_FIX}") from None
    except PermissionError:
        raise InventoryError(
            f"{where}: {shown_path} cannot be read (permission denied); let the user "
            "running psrunbook read it"
        ) from None
    except OSError as exc:
        raise InventoryError(
            f"{where}: {shown_path} cannot be read ({exc.strerror or exc}); {_PEM_FILE_FIX}"
        ) from None
    except ValueError:  # a NUL character in the path
        raise InventoryError(
            f"{where}: the path contains a NUL character (\\u0000); {_PEM_FILE_FIX}"
        ) from None
    wanted = _PEM_LABELS[key]
    blocks = [
        (m.group("label"), *_pem_body(m.group("body")))
        for m in _PEM_BLOCK.finditer(raw.replace(b"\r\n", b"\n"))
    ]
    ours = [data for label, _, data in blocks if label in wanted]
    if key == "certificate_key_pem" and any(
        label == b"ENCRYPTED PRIVATE KEY" or (label in wanted and b"ENCRYPTED" in headers)
        for label, headers, _ in blocks
    ):
        raise InventoryError(
            f"{where}: the private key in {shown_path} is encrypted, and a run cannot stop "
            "to ask for its passphrase; give an unencrypted copy (openssl pkey -in KEY "
            "-out KEY.plain) readable only by the user running psrunbook"
        )
    if not ours:
        labels = {label for label, _, _ in blocks}
        if not blocks:
            found = "no PEM block (-----BEGIN ...-----)"
        elif labels & _PEM_LABELS["certificate_key_pem"]:
            found = "a private key, not a certificate"
        elif labels & _PEM_LABELS["ca_bundle"]:
            found = "a certificate, not a private key"
        else:
            found = "no PEM block of that kind"
        raise InventoryError(
            f"{where}: {shown_path} holds {found}; give the PEM file of {_PEM_WANTED[key]} "
            "(a DER file converts with openssl x509 -inform der, or openssl pkey -inform der "
            "for a key)"
        )
    for data in ours:
        if not _is_der(data):
            raise InventoryError(
                f"{where}: {shown_path} has a PEM block that is damaged (not base64 of "
                f"DER data); export {_PEM_WANTED[key]} again"
            )


def _pem_body(body: bytes) -> tuple[bytes, bytes]:
    """``(headers, base64 text)`` of a PEM block's body (RFC 1421 headers such as
    ``Proc-Type: 4,ENCRYPTED`` come first, up to a blank line)."""
    first = body.split(b"\n", 1)[0]
    if b":" in first:
        headers, _, text = body.partition(b"\n\n")
        return headers, text
    return b"", body


def _is_der(text: bytes) -> bool:
    """True when a PEM block's base64 text decodes to DER-shaped data (an ASN.1 SEQUENCE)."""
    try:
        data = base64.b64decode(b"".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        return False
    return data[:1] == b"\x30"


# --------------------------------------------------------------------------- error text


_FIXES: Final[dict[str, str]] = {
    "cluster": 'add a [cluster] table with name = "CLUSTERNAME"',
    "cluster.name": 'add name = "CLUSTERNAME" under [cluster]',
    "nodes": "add one [[nodes]] table per node, each with name and address",
    "name": 'give the node its cluster name, e.g. name = "SQLNODE1" '
    "(letters, digits, '.', '_', '-'; starting with a letter or digit)",
    "address": 'give the host name or IP address, e.g. address = "sqlnode1.contoso.com"',
    "port": "use a TCP port from 1 to 65535 (5986 for HTTPS, 5985 for HTTP)",
    "ssl": "write true or false (without quotes)",
    "cert_validation": "write true or false (without quotes)",
    "auth": "use one of: negotiate, kerberos, ntlm, basic, credssp, certificate",
    "encryption": "use one of: auto, always, never",
    "password_command": "give the command that prints the password, "
    'e.g. password_command = "pass show winrm/svc-psrunbook"',
    "password_env": "give the NAME of an environment variable (letters, digits, _), "
    'e.g. password_env = "PSRUNBOOK_PASSWORD"; never the password itself',
    "username": 'write it as a string, e.g. username = "CONTOSO\\\\svc-psrunbook"',
    "configuration_name": 'give a PowerShell session configuration, e.g. "Microsoft.PowerShell"',
    "connect_timeout_s": "give whole seconds from 1 to 86400",
    "connect_deadline_s": "give whole seconds from 1 to 86400",
    "operation_timeout_s": "give whole seconds from 1 to 86400",
    "read_timeout_s": "give whole seconds from 1 to 86400",
    "max_envelope_size": "give bytes from 8192 to 16777216 (WinRM's default is 153600)",
    "proxy": _PROXY_FIX.removeprefix("; "),
    "ca_bundle": "give a PEM file path, absolute or relative to the inventory file",
    "certificate_pem": "give a PEM file path, absolute or relative to the inventory file",
    "certificate_key_pem": "give a PEM file path, absolute or relative to the inventory file",
}
# Values of these keys are never echoed back in an error message, only their kind.
_QUIET_KEYS: Final = frozenset({"password_env", "password_command", "username"})
# Values of these keys are URLs, echoed only with any password in them masked.
_URL_KEYS: Final = frozenset({"proxy"})
_TABLE_FIELDS: Final[dict[str, tuple[str, ...]]] = {
    "": tuple(_InventoryDocument.model_fields),
    "cluster": tuple(ClusterSettings.model_fields),
    "nodes": tuple(NodeSettings.model_fields),
    "connection": tuple(ConnectionSettings.model_fields),
}


def _key_path(loc: tuple[str | int, ...]) -> str:
    """``nodes[1].port``; a key's control characters shown as escapes (``k\\nerror``)."""
    text = ""
    for part in loc:
        if isinstance(part, int) or (isinstance(part, str) and part.isdigit()):
            text += f"[{part}]"
        else:
            text += f".{quoted(part)}" if text else quoted(part)
    return text or "(top level)"


def _node_label(loc: tuple[str | int, ...], data: Any) -> str:
    """`` (node "SQLNODE2")`` when the error sits inside a node that has a name."""
    if len(loc) >= 2 and loc[0] == "nodes" and isinstance(data, Mapping):
        nodes = data.get("nodes")
        index = int(loc[1]) if str(loc[1]).isdigit() else None
        if isinstance(nodes, list) and index is not None and index < len(nodes):
            node = nodes[index]
            if isinstance(node, Mapping) and isinstance(node.get("name"), str):
                return f' (node "{quoted(node["name"])}")'
    return ""


def _describe(error: ErrorDetails, shown: str, data: Any) -> str:
    """One line: file, key path, what is wrong, how to fix it."""
    loc: tuple[str | int, ...] = tuple(error["loc"])
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == _CUSTOM_ERROR:
        extra = str(ctx.get("key", ""))
        loc = loc + tuple(part for part in extra.split(".") if part)
        problem, fix = str(ctx.get("message", error["msg"])), ""
    else:
        problem, fix = _problem_and_fix(error, loc)
    key = _key_path(loc)
    line = f"{shown}: {key}{_node_label(loc, data)}: {problem}"
    return f"{line}; {fix}" if fix else line


def _problem_and_fix(error: ErrorDetails, loc: tuple[str | int, ...]) -> tuple[str, str]:
    kind = error["type"]
    names = [part for part in loc if isinstance(part, str) and not part.isdigit()]
    leaf = names[-1] if names else ""
    dotted = ".".join(names)
    fix = _FIXES.get(dotted) or _FIXES.get(leaf, "")
    if kind == "extra_forbidden":
        table = "nodes" if loc[:1] == ("nodes",) else ".".join(names[:-1])
        allowed = _TABLE_FIELDS.get(table, ())
        close = difflib.get_close_matches(leaf, allowed, n=1)
        hint = f'did you mean "{close[0]}"? ' if close else ""
        where = f"[{table}]" if table else "the top level"
        return "unknown key", f"{hint}keys allowed in {where}: {', '.join(allowed)}"
    if kind == "missing":
        return "is required", fix
    if kind in {"model_type", "dict_type", "model_attributes_type"}:
        if leaf == "nodes" or (loc[:1] == ("nodes",) and len(loc) == 2):
            return "must be a table", "write each node as a [[nodes]] table"
        return "must be a table", f"write it as [{dotted}] with its keys below"
    if kind in {"tuple_type", "list_type"}:
        return "must be an array of tables", fix
    got = f" (got {_got(leaf, error.get('input'))})"
    messages = {
        "int_type": "must be a whole number",
        "bool_type": "must be true or false",
        "string_type": "must be a string",
        "literal_error": "is not a known value",
        "greater_than_equal": "is too small",
        "less_than_equal": "is too large",
        "string_too_short": "must not be empty",
        "string_too_long": "is too long",
        "string_pattern_mismatch": "is not in the allowed form",
        "path_type": "must be a file path string",
    }
    problem = messages.get(kind, error["msg"])
    return problem + got, fix


def _got(key: str, value: Any) -> str:
    """The value a message quotes: never a credential, and never more than 40 characters.

    Credential-bearing keys show only what kind of value was given; a URL key shows the
    URL with its password masked (before it is shortened, so no part of one is left);
    any other value is ``repr``'d (control characters escaped), URL passwords masked too.
    """
    if key in _QUIET_KEYS or (key in _URL_KEYS and not isinstance(value, str)):
        return _kind(value)
    return _short(repr(mask_url(value)) if isinstance(value, str) else mask_url(repr(value)))


def _kind(value: Any) -> str:
    """What TOML kind of value was given, in words: ``an array``, ``a string``..."""
    if isinstance(value, bool):
        return "a boolean"
    kinds: tuple[tuple[type, str], ...] = (
        (str, "a string"),
        (int, "a number"),
        (float, "a number"),
        (list, "an array"),
        (Mapping, "a table"),
    )
    return next((name for kind, name in kinds if isinstance(value, kind)), "a date or time")


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."
