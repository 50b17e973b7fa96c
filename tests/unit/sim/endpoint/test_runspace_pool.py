"""The simulator's runspace pool answers as psrpcore's own does, with its work done once.

Each test drives pools with the messages a real psrpcore client writes and compares
them with a plain psrpcore ``ServerRunspacePool`` given the same messages: the same bytes
back, the same pipeline, whether a message was decoded now or remembered.
"""

from __future__ import annotations

import uuid
from typing import Any

from psrpcore import (
    ClientPowerShell,
    ClientRunspacePool,
    PSRPPayload,
    ServerPipeline,
    ServerRunspacePool,
    StreamType,
)
from psrpcore.types import PSCredential, PSSecureString, PSVersion

from psrunbook.sim.endpoint.clixml import fresh_copy, from_psrp
from psrunbook.sim.endpoint.runspace_pool import PipelineShape, pipeline_shape, runspace_pool_class
from psrunbook.sim.objects import PSHashtable, PSObject, SecureStringValue


def _reference_pool() -> Any:
    """psrpcore's own server pool, with the private data the simulator's pool has."""
    return ServerRunspacePool(
        application_private_data={
            "PSVersionTable": {"PSVersion": PSVersion("5.1.17763.1"), "PSEdition": "Desktop"}
        }
    )


def _all_data(pool: Any) -> bytes:
    chunks = []
    while (payload := pool.data_to_send()) is not None:
        chunks.append(bytes(payload.data))
    return b"".join(chunks)


def _feed(pool: Any, data: bytes) -> list[Any]:
    pool.receive_data(PSRPPayload(data, StreamType.default, None))
    events = []
    while (event := pool.next_event()) is not None:
        events.append(event)
    return events


def _opening() -> tuple[ClientRunspacePool, bytes]:
    client = ClientRunspacePool()
    client.open()
    return client, _all_data(client)


def test_the_handshake_answers_are_psrpcore_s_bytes_for_every_pool():
    """Session capability, private data and state: psrpcore's own serialisation, byte for
    byte, for the first pool (serialised now) and the pools after it (remembered)."""
    _, opening = _opening()
    reference = _reference_pool()
    _feed(reference, opening)
    expected = _all_data(reference)
    pool_class = runspace_pool_class()
    for _ in range(3):
        pool = pool_class()
        _feed(pool, opening)
        assert expected == _all_data(pool)


def test_a_repeated_opening_sets_up_each_pool_as_psrpcore_does():
    """The remembered InitRunspacePool: each pool has the client's pool id, runspaces,
    arguments, host description (shared by the pools opened with it), thread options and
    apartment state, and answers, as a plain psrpcore pool given the same message has."""
    client = ClientRunspacePool(min_runspaces=2, max_runspaces=3, application_arguments={"a": 1})
    client.open()
    opening = _all_data(client)
    reference = _reference_pool()
    _feed(reference, opening)
    expected = _all_data(reference)
    pool_class = runspace_pool_class()
    for _ in range(2):
        pool = pool_class()
        _feed(pool, opening)
        assert reference.runspace_pool_id == pool.runspace_pool_id
        assert (reference.min_runspaces, reference.max_runspaces) == (
            pool.min_runspaces,
            pool.max_runspaces,
        )
        assert from_psrp(reference.application_arguments) == from_psrp(pool.application_arguments)
        assert pool.state == reference.state
        assert (pool.apartment_state, pool.thread_options) == (
            reference.apartment_state,
            reference.thread_options,
        )
        assert _host_fields(pool.host) == _host_fields(reference.host)
        assert expected == _all_data(pool)


def _pipeline_message(client: ClientRunspacePool, pipeline_id: uuid.UUID, **params: Any) -> bytes:
    ps = ClientPowerShell(client, pipeline_id=pipeline_id)
    ps.add_script("param($Names, $Count) $Names")
    for name, value in params.items():
        ps.add_parameter(name, value)
    ps.start()
    return _all_data(client)


def _open_pair() -> tuple[ClientRunspacePool, Any, Any]:
    client, opening = _opening()
    reference, pool = _reference_pool(), runspace_pool_class()()
    _feed(reference, opening)
    _feed(pool, opening)
    _answer(client, reference)
    _all_data(pool)
    return client, reference, pool


