"""``[ordered]@{...}`` is a System.Collections.Specialized.OrderedDictionary, not a Hashtable.

The lab made it a hashtable that kept its order: ``GetType()`` said Hashtable, ``-is
[hashtable]`` was true, ``ContainsKey``/``ContainsValue``/``Clone`` worked and an integer
index read a key named "0". On Windows those methods do not exist on OrderedDictionary
(.NET Framework 4.8's members: Add, Contains, Insert, Remove, RemoveAt, Item[object],
Item[int], ...), so a script calling them fails with MethodNotFound, and ``$o[0]`` is the
first entry's value (its ``Item[int]`` indexer).
"""

from __future__ import annotations

import pytest
from pypsrp.serializer import Serializer

from psrunbook.sim.endpoint.clixml import ClixmlWriter
from psrunbook.sim.objects import PSOrderedDictionary
from tests.unit.sim.ps.helpers import run


def _output(script: str) -> list[object]:
    result = run(script)
    assert result.failed is None, result.failed
    assert [] == result.errors, [e.message for e in result.errors]
    return result.output


def test_its_type_is_ordered_dictionary_and_no_hashtable() -> None:
    assert [
        "System.Collections.Specialized.OrderedDictionary",
        False,
        True,
        True,
        "System.Collections.Specialized.OrderedDictionary",
    ] == _output(
        "$o = [ordered]@{ b = 1; a = 2 }\n"
        "$o.GetType().FullName\n"
        "$o -is [hashtable]\n"
        "$o -is [System.Collections.Specialized.OrderedDictionary]\n"
        "$o -is [System.Collections.IDictionary]\n"
        '"$o"\n'
    )


def test_a_hashtable_is_an_idictionary_and_a_primitive_dictionary_a_hashtable() -> None:
    assert [True, True] == _output(
        "@{} -is [System.Collections.IDictionary]\n$PSVersionTable -is [hashtable]\n"
    )


@pytest.mark.parametrize("method", ["ContainsKey('a')", "ContainsValue(1)", "Clone()"])
def test_hashtable_methods_it_lacks_fail_as_on_windows(method: str) -> None:
    result = run(f"$o = [ordered]@{{ a = 1 }}\n$o.{method}\n'after'")
    name = method.split("(", maxsplit=1)[0]
    assert [
        "Method invocation failed because [System.Collections.Specialized.OrderedDictionary] "
        f"does not contain a method named '{name}'."
    ] == [e.message for e in result.errors]
    assert ["MethodNotFound"] == [e.error_id for e in result.errors]


def test_its_own_methods_and_keys_work() -> None:
    assert [True, False, "b,a,c", 3] == _output(
        "$o = [ordered]@{ b = 1; a = 2 }\n"
        "$o.Contains('A')\n"
        "$o.Contains('z')\n"
        "$o.Add('c', 3)\n"
        "@($o.Keys) -join ','\n"
        "$o['C']\n"
    )


def test_an_integer_index_reads_and_writes_by_position() -> None:
    assert [2, "x", 2, "x"] == _output(
        "$o = [ordered]@{ a = 1; b = 2 }\n"
        "$o[1]\n"
        "$o[0] = 'x'\n"
        "$o.a\n"
        "$o['b']\n"
        "$o[0]\n"
    )


def test_an_integer_index_past_the_entries_is_an_error() -> None:
    result = run("$o = [ordered]@{ a = 1 }\n$o[1]\n'after'")
    assert ["ArgumentOutOfRangeException"] == [e.error_id for e in result.errors]
    assert ["after"] == result.output


def test_a_hashtable_cast_makes_a_hashtable_with_the_same_entries() -> None:
    assert ["Hashtable", 1, False] == _output(
        "$o = [ordered]@{ a = 1 }\n"
        "[hashtable]$h = $o\n"
        "$h.GetType().Name\n"
        "$h.a\n"
        "$h -is [System.Collections.Specialized.OrderedDictionary]\n"
    )


def test_its_json_is_an_object_in_order() -> None:
    assert ['{"b":1,"a":2}'] == _output("[ordered]@{ b = 1; a = 2 } | ConvertTo-Json -Compress")


def test_it_is_sent_with_its_type_name_as_windows_serialises_a_dictionary() -> None:
    writer = ClixmlWriter()
    writer.value(PSOrderedDictionary([("b", 1), ("a", 2)]))
    xml = writer.getvalue().decode()
    assert "<T>System.Collections.Specialized.OrderedDictionary</T>" in xml
    assert "System.Collections.Hashtable" not in xml
    assert "<DCT><En><S N=\"Key\">b</S><I32 N=\"Value\">1</I32></En>" in xml
    # pypsrp reads a dictionary of any type but Hashtable as a complex object, from
    # Windows as from the lab.
    received = Serializer().deserialize(xml)
    assert not isinstance(received, dict)
    assert ["System.Collections.Specialized.OrderedDictionary", "System.Object"] == list(
        received.types
    )
