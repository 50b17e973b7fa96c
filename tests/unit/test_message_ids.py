"""WSMan message ids: random version 4 UUIDs, read from the OS a batch at a time."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from psrunbook.transport import message_ids


@pytest.fixture
def fresh_ids(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A new id source whose reads of OS randomness are counted (their sizes)."""
    reads: list[int] = []
    real = os.urandom

    def counted(size: int) -> bytes:
        reads.append(size)
        return real(size)

    monkeypatch.setattr(message_ids, "_ids", message_ids._RandomIds())
    monkeypatch.setattr(os, "urandom", counted)
    return reads


def test_an_id_is_an_upper_case_random_uuid(fresh_ids: list[int]) -> None:
    text = message_ids.new_message_id()
    parsed = uuid.UUID(text)
    assert text == str(parsed).upper()
    assert 4 == parsed.version
    assert uuid.RFC_4122 == parsed.variant


def test_one_read_of_os_randomness_serves_a_batch_of_ids(fresh_ids: list[int]) -> None:
    ids = [message_ids.new_message_id() for _ in range(message_ids._BATCH + 1)]
    assert message_ids._BATCH + 1 == len(set(ids))
    assert [16 * message_ids._BATCH] * 2 == fresh_ids


def test_ids_taken_by_many_threads_at_once_are_all_different(fresh_ids: list[int]) -> None:
    start = threading.Barrier(8, timeout=60)
    taken: list[list[str]] = [[] for _ in range(8)]

    def take(index: int) -> None:
        start.wait()
        taken[index].extend(message_ids.new_message_id() for _ in range(100))

    threads = [threading.Thread(target=take, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    every = [text for texts in taken for text in texts]
    assert 800 == len(every) == len(set(every))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX")
def test_a_forked_child_never_repeats_its_parents_ids() -> None:
    message_ids.new_message_id()  # the buffer now holds unread bytes
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover (the child's coverage is not collected)
        os.close(read)
        os.write(write, message_ids.new_message_id().encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as answer:
        from_child = answer.read().decode()
    os.waitpid(child, 0)
    assert from_child != message_ids.new_message_id()
