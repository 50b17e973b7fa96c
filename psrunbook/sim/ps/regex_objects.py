"""``[regex]::Match``, ``Matches``, ``Replace`` and ``Split``: .NET's static Regex methods as
Windows PowerShell 5.1 on .NET Framework 4.8 has them, and the Match and Group objects
they return, and ``Escape`` and ``IsMatch``.

They differ from the operators in ways a script notices: they are **case-sensitive**
(RegexOptions.None) where ``-match``, ``-replace`` and ``-split`` are not, unless the
options say ``IgnoreCase``; they set no ``$Matches``.

- a Match has Groups, Success, Name ("0"), Captures (refused by name), Index, Length,
  Value and ``NextMatch()``; its string conversion is its Value. A failed match is
  ``Match.Empty``: Success False, Value "", Index and Length 0;
- ``$m.Groups[1]``, ``$m.Groups['name']`` (GroupCollection's indexer): a group number or
  name the pattern does not have is .NET's empty group (Success False, Value ""), never
  an error; ``$m.Groups.Count``; the groups enumerate in number order;
- group numbers are .NET's: the unnamed groups first, left to right, then the named ones
  (``(?<n>a)(b)``: group 1 is ``(b)``, group 2 is ``n``), which Python numbers otherwise;
- ``Matches`` is every match, enumerated as a collection (its type, MatchCollection, is
  an Object[] here); ``Replace`` takes .NET's substitutions (``$1``, ``${name}``, ``$&``,
  ``$$``); ``Split`` keeps captured groups in its result, as .NET does;
- options: a string or RegexOptions value naming IgnoreCase, Multiline, Singleline,
  IgnorePatternWhitespace or None; any other option, a match evaluator script block and
  the instance methods of a ``[regex]`` object are refused by name.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from psrunbook.sim.objects import PartialObject, PSEnum, PSHashtable, PSObject
from psrunbook.sim.ps.remote_host_ui import HostMethodRefused
from psrunbook.sim.ps.values import (
    ScriptBlockValue,
    dotnet_regex,
    dotnet_replacement,
    is_collection,
    to_int,
    to_string,
)

MATCH = "System.Text.RegularExpressions.Match"
GROUP = "System.Text.RegularExpressions.Group"
GROUPS = "System.Text.RegularExpressions.GroupCollection"
_FLAGS = {
    "none": 0,
    "ignorecase": re.IGNORECASE,
    "multiline": re.MULTILINE,
    "singleline": re.DOTALL,
    "ignorepatternwhitespace": re.VERBOSE,
}


class RegexArgumentError(Exception):
    """A pattern .NET cannot parse: its ArgumentException."""


def _flags(options: Any) -> int:
    """The Python flags of a RegexOptions argument (``'IgnoreCase, Multiline'``)."""
    if options is None:
        return 0
    if isinstance(options, PSEnum):
        options = options.name
    flags = 0
    for name in to_string(options).split(","):
        folded = name.strip().casefold()
        if folded not in _FLAGS:
            raise HostMethodRefused(f"[regex] with the option {name.strip()}")
        flags |= _FLAGS[folded]
    return flags


def compile_pattern(pattern: Any, options: Any = None) -> re.Pattern[str]:
    """``new Regex(pattern, options)``: case-sensitive unless IgnoreCase is given."""
    try:
        compiled = dotnet_regex(to_string(pattern), case_sensitive=True)
        return re.compile(compiled.pattern, compiled.flags | _flags(options))
    except re.error as exc:
        raise RegexArgumentError(f'parsing "{to_string(pattern)}" - {exc}') from None


def _group_order(compiled: re.Pattern[str]) -> list[tuple[str, int]]:
    """.NET's group numbering: (name, Python group index), group 0 first, then the
    unnamed groups left to right, then the named ones left to right."""
    named = {index: name for name, index in compiled.groupindex.items()}
    unnamed = [i for i in range(1, compiled.groups + 1) if i not in named]
    order = [("0", 0)]
    order += [(str(number), i) for number, i in enumerate(unnamed, start=1)]
    order += [(named[i], i) for i in sorted(named)]
    return order


def _group(name: str, value: str | None, index: int) -> PSObject:
    success = value is not None
    text = value or ""
    return PSObject(
        type_names=(GROUP, "System.Text.RegularExpressions.Capture", "System.Object"),
        properties=PSHashtable(
            [
                ("Success", success),
                ("Name", name),
                ("Index", index if success else 0),
                ("Length", len(text)),
                ("Value", text),
            ]
        ),
        to_string=text,
    )


def _groups(groups: list[PSObject], empty: Callable[[Any], PSObject]) -> PSObject:
    """A GroupCollection: indexed by number or name (an unknown one is the empty group),
    enumerated in number order, with Count."""
    by_name = {to_string(g.properties["Name"]).casefold(): g for g in groups}

    def item(key: Any) -> PSObject:
        if isinstance(key, str) and not key.strip().isdigit():
            return by_name.get(key.casefold()) or empty(key)
        number = to_int(key)
        return groups[number] if 0 <= number < len(groups) else empty(str(number))

    # Enumerating it (``foreach ($g in $m.Groups)``) is not modelled: a PartialObject, so
    # any member read through it is refused by name rather than answered $null.
    return PartialObject(
        (GROUPS, "System.Object"),
        PSHashtable([("Count", len(groups))]),
        to_string=GROUPS,
        methods={"get_Item": item},
        shown_as="[GroupCollection]",
    )


def _match_object(compiled: re.Pattern[str], text: str, found: re.Match[str] | None) -> PSObject:
    def empty_group(name: Any) -> PSObject:
        return _group(to_string(name), None, 0)

    if found is None:
        groups = [_group("0", None, 0)]
    else:
        groups = [
            _group(name, found.group(i), found.start(i) if found.group(i) is not None else 0)
            for name, i in _group_order(compiled)
        ]
    whole = groups[0].properties

    def next_match() -> PSObject:
        if found is None:
            return _match_object(compiled, text, None)
        start = found.end() if found.end() > found.start() else found.end() + 1
        return _match_object(
            compiled, text, compiled.search(text, start) if start <= len(text) else None
        )

    return PSObject(
        type_names=(MATCH, GROUP, "System.Text.RegularExpressions.Capture", "System.Object"),
        properties=PSHashtable(
            [
                ("Groups", _groups(groups, empty_group)),
                ("Success", whole["Success"]),
                ("Name", "0"),
                ("Index", whole["Index"]),
                ("Length", whole["Length"]),
                ("Value", whole["Value"]),
            ]
        ),
        to_string=to_string(whole["Value"]),
        methods={"NextMatch": next_match},
    )


_ESCAPES = {
    **{c: "\\" + c for c in "\\*+?|{[()^$.#"},
    " ": "\\ ",
    "\t": "\\t",
    "\n": "\\n",
    "\r": "\\r",
    "\f": "\\f",
}
"""What .NET's Regex.Escape writes for each character it escapes (RegexParser.Escape:
``]``, ``}`` and ``-`` stay as they are)."""


def call_static(name: str, args: list[Any]) -> Any:
    """``[regex]::Escape(text)``, ``IsMatch/Match/Matches/Split(input, pattern[,
    options])``, ``Replace(input, pattern, replacement[, options])``; HostMethodRefused
    for what the lab does not model, RegexArgumentError for a bad pattern. A bad
    pattern's reason (after the dash) is Python's wording, not .NET's (UNVERIFIED, as
    ``-match``'s)."""
    folded = name.casefold()
    count = len(args)
    if folded == "escape" and count == 1:
        return "".join(_ESCAPES.get(c, c) for c in to_string(args[0]))
    if folded == "ismatch" and count in (2, 3):
        compiled = compile_pattern(args[1], args[2] if count == 3 else None)
        return compiled.search(to_string(args[0])) is not None
    if folded in ("match", "matches", "split") and count in (2, 3):
        text = to_string(args[0])
        compiled = compile_pattern(args[1], args[2] if count == 3 else None)
        if folded == "match":
            return _match_object(compiled, text, compiled.search(text))
        if folded == "matches":
            return [_match_object(compiled, text, m) for m in compiled.finditer(text)]
        return [part or "" for part in compiled.split(text)]
    if folded == "replace" and count in (3, 4):
        if isinstance(args[2], ScriptBlockValue) or is_collection(args[2]):
            raise HostMethodRefused("[regex]::Replace() with a match evaluator")
        compiled = compile_pattern(args[1], args[3] if count == 4 else None)
        return compiled.sub(dotnet_replacement(to_string(args[2])), to_string(args[0]))
    raise HostMethodRefused(f"static method [regex]::{name}() with {count} argument(s)")
