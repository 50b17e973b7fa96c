"""A pipeline an interrupted run left running on a node: found, waited for, stopped.

WinRM does not stop a pipeline whose client vanished (the process killed, the machine
powered off, the network gone): the shell stays ``Connected`` until its IdleTimeOut (two
hours by default), then ``Disconnected`` with the pipeline still running, and is deleted
only after another IdleTimeOut (MS-PSRP 3.1.4.10; pypsrp's Windows recording
``test_psrp_is_alive_state_disconnected.yml``). A resume that re-checked and re-applied
the step at once could run it a second time beside the first: two bring-onlines of one
resource, two writers of one registry key.

Every apply attempt therefore journals the client's WSMan ``SessionId`` and the
pipeline's ``CommandId``, both chosen before the script is sent
(:class:`~psrunbook.transport.base.PipelineRef`). Here a later process, as that same
client session and the same account, lists the account's PowerShell shells and their
commands (WS-Enumeration, as pypsrp's ``get_runspace_pools`` asks), finds the pipeline,
reconnects a disconnected shell (``Reconnect`` is refused to any other client session),
receives until the command is ``Done``, stops it with PowerShell's ``ctrl_c`` signal if
it outlives the wait, and deletes the shell, which nothing will use again and which
would otherwise count against the node's shells per user for hours.
"""

from __future__ import annotations

import logging
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from typing import Any

import msgspec

from psrunbook.transport.base import Settlement

_log = logging.getLogger(__name__)

RSP = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
_WSEN = "http://schemas.xmlsoap.org/ws/2004/09/enumeration"
_WSMAN = "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
_POWERSHELL_URIS = "http://schemas.microsoft.com/powershell/"
_DONE = f"{RSP}/CommandState/Done"
_STOP_SIGNAL = "powershell/signal/ctrl_c"
"""PowerShell's stop request, as pypsrp's ``PowerShell.stop`` sends it to Windows
(``SignalCode.PS_CTRL_C``)."""
OPERATION_TIMEOUT_FAULT = 2150858793
"""WSMan's fault for a Receive that found nothing to return within its OperationTimeout:
the command is still running (MS-WSMV 3.1.4.14)."""
UNKNOWN_SHELL_FAULT = 2150858843
"""ERROR_WINRS_SHELL_NOT_FOUND, for a shell or a command that no longer exists: deleted
meanwhile (by its idle timeout, or by the sending client after all), or its pipeline's
end already received. Either way the pipeline is over."""
_LONGEST_POLL_S = 2
"""A Receive's longest wait: an interrupt is seen within it."""


class LeftShell(msgspec.Struct, frozen=True):
    """One of the account's PowerShell shells on the node, as Enumerate lists it."""

    shell_id: str
    resource_uri: str
    state: str


def _selectors(shell_id: str) -> Any:
    """The ShellId selector every request on one shell carries (pypsrp's SelectorSet)."""
    from pypsrp.wsman import SelectorSet  # noqa: PLC0415 (pypsrp is imported only to connect)

    selectors = SelectorSet()
    selectors.add_option("ShellId", shell_id)
    return selectors


def _enumerate_message(shell_id: str | None = None) -> ET.Element:
    """The Enumerate body pypsrp's ``get_runspace_pools`` sends: every item in one answer,
    for one shell's commands a SelectorFilter on its ShellId."""
    message = ET.Element(f"{{{_WSEN}}}Enumerate")
    ET.SubElement(message, f"{{{_WSMAN}}}OptimizeEnumeration")
    ET.SubElement(message, f"{{{_WSMAN}}}MaxElements").text = "32000"
    if shell_id is not None:
        found = ET.SubElement(
            message,
            f"{{{_WSMAN}}}Filter",
            Dialect="http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter",
        )
        found.append(_selectors(shell_id).pack())
    return message


def _items(body: Any, tag: str) -> Iterator[Any]:
    items = body.find(f"{{{_WSEN}}}EnumerateResponse/{{{_WSMAN}}}Items")
    if items is None:
        return iter(())
    return iter(items.findall(f"{{{RSP}}}{tag}"))


def _text(element: Any, tag: str) -> str:
    child = element.find(f"{{{RSP}}}{tag}")
    return (child.text or "").strip() if child is not None else ""


def powershell_shells(wsman: Any) -> list[LeftShell]:
    """The account's PowerShell shells on the node (WinRS shells are not pipelines)."""
    body = wsman.enumerate(f"{RSP}", _enumerate_message())
    shells = []
    for item in _items(body, "Shell"):
        uri = _text(item, "ResourceUri")
        if uri.lower().startswith(_POWERSHELL_URIS):
            shells.append(LeftShell(_text(item, "ShellId"), uri, _text(item, "State")))
    return shells


def command_ids(wsman: Any, shell: LeftShell) -> list[str]:
    """The pipelines a client can still take up in ``shell``: running, or ended with
    output nobody received."""
    body = wsman.enumerate(f"{RSP}/Command", _enumerate_message(shell.shell_id))
    return [_text(item, "CommandId").upper() for item in _items(body, "Command")]


