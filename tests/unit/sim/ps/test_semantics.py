"""A table of small scripts and the output PowerShell gives for them."""

from __future__ import annotations

import re
from typing import Any

import pytest

from psrunbook.sim.objects import PSEnum, PSHashtable, PSObject

from .helpers import run

CASES: list[tuple[str, list[Any]]] = [
    # literals and arithmetic
    ("1; 2.5; 0x1F; 2KB; -3", [1, 2.5, 31, 2048, -3]),
    ("7 / 2; 6 / 2; 7 % 3; 2 * 3 + 1; '5' - 2; '5' + 2; 5 + '2'", [3.5, 3, 1, 7, 3, "52", 7]),
    ("'ab' * 3; (1, 2) * 2", ["ababab", 1, 2, 1, 2]),
    ("$true; $false; $null", [True, False, None]),
    # arrays and unrolling
    ("@(1, 2, 3)", [1, 2, 3]),
    ("@()", []),
    (",1 | ForEach-Object { $_ }", [1]),
    ("$a = ,1; $a.Count", [1]),
    ("$a = @(1) + 2; $a.Count", [2]),
    ("$a = 1..3; $a[-1]; $a[0]", [3, 1]),
    ("$a = @(); $a += 'x'; $a += 'y'; $a -join ','", ["x,y"]),
    ("$x = Write-Output 1; $x.GetType().Name", ["Int32"]),
    ("$x = @(Write-Output 1); $x.GetType().Name", ["Object[]"]),
    ("$x = & { 1; 2 }; $x.Count", [2]),
    ("$x = & { $null = 1 }; $null -eq $x", [True]),
    # Count and Length
    ("$null.Count; 'abc'.Length; (1, 2).Length; @{ a = 1 }.Count", [0, 3, 2, 1]),
    ("(5).Count", [1]),
    ("$o = [pscustomobject]@{ A = 1 }; $null -eq $o.Count", [True]),
    # truthiness
    (
        "[bool]''; [bool]'0'; [bool]'False'; [bool]0; [bool]@(); [bool]@(0); [bool]@(0, 0)",
        [False, True, True, False, False, False, True],
    ),
    ("[bool]@{ value = 0 }; [bool]$null; [bool]0.0", [True, False, False]),
    ("if ($null) { 'y' } else { 'n' }; if (@()) { 'y' } else { 'n' }", ["n", "n"]),
    # comparison
    ("'ABC' -eq 'abc'; 'ABC' -ceq 'abc'; 'a' -ne 'A'; 'b' -gt 'A'", [True, False, False, True]),
    ("1 -eq '1.0'; '1.0' -eq 1; 10 -gt '9'; '10' -gt '9'", [True, False, True, False]),
    ("$null -eq $null; $null -eq 0; 0 -eq $null; $false -eq ''", [True, False, False, True]),
    ("@(1, 2, 3, 2) -eq 2", [2, 2]),
    ("$r = @(1, 2) -eq 5; $r.Count; $null -eq $r", [0, False]),
    ("@(1, $null, 2) -ne $null", [1, 2]),
    ("'abc' -like 'A?C'; 'abc' -notlike '*b'; 'a[b' -like 'a`[b'", [True, True, True]),
    ("'x.txt' -like '*.[tc]xt'", [True]),
    ("'Node01' -match 'node(\\d+)'; $Matches[1]; $Matches[0]", [True, "01", "Node01"]),
    ("'abc' -match '(?<first>a)'; $Matches.first", [True, "a"]),
    ("@('a1', 'b2', 'a3') -match '^a'", ["a1", "a3"]),
    ("'x' -notmatch 'y'", [True]),
    ("@('A', 'b') -contains 'a'; @(1, 2) -contains '2'; 'a' -in 'A', 'b'", [True, True, True]),
    ("'z' -notin @('a'); @() -notcontains 1; $null -in @($null)", [True, True, True]),
    ("'a' -is [string]; 1 -is [int]; @() -is [array]; 1 -isnot [string]", [True, True, True, True]),
    ("[pscustomobject]@{} -is [pscustomobject]; @{} -is [hashtable]", [True, True]),
    ("'5' -as [int]; 'x' -as [int]", [5, None]),
    # enums
    (
        "$s = (Get-Thing -Name alpha).State; $s -eq 'ONLINE'; $s -eq 2; $s -eq 'Bogus'",
        [True, True, False],
    ),
    (
        "$s = (Get-Thing -Name alpha).State; \"$s\"; [string]$s; $s -ne 'offline'",
        ["Online", "Online", True],
    ),
    ("Get-Thing | Where-Object State -eq 'offline' | ForEach-Object Name", ["beta"]),
    # logical
    (
        "$true -and $false; $true -or $false; -not $true; !0; $true -xor $true",
        [False, True, False, True, False],
    ),
    ("$x = 0; ($false -and ($x = 1)); $x", [False, 0]),
    # string operators
    ("'a,b,,c' -split ','", ["a", "b", "", "c"]),
    ("'a1b2c' -split '\\d'; 'A-B' -split '-', 2", ["a", "b", "c", "A", "B"]),
    ("-split ' a  b '", ["a", "b"]),
    ("@(1, 2) -join '-'; -join ('a', 'b')", ["1-2", "ab"]),
    ("'Hello' -replace 'L', 'x'; 'Hello' -creplace 'L', 'x'", ["Hexxo", "Hello"]),
    ("'John Smith' -replace '(\\w+) (\\w+)', '$2, $1'", ["Smith, John"]),
    ("'a.b' -replace '\\.'", ["ab"]),
    (
        "'{0} is {1}' -f 'x', 5; '{0,4}|{1,-3}|' -f 1, 2; '{0:N2}' -f 3.14159",
        ["x is 5", "   1|2  |", "3.14"],
    ),
    ("'{{literal}} {0:X}' -f 255; '{0:P0}' -f 0.5", ["{literal} FF", "50 %"]),
    (
        "'abc'.ToUpper(); ' x '.Trim(); 'a,b'.Split(','); 'Hello'.StartsWith('he')",
        ["ABC", "x", "a", "b", False],
    ),
    (
        "'Hello'.Contains('ell'); 'Hello'.Replace('l', 'L'); 'Hello'.Substring(1, 3)",
        [True, "HeLLo", "ell"],
    ),
    (
        "[string]::IsNullOrEmpty(''); [string]::IsNullOrWhiteSpace(' ');"
        "[string]::Join('+', @(1, 2))",
        [True, True, "1+2"],
    ),
    ("[System.IO.Path]::Combine('C:\\a', 'b.txt'); [int]::MaxValue", ["C:\\a\\b.txt", 2147483647]),
    # casts
    (
        "[int]'42'; [int]2.5; [int]3.5; [string]42; [string]$null; [double]'1.5'",
        [42, 2, 4, "42", "", 1.5],
    ),
    ("[string[]]$s = 1, 2; $s[1].GetType().Name; [array]$one = 5; $one.Count", ["String", 1]),
    ("[int[]]('1', '2') | ForEach-Object { $_ + 1 }", [2, 3]),
    ("$t = [hashtable]@{ A = 1 }; $t.a", [1]),
    ("[void](1 + 1); $null = 5; 5 | Out-Null", []),
    ("[string]$x = 5; $x = 7; $x.GetType().Name", ["String"]),
    # hashtables
    ("$h = @{ Key = 'v' }; $h.KEY; $h['key']; $h.missing; $h.Count", ["v", "v", None, 1]),
    ("$h = @{}; $h.a = 1; $h['B'] = 2; $h.Keys -join ','", ["a,B"]),
    ("$h = @{ a = 1 }; $h += @{ b = 2 }; $h.Count; $h.ContainsKey('B')", [2, True]),
    ("$h = [ordered]@{ z = 1; a = 2; m = 3 }; $h.Keys -join ','", ["z,a,m"]),
    ("$h = @{ a = 1 }; $h.Remove('A'); $h.Count", [0]),
    ('$h = @{ x = 1 }; $h.GetEnumerator() | ForEach-Object { "$($_.Key)=$($_.Value)" }', ["x=1"]),
    # custom objects and member access
    (
        "$o = [PSCustomObject]@{ B = 1; A = 2 }; $o.psobject.pstypenames[0]",
        ["System.Management.Automation.PSCustomObject"],
    ),
    ("$o = [PSCustomObject]@{ Name = 'n' }; $o.name; $o.Name = 'm'; $o.NAME", ["n", "m"]),
    ("$items = @([pscustomobject]@{ N = 1 }, [pscustomobject]@{ N = 2 }); $items.N", [1, 2]),
    ("(Get-Thing).Name", ["alpha", "beta"]),
    ("$x = Get-Thing -Name beta; $x.Value", [2]),
    # variables and scopes
    ("$x = 1; & { $x; $x = 2; $x }; $x", [1, 2, 1]),
    ("$x = 1; & { $script:x = 5 }; $x", [5]),
    ("$global:g = 'G'; & { $g }", ["G"]),
    ("$env:COMPUTERNAME; $env:USERNAME; $null -eq $env:NOPE", ["NODE1", "admin", True]),
    ("$env:MYVAR = 'v'; \"$env:myvar\"", ["v"]),
    ("$PSItem = 3; ${x y} = 1; ${x y}", [1]),
    ("$i = 5; $i++; $i; $i--; --$i; $i", [6, 4]),
    ("$i = 1; $i += 2; $i *= 3; $i -= 1; $i /= 2; $i %= 3; $i", [1]),
    ("[string]$PSVersionTable.PSVersion", ["5.1.17763.1"]),
    ("$PSVersionTable.PSVersion.Major; $PSVersionTable.PSVersion -is [version]", [5, True]),
    # number types (about_Arithmetic_Operators): the wider operand's type, Double on overflow
    ("([int]::MaxValue + 1).GetType().Name; [int]::MaxValue + 1", ["Double", 2147483648.0]),
    ("(2147483647 * 2).GetType().Name; (5 + 1).GetType().Name", ["Double", "Int32"]),
    ("([long]5 + 1).GetType().Name; ([long]5 * 2.5).GetType().Name", ["Int64", "Double"]),
    ("(2147483648 + 1).GetType().Name; (6 / 3).GetType().Name", ["Int64", "Int32"]),
    ("([long]::MaxValue + 1).GetType().Name", ["Double"]),
    ("[int]2.5; [int]3.5; [int]-2.5; ([int]'7').GetType().Name", [2, 4, -2, "Int32"]),
    ("(1, 2, 3 | Measure-Object -Sum).Sum.GetType().Name", ["Double"]),
    # control flow
    ("if (0) { 'a' } elseif ('') { 'b' } elseif ('x') { 'c' } else { 'd' }", ["c"]),
    ("foreach ($i in 1..5) { if ($i -eq 2) { continue }; if ($i -eq 4) { break }; $i }", [1, 3]),
    ("foreach ($i in $null) { 'never' }; foreach ($i in 'one') { $i }", ["one"]),
    ("for ($i = 0; $i -lt 3; $i++) { $i }", [0, 1, 2]),
    ("$n = 0; while ($true) { $n++; if ($n -ge 3) { break } }; $n", [3]),
    ("$n = 0; do { $n++ } while ($n -lt 3); $n; do { $n-- } until ($n -le 0); $n", [3, 0]),
    ("switch ('B') {\n'a' { 'A' }\n'b' { 'matched' }\ndefault { 'D' }\n}", ["matched"]),
    ("switch (5) {\n1 { 'one' }\ndefault { \"other $_\" }\n}", ["other 5"]),
    ("switch (1, 2) {\n1 { 'one' }\n2 { 'two'; break }\n}", ["one", "two"]),
    ("& { 'a'; return 'b'; 'c' }; 'd'", ["a", "b", "d"]),
    ("1..3 | ForEach-Object { if ($_ -eq 2) { return }; $_ }", [1, 3]),
    ("1..3 | ForEach-Object { if ($_ -eq 2) { continue }; $_ }; 'never'", [1]),
    (
        'foreach ($i in 1, 2) { 1..3 | ForEach-Object { if ($_ -eq 2) { continue }; "$i$_" } }',
        ["11", "21"],
    ),
    ("'before'; return; 'after'", ["before"]),
    ("'x'; exit 3; 'y'", ["x"]),
    ("$b = if ($true) { 'one' } else { 'other' }; $b", ["one"]),
    ("$items = foreach ($i in 1..3) { $i * 2 }; $items -join ','", ["2,4,6"]),
    ("$v = switch ('a') {\n'a' { 'A' }\n}; $v", ["A"]),
    # pipelines and utility cmdlets
    ("1, 2, 3 | Where-Object { $_ -gt 1 }", [2, 3]),
    ("1..4 | Where-Object { $_ % 2 -eq 0 } | ForEach-Object { $_ * 10 }", [20, 40]),
    ("Get-Thing | Where-Object Value -gt 1 | ForEach-Object { $_.Name }", ["beta"]),
    (
        "Get-Thing | Where-Object { $PSItem.Name -like 'a*' } | Select-Object -ExpandProperty Name",
        ["alpha"],
    ),
    ("Get-Thing | ForEach-Object -MemberName Name", ["alpha", "beta"]),
    ("$sum = 0; 1..3 | ForEach-Object { $sum += $_ }; $sum", [6]),
    ("1..3 | ForEach-Object -Begin { 'b' } -Process { $_ } -End { 'e' }", ["b", 1, 2, 3, "e"]),
    ("3, 1, 2 | Sort-Object; 'b', 'A', 'c' | Sort-Object -Descending", [1, 2, 3, "c", "b", "A"]),
    ("1, 2, 2, 3 | Sort-Object -Unique; 'a', 'A' | Select-Object -Unique", [1, 2, 3, "a", "A"]),
    (
        "Get-Thing | Sort-Object Value -Descending | Select-Object -First 1 -ExpandProperty Name",
        ["beta"],
    ),
    (
        "Get-Thing | Sort-Object -Property { $_.Name.Length }, 'Name' | ForEach-Object Name",
        ["beta", "alpha"],
    ),
    (
        "1..5 | Select-Object -First 2; 1..5 | Select-Object -Last 1; 1..5 | Select-Object -Skip 4",
        [1, 2, 5, 5],
    ),
    ("(1..4 | Measure-Object).Count; (1..4 | Measure-Object -Sum).Sum", [4, 10]),
    ("(Get-Thing | Measure-Object -Property Value -Maximum).Maximum", [2]),
    ("@() | Measure-Object | ForEach-Object Count", [0]),
    (
        "'a', 'b', 'A' | Group-Object | ForEach-Object { \"$($_.Name):$($_.Count)\" }",
        ["a:2", "b:1"],
    ),
    ("$o = Get-Thing | Select-Object Name; $o[0].psobject.pstypenames[0]", ["Selected.Sim.Thing"]),
    ("Get-Thing | Select-Object N* | ForEach-Object { $_.Name }", ["alpha", "beta"]),
    (
        "Write-Output 1 2 3; Write-Output @(4, 5) -NoEnumerate | ForEach-Object { $_.Count }",
        [1, 2, 3, 2],
    ),
    ("@{ a = 1; b = @(1, 2) } | ConvertTo-Json -Compress", ['{"a":1,"b":[1,2]}']),
    ("$null | ForEach-Object { 'ran' }; @() | ForEach-Object { 'never' }", ["ran"]),
    ("Get-Thing -Name alpha | Set-Thing 7; (Get-Thing -Name alpha).Value", [7]),
    ("$n = 'alpha'; Get-Thing -Name:$n | ForEach-Object Name", ["alpha"]),
    ("$p = @{ Name = 'beta'; Force = $true }; Get-Thing @p | ForEach-Object Name", ["beta"]),
    ("$a = @('alpha'); Get-Thing @a | ForEach-Object Name", ["alpha"]),
    ("[pscustomobject]@{ Name = 'alpha' } | Get-Thing | ForEach-Object Value", [1]),
    (
        "& 'icacls' 'C:\\x' /grant:r 'a b:(F)' -T; $LASTEXITCODE",
        ["args:C:\\x|/grant:r|a b:(F)|-T", 0],
    ),
    ("$p = 'C:\\d'; icacls \"$p\\sub\" @('x', 'y') 5", ["args:C:\\d\\sub|x|y|5"]),
    (
        "icacls.exe /fail; $LASTEXITCODE; if ($LASTEXITCODE -ne 0) { 'failed' }",
        ["args:/fail", 5, "failed"],
    ),
]


