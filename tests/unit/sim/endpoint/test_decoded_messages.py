"""Which client messages the endpoint decodes once, and how long it remembers them."""

from __future__ import annotations

from psrunbook.sim.endpoint.decoded_messages import DecodedMessages

CREATE_PIPELINE = 0x00021006
PIPELINE_INPUT = 0x00021008


def _messages(**options: int) -> DecodedMessages:
    return DecodedMessages(frozenset({CREATE_PIPELINE}), **options)


def test_the_same_text_is_decoded_once():
    """A message seen before gives the object decoded the first time, without decoding."""
    messages = _messages()
    calls = []
    first = messages.get(CREATE_PIPELINE, b"<Obj/>", lambda: calls.append(1) or object())
    again = messages.get(CREATE_PIPELINE, bytearray(b"<Obj/>"), lambda: calls.append(1) or 0)
    assert (first, [1]) == (again, calls)


def test_another_text_or_type_is_decoded_again():
    """One byte of difference, or another message type, is another message."""
    messages = _messages()
    assert "a" == messages.get(CREATE_PIPELINE, b"<Obj>1</Obj>", lambda: "a")
    assert "b" == messages.get(CREATE_PIPELINE, b"<Obj>2</Obj>", lambda: "b")
    assert "c" == messages.get(PIPELINE_INPUT, b"<Obj>1</Obj>", lambda: "c")


def test_only_the_listed_types_are_kept():
    """Pipeline input (changed by whoever reads it) is decoded every time."""
    messages = _messages()
    assert messages.cacheable(CREATE_PIPELINE, b"<Obj/>")
    assert not messages.cacheable(PIPELINE_INPUT, b"<Obj/>")


def test_a_message_holding_a_secure_string_is_never_kept():
    """A SecureString decodes with the receiving pool's session key: never shared."""
    assert not _messages().cacheable(CREATE_PIPELINE, b'<Obj><SS N="V">AAAA</SS></Obj>')


def test_an_empty_or_large_message_is_not_kept():
    """Nothing to save on an empty one; a large one would hold memory for a rare repeat."""
    messages = _messages(max_bytes=10)
    assert not messages.cacheable(CREATE_PIPELINE, b"")
    assert messages.cacheable(CREATE_PIPELINE, b"x" * 10)
    assert not messages.cacheable(CREATE_PIPELINE, b"x" * 11)


def test_the_least_recently_used_text_is_forgotten_first():
    """Bounded: past ``size`` texts the one unused longest is decoded again."""
    messages = _messages(size=2)
    messages.get(CREATE_PIPELINE, b"a", lambda: "a")
    messages.get(CREATE_PIPELINE, b"b", lambda: "b")
    messages.get(CREATE_PIPELINE, b"a", lambda: "not again")  # a is now the most recent
    messages.get(CREATE_PIPELINE, b"c", lambda: "c")  # forgets b
    assert 2 == len(messages)
    assert "a" == messages.get(CREATE_PIPELINE, b"a", lambda: "again")
    assert "b again" == messages.get(CREATE_PIPELINE, b"b", lambda: "b again")