def find(wsman: Any, pipeline_id: str) -> LeftShell | None:
    """The shell holding the pipeline ``pipeline_id``, or None when no shell does."""
    wanted = pipeline_id.upper()
    for shell in powershell_shells(wsman):
        if wanted in command_ids(wsman, shell):
            return shell
    return None


def _ended(
    wsman: Any,
    shell: LeftShell,
    pipeline_id: str,
    deadline: float,
    clock: Callable[[], float],
    stopped: Callable[[], bool],
) -> bool:
    """Receive the pipeline's output (and drop it) until its command is Done: True, or
    until ``deadline`` passes: False. The output is the interrupted attempt's; the step
    is checked again afterwards, so nothing in it is needed."""
    from pypsrp.exceptions import WSManFaultError  # noqa: PLC0415 (pypsrp is imported only to connect)
    from pypsrp.wsman import OptionSet  # noqa: PLC0415 (pypsrp is imported only to connect)

    options = OptionSet()
    options.add_option("WSMAN_CMDSHELL_OPTION_KEEPALIVE", "True")
    while True:
        if stopped():
            raise SettleInterrupted(f"interrupted while waiting for the pipeline {pipeline_id}")
        remaining = deadline - clock()
        if remaining <= 0:
            return False
        receive = ET.Element(f"{{{RSP}}}Receive")
        ET.SubElement(receive, f"{{{RSP}}}DesiredStream", CommandId=pipeline_id).text = "stdout"
        try:
            body = wsman.receive(
                shell.resource_uri,
                receive,
                option_set=options,
                selector_set=_selectors(shell.shell_id),
                timeout=max(1, min(int(remaining), _LONGEST_POLL_S)),
            )
        except WSManFaultError as exc:
            if exc.code == OPERATION_TIMEOUT_FAULT:
                continue
            if exc.code == UNKNOWN_SHELL_FAULT:
                return True
            raise
        state = body.find(f"{{{RSP}}}ReceiveResponse/{{{RSP}}}CommandState")
        if state is not None and state.get("State") == _DONE:
            return True


class PipelineWontStop(Exception):
    """The pipeline did not end within the stop's own wait after it was asked to stop."""


class SettleInterrupted(Exception):
    """The run was interrupted while a left pipeline was being waited for."""


def settle(
    wsman: Any,
    pipeline_id: str,
    wait_s: float,
    *,
    stop_wait_s: float,
    clock: Callable[[], float] = time.monotonic,
    stopped: Callable[[], bool] = lambda: False,
    found: Callable[[], None] = lambda: None,
) -> Settlement:
    """Wait up to ``wait_s`` for the pipeline ``pipeline_id`` to end, then stop it (and
    wait up to ``stop_wait_s`` for that); delete its shell. ``wsman`` must carry the
    client session id the pipeline was sent with. :class:`PipelineWontStop` when even
    the stop does not end it: the caller must not re-run the step then;
    :class:`SettleInterrupted` as soon as ``stopped`` says the run is being stopped.
    ``found`` is called once the pipeline is found, before any wait (so the caller can
    say it waits)."""
    from pypsrp.exceptions import WSManFaultError  # noqa: PLC0415 (pypsrp is imported only to connect)

    shell = find(wsman, pipeline_id)
    if shell is None:
        return "absent"
    found()
    if shell.state.casefold() == "disconnected":
        try:  # an empty body, as pypsrp's RunspacePool.reconnect sends it to Windows
            wsman.reconnect(shell.resource_uri, selector_set=_selectors(shell.shell_id))
        except WSManFaultError as exc:
            if exc.code != UNKNOWN_SHELL_FAULT:
                raise
            return "absent"  # deleted since it was listed
    outcome: Settlement = "finished"
    if not _ended(wsman, shell, pipeline_id, clock() + wait_s, clock, stopped):
        signal = ET.Element(f"{{{RSP}}}Signal", CommandId=pipeline_id)
        ET.SubElement(signal, f"{{{RSP}}}Code").text = _STOP_SIGNAL
        try:
            wsman.signal(shell.resource_uri, signal, selector_set=_selectors(shell.shell_id))
        except WSManFaultError as exc:
            if exc.code != UNKNOWN_SHELL_FAULT:
                raise
            return outcome  # it ended just before the stop request
        if not _ended(wsman, shell, pipeline_id, clock() + stop_wait_s, clock, stopped):
            raise PipelineWontStop(
                f"the pipeline {pipeline_id} did not stop within {stop_wait_s:g} s of the "
                "stop request"
            )
        outcome = "stopped"
    try:
        wsman.delete(shell.resource_uri, selector_set=_selectors(shell.shell_id))
    except Exception as exc:  # noqa: BLE001 (the pipeline has ended; the shell expires on its own)
        _log.debug("deleting the left shell %s failed: %s", shell.shell_id, exc)
    return outcome
