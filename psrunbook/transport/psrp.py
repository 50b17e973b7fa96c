"""The pypsrp transport: one RunspacePool per node, opened lazily, reused, always closed.

Reusing a pool costs two WSMan round trips per script (Command+Send, Receive) instead
of the six that ``Client.execute_ps`` pays to create and delete a shell every time.
The pool is re-checked with ``is_alive()`` only after it sat idle, because the check is
a round trip of its own, and it is recycled before WinRM's per-shell command quota.
"""

from __future__ import annotations

import functools
import getpass
import logging
import sys
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import msgspec

from psrunbook.errors import (
    ConnectionFailed,
    InsecureConnectionError,
    InventoryError,
    RunInterrupted,
    TransportError,
    TransportTimeout,
)
from psrunbook.inventory import is_loopback
from psrunbook.logging import get_logger
from psrunbook.secrets import Secret, register_secret
from psrunbook.transport.auth_errors import refine
from psrunbook.transport.base import PipelineRef, RawResult, ScriptCall, Settlement
from psrunbook.transport.error_mapping import is_transient, never_connected, translate
from psrunbook.transport.lean_serializer import lean_serializer_class
from psrunbook.transport.packed_pipelines import PackedPipelines, PackingSerializer
from psrunbook.transport.pypsrp_import import load_pypsrp

if TYPE_CHECKING:
    from psrunbook.inventory import ConnectionSettings, Inventory

_log = logging.getLogger("psrunbook.transport")
_events = get_logger("psrunbook.transport")
# Retries of a failed connection wait at most this many times the first wait.
_MAX_BACKOFF_FACTOR = 8
_STOP_WAIT_S = 30.0
"""How long a left pipeline may take to end once asked to stop, at least (the operation
timeout, if longer)."""

PasswordPrompt = Callable[[str], str]


def terminal_prompt(prompt: str) -> str:
    """Ask on the terminal; refuse when there is none rather than hang."""
    if not sys.stdin.isatty():
        raise InventoryError(
            "a password is needed but there is no terminal to ask on: "
            "name an environment variable with connection.password_env, or use Kerberos"
        )
    return getpass.getpass(prompt)


class PoolPolicy(msgspec.Struct, frozen=True):
    """How long a pool is trusted without a check, and when it is replaced."""

    idle_check_s: float = 30.0
    recycle_after: int = 500
    connect_backoff_s: float = 1.0
    """Wait before the first retry of a failed connection; doubled each time, up to 8x."""


class PsrpTransport:
    """Opens :class:`PsrpSession` objects for the nodes of one inventory.

    Unsafe settings are refused for every node before the first connection, so a run
    never gets half way and then stops on a security check.
    """

    def __init__(
        self,
        inventory: Inventory,
        *,
        insecure: bool = False,
        password: str | None = None,
        prompt: PasswordPrompt = terminal_prompt,
        policy: PoolPolicy = PoolPolicy(),
    ) -> None:
        self.inventory = inventory
        self.policy = policy
        self._prompt = prompt
        self._password: str | None = password
        self.warnings: list[str] = []
        self.pipelines = PackedPipelines()
        """A step's pipeline, serialised once for all the nodes it runs on (issue 16)."""
        self.client_id = str(uuid.uuid4()).upper()
        """The WSMan SessionId of every request this transport's sessions send: one client
        session per process, so a resume can speak to a pipeline left running as the
        client that sent it (:mod:`psrunbook.transport.left_pipelines`)."""
        for name in inventory.node_names:
            host, _, _ = inventory.endpoint_for(name)
            reason = inventory.connection.requires_insecure(host)
            if reason and not insecure:
                raise InsecureConnectionError(
                    f"{inventory.path}: node {name}: {reason}; "
                    "fix the connection settings, or pass --insecure to accept the risk"
                )
            if reason:
                self.warnings.append(f"node {name}: {reason} (accepted with --insecure)")
        # An auth method whose library is not installed is bad input (exit 2), found before
        # any connection, never an ImportError recorded as a failed run.
        missing = inventory.connection.missing_auth_library()
        if missing:
            raise InventoryError(f"{inventory.path}: connection.auth: {missing}")
        # Credentials are resolved now, before a run is journaled: an unset password
        # variable, a failing password_command (or no terminal to ask on) is bad input,
        # never a run left "running".
        if inventory.node_names:
            self._credentials(inventory.node_names[0])

    def _credentials(self, node: str) -> tuple[str | None, str | None]:
        connection = self.inventory.connection
        if self._password is None:
            # Read once per transport: a password_command (a secret manager) runs once.
            self._password = self.inventory.password(node)
        password = self._password
        if password is None and connection.auth in ("basic", "ntlm", "credssp"):
            if self._password is None:
                self._password = self._prompt(
                    f"Password for {connection.username or 'the remote user'}: "
                )
                register_secret(self._password)
            password = self._password
        return connection.username, password

    def open(self, node: str) -> PsrpSession:
        username, password = self._credentials(node)
        return PsrpSession(
            node=node,
            user=username or getpass.getuser(),
            inventory=self.inventory,
            password=password,
            policy=self.policy,
            pipelines=self.pipelines,
            client_id=self.client_id,
        )


