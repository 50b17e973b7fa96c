"""``psrunbook --help`` stays light: the remoting and parsing stacks load only when used.

A correctness test, not a timing test: it checks which modules a fresh interpreter has
imported after printing the help, so a stray top-level import is caught on any machine.
"""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import REPO

HEAVY = ("pypsrp", "psrpcore", "lxml", "tree_sitter", "tree_sitter_powershell", "requests")

PROBE = """
import json, sys
sys.argv = ["psrunbook", *sys.argv[1:]]
from psrunbook.cli.app import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
sys.stdout.flush()
sys.stderr.write(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _modules_of(*arguments: str, env: dict[str, str] | None = None) -> tuple[int, set[str]]:
    """The exit code and every module (full names) a fresh interpreter imported."""
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, *arguments],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env=None if env is None else {**os.environ, **env},
    )
    report = json.loads(completed.stderr.strip().splitlines()[-1])
    return report["code"], set(report["modules"])


def _imported_by(*arguments: str) -> tuple[int, set[str]]:
    code, modules = _modules_of(*arguments)
    return code, {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("arguments", [("--help",), ("-h",), ()])
def test_help_imports_no_remoting_or_parser(arguments: tuple[str, ...]) -> None:
    """Printing the top-level help imports none of pypsrp, psrpcore, lxml or tree-sitter."""
    code, top_level = _imported_by(*arguments)
    assert code in (0, 2)  # no arguments prints the help and exits 2, as click does
    assert [] == sorted(top_level.intersection(HEAVY))


@pytest.mark.parametrize("arguments", [("--help",), ("list",), ("show", "ssis-clustered")])
def test_help_list_and_show_import_no_msgspec(arguments: tuple[str, ...], tmp_path: Path) -> None:
    """The records' library is for commands that run something: importing it (4-6 ms,
    13 modules) is not part of printing help or the runbooks, once their index is cached
    (docs/development.md, "Records")."""
    env = {"PSRUNBOOK_CACHE_DIR": str(tmp_path)}
    assert 0 == _modules_of(*arguments, env=env)[0]  # writes the index
    code, modules = _modules_of(*arguments, env=env)
    assert 0 == code
    assert [] == sorted(name for name in modules if name.split(".")[0] == "msgspec")


def test_probe_sees_imports() -> None:
    """The probe reports modules imported by the command (so an empty result means something)."""
    code, top_level = _imported_by("--help")
    assert 0 == code
    assert {"typer", "psrunbook"} <= top_level


PLANNER_PROBE = """
import sys
from pathlib import Path
import psrunbook.runbook.planner
from psrunbook.templates import TemplateLibrary
print("tree_sitter" in sys.modules)
TemplateLibrary().render(
    "ssis/set_service_automatic.ps1.j2",
    {"ServiceName": "S", "TimeoutSeconds": 1},
)
print("tree_sitter" in sys.modules)
"""


def test_planner_loads_tree_sitter_only_when_a_script_is_rendered() -> None:
    """Importing the planner (and the templates) leaves tree-sitter out until a first render."""
    completed = subprocess.run(
        [sys.executable, "-c", PLANNER_PROBE],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert ["False", "True"] == completed.stdout.split()


@pytest.mark.parametrize("arguments", [("list",), ("show", "ssis-clustered")])
def test_list_and_show_leave_logging_unloaded(arguments: tuple[str, ...]) -> None:
    """They log no event: without --log-file, structlog (and the rich traceback and pretty
    modules it imports) is never loaded (issue 16: a third of their start-up)."""
    code, top_level = _imported_by(*arguments)
    assert 0 == code
    assert "structlog" not in top_level


def test_list_with_a_log_file_still_configures_logging(tmp_path: Path) -> None:
    """--log-file keeps its meaning for every command: the file is opened (and checked)."""
    log = tmp_path / "events.log"
    code, top_level = _imported_by("--log-file", str(log), "list")
    assert 0 == code
    assert "structlog" in top_level
    assert log.exists()


PYDANTIC = ("pydantic", "pydantic_core", "annotated_types", "lxml")


def _runbook_or_pydantic(modules: set[str]) -> list[str]:
    return sorted(
        name
        for name in modules
        if name.startswith("psrunbook.runbooks.") or name.split(".")[0] in PYDANTIC
    )


@pytest.mark.parametrize(
    "arguments",
    [
        ("list",),
        ("list", "--json"),
        ("show", "ssis-clustered"),
        ("show", "--json", "cluster-report"),
    ],
)
def test_list_and_show_import_no_runbook_module_or_pydantic(
    arguments: tuple[str, ...], tmp_path: Path
) -> None:
    """With the built-in runbooks' index cached (the first command writes it), list and show
    import no runbook module, no pydantic and no lxml (issue 16: most of their start-up)."""
    env = {"PSRUNBOOK_CACHE_DIR": str(tmp_path)}
    code, first = _modules_of(*arguments, env=env)
    assert 0 == code
    assert "psrunbook.runbooks.ssis_clustered" in first  # the probe sees them when they load
    code, later = _modules_of(*arguments, env=env)
    assert 0 == code
    assert [] == _runbook_or_pydantic(later)


def test_global_option_values_need_no_pydantic(tmp_path: Path) -> None:
    """typer's pydantic coercion is built only for values that need converting: a count and
    a choice given on the command line need none (issue 16)."""
    env = {"PSRUNBOOK_CACHE_DIR": str(tmp_path)}
    arguments = ("-v", "-v", "--log-format", "json", "list")
    _modules_of(*arguments, env=env)
    code, modules = _modules_of(*arguments, env=env)
    assert 0 == code
    assert [] == _runbook_or_pydantic(modules)


def test_a_sim_run_loads_only_what_it_uses(tmp_path: Path) -> None:
    """``run --sim`` (Basic auth, no saved plan, console not a terminal) leaves out the
    saved-plan module and rich's traceback and pretty printers (structlog loads them when
    it can; psrunbook renders tracebacks itself, with rich, when there is one to show).

    Nor pyspnego, gssapi or ``cryptography.x509``: pypsrp's WSMan imports them for
    Negotiate and CredSSP, which a Basic session never uses
    (:mod:`psrunbook.transport.pypsrp_import`; the simulator's endpoint does not either
    over Basic: ``tests/unit/sim/endpoint/test_lazy_auth_imports.py``).
    """
    state = tmp_path / "state"
    code, modules = _modules_of(
        "run", "ssis-clustered", "--sim", "--yes", "--parallel", "2", "--state-dir", str(state)
    )
    assert 0 == code
    assert "psrunbook.sim.lab.embedded" in modules  # the probe saw the run
    unwanted = {"psrunbook.plan_file", "rich.traceback", "rich.pretty"}
    # No --bundle: the session hashes parameters with psrunbook.canonical_json, and the
    # bundle's manifest models and verifier stay unloaded (issue 16).
    unwanted |= {"psrunbook.bundle", "psrunbook.bundle_verifier"}
    unwanted |= {"spnego", "gssapi", "pypsrp.negotiate", "requests_credssp", "cryptography.x509"}
    # Only the runbook it runs: the other shipped runbooks' modules stay unloaded.
    others = ("cluster_report", "ssis_clustered_undo", "ssis_failover_drill", "ssis_standalone")
    unwanted |= {f"psrunbook.runbooks.{name}" for name in others}
    assert [] == sorted(unwanted & modules)
    # Its options (a --state-dir path, a --parallel typed as text, default limits) coerce
    # without typer's pydantic adapters, and no TypeAdapter is built (issue 16:
    # psrunbook.cli.coercion).
    assert [] == sorted({"typer._adapters", "pydantic.type_adapter"} & modules)


GC_PROBE = """
import gc, json, sys
sys.argv = ["psrunbook", "--version"]
from psrunbook.cli.app import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(gc.get_threshold()))
"""


def test_the_cli_collects_young_objects_less_often() -> None:
    """The console script raises the youngest generation's threshold: start-up allocates
    objects that live on, which the default of 700 made the collector sweep again and
    again; the older generations keep their thresholds."""
    done = subprocess.run(
        [sys.executable, "-c", GC_PROBE], capture_output=True, text=True, check=True, timeout=60
    )
    young, older, oldest = json.loads(done.stdout.strip().splitlines()[-1])
    assert young >= 50_000
    assert [older, oldest] == list(gc.get_threshold()[1:])


IMPORT_GC_PROBE = """
import gc, os, sys
def seen(phase, info):
    # Every collection once the application's import has begun, with the threshold then.
    if phase == "start" and "psrunbook.cli.app" in sys.modules:
        os.write(2, b"collected at %d\\n" % gc.get_threshold()[0])
