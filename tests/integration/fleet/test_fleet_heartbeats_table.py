"""Workers starting at the same moment all find the heartbeat table; none ends in a traceback.

``create_all(checkfirst=True)`` looks, then creates: two workers that both looked before
either created used to end one of them with PostgreSQL's DuplicateTable (seen in
``test_fleet_partitions.py`` under load: worker ``b`` exited on its own, its runs never
ran). Against a real PostgreSQL, one database per test.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa

from psrunbook.fleet import heartbeats
from psrunbook.fleet.heartbeats import TABLE, create_table

pytestmark = pytest.mark.integration


@pytest.fixture
def engine(postgres_url: str) -> Iterator[sa.Engine]:
    engine = sa.create_engine(heartbeats.engine_url(postgres_url))
    yield engine
    engine.dispose()


def test_a_table_another_worker_created_after_this_one_looked_is_accepted(
    engine: sa.Engine, postgres_url: str
) -> None:
    """The other worker's CREATE lands between this one's look and its own CREATE."""
    other = sa.create_engine(heartbeats.engine_url(postgres_url))
    created_by_other: list[bool] = []

    def other_worker_wins(target: Any, connection: Any, **kw: Any) -> None:
        if not created_by_other:
            with other.begin() as conn:  # its own connection and transaction, no lock
                conn.execute(
                    sa.text(
                        f"CREATE TABLE {TABLE} (worker_id TEXT PRIMARY KEY, host TEXT NOT NULL,"
                        " pid INTEGER NOT NULL, last_seen_ms BIGINT NOT NULL)"
                    )
                )
            created_by_other.append(True)

    sa.event.listen(heartbeats._workers, "before_create", other_worker_wins)
    try:
        create_table(engine)
    finally:
        sa.event.remove(heartbeats._workers, "before_create", other_worker_wins)
        other.dispose()
    assert created_by_other == [True]
    with engine.connect() as conn:
        assert sa.inspect(conn).has_table(TABLE)


def test_workers_starting_together_all_find_the_table(engine: sa.Engine) -> None:
    starters = 8
    start = threading.Barrier(starters)
    failures: list[BaseException] = []

    def start_worker() -> None:
        start.wait()
        try:
            create_table(engine)
        except BaseException as exc:  # noqa: BLE001 (collected and asserted below)
            failures.append(exc)

    threads = [threading.Thread(target=start_worker) for _ in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with engine.connect() as conn:
        assert sa.inspect(conn).has_table(TABLE)


def test_a_failure_other_than_the_race_still_fails(engine: sa.Engine) -> None:
    """Only a table that now exists excuses a failed creation."""

    def refuse(target: Any, connection: Any, **kw: Any) -> None:
        connection.execute(sa.text("SELECT 1 / 0"))

    sa.event.listen(heartbeats._workers, "before_create", refuse)
    try:
        with pytest.raises(sa.exc.DBAPIError, match="division by zero"):
            create_table(engine)
    finally:
        sa.event.remove(heartbeats._workers, "before_create", refuse)
