"""The left-pipeline lookup reads Windows' own Enumerate answers as it reads the lab's.

The bodies are those of pypsrp's Windows recording ``test_psrp_disconnected_commands.yml``
(two PowerShell shells listed, then each shell's running commands), replayed to
:mod:`psrunbook.transport.left_pipelines` in the order Windows answered them.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest

from psrunbook.transport import left_pipelines
from tests.integration.sim.test_sim_recordings import RECORDINGS, read_messages

pytestmark = pytest.mark.integration

_BODY = "{http://www.w3.org/2003/05/soap-envelope}Body"


class _Replay:
    """A WSMan whose Enumerate answers are the recording's, one after another."""

    def __init__(self, bodies: list[Any]) -> None:
        self._bodies = bodies
        self.asked: list[tuple[str, str | None]] = []

    def enumerate(self, resource_uri: str, message: Any) -> Any:
        selector = message.find(".//{http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd}Selector")
        self.asked.append((resource_uri, None if selector is None else selector.text))
        return self._bodies.pop(0)


def _enumerate_answers() -> list[Any]:
    messages = read_messages(RECORDINGS / "test_psrp_disconnected_commands.yml")
    return [
        ET.fromstring(m["response"]).find(_BODY)
        for m in messages
        if "EnumerateResponse" in m.get("response", "")
    ]


FIRST_SHELL = "BCEF62AD-380E-4314-B2A4-EB6748019B41"
SECOND_SHELL = "B2E1C91B-A3AA-41B4-B346-405E6A90005B"
FIRST_COMMAND = "DB4E8DCF-51CC-423F-A7DF-5D0EA0D6FA08"
SECOND_COMMAND = "356E6DC2-6889-4305-9FE6-8B03F44D7210"


def test_shells_and_their_commands_as_windows_lists_them() -> None:
    shells_answer, first_answer, second_answer = _enumerate_answers()
    shells = left_pipelines.powershell_shells(_Replay([shells_answer]))
    assert [(FIRST_SHELL, "Disconnected"), (SECOND_SHELL, "Disconnected")] == [
        (s.shell_id, s.state) for s in shells
    ]
    assert {"http://schemas.microsoft.com/powershell/Microsoft.PowerShell"} == {
        s.resource_uri for s in shells
    }
    assert [FIRST_COMMAND] == left_pipelines.command_ids(_Replay([first_answer]), shells[0])
    assert [SECOND_COMMAND] == left_pipelines.command_ids(_Replay([second_answer]), shells[1])


def test_the_pipeline_is_found_in_the_shell_that_lists_it() -> None:
    replay = _Replay(_enumerate_answers())
    found = left_pipelines.find(replay, SECOND_COMMAND.lower())
    assert found is not None and SECOND_SHELL == found.shell_id
    command_uri = f"{left_pipelines.RSP}/Command"
    assert [
        (left_pipelines.RSP, None),
        (command_uri, FIRST_SHELL),
        (command_uri, SECOND_SHELL),
    ] == replay.asked
