"""WSMan SOAP envelopes: parse what pypsrp sends, write what Windows answers.

Responses are written as text in the layout WinRM uses (prefixes ``s``, ``a``, ``x``,
``w``, ``rsp``, ``p``), compared element by element with ``recordings/`` in the tests.
Requests are parsed by the standard library's expat parser, and one that declares a
document type is refused: SOAP 1.2 forbids it ("The XML infoset of a SOAP message MUST
NOT contain a document type declaration information item", SOAP 1.2 Part 1, section 5),
so no entity is ever declared, expanded or fetched. (Which fault WinRM answers to a
DOCTYPE is UNVERIFIED; the lab answers the invalid-XML fault it gives any request that
is not an envelope, the stricter choice.) The lab used lxml before, which accepted a
DOCTYPE (without expanding its entities) and lets go of the interpreter lock while it
parses: with one other thread busy, a 10 us parse then cost 150 us of CPU and waited up
to a switch interval (5 ms) for the lock, measured alone; expat holds the lock for its
15 to 25 us. In the 64-node fan-out the lab's CPU per node did not measurably move
(issue 16), so this is for the refusal and for a predictable parser, not for speed.
"""

from __future__ import annotations

import functools
import random
import re
from typing import Any
from xml.etree import ElementTree

import msgspec

from psrunbook.sim.endpoint.clixml import escape
from psrunbook.sim.executor_protocol import SESSION_PID

NS_SOAP = "http://www.w3.org/2003/05/soap-envelope"
NS_ADDRESSING = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
NS_WSMV = "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
NS_SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
NS_TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
NS_POWERSHELL = "http://schemas.microsoft.com/powershell"
NS_ENUMERATION = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"

POWERSHELL_URI = "http://schemas.microsoft.com/powershell/Microsoft.PowerShell"
CONFIG_URI = "http://schemas.microsoft.com/wbem/wsman/1/config"
ANONYMOUS = "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
FAULT_ACTION = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
ADDRESSING_FAULT_ACTION = f"{NS_ADDRESSING}/fault"
"""The action of a fault about the message's addressing headers (WS-Addressing's own)."""
COMMAND_STATE_DONE = f"{NS_SHELL}/CommandState/Done"
E_FAIL = 2147500037
"""0x80004005, what WinRM reports for an internal failure."""

ACTIONS = {
    f"{NS_TRANSFER}/Create": "Create",
    f"{NS_TRANSFER}/Delete": "Delete",
    f"{NS_TRANSFER}/Get": "Get",
    f"{NS_SHELL}/Command": "Command",
    f"{NS_SHELL}/Send": "Send",
    f"{NS_SHELL}/Receive": "Receive",
    f"{NS_SHELL}/Signal": "Signal",
    f"{NS_SHELL}/Disconnect": "Disconnect",
    f"{NS_SHELL}/Reconnect": "Reconnect",
    f"{NS_SHELL}/Connect": "Connect",
    f"{NS_ENUMERATION}/Enumerate": "Enumerate",
}
"""Action URIs the endpoint serves, by the short name used for counters and faults."""

_RESPONSE_ACTIONS = {short: f"{uri}Response" for uri, short in ACTIONS.items()}

