"""cmd.exe's command line: how a line is split into commands, arguments and
redirections, the environment a WinRS process starts with, and the script a
``powershell.exe`` command line runs. The interpreter is :mod:`.cmd_shell`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Callable

from psrunbook.sim.lab.cluster_model import fold

_OPERATOR = re.compile(r'"[^"]*"?|&&|\|\||&|\|')
_REDIRECT = re.compile(r"\s*(?:(?P<fd>[12])?>\s*(?P<target>&[12]|nul\b))", re.IGNORECASE)
PERCENT = re.compile(r"%([^%]+)%")
_SWITCH = re.compile(r'^\s*"?/([ck])(?=\s|$)(.*)$', re.IGNORECASE | re.DOTALL)
CMD_SPECIAL = frozenset("&<>()@^|")
"""The special characters of ``cmd /?``'s quote rule."""
CMD_INTERNAL = frozenset(["cd", "chdir", "dir", "echo", "exit", "set", "type", "ver"])
"""cmd.exe's internal commands the lab models (no lab node has a program file whose
name starts with one of them and a space)."""


def powershell_script(args: str, stdin: Callable[[], bytes]) -> tuple[str, str] | None:
    """The script a ``powershell.exe`` command line runs and the newline its output
    lines end with, or None for a form the lab does not model (``-File``, ...).

    Windows PowerShell 5.1's parameters (about_PowerShell_exe): switches before the
    command, ``-Command`` (or the first argument that is no parameter) takes the rest
    of the line, ``-EncodedCommand`` a base64 UTF-16LE script, ``-Command -`` or ``-``
    reads the script from stdin."""
    words = argv(args)
    index = 0
    switches = {"-noprofile", "-nonintractive", "-noninteractive", "-nologo", "-mta", "-sta"}
    valued = {"-executionpolicy", "-inputformat", "-outputformat", "-windowstyle", "-ep"}
    while index < len(words):
        word = words[index]
        folded = word.casefold()
        if not word or folded in switches:
            index += 1
        elif folded in valued:
            index += 2
        elif folded in ("-encodedcommand", "-enc", "-e", "-ec"):
            if index + 1 >= len(words):
                return None
            try:
                script = base64.b64decode(words[index + 1], validate=True).decode("utf-16-le")
            except (binascii.Error, UnicodeDecodeError):
                return None
            return script, "\r\n"
        elif folded in ("-command", "-c"):
            rest = " ".join(words[index + 1 :]).strip()
            return _stdin_script(stdin) if rest == "-" else (rest, "\r\n")
        elif folded == "-":
            return _stdin_script(stdin)
        elif folded.startswith("-"):
            return None
        else:
            return " ".join(words[index:]).strip(), "\r\n"
    return None


def argv(text: str) -> list[str]:
    """A command line split as a C program's ``main`` sees it (CommandLineToArgvW):
    whitespace separates, double quotes group and are removed, ``\\"`` is a quote."""
    words: list[str] = []
    current: list[str] = []
    quoted = started = False
    index = 0
    while index < len(text):
        char = text[index]
        if char == "\\" and text[index + 1 : index + 2] == '"':
            current.append('"')
            started = True
            index += 2
            continue
        if char == '"':
            quoted = not quoted
            started = True
        elif char in " \t" and not quoted:
            if started:
                words.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
        index += 1
    if started:
        words.append("".join(current))
    return words


def _stdin_script(stdin: Callable[[], bytes]) -> tuple[str, str]:
    return stdin().decode("utf-8", errors="replace"), "\n"


def split_operators(line: str) -> list[tuple[str, str]]:
    """``a & b && c`` as [(text, operator after it)]; quotes protect operators."""
    parts: list[tuple[str, str]] = []
    start = 0
    for match in _OPERATOR.finditer(line):
        token = match.group()
        if token.startswith('"'):
            continue
        if line[match.start() - 1 : match.start()] == ">":
            continue  # the & of >&2 and 2>&1
        parts.append((line[start : match.start()], token))
        start = match.end()
    parts.append((line[start:], ""))
    return parts


def take_redirects(text: str) -> tuple[str, list[tuple[str, str]]]:
    redirects: list[tuple[str, str]] = []

    def take(match: re.Match[str]) -> str:
        redirects.append((match.group("fd") or "1", match.group("target")))
        return ""

    return _REDIRECT.sub(take, text), redirects


def strip_cmd_c(line: str) -> str:
    """``cmd.exe /c X`` run by the cmd shell is X (cmd running cmd prints the same)."""
    match = re.match(r'^\s*(?:"?(?:[A-Za-z]:\\[^"]*\\)?cmd(?:\.exe)?"?)\s+/c\s+(.*)$', line,
                     re.IGNORECASE | re.DOTALL)  # fmt: skip
    return match.group(1) if match else line


def cmd_switch_command(line: str) -> tuple[str, str] | None:
    """``(switch, command)`` for the command line cmd.exe received, ``/c COMMAND`` or
    ``/k COMMAND``; None for any other form (other switches, ``/S``, none).

    ``cmd /?``: "If /C or /K is specified, then the remainder of the command line after
    the switch is processed as a command line" with its quote rule
    (:func:`cmd_quote_rule`). The switch may follow an opening quote: PowerShell 5.1
    passes ``cmd.exe`` the one argument ``/c echo hi`` as ``"/c echo hi"`` and Windows
    prints ``hi"`` (pypsrp 0.9.1's ``test_psrp_multiple_commands.yml``).
    """
    match = _SWITCH.match(line)
    if match is None:
        return None
    command = cmd_quote_rule(match.group(2))
    return None if command is None else (match.group(1).casefold(), command)


def cmd_quote_rule(remainder: str) -> str | None:
    """The command line ``cmd /c`` runs from the text after the switch, by ``cmd /?``:

    1. quotes are preserved when there are exactly two, no special character
       (``&<>()@^|``) and some whitespace between them, and the string between them
       is the name of an executable file;
    2. otherwise, if the first character is a quote, it is stripped and so is the last
       quote on the line, any text after that kept.

    Rule 1 and rule 2 differ only for a line that starts with a quote. None when the
    answer hangs on whether a file is an executable: the lab only says no for a string
    that starts with one of :data:`CMD_INTERNAL`'s names.
    """
    text = remainder.lstrip()
    if not text.startswith('"'):
        return text
    last = text.rfind('"')
    between = text[1:last]
    if (
        text.count('"') == 2
        and not CMD_SPECIAL & set(between)
        and any(c.isspace() for c in between)
        and fold(between.split()[0]) not in CMD_INTERNAL
    ):
        return None
    return text[1:] if last == 0 else text[1:last] + text[last + 1 :]


def echo_text(text: str) -> str:
    """The line ``echo TEXT`` prints, ``TEXT`` being what follows ``echo`` on the line:
    as written (trailing spaces too) after its one separator; ``echo`` alone prints the
    echo state; ``echo.`` (and ``echo:`` ...) an empty line or the text after it."""
    if text[:1] in (".", ":", "(", "/", "\\", "="):
        return text[1:]
    if not text.strip():
        return "ECHO is on."
    return text[1:] if text[:1] in (" ", "\t") else text


def lookup(env: dict[str, str], match: re.Match[str]) -> str:
    name = fold(match.group(1))
    for key, value in env.items():
        if fold(key) == name:
            return value
    return match.group()