gc.callbacks.append(seen)
sys.argv = ["psrunbook", "--version"]
from {module} import console_script
console_script()
"""


def _thresholds_while_importing(module: str) -> list[int]:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_GC_PROBE.format(module=module)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return [int(line.split()[-1]) for line in done.stderr.splitlines() if "collected at" in line]


def test_the_console_script_raises_the_threshold_before_importing_the_application() -> None:
    """``psrunbook.cli.entry`` raises it first, so importing typer and the commands is not
    swept every 700 allocations (about 26 collections, 6 ms of every command); the
    application's own ``console_script``, the oracle, shows the probe sees those sweeps."""
    oracle = _thresholds_while_importing("psrunbook.cli.app")
    assert any(threshold < 50_000 for threshold in oracle)
    entry = _thresholds_while_importing("psrunbook.cli.entry")
    assert all(threshold >= 50_000 for threshold in entry)


def test_the_installed_script_and_python_m_use_the_entry_module() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "psrunbook.cli.entry:console_script" == project["project"]["scripts"]["psrunbook"]
    main_module = (REPO / "psrunbook" / "__main__.py").read_text(encoding="utf-8")
    assert "from psrunbook.cli.entry import console_script" in main_module


def test_bundle_manifest_validators_are_built_on_first_use() -> None:
    """Commands that import psrunbook.bundle (``plan --out``, a fleet worker) may read no
    manifest: its models' validators are built when one is read (issue 16)."""
    probe = (
        "import json, psrunbook.bundle as b; "
        "print(json.dumps([m.__pydantic_complete__ for m in (b.Manifest, b.ManifestStep)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert [False, False] == json.loads(done.stdout.strip().splitlines()[-1])
