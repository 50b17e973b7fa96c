"""The embedded lab behind ``--sim`` leaves the process's logging as it found it."""

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from psrunbook.logging import reset_logging
from psrunbook.sim.lab.embedded import EmbeddedLab

SIM_LOGGER = "psrunbook.sim"


@pytest.fixture
def sim_log() -> Iterator[logging.Logger]:
    """The simulator's logger with no -v console handler around; its level restored after."""
    reset_logging()
    logger = logging.getLogger(SIM_LOGGER)
    before = logger.level
    yield logger
    logger.setLevel(before)
    reset_logging()


def test_the_lab_quiets_the_request_log_only_while_it_is_open(
    sim_log: logging.Logger, tmp_path: Path
) -> None:
    """Without -v the endpoints' request log is raised to WARNING for the lab's life, then
    the level the process had before comes back (later commands and tests log as asked)."""
    sim_log.setLevel(logging.INFO)
    with EmbeddedLab(tmp_path):
        assert logging.WARNING == sim_log.level
    assert logging.INFO == sim_log.level
