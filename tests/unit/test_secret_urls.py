"""URLs that may carry a password never reach a message with it: journal URL, --log-syslog.

:func:`psrunbook.secrets.mask_url` is what every message shows of such a URL; the CLI
cases go through the real application, the journal and syslog parsers through their own
entry points, with passwords no other test registers for redaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from psrunbook.cli.app import app
from psrunbook.errors import JournalError, UserError
from psrunbook.journal_open import open_journal, url_passwords
from psrunbook.secrets import clear_secrets, mask_url, url_secrets
from psrunbook.syslog_sink import parse_target


@pytest.fixture(autouse=True)
def _no_secrets() -> Iterator[None]:
    """Each test starts with nothing registered, so masking cannot come from the registry."""
    clear_secrets()
    yield
    clear_secrets()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u@db/runs?password=Pw-1&bogus=1", "postgresql://u@db/runs?password=***&bogus=1"),
        ("postgresql://ops:p%40ss@db/runs", "postgresql://ops:***@db/runs"),
        ("postgresql://ops:pw@db:notaport/runs", "postgresql://ops:***@db:notaport/runs"),
        ("postgresql://ops:pa/ss@db/runs", "postgresql://ops:***@db/runs"),
        ("postgresql://u@db/runs?sslpassword=k&sslmode=require", "postgresql://u@db/runs?sslpassword=***&sslmode=require"),
        ("postgresql://u@db/runs?%70assword=x", "postgresql://u@db/runs?%70assword=***"),
        ("https://h/x?api_key=k&token=t&page=2", "https://h/x?api_key=***&token=***&page=2"),
        ("tcp://u:PW@127.0.0.1:9", "tcp://u:***@127.0.0.1:9"),
        ("postgresql://ops@db/runs?user=a@b", "postgresql://ops@db/runs?user=a@b"),
        ("postgresql:///runs?host=/run/postgresql", "postgresql:///runs?host=/run/postgresql"),
    ],
)  # fmt: skip
def test_mask_url_hides_userinfo_and_password_like_query_values(url: str, shown: str) -> None:
    """The password of user:password@ and credential-like query values become ***."""
    assert shown == mask_url(url)


@pytest.mark.parametrize(
    ("url", "secrets"),
    [
        ("postgresql://u@db/runs?password=a+b", ["a b", "a+b"]),
        ("postgresql://ops:p%40ss@db/runs?sslpassword=k", ["k", "p%40ss", "p@ss"]),
        ("postgresql://ops@db/runs", []),
    ],
)
def test_url_secrets_gives_every_form_a_message_may_echo(url: str, secrets: list[str]) -> None:
    """As written, percent-decoded and (in a query) with + as a blank, as libpq may read it."""
    assert secrets == url_secrets(url) == url_passwords(url)


def test_a_malformed_journal_url_is_refused_without_its_query_password() -> None:
    """libpq's refusal of another parameter does not echo ?password= back."""
    with pytest.raises(JournalError) as info:
        open_journal("postgresql://u@127.0.0.1:9/db?password=PgSecr3t-Yy7&bogus=1")
    message = str(info.value)
    assert "journal URL postgresql://u@127.0.0.1:9/db?password=***&bogus=1 is not" in message
    assert "PgSecr3t" not in message


def test_a_plus_in_a_query_password_is_masked_too() -> None:
    """A password with a +, which libpq reads as it is, is masked whole."""
    with pytest.raises(JournalError) as info:
        open_journal("postgresql://u@127.0.0.1:9/db?password=a+PgSecr3t-Yy7&bogus=1")
    assert "PgSecr3t" not in str(info.value)


def test_the_journal_variable_with_a_password_exits_2_without_it(tmp_path: Path) -> None:
    """`PSRUNBOOK_JOURNAL=... psrunbook runs`: exit 2, the URL shown with *** only."""
    url = "postgresql://u@127.0.0.1:9/db?password=PgSecr3t-Yy7&bogus=1"
    result = CliRunner().invoke(
        app, ["runs", "--state-dir", str(tmp_path)], env={"PSRUNBOOK_JOURNAL": url}
    )
    assert 2 == result.exit_code, result.output
    assert "?password=***&bogus=1" in result.output
    assert "PgSecr3t" not in result.output


@pytest.mark.parametrize("target", ["tcp://u:PW-Syslog-1@127.0.0.1:9", "u:PW-Syslog-1@127.0.0.1"])
def test_a_syslog_target_with_userinfo_is_refused_without_it(target: str) -> None:
    """Syslog has no login: user information is refused, and shown only as ***."""
    with pytest.raises(UserError) as info:
        parse_target(target)
    message = str(info.value)
    assert "syslog receivers take no user name or password" in message
    assert "***@127.0.0.1" in message
    assert "PW-Syslog-1" not in message


def test_a_syslog_target_with_a_query_is_refused_without_its_token() -> None:
    """A path or query is not part of a syslog target; a token in it is masked."""
    with pytest.raises(UserError) as info:
        parse_target("tcp://127.0.0.1:9/?token=Tok3n-Syslog")
    assert "takes no path or query" in str(info.value)
    assert "Tok3n-Syslog" not in str(info.value)


def test_log_syslog_with_a_password_exits_2_without_it(tmp_path: Path) -> None:
    """`--log-syslog tcp://u:PW@host:9`: exit 2 before any command runs, PW unshown."""
    result = CliRunner().invoke(
        app,
        ["--log-syslog", "tcp://u:PW-Syslog-2@127.0.0.1:9", "runs", "--state-dir", str(tmp_path)],
    )
    assert 2 == result.exit_code, result.output
    assert "PW-Syslog-2" not in result.output


def test_text_before_a_scheme_separator_is_not_echoed_unless_it_is_a_scheme() -> None:
    """`u:Secr3t@h://x` names no scheme: the refusal does not quote what came before ://."""
    with pytest.raises(JournalError) as info:
        open_journal("u:Secr3t-Journal@h://x")
    assert "not a URL of another kind" in str(info.value)
    assert "Secr3t-Journal" not in str(info.value)


@pytest.mark.parametrize("target", ["udp://[::1", "udp://[::1]x"])
def test_a_syslog_target_with_unbalanced_brackets_is_refused(target: str) -> None:
    """An IPv6 host needs its closing bracket, and only :PORT may follow it."""
    with pytest.raises(UserError, match="give udp://HOST"):
        parse_target(target)


def test_a_syslog_ca_that_is_a_directory_says_so(tmp_path: Path) -> None:
    """--log-syslog-ca DIR is "a directory", not "no such file"."""
    result = CliRunner().invoke(
        app,
        [
            "--log-syslog",
            "tls://127.0.0.1:9",
            "--log-syslog-ca",
            str(tmp_path),
            "runs",
            "--state-dir",
            str(tmp_path),
        ],
    )
    assert 2 == result.exit_code, result.output
    assert f"--log-syslog-ca {tmp_path}: a directory, not a file" in result.output
