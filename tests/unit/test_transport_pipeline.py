"""A step's pipeline is serialised without pypsrp's copies, once per step, into the same XML.

pypsrp deep-copies each command while it serialises a pipeline; psrunbook's transport
lets a one-command pipeline skip that (``send_uncopied``), and serialises a step's
pipeline once for all its nodes (``packed_pipelines``). The CreatePipeline message must
not change by a byte, and the copy and the repeated work must really be skipped.
"""

from __future__ import annotations

import copy
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from pypsrp.complex_objects import (
    ApartmentState,
    Command,
    CommandParameter,
    HostInfo,
    ObjectMeta,
    Pipeline,
    RemoteStreamOptions,
)
from pypsrp.messages import CreatePipeline, Destination, GetAvailableRunspaces, Message
from pypsrp.serializer import Serializer

from psrunbook.transport.packed_pipelines import PackedPipelines, PackingSerializer, message_key
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


# ---------------------------------------------------------------- packed once per step


def _create_pipeline(name: str = "SSIS\r\n€", protocol: str = "2.3") -> CreatePipeline:
    """A CREATE_PIPELINE message as ``PowerShell.begin_invoke`` builds it for a step."""
    command = Command(protocol_version=protocol, cmd=SCRIPT, is_script=True, use_local_scope=True)
    for key, value in (("Name", name), ("TimeoutSeconds", 30), ("Nodes", ["A", "B"])):
        command.args.append(CommandParameter(name=key, value=value))
    send_uncopied(command)
    pipeline = Pipeline(is_nested=False, cmds=[command], history=None, redirect_err_to_out=False)
    return CreatePipeline(
        True,
        ApartmentState(value=ApartmentState.UNKNOWN),
        RemoteStreamOptions(value=RemoteStreamOptions.ADD_INVOCATION_INFO),
        False,
        HostInfo(host=None),
        pipeline,
        False,
    )


def _packed(message: Any, serializer: Any) -> bytes:
    return bytes(Message(Destination.SERVER, RPID, PID, message, serializer).pack())


RPID = "d4b1d7b3-2b3a-4d2e-9a49-1f8e6d0d6f01"
PID = "5a3e1c07-7c2f-4a58-9d5e-3b3c3f7f2a11"


def test_a_packed_pipeline_is_the_same_byte_for_byte_for_every_node() -> None:
    """The first node serialises, the others reuse: every node is sent pypsrp's bytes."""
    expected = _packed(_create_pipeline(), Serializer())
    shared = PackedPipelines()
    first = _packed(_create_pipeline(), PackingSerializer(Serializer(), shared))
    again = _packed(_create_pipeline(), PackingSerializer(Serializer(), shared))
    assert expected == first == again
    assert 1 == shared.serialised


def test_a_pipeline_that_differs_in_any_value_is_serialised_on_its_own() -> None:
    shared = PackedPipelines()
    for message in (
        _create_pipeline(),
        _create_pipeline(name="other"),
        _create_pipeline(protocol="2.2"),
    ):
        packed = _packed(message, PackingSerializer(Serializer(), shared))
        assert _packed(message, Serializer()) == packed
    assert 3 == shared.serialised


def test_a_secure_string_argument_is_never_shared() -> None:
    """A SecureString is encrypted with one pool's key: it arrives as XML, not plain data."""
    message = _create_pipeline()
    secret = ET.Element("SS")
    secret.text = "ciphertext-of-one-pool"
    message.pipeline.commands[0].args.append(CommandParameter(name="Password", value=secret))
    assert message_key(message) is None
    shared = PackedPipelines()
    _packed(message, PackingSerializer(Serializer(), shared))
    assert 0 == shared.serialised


def test_other_messages_are_serialised_as_pypsrp_does() -> None:
    shared = PackedPipelines()
    signal = GetAvailableRunspaces(ci=1)
    assert _packed(signal, Serializer()) == _packed(signal, PackingSerializer(Serializer(), shared))
    assert 0 == shared.serialised


def test_values_python_finds_equal_but_psrp_writes_apart_are_keyed_apart() -> None:
    """``True``, ``1`` and ``1.0`` are equal in Python, and so are ``0.0`` and ``-0.0``
    (written ``0`` and ``-0``); a pipeline with one is not shared with a pipeline with
    another, however deep the value sits."""
    keys = set()
    values = (True, 1, 1.0, [True], [1], {"a": 1}, {"a": True}, ("1",), ["1"], 0.0, -0.0, [-0.0])
    for value in (*values, [0.0]):
        message = _create_pipeline()
        message.pipeline.commands[0].args.append(CommandParameter(name="Value", value=value))
        keys.add(message_key(message))
    assert len(values) + 1 == len(keys)