def proxy_arguments(proxy: str | None, host: str) -> dict[str, Any]:
    """pypsrp's proxy arguments for one node: the inventory's proxy, or none at all.

    pypsrp builds its requests session with ``trust_env`` on, so ``HTTP_PROXY``,
    ``HTTPS_PROXY`` or ``ALL_PROXY`` in the environment would receive the
    ``Authorization`` header and every script, even for a loopback node. Credentials and
    scripts go through a proxy only when the inventory names it (``connection.proxy``),
    and never to a loopback node; ``no_proxy`` makes pypsrp pin the scheme's proxy to
    "none", which requests' environment lookup does not override.
    """
    if proxy is None or is_loopback(host):
        return {"no_proxy": True}
    return {"proxy": proxy}


def _client_certificate(connection: ConnectionSettings) -> dict[str, Any]:
    """pypsrp's certificate arguments for ``auth = "certificate"``: the two PEM paths.

    pypsrp presents the certificate in the TLS handshake and sends WinRM's
    ``Authorization: http://schemas.dmtf.org/wbem/wsman/1/wsman/secprofile/https/mutual``;
    the inventory has already refused it without HTTPS or without both files. Only the
    paths travel; the key's content is read by OpenSSL and never by psrunbook.
    """
    if connection.auth != "certificate":
        return {}
    return {
        "certificate_pem": str(connection.certificate_pem),
        "certificate_key_pem": str(connection.certificate_key_pem),
    }


_ENVELOPE_SIZES: dict[tuple[Any, ...], int] = {}
"""pypsrp's payload size per envelope setting (``StepBoundWSMan._calc_envelope_size``)."""
_ENVELOPE_SIZES_LOCK = threading.Lock()
"""Held while a size is measured: the nodes of a fan-out all ask at the same moment."""


