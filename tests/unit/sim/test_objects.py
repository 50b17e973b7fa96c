"""The simulator's shared values: PSHashtable's one-pass constructor against the one-key-at-a-time
path it replaces; a SecureString's text kept out of every printed form."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from rich.pretty import pretty_repr

from psrunbook.sim.objects import PSHashtable, SecureStringValue


def one_by_one(items: list[tuple[Any, Any]]) -> PSHashtable:
    """The oracle: every pair stored through ``__setitem__``, as the constructor did."""
    table = PSHashtable()
    for key, value in items:
        table[key] = value
    return table


def stored(table: PSHashtable) -> list[tuple[str, tuple[str, Any]]]:
    return list(table._data.items())


KEYS = st.one_of(
    st.sampled_from(["Name", "name", "NAME", "State", "state", "Id", "ß", "SS", "ss"]),
    st.text(max_size=4),
    st.integers(-3, 3),
)
PAIRS = st.lists(st.tuples(KEYS, st.integers()), max_size=8)


@given(PAIRS)
def test_constructor_stores_what_setting_each_key_stores(items: list[tuple[Any, Any]]) -> None:
    expected = stored(one_by_one(items))
    assert stored(PSHashtable(items)) == expected
    assert stored(PSHashtable(tuple(items))) == expected
    assert stored(PSHashtable(iter(items))) == expected
    assert stored(PSHashtable(dict(items).items())) == stored(one_by_one(list(dict(items).items())))


def test_a_key_met_again_keeps_its_first_spelling_and_last_value() -> None:
    table = PSHashtable([("Name", 1), ("State", 2), ("NAME", 3)])
    assert list(table.items()) == [("Name", 3), ("State", 2)]


def test_a_key_that_is_not_a_string_is_stored_as_its_text() -> None:
    table = PSHashtable([(1, "one"), ("Two", 2)])
    assert list(table.items()) == [("1", "one"), ("Two", 2)]
    assert table["1"] == "one"


def test_items_of_another_table_copy_it() -> None:
    source = PSHashtable([("Name", "x"), ("Id", 7)])
    copy = PSHashtable(source.items())
    assert stored(copy) == stored(source)
    copy["name"] = "y"
    assert source["Name"] == "x"


def test_a_secure_strings_text_shows_in_no_printed_form() -> None:
    """repr, str, f-strings and rich's pretty printer (which reads a struct's fields
    through ``__rich_repr__`` before its repr) all keep the plaintext out."""
    secret = SecureStringValue("hunter2 p@ss")
    shown = [
        repr(secret),
        str(secret),
        f"{secret!r} {secret}",
        pretty_repr(secret),
        pretty_repr([secret, {"k": (secret,)}]),
    ]
    assert not [text for text in shown if "hunter2" in text]