def _answer(client: ClientRunspacePool, server: Any) -> None:
    """Hand the server's answers to the client, as the transport would."""
    client.receive_data(PSRPPayload(_all_data(server), StreamType.default, None))
    while client.next_event() is not None:
        pass


def _shape_on(pool: Any, pipeline_id: uuid.UUID, data: bytes) -> PipelineShape:
    ServerPipeline(pool, pipeline_id)
    _feed(pool, data)
    return pool.shapes.pop(pipeline_id, None) or pipeline_shape(
        pool.pipeline_table[pipeline_id].metadata
    )


def _values(shape: PipelineShape) -> list[Any]:
    return [(c.text, c.is_script, list(c.arguments), c.merge_error) for c in shape.commands]


def test_the_same_pipeline_text_gives_psrpcore_s_pipeline_each_time():
    """A CreatePipeline sent again (another node, another run) gives the pipeline psrpcore
    reads from it: script, parameters and settings, every time."""
    client, reference, pool = _open_pair()
    pipeline_id = uuid.uuid4()
    data = _pipeline_message(client, pipeline_id, Names=["a", "b"], Count=2)
    expected = _values(pipeline_shape(_shape_source(reference, pipeline_id, data)))
    for _ in range(3):
        assert expected == _values(_shape_on(pool, pipeline_id, data))


def _shape_source(pool: Any, pipeline_id: uuid.UUID, data: bytes) -> Any:
    ServerPipeline(pool, pipeline_id)
    _feed(pool, data)
    return pool.pipeline_table[pipeline_id].metadata


def test_the_same_script_with_other_parameters_gives_those_parameters():
    """Remembered by its whole text: other parameter values are another message."""
    client, _, pool = _open_pair()
    pipeline_id = uuid.uuid4()
    first = _shape_on(pool, pipeline_id, _pipeline_message(client, pipeline_id, Count=1))
    second = _shape_on(pool, pipeline_id, _pipeline_message(client, pipeline_id, Count=2))
    assert [("Count", 1)] == _values(first)[0][2]
    assert [("Count", 2)] == _values(second)[0][2]


def test_each_pipeline_gets_its_own_copy_of_the_parameter_values():
    """The shared shape's values are copied per pipeline: equal, but no list, hashtable
    or object of one pipeline is another's."""
    client, _, pool = _open_pair()
    pipeline_id = uuid.uuid4()
    table = {"Names": ["a", "b"], "Nested": {"Deep": [1]}}
    data = _pipeline_message(client, pipeline_id, Names=table)
    [(_, shared)] = _shape_on(pool, pipeline_id, data).commands[0].arguments
    copy = fresh_copy(shared)
    assert from_psrp(table) == copy == shared
    copy["Names"].append("changed")
    copy["Nested"]["Deep"].append(2)
    copy["Added"] = True
    assert ["a", "b"] == shared["Names"]
    assert [1] == shared["Nested"]["Deep"]
    assert "Added" not in shared


def test_a_copied_object_keeps_its_type_names_and_text():
    """An object parameter (a PSCustomObject from the client) copies as itself."""
    original = PSObject(("My.Type", "System.Object"), PSHashtable([("A", [1])]), to_string="x")
    copy = fresh_copy(original)
    assert (original.type_names, original.to_string) == (copy.type_names, copy.to_string)
    assert copy.properties["A"] == [1]
    assert copy.properties["A"] is not original.properties["A"]


def test_a_secure_string_is_decoded_with_each_pool_s_own_key():
    """A message holding a SecureString is never shared: each pool decrypts it with the
    session key its client exchanged."""
    for secret in ("first-secret", "second-secret"):
        client, opening = _opening()
        pool = runspace_pool_class()()
        _feed(pool, opening)
        _answer(client, pool)
        client.exchange_key()
        _feed(pool, _all_data(client))
        _answer(client, pool)
        pipeline_id = uuid.uuid4()
        secure = PSSecureString(secret)
        data = _pipeline_message(
            client, pipeline_id, Names=PSCredential(UserName="u", Password=secure)
        )
        value = _values(_shape_on(pool, pipeline_id, data))[0][2][0][1]
        password = value.properties["Password"]
        assert isinstance(password, SecureStringValue)
        assert secret == password.plaintext


def _host_fields(host: Any) -> dict[str, Any]:
    names = ("IsHostNull", "IsHostUINull", "IsHostRawUINull", "UseRunspaceHost", "HostDefaultData")
    return {name: repr(getattr(host, name)) for name in names}
