"""cmd.exe as PowerShell 5.1 starts it: the command line built from the arguments
(the ``Legacy`` argument passing of about_Parsing) and what ``/c`` runs of it by
``cmd /?``'s quote rule. Windows' answer for the one argument ``/c echo hi`` is pypsrp
0.9.1's ``test_psrp_multiple_commands.yml`` (``hi"``).
"""

from __future__ import annotations

import pytest

from psrunbook.sim.lab.cmd_line import cmd_switch_command
from psrunbook.sim.ps.natives import legacy_command_line
from tests.unit.sim.ps.helpers import run


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["/c", "echo", "hi"], "/c echo hi"),
        (["/c echo hi"], '"/c echo hi"'),
        (["/c", "echo", "a  b"], '/c echo "a  b"'),
        (["/c", 'echo "a b"'], '/c "echo "a b""'),
        (["/c", "echo", ""], None),
        (["/c", "dir", "C:\\a b\\"], None),
    ],
)
def test_powershell_51_quotes_an_argument_with_whitespace(
    argv: list[str], line: str | None
) -> None:
    assert line == legacy_command_line(argv)


@pytest.mark.parametrize(
    ("line", "found"),
    [
        ("/c echo hi", ("c", "echo hi")),
        ('"/c echo hi"', ("c", 'echo hi"')),
        ('/C "echo hi"', ("c", "echo hi")),
        ('/c "echo a" b', ("c", "echo a b")),
        ('/c "echo "a" b"', ("c", 'echo "a" b')),
        ('/c echo "a b"', ("c", 'echo "a b"')),
        ('/c "C:\\Program Files\\x.exe"', None),
        ("/s /c echo hi", None),
        ("/cecho hi", None),
    ],
)
def test_cmd_c_keeps_or_strips_quotes_as_cmd_documents(
    line: str, found: tuple[str, str] | None
) -> None:
    assert found == cmd_switch_command(line)


def test_one_argument_with_spaces_echoes_the_closing_quote() -> None:
    result = run("cmd.exe '/c echo hi'; $LASTEXITCODE")
    assert result.failed is None, result.failed
    assert ['hi"', 0] == result.output


def test_quoted_echo_text_keeps_its_quotes_and_a_quoted_command_loses_them() -> None:
    """PowerShell quotes ``a  b`` for cmd, whose echo prints the quotes; ``"echo hi"``
    after /c is stripped by rule 2 (its text is no program's name)."""
    result = run("cmd /c echo 'a  b'; cmd /c 'echo hi'")
    assert result.failed is None, result.failed
    assert ['"a  b"', "hi"] == result.output
