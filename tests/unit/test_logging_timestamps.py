"""``@timestamp`` (and the times of the ``--json`` documents) always have six digits of
microseconds, also at a whole second.

structlog's ``fmt="iso"`` is ``datetime.isoformat()``, which leaves the fraction out when
it is zero: about one event in a million had ``2026-12-05T08:53:54Z`` where every other
had ``...54.123456Z`` (the log-schema test caught one in a CI run).
"""

from __future__ import annotations

import datetime
import re
import types

import pytest
import structlog

from psrunbook.cli.documents import _time
from psrunbook.logging import _shared_processors

_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


class _WholeSecond(datetime.datetime):
    @classmethod
    def now(cls, tz: datetime.tzinfo | None = None) -> _WholeSecond:
        return cls(2026, 12, 5, 8, 53, 54, 0, tzinfo=tz)


def test_a_whole_second_keeps_its_microseconds(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.SimpleNamespace(datetime=_WholeSecond, timezone=datetime.timezone)
    monkeypatch.setattr(structlog.processors, "datetime", fake)
    (stamper,) = [
        p for p in _shared_processors() if isinstance(p, structlog.processors.TimeStamper)
    ]
    stamped = stamper(None, "info", {})
    assert "2026-12-05T08:53:54.000000Z" == stamped["timestamp"]
    assert _ISO.match(stamped["timestamp"])


def test_the_json_documents_write_a_whole_second_with_its_microseconds() -> None:
    moment = datetime.datetime(2026, 12, 5, 8, 53, 54, tzinfo=datetime.UTC)
    assert "2026-12-05T08:53:54.000000+00:00" == _time(moment)
