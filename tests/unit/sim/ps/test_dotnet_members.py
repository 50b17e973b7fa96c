""".NET members copy.ps1/fetch.ps1 use, the engine objects, and the binding rules they
rely on (functions with Position, pipeline-bound parameters without a process block)."""

from __future__ import annotations

import hashlib

import pytest

from psrunbook.sim.ps.dotnet_io import ByteArray, full_path

from .helpers import run


def _output(script: str, *arguments: tuple[str | None, object]) -> list[object]:
    result = run(script, *arguments)
    assert result.failed is None, result.failed
    assert [] == result.errors
    return result.output


def test_explicit_position_makes_the_other_parameters_named_only() -> None:
    """Windows numbers parameters by declaration only when none declares Position."""
    script = (
        "function F { param([Parameter(Mandatory=$true, ValueFromPipeline=$true)] $Object,"
        ' [Parameter(Mandatory=$true, Position=1)] [string] $Name) "$Object/$Name" }\n'
        "'o' | F 'n'"
    )
    assert ["o/n"] == _output(script)


def test_pipeline_parameter_is_bound_for_a_function_without_process_block() -> None:
    """The end block sees the last object bound from the pipeline."""
    script = (
        'function Last { param([Parameter(ValueFromPipeline=$true)] $In) "last=$In" }\n'
        "1, 2, 3 | Last"
    )
    assert ["last=3"] == _output(script)


def test_allow_null_attribute_is_accepted() -> None:
    script = "function S { param([Parameter(Mandatory=$true)][AllowNull()] $V) 'ok' }\nS -V $null"
    assert ["ok"] == _output(script)


def test_my_invocation_unbound_arguments_of_a_psrp_script() -> None:
    """copy.ps1/fetch.ps1 read their add_argument() values this way."""
    script = "$MyInvocation.UnboundArguments[0]; $MyInvocation.UnboundArguments[1]"
    assert ["first", False] == _output(script, (None, "first"), (None, False))


def test_execution_context_resolves_a_relative_path_against_documents() -> None:
    script = (
        "$p = $ExecutionContext.SessionState.Path\n"
        "$p.GetUnresolvedProviderPathFromPSPath('test_file')\n"
        "$p.GetUnresolvedProviderPathFromPSPath('C:\\a\\..\\b')"
    )
    assert ["C:\\Users\\admin\\Documents\\test_file", "C:\\b"] == _output(script)


def test_the_language_mode_is_full_language() -> None:
    """The default Microsoft.PowerShell endpoint runs FullLanguage (Ansible's module
    wrapper branches on it)."""
    script = (
        "$m = $ExecutionContext.SessionState.LanguageMode\n"
        "$m -eq 'FullLanguage'; [int]$m; $m.GetType().FullName"
    )
    assert [True, 0, "System.Management.Automation.PSLanguageMode"] == _output(script)


@pytest.mark.parametrize(
    ("script", "construct"),
    [
        ("$ExecutionContext.InvokeCommand.ExpandString('a')", "$ExecutionContext.InvokeCommand"),
        ("$ExecutionContext.SessionState.Path.CurrentLocation", "Path.CurrentLocation"),
        (
            "$ExecutionContext.SessionState.Path.GetResolvedPSPathFromPSPath('x')",
            "Path.GetResolvedPSPathFromPSPath()",
        ),
        (
            "$ExecutionContext.SessionState.LanguageMode = 'ConstrainedLanguage'",
            "setting $ExecutionContext.SessionState.LanguageMode",
        ),
    ],
)
def test_what_the_lab_does_not_model_of_the_execution_context_is_refused(
    script: str, construct: str
) -> None:
    """EngineIntrinsics has these members on Windows; the lab refuses them by name
    instead of answering $null (the script would go on with nothing)."""
    result = run(script + "; 'after'")
    assert result.failed is not None
    assert "UnsupportedConstruct" == result.failed.error_id
    assert construct in result.failed.message
    assert [] == result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x", "C:\\Users\\u\\Documents\\x"),
        ("\\Temp\\y", "C:\\Temp\\y"),
        ("D:/a/./b", "D:\\a\\b"),
        ("FileSystem::C:\\z", "C:\\z"),
    ],
)
def test_full_path(text: str, expected: str) -> None:
    assert expected == full_path(text, "C:\\Users\\u\\Documents")