@functools.cache
def _wsman_class() -> Any:
    """pypsrp's WSMan, except that a timed-out Receive is not retried inside pypsrp.

    pypsrp repeats a Receive that hit its HTTP read timeout five more times, sleeping 2,
    6, 14, 30 and 62 s in between: one slow answer would hold a step for over two minutes
    whatever its timeout. Here the timeout surfaces at once as a transient fault, so the
    step timeout holds and the runner's own bounded retry decides what happens next.
    Basic auth is also replaced, to send credentials as UTF-8 rather than Latin-1, and
    each request's envelope is written by :mod:`psrunbook.transport.wsman_envelope`
    (the same bytes as pypsrp's ``ET.tostring``, a fraction of its CPU).
    """
    load_pypsrp()  # before any pypsrp remoting module: Negotiate and CredSSP deferred
    import xml.etree.ElementTree as ET  # noqa: PLC0415 (parsed as pypsrp parses answers)

    from pypsrp.exceptions import WinRMError, WinRMTransportError  # noqa: PLC0415 (pypsrp is imported only to connect)
    from pypsrp.wsman import WSMan, WSManAction  # noqa: PLC0415 (pypsrp is imported only to connect)

    from psrunbook.transport import direct_http, wsman_envelope  # noqa: PLC0415 (imported only to connect)

    class StepBoundWSMan(WSMan):
        def _calc_envelope_size(self, max_envelope_size: int) -> int:
            """pypsrp's payload size for ``max_envelope_size``, worked out once per setting.

            pypsrp builds and serialises a whole sample envelope to measure it, twice per
            node (when the WSMan is built and when the pool opens); its length depends
            only on the values in the key: identifiers are of fixed length, and of the
            endpoint (the one text that differs between the nodes of a fleet) only the
            length as written counts. Worked out under a lock: the nodes of a fan-out
            build their WSMan at the same moment, and without it every one of them
            missed and measured its own (two 0.11 ms envelopes per node, issue 16).
            """
            key = (
                max_envelope_size,
                self.max_envelope_size,
                self.operation_timeout,
                self.locale,
                self.data_locale,
                wsman_envelope.written_length(self.transport.endpoint),
            )
            size = _ENVELOPE_SIZES.get(key)
            if size is None:
                with _ENVELOPE_SIZES_LOCK:
                    size = _ENVELOPE_SIZES.get(key)
                    if size is None:
                        size = super()._calc_envelope_size(max_envelope_size)
                        _ENVELOPE_SIZES[key] = size
            return size

        def invoke(
            self,
            action: str,
            resource_uri: str,
            resource: Any,
            option_set: Any = None,
            selector_set: Any = None,
            timeout: int | None = None,
            *,
            retries_on_read_timeout: int = 0,
        ) -> Any:
            """pypsrp's ``WSMan.invoke`` (0.9.1), the envelope written by ``request_bytes``.

            Every other line is pypsrp's: the HTTP timeout two seconds over the
            operation timeout, a WSMan fault read from an HTTP error's body, and the
            answer's ``RelatesTo`` checked against the request's ``MessageID``.
            """
            http_timeout = timeout + 2 if timeout else None
            message_id, xml = wsman_envelope.request_bytes(
                self, action, resource_uri, resource, option_set, selector_set, timeout
            )
            message_id = f"uuid:{message_id}"
            try:
                response = self.transport.send(
                    xml, retries_on_read_timeout=retries_on_read_timeout, timeout=http_timeout
                )
            except WinRMTransportError as err:
                try:
                    raise self._parse_wsman_fault(err.response_text)  # chained as pypsrp chains it
                except ET.ParseError:
                    raise err  # noqa: B904 (no WSMan fault in the body: the HTTP error, as pypsrp)
            response_xml = ET.fromstring(response)  # noqa: S314 (as pypsrp parses it)
            relates_to = wsman_envelope.relates_to_of(response_xml)
            if message_id != relates_to:
                raise WinRMError(
                    "Received related id does not match related expected message id: "
                    f"Sent: {message_id}, Received: {relates_to}"
                )
            return response_xml

        def receive(
            self,
            resource_uri: str,
            resource: Any,
            option_set: Any = None,
            selector_set: Any = None,
            timeout: int | None = None,
        ) -> Any:
            response = self.invoke(
                WSManAction.RECEIVE, resource_uri, resource, option_set, selector_set, timeout
            )
            return response.find(wsman_envelope.BODY)

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            # pypsrp's HTTP transport builds its auth with getattr(self, "_build_auth_basic")
            # when the first message is sent; this one sends Basic credentials as UTF-8.
            transport: Any = self.transport  # pypsrp types it; the override is by design
            transport._build_auth_basic = functools.partial(_build_utf8_basic_auth, transport)
            # Negotiate, NTLM and Kerberos all build through _build_auth_negotiate.
            for name in ("_build_auth_negotiate", "_build_auth_credssp"):
                setattr(
                    transport,
                    name,
                    functools.partial(_build_closing_auth, getattr(transport, name)),
                )
            transport._build_session = functools.partial(
                _session_without_environment, transport._build_session
            )
            direct_http.install(transport)  # Basic or certificate auth: without requests

    return StepBoundWSMan


