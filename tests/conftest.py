"""Shared fixtures: paths to the test runbooks, templates and inventories."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.postgres_server import PostgresServer, PostgresUnavailable, running_server

FIXTURES = Path(__file__).parent / "fixtures"
REPO = Path(__file__).parent.parent

# A shared journal named in the developer's shell must never receive the tests' runs:
# a test that wants one passes --journal (or the variable) itself.
os.environ.pop("PSRUNBOOK_JOURNAL", None)

# Property tests draw the same examples on every run (a seed per test, no example
# database), so the suite gives the same verdict on every machine and a red CI always
# means a change broke something. To search further, run with HYPOTHESIS_PROFILE=explore
# (fresh random examples each run) and keep what it finds as an @example.
settings.register_profile("deterministic", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False, database=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "deterministic"))

# A test run started in the background (``cmd &`` in a script, ``nohup``, some CI
# runners) inherits SIGINT or SIGHUP ignored, and so would every psrunbook process the
# tests start (an ignored signal stays ignored across exec), which then rightly ignores
# the interrupts the tests send it: the suite's children start as from a terminal.
for _signal in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    if signal.getsignal(_signal) is signal.SIG_IGN:
        _default = signal.default_int_handler if _signal is signal.SIGINT else signal.SIG_DFL
        signal.signal(_signal, _default)


@pytest.fixture(scope="session", autouse=True)
def bytecode_caches_for_children() -> None:
    """The ``psrunbook`` processes the tests start read and write ``__pycache__``, as a
    user's install does.

    An environment with ``PYTHONDONTWRITEBYTECODE=1`` (this project's development machines
    set it) makes every new interpreter compile every psrunbook module it imports from
    source: about 0.35 s of CPU in each ``run --sim`` process, and the suite starts
    hundreds. Only the children are affected (the variable is read at interpreter
    start-up), exactly as ``bench/cli_run.py`` runs its timed children; what a command
    does does not depend on where its code was compiled.
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


@pytest.fixture(scope="session", autouse=True)
def runbook_index_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in runbooks' index cache of this test process, not the developer's."""
    cache = tmp_path_factory.mktemp("cache")
    os.environ["PSRUNBOOK_CACHE_DIR"] = str(cache)
    return cache


@pytest.fixture(scope="session", autouse=True)
def default_state_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The per-user state directory a command uses when given none (``XDG_STATE_HOME``,
    which platformdirs reads) is this test process's, not the developer's: a test that
    runs a command without ``--state-dir`` must neither write into the developer's
    journal nor depend on what an older psrunbook left there."""
    home = tmp_path_factory.mktemp("state-home")
    os.environ.pop("PSRUNBOOK_STATE_DIR", None)
    os.environ["XDG_STATE_HOME"] = str(home)
    return home


@pytest.fixture
def user_runbooks() -> Path:
    return FIXTURES / "user_runbooks"


@pytest.fixture
def user_templates() -> Path:
    return FIXTURES / "user_templates"


@pytest.fixture
def example_inventory_path() -> Path:
    return REPO / "examples" / "inventory.toml"


# --------------------------------------------------------------------------- PostgreSQL
# A real server per test process (one per xdist worker), started on first use and stopped
# at the end of the session; each test gets its own fresh database. A machine without
# PostgreSQL FAILS these tests with what to install: nothing is skipped silently.


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    try:
        with running_server() as server:
            yield server
    except PostgresUnavailable as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A libpq URL (Unix socket, superuser) to a new, empty database of this test's own."""
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)
