"""The collector held off while a run starts (``psrunbook.cli.collector``).

Start-up objects live on, so sweeping them is wasted work; these tests pin what the
hold-off promises: off until ``resume()``, on again with start-up frozen out of it, and
the caller's collector state (off, or objects it froze itself) given back as it was.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from psrunbook.cli.app import app
from psrunbook.cli.collector import collector_held_off
from psrunbook.execution.session import RunSession


@pytest.fixture(autouse=True)
def _collector_as_found() -> Iterator[None]:
    """Every test starts with the collector on and nothing frozen, and leaves it so."""
    enabled = gc.isenabled()
    gc.unfreeze()
    gc.enable()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_off_until_resumed_then_on_with_what_lived_frozen() -> None:
    with collector_held_off() as resume:
        assert not gc.isenabled()
        kept = [object() for _ in range(10)]
        resume()
        assert gc.isenabled()
        assert gc.get_freeze_count() > 0
        assert any(obj is kept for obj in gc.get_objects()) is False  # frozen, not tracked
        resume()  # a second call changes nothing
        assert gc.isenabled()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
    assert any(obj is kept for obj in gc.get_objects())


def test_an_error_before_resuming_turns_it_back_on_and_freezes_nothing() -> None:
    with pytest.raises(RuntimeError), collector_held_off():
        raise RuntimeError("refused before the first step")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


def test_a_collector_the_caller_turned_off_stays_off() -> None:
    gc.disable()
    with collector_held_off() as resume:
        resume()
        assert not gc.isenabled()
        assert gc.get_freeze_count() == 0
    assert not gc.isenabled()


def _tracked(value: object) -> bool:
    """Whether the collector tracks ``value`` (a frozen object it does not)."""
    return any(obj is value for obj in gc.get_objects())


def test_objects_someone_else_froze_stay_frozen() -> None:
    """Nothing unfrozen, nothing more frozen. Told by objects, not by the frozen count:
    a frozen object that dies meanwhile (another test's thread ending) lowers the count."""
    theirs = [object()]
    gc.freeze()
    with collector_held_off() as resume:
        resume()
        assert gc.isenabled()
        made_after = [object()]
        assert _tracked(made_after)
    assert not _tracked(theirs)  # still frozen
    assert _tracked(made_after)  # the hold-off froze nothing of its own


def test_a_run_starts_its_steps_with_the_collector_on_and_prepares_with_it_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The plan is built with the collector off; the steps run with it on."""
    seen: dict[str, bool] = {}
    prepare, execute = RunSession.prepare, RunSession.execute

    def watched_prepare(self: RunSession, *args: object, **kwargs: object) -> object:
        seen["prepare"] = gc.isenabled()
        return prepare(self, *args, **kwargs)  # type: ignore[arg-type]

    def watched_execute(self: RunSession, *args: object, **kwargs: object) -> object:
        seen["execute"] = gc.isenabled()
        return execute(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(RunSession, "prepare", watched_prepare)
    monkeypatch.setattr(RunSession, "execute", watched_execute)
    result = CliRunner().invoke(
        app,
        ["run", "ssis-clustered", "--sim", "--yes", "--state-dir", str(tmp_path / "state")],
    )
    assert result.exit_code == 0, result.output
    assert seen == {"prepare": False, "execute": True}
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