@functools.cache
def _utf8_basic_auth_class() -> Any:
    """requests' Basic auth, with the credentials encoded as UTF-8 instead of Latin-1.

    pypsrp hands Basic auth to ``requests.auth.HTTPBasicAuth``, which encodes user name
    and password as Latin-1: a password with ``€`` (or any character outside Latin-1)
    fails with UnicodeEncodeError before a byte is sent. UTF-8 is the charset RFC 7617
    (section 2.1) defines for Basic; that Windows WinRM decodes Basic credentials as
    UTF-8 is UNVERIFIED (no Microsoft statement or recording in shared/); the simulator's
    endpoint decodes the same way (psrunbook/sim/endpoint/auth.py).
    """
    from requests.auth import AuthBase  # noqa: PLC0415 (requests is imported only to connect)

    from psrunbook.transport import direct_http  # noqa: PLC0415 (imported only to connect)

    class Utf8BasicAuth(AuthBase):
        def __init__(self, username: str, password: str) -> None:
            self._authorization = direct_http.basic_authorization(username, password)

        def __call__(self, request: Any) -> Any:
            request.headers["Authorization"] = self._authorization
            return request

        def __repr__(self) -> str:
            return "Utf8BasicAuth(***)"

    return Utf8BasicAuth


def _session_without_environment(build: Callable[[], Any]) -> Any:
    """pypsrp's requests session, with its proxies settled once instead of per request.

    pypsrp builds the session with ``trust_env`` on and pins the scheme's proxy from
    :func:`proxy_arguments` (the inventory's, or none). With ``trust_env`` left on,
    requests would still read the proxy variables (and ``NO_PROXY``) on every request, a
    lookup that was about 7 % of the client's CPU in a 32-node run (issue 16); off, the
    session uses exactly the proxies pypsrp set, so only a proxy the inventory names is
    ever used.
    """
    session = build()
    session.trust_env = False
    return session


def _build_utf8_basic_auth(transport: Any, session: Any) -> None:
    """pypsrp's ``_build_auth_basic`` for one HTTP transport, in UTF-8."""
    if transport.username is None or transport.password is None:
        raise ValueError("For basic auth, the username and password must be specified")
    session.auth = _utf8_basic_auth_class()(transport.username, transport.password)


def _build_closing_auth(build: Any, session: Any, *args: Any) -> None:
    """pypsrp's Negotiate or CredSSP auth, closing its connections when a handshake fails.

    A handshake that fails on the client's side (no Kerberos ticket, an expired one, an
    NTSTATUS in a CredSSP answer) raises inside the auth's 401 handler, which then never
    releases the response it holds: its socket would stay open until garbage collection.
    Every response of the handshake is recorded and, on failure, closed.
    """
    build(session, *args)
    auth = session.auth
    handle_401 = auth.handle_401

    def closing_handle_401(response: Any, **kwargs: Any) -> Any:
        adapter = response.connection
        answers = [response]
        send = adapter.send

        def recording_send(*send_args: Any, **send_kwargs: Any) -> Any:
            answer = send(*send_args, **send_kwargs)
            answers.append(answer)
            return answer

        adapter.send = recording_send
        try:
            return handle_401(response, **kwargs)
        except Exception:
            for answer in answers:
                answer.close()
            raise
        finally:
            del adapter.send  # the adapter's own method again

    auth.handle_401 = closing_handle_401


def send_uncopied(command: Any) -> None:
    """Let pypsrp serialise ``command`` (a pypsrp ``Command``) as it is, without copying it.

    While it serialises a pipeline, pypsrp deep-copies every command twice
    (``Pipeline._get_statements``, once for ``Cmds`` and once for ``ExtraCmds``), so that
    a command can sit under two XML parents. A pipeline of one command has one parent and
    the serialiser only reads the command: the copies of a step's script and parameters
    (about 0.3 ms each, two per pipeline) were the largest single cost of psrunbook's
    client CPU per step after the network. The XML sent is the same, byte for byte
    (``tests/unit/test_transport_pipeline.py``). ``copy.deepcopy`` asks the object itself
    for ``__deepcopy__``, so an attribute of this one command does it.
    """
    command.__deepcopy__ = lambda memo: command


