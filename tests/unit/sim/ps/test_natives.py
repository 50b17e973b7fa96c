"""Native programs every node has (``hostname``, ``whoami``), ``$LASTEXITCODE`` and ``$?``.

Windows: hostname.exe prints the computer's name; whoami.exe prints ``domain\\user`` in
lower case (a local account's domain is the computer). about_Automatic_Variables: ``$?``
is the execution status of the last command, for a native command True exactly when
``$LASTEXITCODE`` is 0 (UNVERIFIED: not in shared/facts).
"""

from __future__ import annotations

import pytest

from psrunbook.sim.executor_protocol import ExecutionContext

from .helpers import Icacls, run, table


def test_hostname_prints_the_node_and_sets_the_exit_code() -> None:
    result = run("$LASTEXITCODE = 7; hostname; $LASTEXITCODE; $?")
    assert result.failed is None, result.failed
    assert ["NODE1", 0, True] == result.output


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ("LAB\\Admin", "lab\\admin"),
        ("Operator", "node1\\operator"),
        ("Svc.Runbook@Corp.Example", "corp\\svc.runbook"),
    ],
)
def test_whoami_prints_domain_and_user_in_lower_case(user: str, expected: str) -> None:
    result = run("whoami.exe; whoami", context=ExecutionContext("NODE1", user))
    assert result.failed is None, result.failed
    assert [expected, expected] == result.output


def test_whoami_output_is_text_lines() -> None:
    result = run("$me = whoami; $me.GetType().Name; $me.Split('\\')[1]")
    assert ["String", "admin"] == result.output


def test_whoami_groups_is_refused_by_name() -> None:
    result = run("'before'; whoami /groups")
    assert result.failed is not None
    assert "whoami /groups" in result.failed.message
    assert result.failed.error_id == "UnsupportedConstruct"


def test_the_node_table_comes_first() -> None:
    """A lab that models its own ``hostname`` replaces the built-in one."""
    commands = {**table(), "hostname": Icacls()}
    result = run("hostname", commands=commands)
    assert ["args:"] == result.output


def test_an_unknown_native_command_is_still_not_found() -> None:
    result = run("nosuchtool.exe /x; $?")
    assert result.errors[0].error_id == "CommandNotFoundException"
    assert [False] == result.output


def test_dollar_question_follows_native_exit_codes_and_errors() -> None:
    script = (
        "icacls /fail; $?; $LASTEXITCODE; icacls ok; $?; "
        "Get-Thing -Name nope; $?; Get-Thing -Name alpha | Out-Null; $?; "
        "Get-Thing -Name nope -ErrorAction SilentlyContinue; $?; $?"
    )
    result = run(script)
    assert result.failed is None, result.failed
    assert ["args:/fail", False, 5, "args:ok", True, False, True, False, True] == result.output


def test_dollar_question_after_a_caught_error_and_in_a_loop() -> None:
    result = run(
        "try { Get-Thing -Terminate } catch { }; "
        "foreach ($n in 'alpha', 'nope') { Get-Thing -Name $n | Out-Null; $? }; 1 / 0; $?"
    )
    assert [True, False, False] == result.output


def test_dollar_question_is_read_only() -> None:
    result = run("$? = $false")
    record = result.failed or result.errors[0]
    assert "read-only" in record.message


def test_cmd_echo_prints_its_text_with_environment_variables() -> None:
    result = run("$env:FOO = 'bar'; cmd.exe /c echo hello %foo% %nope%; $LASTEXITCODE; cmd /c echo")
    assert result.failed is None, result.failed
    assert ["hello bar %nope%", 0, "ECHO is on."] == result.output


def test_cmd_set_prints_the_inherited_environment_sorted_ignoring_case() -> None:
    result = run(
        "$env:aaa = '1'; $lines = cmd /c set; $lines[0]; $lines -contains 'COMPUTERNAME=NODE1'"
    )
    assert result.failed is None, result.failed
    assert ["aaa=1", True] == result.output
    assert ["COMPUTERNAME=NODE1"] == run("cmd /c set COMPUTER").output


def test_cmd_exit_sets_lastexitcode_and_status() -> None:
    result = run("cmd /c exit 3; $?; $LASTEXITCODE; cmd /c exit /b 0; $?")
    assert [False, 3, True] == result.output


@pytest.mark.parametrize(
    ("script", "construct"),
    [
        ("cmd /c dir", "cmd /c dir"),
        ("cmd /c 'echo a & echo b'", "cmd /c echo a & echo b"),
        ("cmd /k echo a", "cmd /k echo a"),
        ("cmd /c set NO_SUCH_PREFIX", "cmd /c set NO_SUCH_PREFIX (no variable matches)"),
    ],
)
def test_cmd_forms_the_lab_does_not_model_are_refused_by_name(script: str, construct: str) -> None:
    result = run("'before'; " + script)
    assert result.failed is not None
    assert result.failed.error_id == "UnsupportedConstruct"
    assert construct in result.failed.message