_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?$")
_OPERATION_TIMEOUT = re.compile(
    r"^P(?!$)(?:(\d+)D)?(?:T(?=\d)(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)
"""An OperationTimeout the lab accepts: a non-negative ``xs:duration`` of days, hours,
minutes and seconds (XML Schema Part 2, 3.2.6: ``PnDTnHnMnS``, at least one part, a
``T`` only before a time part)."""

_ENVELOPE = f"{{{NS_SOAP}}}Envelope"
_HEADER = f"{{{NS_SOAP}}}Header"
_BODY = f"{{{NS_SOAP}}}Body"

_SELECTOR_SET = f"{{{NS_WSMAN}}}SelectorSet"
_OPTION_SET = f"{{{NS_WSMAN}}}OptionSet"

_HEADER_TAGS = {
    f"{{{NS_ADDRESSING}}}Action": "action",
    f"{{{NS_ADDRESSING}}}MessageID": "message_id",
    f"{{{NS_WSMAN}}}ResourceURI": "resource_uri",
    f"{{{NS_WSMAN}}}MaxEnvelopeSize": "max_envelope_size",
    f"{{{NS_WSMAN}}}OperationTimeout": "operation_timeout",
    f"{{{NS_WSMV}}}SessionId": "session_id",
}


class WSManFaultResponse(Exception):
    """A WSMan fault the endpoint answers a request with; ``code`` is the code pypsrp reports.

    Raised inside the endpoint and turned into a SOAP fault envelope; the client side of
    the same event is :class:`psrunbook.errors.WSManFault`.
    """

    def __init__(
        self,
        code: int,
        reason: str,
        *,
        subcode: str = "w:InternalError",
        sender: bool = False,
        detail: str | None = None,
        message: str | None = None,
        action: str = FAULT_ACTION,
        relates_to: str | None = None,
        provider: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(reason)
        self.provider = provider
        """``(name, path)`` of the WinRM plugin that raised it, when Windows names one: its
        Message is then an ``f:ProviderFault`` (pypsrp's ``provider``/``provider_path``)."""
        self.code = code
        self.reason = reason
        self.subcode = subcode
        self.sender = sender
        self.detail = detail
        self.message = message
        """The WSManFault's own Message when WinRM words it apart from ``s:Reason``
        (pypsrp reports this one); None when the two are the same."""
        self.action = action
        self.relates_to = relates_to
        """The request's MessageID, for a fault raised before the request was parsed
        whole (the caller does not know it yet)."""


def operation_timeout_fault() -> WSManFaultResponse:
    return WSManFaultResponse(
        2150858793,
        "The WS-Management service cannot complete the operation within the time specified "
        "in OperationTimeout.",
        subcode="w:TimedOut",
    )


def unknown_shell_fault(what: str = "shell") -> WSManFaultResponse:
    return WSManFaultResponse(
        2150858843,
        f"The Windows Remote Shell received a request to perform an operation on a {what} "
        f"identifier that does not exist. Either the {what} has completed execution or the "
        f"client specified an invalid {what} identifier.",
        subcode="w:InvalidSelectors",
        sender=True,
        detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors",
    )


def invalid_xml_fault(problem: str) -> WSManFaultResponse:
    return WSManFaultResponse(
        2150858819,
        f"The WS-Management service cannot process the request because the XML is invalid. "
        f"{problem}",
        subcode="w:SchemaValidationError",
        sender=True,
    )


def invalid_timeout_fault(value: str, relates_to: str | None = None) -> WSManFaultResponse:
    """WinRM's answer to an OperationTimeout header that is not a valid timeout.

    Recorded from Windows in pypsrp 0.9.1's ``responses/test_psrp_is_alive_other_wsman_error.yml``
    (``PT-1S``): WS-Addressing's fault action, ``a:InvalidMessageInformationHeader``, a
    generic ``s:Reason`` and the specific WSManFault message, code 2150858767
    (0x8033000F, ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER), no FaultDetail.
    """
    return WSManFaultResponse(
        2150858767,
        "The WS-Management service cannot process the request. The request contains one or "
        "more invalid SOAP headers.",
        subcode="a:InvalidMessageInformationHeader",
        sender=True,
        message="The WS-Management service cannot process the request. The XML contains an "
        f"invalid timeout field in the SOAP header: {value}.",
        action=ADDRESSING_FAULT_ACTION,
        relates_to=relates_to,
    )


def unsupported_action_fault(action: str) -> WSManFaultResponse:
    return WSManFaultResponse(
        2150858771,
        f"The WS-Management service does not support the specified action: {action}",
        subcode="a:ActionNotSupported",
        sender=True,
    )


def resource_not_found_fault(resource_uri: str) -> WSManFaultResponse:
    return WSManFaultResponse(
        2150858752,
        f"The WS-Management service cannot process the request. The service cannot find the "
        f"resource identified by the resource URI and selectors: {resource_uri}",
        subcode="w:DestinationUnreachable",
        sender=True,
    )


POWERSHELL_URI_PREFIX = f"{NS_POWERSHELL}/"
"""What a PowerShell session configuration's resource URI starts with; the rest is the
configuration's name (pypsrp's ``RunspacePool(configuration_name=...)``)."""

E_NOTIMPL = 2147500033
"""0x80004001: the code of the lab's own refusals at the protocol level, one no Windows
client takes for a fault WinRM sends."""


def unknown_configuration_fault(resource_uri: str) -> WSManFaultResponse:
    """A request for a session configuration the node has not registered (no WinRM plugin
    serves the resource URI): ERROR_WSMAN_INVALID_RESOURCE_URI, 0x8033803B.

    The code and the words are what pypsrp users report from Windows for
    ``configuration_name="Microsoft.Exchange"`` against a server without that endpoint
    (pypsrp issues 41 and 47: "Received a WSManFault message. (Code: 2150858811, ...
    Reason: The WS-Management service cannot process the request. The resource URI
    (http://schemas.microsoft.com/powershell/Microsoft.Exchange) was not found in the
    WS-Management catalog. ..."). PowerShell's own client words the same code as "Cannot
    find the <name> session configuration in the WSMan: drive on the <computer> computer"
    (``WSManClientSessionTransportManager``: ERROR_WSMAN_INVALID_RESOURCE_URI ->
    RemotingErrorIdStrings.InvalidConfigurationName), so that sentence is the client's,
    never on the wire. The subcode and the fault detail are UNVERIFIED (the reports
    quote only the code and the message; WS-Management's fault for an unknown resource
    URI is ``DestinationUnreachable`` with the ``InvalidResourceURI`` detail)."""
    return WSManFaultResponse(
        2150858811,
        "The WS-Management service cannot process the request. The resource URI "
        f"({resource_uri}) was not found in the WS-Management catalog. The catalog "
        "contains the metadata that describes resources, or logical endpoints.",
        subcode="w:DestinationUnreachable",
        sender=True,
        detail="http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InvalidResourceURI",
    )


def unmodelled_configuration_fault(name: str, what: str) -> WSManFaultResponse:
    """The lab's refusal, by name, of a session configuration Windows registers but the
    lab does not model (``what`` says which endpoint it is): never served as another."""
    return WSManFaultResponse(
        E_NOTIMPL,
        f"unsupported construct: the {name} session configuration ({what}); the lab "
        "serves Microsoft.PowerShell and Microsoft.PowerShell32 only",
        sender=True,
    )


def shell_disconnected_fault() -> WSManFaultResponse:
    """A request on a disconnected shell (ERROR_WINRS_SHELL_DISCONNECTED, 0x803381C4).

    The code and message are those pypsrp 1.0 knows (``psrp.ShellDisconnected``); the
    subcode is UNVERIFIED."""
    return WSManFaultResponse(
        2150859204,
        "The WinRM service cannot process the request because the WinRS shell instance is "
        "currently disconnected.",
    )


def stream_disconnected_fault() -> WSManFaultResponse:
    """What a Receive still waiting when its shell is disconnected gets
    (ERROR_WSMAN_SERVICE_STREAM_DISCONNECTED, 0x803381DE): pypsrp 1.0's listener ended on
    this one code before it learnt :func:`shell_disconnected_fault` too, so Windows
    answers the waiting Receive with it (inferred from the client, UNVERIFIED)."""
    return WSManFaultResponse(
        2150859230,
        "The WS-Management service cannot process the request because the stream is "
        "currently disconnected.",
    )


def connected_to_other_client_fault() -> WSManFaultResponse:
    """A Connect, or a request of another client session, on a shell a client holds
    (ERROR_WINRS_SHELL_CONNECTED_TO_DIFFERENT_CLIENT, 2150859213; the message's wording
    is UNVERIFIED)."""
    return WSManFaultResponse(
        2150859213,
        "The WinRM service cannot process the request because the WinRS shell instance is "
        "connected to a different client.",
    )


def session_mismatch_fault() -> WSManFaultResponse:
    """A Reconnect from another client session than the one that disconnected
    (ERROR_WINRS_SHELL_CLIENTSESSIONID_MISMATCH, 2150859206; wording UNVERIFIED)."""
    return WSManFaultResponse(
        2150859206,
        "The WinRM service cannot process the request because the client session ID of "
        "the request does not match the client session ID of the WinRS shell instance.",
    )


def disconnect_not_valid_fault() -> WSManFaultResponse:
    """A Disconnect of a shell that is disconnected already
    (ERROR_WINRS_SHELL_DISCONNECT_OPERATION_NOT_VALID, 2150859215; wording UNVERIFIED)."""
    return WSManFaultResponse(
        2150859215,
        "The WinRM service cannot process the request because the WinRS shell instance is "
        "not in a state that allows a disconnect operation.",
    )


class WSManRequest(msgspec.Struct):
    """The parts of a request envelope the endpoint acts on."""

    action: str
    action_uri: str
    message_id: str
    resource_uri: str
    max_envelope_size: int
    operation_timeout: float
    selectors: dict[str, str] = msgspec.field(default_factory=dict)
    options: dict[str, str] = msgspec.field(default_factory=dict)
    body: Any = None
    session_id: str = ""
    """The client's ``p:SessionId`` (MS-WSMV 3.1.4.1.37): the same for every request of
    one client session, how a Reconnect proves it is the client that disconnected."""

    def body_child(self, local_name: str, namespace: str = NS_SHELL) -> Any:
        """The named element directly under ``s:Body``, or a fault when it is missing."""
        element = None if self.body is None else self.body.find(f"{{{namespace}}}{local_name}")
        if element is None:
            raise invalid_xml_fault(f"The request has no {local_name} element.")
        return element


def _parse_duration(text: str | None, default: float) -> float:
    match = _DURATION.match((text or "").strip())
    if not match:
        return default
    hours, minutes, seconds = match.groups()
    return int(hours or 0) * 3600 + int(minutes or 0) * 60 + float(seconds or 0)


def operation_timeout_seconds(text: str | None, message_id: str) -> float:
    """The request's OperationTimeout in seconds (60 when the header is absent).

    Windows refuses ``PT-1S`` with :func:`invalid_timeout_fault` (recorded, see there).
    The lab refuses every value that is not a non-negative ``xs:duration`` the same way:
    that a malformed value (``abc``, ``PT``, ``30``) gets the same fault is UNVERIFIED,
    the stricter choice; so is refusing years and months (``P1Y``, ``P1M``), whose
    length in seconds WinRM would have to choose. An empty header is refused too.
    """
    if text is None:
        return 60.0
    seconds = _timeout_seconds(text)
    if seconds is None:
        raise invalid_timeout_fault(text, message_id)
    return seconds


@functools.lru_cache(maxsize=64)
def _timeout_seconds(text: str) -> float | None:
    """An OperationTimeout's seconds, or None when the lab refuses it; kept per text, as
    a client sends the same one with every request."""
    match = _OPERATION_TIMEOUT.match(text)
    if match is None:
        return None
    days, hours, minutes, seconds = match.groups()
    return (
        int(days or 0) * 86400
        + int(hours or 0) * 3600
        + int(minutes or 0) * 60
        + float(seconds or 0)
    )


class _DocumentTypeDeclared(Exception):
    """The request declares a document type, which a SOAP message must not."""


class _EnvelopeBuilder(ElementTree.TreeBuilder):
    """The standard tree builder, refusing a DOCTYPE as soon as the parser meets it
    (before its internal subset, so before any entity is declared)."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _DocumentTypeDeclared


def _parse_xml(data: bytes) -> ElementTree.Element:
    # A DOCTYPE is refused before its internal subset, so no entity is ever declared:
    # nothing left for defusedxml to defuse.
    parser = (
        ElementTree.XMLParser()  # noqa: S314 - no DOCTYPE in it, see _without_doctype
        if _without_doctype(data)
        else ElementTree.XMLParser(target=_EnvelopeBuilder())  # noqa: S314
    )
    parser.feed(data)
    root: ElementTree.Element = parser.close()
    return root


def _without_doctype(data: bytes) -> bool:
    """Whether ``data`` certainly declares no document type, so the standard tree builder
    may parse it: its C fast path costs a third less than :class:`_EnvelopeBuilder`,
    whose every element goes through a method call (issue 16).

    In bytes below 0x80 without NUL (no UTF-16 or UTF-32 form), expat reads the markup
    as those ASCII characters whatever the declared encoding (it refuses an encoding
    that maps them elsewhere), so a declaration would show as ``<!DOCTYPE``; anything
    else goes to the refusing builder.
    """
    return data.isascii() and b"\0" not in data and b"<!DOCTYPE" not in data


def parse_request(data: bytes) -> WSManRequest:
    """Parse a request envelope; malformed input becomes a WSMan fault, never a crash."""
    try:
        root = _parse_xml(data)
    except ElementTree.ParseError as exc:
        raise invalid_xml_fault(str(exc)) from exc
    except _DocumentTypeDeclared:
        raise invalid_xml_fault(
            "A SOAP message must not contain a document type declaration."
        ) from None
    header = body = None
    for child in root:  # one pass for both (two ``find`` calls cost more than the walk)
        tag = child.tag
        if tag == _HEADER and header is None:
            header = child
        elif tag == _BODY and body is None:
            body = child
    if root.tag != _ENVELOPE or header is None:
        raise invalid_xml_fault("The request is not a SOAP 1.2 envelope with a Header.")
    values: dict[str, str] = {}
    selectors: dict[str, str] = {}
    options: dict[str, str] = {}
    for child in header:
        key = _HEADER_TAGS.get(child.tag)
        if key is not None:
            values[key] = (child.text or "").strip()
        elif child.tag == _SELECTOR_SET:
            selectors = {s.get("Name", ""): (s.text or "").strip() for s in child}
        elif child.tag == _OPTION_SET:
            options = {o.get("Name", ""): (o.text or "").strip() for o in child}
    action_uri = values.get("action", "")
    if not action_uri or "message_id" not in values:
        raise invalid_xml_fault("The request has no Action or MessageID header.")
    try:
        max_envelope = int(values.get("max_envelope_size", "153600"))
    except ValueError as exc:
        raise invalid_xml_fault("MaxEnvelopeSize is not a number.") from exc
    return WSManRequest(
        action=ACTIONS.get(action_uri, action_uri.rsplit("/", 1)[-1]),
        action_uri=action_uri,
        message_id=values["message_id"],
        resource_uri=values.get("resource_uri", ""),
        max_envelope_size=max_envelope,
        operation_timeout=operation_timeout_seconds(
            values.get("operation_timeout"), values["message_id"]
        ),
        selectors=selectors,
        options=options,
        body=body,
        session_id=values.get("session_id", "").upper(),
    )


_ENVELOPE_OPEN = (
    f'<s:Envelope xml:lang="en-US" xmlns:s="{NS_SOAP}" xmlns:a="{NS_ADDRESSING}" '
    f'xmlns:x="{NS_TRANSFER}" xmlns:w="{NS_WSMAN}" xmlns:rsp="{NS_SHELL}" xmlns:p="{NS_WSMV}">'
)
_FAULT_ENVELOPE_OPEN = (
    f'<s:Envelope xml:lang="en-US" xmlns:s="{NS_SOAP}" xmlns:a="{NS_ADDRESSING}" '
    f'xmlns:x="{NS_TRANSFER}" xmlns:e="http://schemas.xmlsoap.org/ws/2004/08/eventing" '
    f'xmlns:n="http://schemas.xmlsoap.org/ws/2004/09/enumeration" xmlns:w="{NS_WSMAN}" '
    f'xmlns:p="{NS_WSMV}">'
)


_UUID4_CLEAR = ~((0xC000 << 48) | (0xF000 << 64))
_UUID4_SET = (0x8000 << 48) | (4 << 76)
"""The variant and version bits ``uuid.UUID(int=..., version=4)`` sets."""


def _new_id() -> str:
    """A random GUID for MessageID/ActivityId; unique, not secret, so no OS entropy call.

    The text ``str(uuid.UUID(int=bits, version=4)).upper()`` gives, formatted directly:
    building the UUID object cost more than the rest of a response header (issue 16).
    """
    text = f"{random.getrandbits(128) & _UUID4_CLEAR | _UUID4_SET:032X}"
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _header(action_uri: str, relates_to: str) -> str:
    return (
        f"<s:Header><a:Action>{action_uri}</a:Action>"
        f"<a:MessageID>uuid:{_new_id()}</a:MessageID>"
        f"<p:ActivityId>{_new_id()}</p:ActivityId>"
        f"<a:To>{ANONYMOUS}</a:To><a:RelatesTo>{escape(relates_to)}</a:RelatesTo></s:Header>"
    )


def response(request: WSManRequest, body: str) -> bytes:
    """The response envelope for ``request`` with ``body`` inside ``s:Body``."""
    action_uri = _RESPONSE_ACTIONS.get(request.action, f"{request.action_uri}Response")
    return (
        f"{_ENVELOPE_OPEN}{_header(action_uri, request.message_id)}"
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def fault_envelope(fault: WSManFaultResponse, relates_to: str, machine: str) -> bytes:
    """A SOAP fault with the WSManFault detail pypsrp parses into ``WSManFaultError``."""
    value = "s:Sender" if fault.sender else "s:Receiver"
    detail = f"<w:FaultDetail>{fault.detail}</w:FaultDetail>" if fault.detail else ""
    reason = escape(fault.reason)
    message = f"{reason if fault.message is None else escape(fault.message)} "
    if fault.provider is not None:  # as test_winrs_fail_poll_process.yml has it
        name, path = (escape(part) for part in fault.provider)
        message = f'<f:ProviderFault provider="{name}" path="{path}">{message}</f:ProviderFault>'
    header = _header(fault.action, fault.relates_to or relates_to)
    return (
        f"{_FAULT_ENVELOPE_OPEN}{header}<s:Body><s:Fault>"
        f"<s:Code><s:Value>{value}</s:Value><s:Subcode><s:Value>{fault.subcode}</s:Value>"
        f'</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en-US">{reason} </s:Text>'
        f"</s:Reason><s:Detail>{detail}"
        f'<f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" '
        f'Code="{fault.code}" Machine="{escape(machine)}"><f:Message>{message}</f:Message>'
        f"</f:WSManFault></s:Detail></s:Fault></s:Body></s:Envelope>"
    ).encode()


def parse_duration(text: str | None, default: float) -> float:
    """An ``xs:duration`` such as ``PT60S`` in seconds; ``default`` when absent or malformed."""
    return _parse_duration(text, default)


def shell_body(
    shell_id: str,
    *,
    owner: str,
    client_ip: str,
    address: str | None = None,
    created: bool = False,
    idle_timeout: float = 7200.0,
    profile_loaded: bool = True,
    state: str = "Connected",
    buffer_mode: str = "Block",
    run_time: float = 0.0,
    inactivity: float = 0.0,
    usage: bool = False,
    resource_uri: str = POWERSHELL_URI,
) -> str:
    """``rsp:Shell`` as Create, Get and Enumerate return it; with ``created`` the
    ResourceCreated too. ``resource_uri`` is the session configuration's, as the client
    sent it in the Create (the recordings show pypsrp's ``Microsoft.PowerShell`` spelling
    back; whether WinRM echoes another spelling or the plugin's own is UNVERIFIED).

    ``profile_loaded`` is False for a shell created with ``WINRS_NOPROFILE=TRUE``
    (``ProfileLoaded No`` in pypsrp 0.9.1's recorded ``test_psrp_no_profile.yml``). Get
    and Enumerate (``usage``) add ``MemoryUsed`` and ``ChildProcesses`` after the times,
    as ``test_psrp_is_alive_state_disconnected.yml`` and
    ``test_psrp_disconnect_runspaces.yml`` show; the lab's memory figure is a constant.
    """
    resource_created = ""
    if created:
        resource_created = (
            f"<x:ResourceCreated><a:Address>{escape(address or '')}</a:Address>"
            f"<a:ReferenceParameters><w:ResourceURI>{escape(resource_uri)}</w:ResourceURI>"
            f'<w:SelectorSet><w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet>'
            f"</a:ReferenceParameters></x:ResourceCreated>"
        )
    usage_text = (
        "<rsp:MemoryUsed>46MB</rsp:MemoryUsed><rsp:ChildProcesses>0</rsp:ChildProcesses>"
        if usage
        else ""
    )
    return (
        f'{resource_created}<rsp:Shell xmlns:rsp="{NS_SHELL}"><rsp:ShellId>{shell_id}</rsp:ShellId>'
        f"<rsp:ResourceUri>{escape(resource_uri)}</rsp:ResourceUri><rsp:Owner>{escape(owner)}</rsp:Owner>"
        f"<rsp:ClientIP>{escape(client_ip)}</rsp:ClientIP><rsp:ProcessId>{SESSION_PID}</rsp:ProcessId>"
        f"<rsp:IdleTimeOut>PT{idle_timeout:.3f}S</rsp:IdleTimeOut>"
        f"<rsp:InputStreams>stdin pr</rsp:InputStreams>"
        f"<rsp:OutputStreams>stdout</rsp:OutputStreams>"
        f"<rsp:MaxIdleTimeOut>PT2147483.647S</rsp:MaxIdleTimeOut><rsp:Locale>en-US</rsp:Locale>"
        f"<rsp:DataLocale>en-US</rsp:DataLocale>"
        f"<rsp:CompressionMode>NoCompression</rsp:CompressionMode>"
        f"<rsp:ProfileLoaded>{'Yes' if profile_loaded else 'No'}</rsp:ProfileLoaded>"
        f"<rsp:Encoding>UTF8</rsp:Encoding>"
        f"<rsp:BufferMode>{buffer_mode}</rsp:BufferMode><rsp:State>{state}</rsp:State>"
        f"<rsp:ShellRunTime>{day_duration(run_time)}</rsp:ShellRunTime>"
        f"<rsp:ShellInactivity>{day_duration(inactivity)}</rsp:ShellInactivity>"
        f"{usage_text}</rsp:Shell>"
    )


def day_duration(seconds: float) -> str:
    """A shell's run or idle time as WinRM writes it: ``P0DT0H1M2S`` (whole seconds)."""
    whole = max(int(seconds), 0)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return f"P{days}DT{hours}H{minutes}M{secs}S"


def enumerate_body(items: list[str]) -> str:
    """``n:EnumerateResponse`` with every item at once (``OptimizeEnumeration``), as
    Windows answers pypsrp's shell and command enumerations: an empty EnumerationContext,
    ``w:Items`` only when there are any, then ``w:EndOfSequence``."""
    listed = f"<w:Items>{''.join(items)}</w:Items>" if items else ""
    return (
        f'<n:EnumerateResponse xmlns:n="{NS_ENUMERATION}"><n:EnumerationContext/>'
        f"{listed}<w:EndOfSequence/></n:EnumerateResponse>"
    )


def command_item(command_id: str, state: str) -> str:
    """One ``rsp:Command`` of a command enumeration (``CommandLine`` empty for PSRP)."""
    return (
        f'<rsp:Command xmlns:rsp="{NS_SHELL}"><rsp:CommandId>{command_id}</rsp:CommandId>'
        f"<rsp:CommandLine/><rsp:CommandState>{state}</rsp:CommandState></rsp:Command>"
    )


def receive_body(streams: list[str], command_id: str | None, done: bool) -> str:
    """``rsp:ReceiveResponse`` with one ``rsp:Stream`` per base64 fragment payload."""
    command_attr = f' CommandId="{command_id}"' if command_id else ""
    parts = ["<rsp:ReceiveResponse>"]
    parts.extend(f'<rsp:Stream Name="stdout"{command_attr}>{s}</rsp:Stream>' for s in streams)
    if done and command_id:
        parts.append(
            f'<rsp:CommandState CommandId="{command_id}" State="{COMMAND_STATE_DONE}">'
            f"<rsp:ExitCode>0</rsp:ExitCode></rsp:CommandState>"
        )
    parts.append("</rsp:ReceiveResponse>")
    return "".join(parts)


RECEIVE_OVERHEAD = 2048
"""Bytes of a Receive response outside the stream contents (header, body, CommandState)."""

STREAM_OVERHEAD = 120
"""Bytes each ``rsp:Stream`` element adds around its base64 text."""


MAX_ENVELOPE_KB = 500
"""The node's ``MaxEnvelopeSizekb``: WinRM's service default, what ``config_body`` reports."""

MAX_ENVELOPE_BYTES = MAX_ENVELOPE_KB * 1024
"""A request envelope larger than this is refused with HTTP 413, as Windows refuses one
above its quota (pypsrp reports "Bad HTTP response returned from the server. Code: 413",
ansible.windows issue 391 with the default 500; PowerShell's client says "the request
size exceeded the configured MaxEnvelopeSize quota"). Whether Windows sends a body with
the 413 is UNVERIFIED: the lab sends none."""


def config_body() -> str:
    return (
        '<cfg:Config xmlns:cfg="http://schemas.microsoft.com/wbem/wsman/1/config">'
        f"<cfg:MaxEnvelopeSizekb>{MAX_ENVELOPE_KB}</cfg:MaxEnvelopeSizekb>"
        "<cfg:MaxTimeoutms>60000</cfg:MaxTimeoutms></cfg:Config>"
    )