def _may_have_reached(ps: Any, exc: BaseException) -> bool:
    """Whether any part of the pipeline ``ps``, being sent, may have reached the node when
    ``exc`` ended :meth:`PsrpSession.run`: not when its first request (the WSMan
    Command, which creates the pipeline; pypsrp marks the pipeline running once it is
    answered) failed because its connection could not even be made; anything else may
    have (a lost answer says nothing of what the node did with the request)."""
    from pypsrp.complex_objects import PSInvocationState  # noqa: PLC0415 (pypsrp is imported only to connect)

    if ps.state != PSInvocationState.NOT_STARTED:
        return True
    return not never_connected(exc)


class PsrpSession:
    """A lazily opened RunspacePool on one node."""

    def __init__(
        self,
        *,
        node: str,
        user: str,
        inventory: Inventory,
        password: str | None,
        policy: PoolPolicy,
        pipelines: PackedPipelines | None = None,
        client_id: str | None = None,
    ) -> None:
        self.node = node
        self.client_id = client_id or str(uuid.uuid4()).upper()
        """The WSMan SessionId every request of this session carries."""
        self._packed = PackedPipelines() if pipelines is None else pipelines
        self.user = user
        self._inventory = inventory
        self._password = password
        self._policy = policy
        self._pool: Any = None
        self._keys_exchanged = False
        self._pipelines = 0
        self._last_used = 0.0
        self.pools_opened = 0
        self._running: Any = None
        self._interrupted = False
        self._woken = threading.Event()
        """Set by :meth:`interrupt`: ends a connect backoff at once."""

    @property
    def address(self) -> str:
        """``host:port`` as the node is connected to, for messages."""
        host, port, _ = self._inventory.endpoint_for(self.node)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"

    def _wsman(self, connect_timeout_s: float, client_id: str | None = None) -> Any:
        connection = self._inventory.connection
        host, port, ssl = self._inventory.endpoint_for(self.node)
        # pypsrp hands cert_validation to requests' ``verify``: True, False or a CA bundle
        # path, although its annotation says bool.
        verify: Any = connection.verify
        wsman = _wsman_class()(
            server=host,
            port=port,
            ssl=ssl,
            username=connection.username,
            password=self._password,
            auth=connection.auth,
            cert_validation=verify,
            encryption=connection.encryption,
            connection_timeout=connect_timeout_s,
            operation_timeout=connection.operation_timeout_s,
            read_timeout=connection.read_timeout_s,
            max_envelope_size=connection.max_envelope_size,
            **proxy_arguments(connection.proxy, host),
            **_client_certificate(connection),
        )
        wsman.session_id = client_id or self.client_id
        return wsman

    def connect(self, *, retry: bool = True) -> None:
        """Open the pool now rather than at the first script; TransportError if it cannot.

        With ``retry`` a failed connection is tried again within the connect deadline
        (as the first script would); without it, one attempt decides, for a caller that
        has another node to go to.
        """
        try:
            self._usable_pool(retry=retry)
        except TransportError:
            raise
        except Exception as exc:
            raise self._translate(exc) from exc
        self._last_used = time.monotonic()

    def _open_pool(self, *, retry: bool = True) -> Any:
        """Open a RunspacePool, retrying what can succeed until the connect deadline.

        Opening a pool creates a shell and runs no script, so trying again is always
        safe. A refused, reset or timed-out connection may succeed a moment later; a
        name that does not resolve, a TLS or an authentication failure will not. Each
        attempt's connect timeout is capped at the time left, and each retry is logged
        with that time, so an unreachable node is never minutes of silence.
        """
        connection = self._inventory.connection
        deadline_s = float(connection.connect_deadline_s)
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            left = deadline_s - (time.monotonic() - started)
            try:
                return self._open_pool_once(max(0.1, min(connection.connect_timeout_s, left)))
            except Exception as exc:  # noqa: BLE001 (translated and re-raised below)
                error = self._translate(exc)
                cause = exc
            wait = self._policy.connect_backoff_s * min(2 ** (attempt - 1), _MAX_BACKOFF_FACTOR)
            left = deadline_s - (time.monotonic() - started)
            if not (retry and is_transient(error) and wait < left):
                raise self._given_up(error, attempt, time.monotonic() - started) from cause
            _events.warning(
                f"{error}; trying again in {wait:g} s, {left - wait:.0f} s of the "
                f"{deadline_s:g} s connect deadline left",
                action="connection.retry",
                category="network",
                event_type=("connection",),
                node=self.node,
                address=self.address,
                attempt=attempt,
                retry_in_s=wait,
                deadline_left_s=round(left - wait, 1),
            )
            if self._woken.wait(wait):
                raise RunInterrupted(f"{self.node}: interrupted while waiting to reconnect")

    def _translate(self, exc: BaseException) -> TransportError:
        """The engine error for ``exc``, an authentication failure named from the settings."""
        host, _, _ = self._inventory.endpoint_for(self.node)
        return refine(
            translate(exc, self.node, address=self.address), exc, self._inventory.connection, host
        )

    def _given_up(self, error: TransportError, attempts: int, elapsed: float) -> TransportError:
        """The last attempt's error; after retries, one that says so and is not retried again."""
        if attempts == 1 or not isinstance(error, ConnectionFailed | TransportTimeout):
            return error
        return ConnectionFailed(
            f"{error} (gave up after {attempts} attempts in {elapsed:.0f} s; "
            "connection.connect_deadline_s sets how long to keep trying)",
            node=self.node,
            retryable=False,
        )

    def _open_pool_once(self, connect_timeout_s: float) -> Any:
        load_pypsrp()  # before any pypsrp remoting module: Negotiate and CredSSP deferred
        from pypsrp.powershell import RunspacePool  # noqa: PLC0415 (pypsrp is imported only to connect)

        pool = RunspacePool(
            self._wsman(connect_timeout_s),
            configuration_name=self._inventory.connection.configuration_name,
            no_profile=True,
        )
        # Messages are packed through the fragmenter's serialiser: a step's pipeline is
        # serialised once per transport, not once per node (packed_pipelines).
        # Primitive values are read without writing them back out as XML (lean_serializer).
        serializer = lean_serializer_class()()
        pool._serializer = serializer
        fragmenter: Any = pool._fragmenter  # pypsrp types it; the override is by design
        fragmenter.serializer = PackingSerializer(serializer, self._packed)
        pool.open()
        self.pools_opened += 1
        self._keys_exchanged = False
        self._pipelines = 0
        return pool

    def _usable_pool(self, *, retry: bool = True) -> Any:
        now = time.monotonic()
        if self._pool is not None and self._pipelines >= self._policy.recycle_after:
            self._discard_pool()
        if self._pool is not None and now - self._last_used > self._policy.idle_check_s:
            try:
                alive = self._pool.is_alive()
            except Exception:  # noqa: BLE001 (any failure of the probe means: reconnect)
                alive = False
            if not alive:
                self._discard_pool()
        if self._pool is None:
            self._pool = self._open_pool(retry=retry)
        return self._pool

    def _argument(self, pool: Any, value: Any) -> Any:
        if isinstance(value, Secret):
            from pypsrp.complex_objects import ObjectMeta  # noqa: PLC0415 (pypsrp is imported only to connect)

            if not self._keys_exchanged:
                pool.exchange_keys()
                self._keys_exchanged = True
            return pool.serialize(value.reveal(), ObjectMeta("SS"))
        if isinstance(value, tuple):
            return list(value)
        return value

    def run(self, call: ScriptCall) -> RawResult:
        from pypsrp.complex_objects import PSInvocationState  # noqa: PLC0415 (pypsrp is imported only to connect)
        from pypsrp.powershell import PowerShell  # noqa: PLC0415 (pypsrp is imported only to connect)

        ps: Any = None
        sending = False
        try:
            pool = self._usable_pool()
            ps = PowerShell(pool)
            # Each step in its own scope: without UseLocalScope Windows runs a script in the
            # runspace's global scope, where one step's variables, type constraints and
            # strict mode would leak into the next step on the same pool.
            if call.pipeline_id is not None:
                ps.id = call.pipeline_id  # its CommandId, journaled before it is sent
            ps.add_script(call.script, use_local_scope=True)
            send_uncopied(ps.commands[-1])
            for name, value in call.arguments.items():
                if value is not None:
                    ps.add_parameter(name, self._argument(pool, value))
            self._pipelines += 1
            deadline = time.monotonic() + call.timeout_s
            if self._interrupted:
                raise RunInterrupted(f"{self.node}: interrupted before the script was sent")
            sending = True
            ps.begin_invoke()
            self._running = ps
            if self.interrupt_requested():  # asked while the script was being sent
                ps.stop()
            while ps.state == PSInvocationState.RUNNING:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    ps.stop()
                    raise TransportTimeout(
                        f"{self.node}: script did not finish within {call.timeout_s:g} s "
                        "(stopped); raise the step timeout or check the node",
                        node=self.node,
                    )
                ps.poll_invoke(timeout=max(1, min(int(remaining), 20)))
            if ps.state == PSInvocationState.STOPPED:
                raise RunInterrupted(f"{self.node}: the script was stopped by an interrupt")
        except (TransportError, RunInterrupted) as exc:
            self._discard_pool()
            exc.script_sent = sending and _may_have_reached(ps, exc)
            raise  # already ours (the step timeout above): no cause to add
        except Exception as exc:
            self._discard_pool()
            error: TransportError | RunInterrupted = (
                RunInterrupted(f"{self.node}: interrupted ({exc})")
                if self._interrupted
                else self._translate(exc)
            )
            error.script_sent = sending and _may_have_reached(ps, exc)
            raise error from exc
        finally:
            self._running = None
            self._last_used = time.monotonic()
        return RawResult(
            output=list(ps.output),
            errors=list(ps.streams.error),
            had_errors=bool(ps.had_errors),
            warnings=[str(w) for w in ps.streams.warning],
            information=[str(i) for i in ps.streams.information],
        )

    def settle(
        self, left: PipelineRef, wait_s: float, found: Callable[[], None] = lambda: None
    ) -> Settlement:
        """Settle a pipeline a previous process left on this node
        (:func:`~psrunbook.transport.left_pipelines.settle`), over a connection of its own
        that speaks as the client session that sent it; TransportError if it cannot."""
        from psrunbook.transport import left_pipelines  # noqa: PLC0415 (only a resume needs it)

        connection = self._inventory.connection
        wsman = self._wsman(connection.connect_timeout_s, left.client_id)
        try:
            return left_pipelines.settle(
                wsman,
                left.pipeline_id,
                wait_s,
                stop_wait_s=max(float(connection.operation_timeout_s), _STOP_WAIT_S),
                stopped=self.interrupt_requested,
                found=found,
            )
        except left_pipelines.SettleInterrupted as exc:
            raise RunInterrupted(f"{self.node}: {exc}") from exc
        except left_pipelines.PipelineWontStop as exc:
            raise TransportTimeout(f"{self.node}: {exc}", node=self.node) from exc
        except TransportError:
            raise
        except Exception as exc:
            raise self._translate(exc) from exc
        finally:
            wsman.close()

    def interrupt_requested(self) -> bool:
        return self._interrupted

    def interrupt(self) -> None:
        """Stop the running pipeline with a PSRP Signal (from another thread); best effort."""
        self._interrupted = True
        self._woken.set()
        ps = self._running
        if ps is None:
            return
        from pypsrp.complex_objects import PSInvocationState  # noqa: PLC0415 (pypsrp is imported only to connect)

        try:
            if ps.state == PSInvocationState.RUNNING:
                ps.stop()
        except Exception as exc:  # noqa: BLE001 (the node may be gone; the run is ending anyway)
            _log.debug("stopping the pipeline on %s failed: %s", self.node, exc)

    def _discard_pool(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        try:
            pool.close()
        except Exception as exc:  # noqa: BLE001 (closing a broken pool may fail any way; the pool is gone)
            _log.debug("closing pool on %s failed: %s", self.node, exc)
        finally:
            pool.connection.close()  # its HTTP connections, never left to the collector

    def close(self) -> None:
        self._discard_pool()