def plain(value: Any) -> Any:
    """Values as the test table writes them."""
    if isinstance(value, PSEnum):
        return value.name
    if isinstance(value, PSHashtable):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, PSObject):
        return {k: plain(v) for k, v in value.properties.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


@pytest.mark.parametrize(("script", "expected"), CASES, ids=[c[0][:60] for c in CASES])
def test_script_output(script: str, expected: list[Any]) -> None:
    """The script's output stream matches PowerShell's."""
    result = run(script)
    assert result.failed is None, result.failed
    assert [] == result.errors
    assert expected == [plain(v) for v in result.output]


def test_custom_object_keeps_literal_order() -> None:
    """[PSCustomObject]@{} has NoteProperties in the order written."""
    (obj,) = run("[PSCustomObject]@{ Zeta = 1; Alpha = 2; Mid = 3 }").output
    assert isinstance(obj, PSObject)
    assert ["Zeta", "Alpha", "Mid"] == list(obj.properties)
    assert "System.Management.Automation.PSCustomObject" == obj.type_names[0]


def test_hashtable_output_is_case_insensitive() -> None:
    """A hashtable literal is a PSHashtable keeping the first spelling of each key."""
    (table,) = run("@{ Name = 1; other = 2 }").output
    assert isinstance(table, PSHashtable)
    assert 1 == table["NAME"]
    assert ["Name", "other"] == list(table)


def test_calculated_property() -> None:
    """Select-Object builds calculated properties from Name/Expression hashtables."""
    result = run(
        "Get-Thing | Select-Object Name, @{Name='Double'; Expression={ $_.Value * 2 }}, "
        "@{ n = 'S'; e = { [string]$_.State } }"
    )
    assert [
        {"Name": "alpha", "Double": 2, "S": "Online"},
        {"Name": "beta", "Double": 4, "S": "Offline"},
    ] == [plain(v) for v in result.output]


def test_enum_values_pass_through_unchanged() -> None:
    """Enum values reach the output as PSEnum, for the endpoint to serialise."""
    (state,) = run("(Get-Thing -Name alpha).State").output
    assert PSEnum("Sim.ThingState", "Online", 2) == state


def test_get_date_formats() -> None:
    """Get-Date -Format gives .NET-style timestamps; the object has parts and ToString."""
    result = run(
        "Get-Date -Format 'yyyy-MM-dd HH:mm:ss.fff'; Get-Date -Format o; (Get-Date).Year;"
        "(Get-Date).ToString('yyyyMMdd')"
    )
    stamp, iso, year, compact = result.output
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}", stamp)
    # DateTime.Now is Kind Local: "o" ends in the offset, +00:00 on the lab's UTC nodes.
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00", iso)
    assert isinstance(year, int) and year >= 2024
    assert re.fullmatch(r"\d{8}", compact)