def test_reflection_reaches_the_deserialization_context_of_the_remote_host() -> None:
    """copy.ps1's chain from $Host to MaximumAllowedMemory exists, as on Windows."""
    script = (
        "$f = [System.Reflection.BindingFlags]'NonPublic, Instance'\n"
        "$h = $Host.GetType().GetProperty('ExternalHost', $f).GetValue($Host, $null)\n"
        "$t = $h.GetType().GetField('_transportManager', $f).GetValue($h)\n"
        "$fr = $t.GetType().GetProperty('Fragmentor', $f).GetValue($t, $null)\n"
        "$d = $fr.GetType().GetProperty('DeserializationContext', $f).GetValue($fr, $null)\n"
        "$d.GetType().GetProperty('MaximumAllowedMemory', $f).SetValue($d, $null, $null)\n"
        "$d.GetType().FullName\n"
        "$null -eq $Host.GetType().GetProperty('NoSuchMember', $f)\n"
        "$null -eq $Host.GetType().GetProperty('ExternalHost', [Reflection.BindingFlags]'Public')"
    )
    assert ["System.Management.Automation.DeserializationContext", True, True] == _output(script)


def test_unknown_binding_flag_is_a_cast_error() -> None:
    result = run("[System.Reflection.BindingFlags]'Sideways'")
    assert result.failed is not None or result.errors


def test_base64_bitconverter_encoding_and_sha1() -> None:
    data = b"abcdefghijklmnopqrstuvwxyz"
    script = (
        "$b = [System.Convert]::FromBase64String('YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo=')\n"
        "$b.Length\n"
        "[System.Convert]::ToBase64String($b)\n"
        "[System.Text.Encoding]::UTF8.GetString($b)\n"
        "$a = [System.Security.Cryptography.SHA1CryptoServiceProvider]::Create()\n"
        "$a.TransformBlock($b, 0, 10, $b, 0) > $null\n"
        "$rest = $b.Length - 10\n"
        "$a.TransformBlock($b, 10, $rest, $b, 0) > $null\n"
        "$a.TransformFinalBlock($b, 0, 0) > $null\n"
        "[System.BitConverter]::ToString($a.Hash).Replace('-', '').ToLowerInvariant()\n"
        "[System.BitConverter]::ToString([byte[]](1, 171))"
    )
    assert [
        26,
        "YWJjZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXo=",
        data.decode(),
        hashlib.sha1(data).hexdigest(),
        "01-AB",
    ] == _output(script)


def test_from_base64_of_bad_text_is_a_method_exception() -> None:
    result = run("[System.Convert]::FromBase64String('%%')")
    record = result.failed or result.errors[0]
    assert record.message.startswith(
        'Exception calling "FromBase64String" with "1" argument(s): "The input is not a valid'
    )


def test_new_byte_array_and_environment_expansion() -> None:
    script = (
        "$z = New-Object -TypeName byte[] -ArgumentList 3\n"
        "$z.Length\n"
        "[System.Environment]::ExpandEnvironmentVariables('%SystemRoot%\\x %NOPE%')"
    )
    assert [3, "C:\\Windows\\x %NOPE%"] == _output(script)


def test_file_members_without_a_file_model_are_refused() -> None:
    """The language alone has no disks: System.IO is refused by name, not faked."""
    result = run("[System.IO.File]::Delete('C:\\x')")
    assert result.failed is not None
    assert "no file model" in result.failed.message


def test_byte_array_is_a_list_of_ints() -> None:
    assert [1, 2] == ByteArray(b"\x01\x02")
