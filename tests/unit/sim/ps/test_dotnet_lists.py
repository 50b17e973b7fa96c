"""ArrayList and List[T] in the lab's PowerShell (psrunbook.sim.ps.dotnet_lists).

Before, ``New-Object System.Collections.ArrayList``, ``::new()`` and the casts were
refused by name, so a runbook collecting results the way most admin scripts do could
not run in the lab at all. What matters most is what Windows does with ``Add``'s return
value: an ArrayList's index goes to the output unless discarded.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.unit.sim.ps.helpers import only_error, output_of, run

LIST_INT = (
    "System.Collections.Generic.List`1[[System.Int32, mscorlib, Version=4.0.0.0, "
    "Culture=neutral, PublicKeyToken=b77a5c561934e089]]"
)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        # ArrayList.Add returns the index, which is output unless discarded
        ("$l = New-Object System.Collections.ArrayList; $l.Add('a'); $l.Add('b')", [0, 1]),
        ("$l = New-Object System.Collections.ArrayList; [void]$l.Add(1); $null = $l.Add(2);"
         " $l.Add(3) | Out-Null; $l -join ','", ["1,2,3"]),
        ("function f { $l = [System.Collections.ArrayList]::new(); $l.Add('x'); $l.Add('y');"
         " return $l }; (f) -join ','", ["0,1,x,y"]),
        # an empty list made by New-Object is a list, not $null
        ("$l = New-Object System.Collections.ArrayList; $null -eq $l; $l.Count", [False, 0]),
        ("$l = New-Object System.Collections.ArrayList(10); $l.Count", [0]),
        ("$l = [System.Collections.ArrayList]@(1, 2); $l.GetType().FullName;"
         " $l -is [System.Collections.ArrayList]; $l -is [array]",
         ["System.Collections.ArrayList", True, False]),
        ("[System.Collections.ArrayList]@(1, 2) | % { $_ * 2 }", [2, 4]),
        ("$l = [System.Collections.ArrayList]@(1, 2); foreach ($i in $l) { $i }", [1, 2]),
        ("$null -eq [System.Collections.ArrayList]$null", [True]),
        # a reference type: every variable holds the same list; @() and += make arrays
        ("$l = [System.Collections.ArrayList]::new(); $m = $l; [void]$m.Add(1); $l.Count", [1]),
        ("$l = [System.Collections.ArrayList]@(1); (@($l)).GetType().FullName;"
         " $l += 2; $l.GetType().FullName; $l.Count", ["System.Object[]", "System.Object[]", 2]),
        # the other methods
        ("$l = [System.Collections.ArrayList]@(3, 1, 2); $l.Sort(); $l -join ','; $l.Reverse();"
         " $l -join ','", ["1,2,3", "3,2,1"]),
        ("$l = [System.Collections.ArrayList]@('a', 'B'); $l.Contains('b'); $l.Contains('B');"
         " $l.IndexOf('B'); $l.Remove('b'); $l.Count; $l.Remove('B'); $l -join ','",
         [False, True, 1, 2, "a"]),
        ("$l = [System.Collections.ArrayList]@(1, 3); $l.Insert(1, 2); $l.AddRange(@(4, 5));"
         " $l.RemoveAt(0); $l -join ','; $l.ToArray().GetType().FullName; $l.Clear(); $l.Count",
         ["2,3,4,5", "System.Object[]", 0]),
        # an ArrayList has no Length: its items' Length are enumerated, as for any member
        ("$l = [System.Collections.ArrayList]@('a', 'bb'); $l.Length; $l.Count", [1, 2, 2]),
        # List[T]: Add returns nothing and converts to T; Remove says whether it found one
        ("$l = [System.Collections.Generic.List[int]]::new(); $l.Add('5'); $l.Add(6);"
         " $l[0].GetType().Name; $l.Count; $l.Remove(5); $l.Remove(9); \"$l\"",
         ["Int32", 2, True, False, "6"]),
        ("$l = New-Object 'System.Collections.Generic.List[string]'; $l.Add(5);"
         " $l[0].GetType().Name", ["String"]),
        ("$l = [System.Collections.Generic.List[int]]::new(); $l.GetType().FullName;"
         " $l -is [System.Collections.Generic.List[int]];"
         " $l -is [System.Collections.Generic.List[System.Int32]];"
         " $l -is [System.Collections.Generic.List[string]]",
         [LIST_INT, True, True, False]),
        ("$l = [System.Collections.Generic.List[string]]@('a', 'b'); $l.Count", [2]),
        # a typed variable stays a list: += makes an array, the constraint a new list
        ("[System.Collections.ArrayList]$l = @(); $l += 1; $l.GetType().Name; $l.Add(2)",
         ["ArrayList", 1]),
        ("[System.Collections.Generic.List[int]]$n = @(); $n += '4'; $n[0].GetType().Name;"
         " $n.GetType().Name", ["Int32", "List`1"]),
    ],
)  # fmt: skip
def test_lists_behave_as_dotnet_and_powershell_make_them(script: str, expected: list[Any]) -> None:
    assert expected == output_of(script)


@pytest.mark.parametrize(
    ("script", "message", "error_id"),
    [
        ("$l = [System.Collections.Generic.List[int]]::new(); $l.Add('x')",
         'Cannot convert argument "item", with value: "x", for "Add" to type "System.Int32": '
         '"Cannot convert value "x" to type "System.Int32". Error: "Input string was not in a '
         'correct format.""', "MethodArgumentConversionInvalidCastArgument"),
        ("$l = [System.Collections.ArrayList]@(1); $l.RemoveAt(1)",
         'Exception calling "RemoveAt" with "1" argument(s): "Index was out of range. Must be '
         'non-negative and less than the size of the collection.\r\nParameter name: index"',
         "ArgumentOutOfRangeException"),
        ("$l = [System.Collections.ArrayList]@(1); $l.Insert(5, 2)",
         'Exception calling "Insert" with "2" argument(s): "Insertion index was out of range. '
         'Must be non-negative and less than or equal to size.\r\nParameter name: index"',
         "ArgumentOutOfRangeException"),
        ("$l = [System.Collections.Generic.List[int]]::new(); $l.Insert(5, 2)",
         'Exception calling "Insert" with "2" argument(s): "Index must be within the bounds of '
         'the List.\r\nParameter name: index"', "ArgumentOutOfRangeException"),
        ("$a = @(1, 2); $a.Add(3)", 'Exception calling "Add" with "1" argument(s): "Collection '
         'was of a fixed size."', "NotSupportedException"),
    ],
)  # fmt: skip
def test_what_dotnet_throws_is_reported_as_powershell_does(
    script: str, message: str, error_id: str
) -> None:
    record = only_error(script)
    assert message == record.message
    assert error_id == record.error_id


@pytest.mark.parametrize(
    ("script", "construct"),
    [
        ("[System.Collections.Generic.List[datetime]]::new()", "(its element type)"),
        ("$l = [System.Collections.ArrayList]@('b', 'a'); $l.Sort()", "Sort() of items other"),
        ("$l = [System.Collections.ArrayList]::new(); $l.Capacity", ".Capacity"),
        ("$l = [System.Collections.ArrayList]::new(); $l.BinarySearch(1)", ".BinarySearch()"),
        ("New-Object System.Collections.ArrayList -ArgumentList 'a', 'b'", "2 argument(s)"),
    ],
)
def test_what_the_lab_does_not_model_of_lists_is_refused(script: str, construct: str) -> None:
    result = run(script)
    assert result.failed is not None
    assert "UnsupportedConstruct" == result.failed.error_id
    assert construct in result.failed.message
