"""Typed .NET arrays (``System.String[]``, ``System.Int32[]``, ``System.Char[]``) in the
lab's PowerShell (``psrunbook.sim.objects.TypedArray``).

Before, every array was an Object[]: ``[string[]]$s = 'a'; $s -is [string[]]`` was False
and ``$s.GetType().Name`` said Object[] (Windows: True, String[]), as did ``-split``'s
result, ``ToCharArray()`` and a List[T]'s ``ToArray()``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.sim.ps.helpers import output_of


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("[string[]]$s = 'a', 'b'; $s.GetType().FullName; $s -is [string[]]; $s -is [array]",
         ["System.String[]", True, True]),
        # array covariance: a String[] is an Object[], an Int32[] is not
        ("[string[]]$s = 'a'; [int[]]$i = 1; $s -is [object[]]; $i -is [object[]]",
         [True, False]),
        ("[int[]]$i = '1', '2'; $i.GetType().Name; $i -is [int[]]; $i -is [System.Int32[]]",
         ["Int32[]", True, True]),
        # a typed variable stays typed; a new array made of it is an Object[]
        ("[int[]]$i = 1; $i += '2'; $i.GetType().Name; ($i + 3).GetType().Name;"
         " $i[0..1].GetType().Name", ["Int32[]", "Object[]", "Object[]"]),
        ("function f([string[]]$p) { $p.GetType().Name }; f a, b", ["String[]"]),
        ("('a,b' -split ',').GetType().Name; (-split 'a b').GetType().Name",
         ["String[]", "String[]"]),
        ("'ab'.ToCharArray().GetType().Name", ["Char[]"]),
        ("$l = [System.Collections.Generic.List[int]]::new(); $l.Add(1);"
         " $l.ToArray().GetType().Name;"
         " $a = [System.Collections.ArrayList]::new(); $a.ToArray().GetType().Name",
         ["Int32[]", "Object[]"]),
        ("(1, 2).GetType().Name; (1, 2) -is [int[]]; @('a') -is [string[]]",
         ["Object[]", False, False]),
        ("[string[]]$s = 'a', 'b'; $s -join '+'; $s.Count; $s[1]", ["a+b", 2, "b"]),
        # an array's ToString() is its type's name, in a custom object's text and members
        ("$o = [pscustomobject]@{a = [string[]]'x'}; \"$o\";"
         " ($o | Get-Member -MemberType NoteProperty).Definition",
         ["@{a=System.String[]}", "string[] a=System.String[]"]),
    ],
)  # fmt: skip
def test_typed_arrays_are_their_type(script: str, expected: list[Any]) -> None:
    assert expected == output_of(script)
