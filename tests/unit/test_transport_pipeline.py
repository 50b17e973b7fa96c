"""A step's pipeline is serialised without pypsrp's copies, into the same XML.

pypsrp deep-copies each command while it serialises a pipeline; psrunbook's transport
lets a one-command pipeline skip that (``send_uncopied``). The CreatePipeline message
must not change by a byte, and the copy must really be skipped.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path

from pypsrp.complex_objects import Command, CommandParameter, ObjectMeta, Pipeline
from pypsrp.serializer import Serializer

from psrunbook.transport.psrp import send_uncopied

SCRIPT = (
    Path(__file__).parents[2] / "psrunbook/ps_templates/cluster/start_resource.ps1.j2"
).read_text(encoding="utf-8")


def _pipeline(uncopied: bool) -> tuple[Pipeline, Command]:
    command = Command(protocol_version="2.3", cmd=SCRIPT, is_script=True, use_local_scope=True)
    for name, value in (("Name", "SSIS\r\n€"), ("TimeoutSeconds", 30), ("Nodes", ["A", "B"])):
        command.args.append(CommandParameter(name=name, value=value))
    command.args.append(CommandParameter(name="CheckOnly", value=True))
    if uncopied:
        send_uncopied(command)
    pipeline = Pipeline(is_nested=False, cmds=[command], history="", redirect_err_to_out=False)
    return pipeline, command


def _xml(pipeline: Pipeline) -> bytes:
    element = Serializer().serialize(pipeline, ObjectMeta("Obj", object=Pipeline))
    assert element is not None
    return bytes(ET.tostring(element, encoding="utf-8"))


def test_the_pipeline_xml_is_the_same_byte_for_byte() -> None:
    copied, _ = _pipeline(uncopied=False)
    uncopied, _ = _pipeline(uncopied=True)
    assert _xml(copied) == _xml(uncopied)
    assert _xml(uncopied) == _xml(uncopied)  # serialising does not change the command


def test_serialising_does_not_copy_the_command() -> None:
    pipeline, command = _pipeline(uncopied=True)
    assert copy.deepcopy(command) is command
    _xml(pipeline)
    assert [command] == pipeline._cmds
