"""Node workers: a finished worker serves the next task; closing ends the idle ones."""

from __future__ import annotations

import queue
import threading

from psrunbook.execution.workers import Delivery, Task, Workers


def _task(done: queue.SimpleQueue[threading.Thread]) -> Delivery:
    thread = threading.current_thread()
    return lambda: done.put(thread)


def test_a_task_after_another_finished_runs_on_the_same_thread() -> None:
    workers = Workers()
    done: queue.SimpleQueue[threading.Thread] = queue.SimpleQueue()
    threads = []
    for index in range(5):
        workers.submit(lambda: _task(done), label=f"N{index}")
        threads.append(done.get(timeout=30))
    workers.close()
    assert 1 == len(set(threads))
    assert 1 == workers.started
    assert threads[0].daemon


def _held(release: threading.Event, done: queue.SimpleQueue[threading.Thread]) -> Task:
    """A task that keeps its worker busy until ``release`` is set."""

    def task() -> Delivery:
        release.wait(30)
        return _task(done)

    return task


def test_a_busy_worker_is_not_given_another_task() -> None:
    workers = Workers()
    release = threading.Event()
    done: queue.SimpleQueue[threading.Thread] = queue.SimpleQueue()
    workers.submit(_held(release, done), label="stuck")
    workers.submit(lambda: _task(done), label="free")
    free = done.get(timeout=30)
    release.set()
    stuck = done.get(timeout=30)
    workers.close()
    assert free is not stuck
    assert 2 == workers.started


def test_close_ends_idle_workers_and_a_busy_one_after_its_task() -> None:
    workers = Workers()
    release = threading.Event()
    done: queue.SimpleQueue[threading.Thread] = queue.SimpleQueue()
    workers.submit(_held(release, done), label="busy")
    workers.submit(lambda: _task(done), label="idle")
    idle = done.get(timeout=30)
    workers.close()
    idle.join(30)
    assert not idle.is_alive()
    release.set()
    busy = done.get(timeout=30)
    busy.join(30)
    assert not busy.is_alive()
