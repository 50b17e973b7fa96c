"""``python -m bench.ab``'s render + lint comparison: the probe another install runs, and
how that install's interpreter is found."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench import ab
from bench.cli_run import ChildRun
from bench.common import script_path
from bench.render_lint_probe import PROBE_KEYS


def _probe(*arguments: str) -> dict[str, object]:
    completed = subprocess.run(
        [sys.executable, str(ab.PROBE), "--seconds", "0.01", *arguments],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(ab.PROBE).parent.parent,
    )
    report: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


def test_the_probe_reports_this_install_and_lints_the_texts_it_is_given(tmp_path: Path) -> None:
    texts = tmp_path / "texts.json"
    written = _probe("--texts-out", str(texts))
    assert written["layout"] == "psrunbook" and written["step_rules"] is True
    distinct = json.loads(texts.read_text(encoding="utf-8"))
    assert len(distinct) == written["distinct_texts"] == len(set(distinct)) > 1
    assert "lint_same_texts_per_s" not in written
    read = _probe("--texts-in", str(texts))
    assert set(read) == set(PROBE_KEYS) | {"lint_same_texts_per_s"}
    assert float(str(read["lint_same_texts_per_s"])) > 0
    assert float(str(read["render_lint_uncached_per_s"])) > 0


def test_the_other_install_runs_on_the_python_its_script_names(tmp_path: Path) -> None:
    script = tmp_path / "bin" / "psrunbook"
    script.parent.mkdir()
    script.write_text("#!/opt/other/bin/python3.11 -I\nimport sys\n", encoding="utf-8")
    assert ab.interpreter_of(str(script)) == "/opt/other/bin/python3.11"


@pytest.mark.parametrize("content", ["#!/bin/sh\nexec python -m psrunbook\n", "binary\n"])
def test_a_script_without_a_python_line_runs_on_the_python_beside_it(
    tmp_path: Path, content: str
) -> None:
    script = tmp_path / "bin" / "psrunbook"
    script.parent.mkdir()
    script.write_text(content, encoding="utf-8")
    assert ab.interpreter_of(str(script)) == str(tmp_path / "bin" / "python")


def test_an_unknown_section_is_refused_by_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        ab.main(["psrunbook", "--sections", "render-lint,lint"])
    assert exited.value.code == 2
    assert "--sections: lint unknown" in capsys.readouterr().err


def test_the_entry_a_pip_script_calls_is_read_from_its_import_line(tmp_path: Path) -> None:
    script = tmp_path / "psrunbook"
    script.write_text(
        "#!/opt/v/bin/python3\n# -*- coding: utf-8 -*-\nimport re\nimport sys\n"
        "from engine.cli.app import main\nif __name__ == '__main__':\n    sys.exit(main())\n",
        encoding="utf-8",
    )
    assert ab.entry_of(str(script)) == "engine.cli.app:main"
    script.write_text("#!/bin/sh\nexec psrunbook\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="no 'from MODULE import FUNCTION' line"):
        ab.entry_of(str(script))


def test_a_fresh_run_is_timed_after_everything_it_imports_is_loaded(tmp_path: Path) -> None:
    """The module list is what the run imported; the timed run is a whole run (its lab
    and journal written) started with all of it loaded."""
    entry = "psrunbook.cli.entry:console_script"
    modules = tmp_path / "modules.txt"
    ab.imported_modules(sys.executable, entry, tmp_path / "listing", modules)
    names = modules.read_text(encoding="utf-8").split()
    # pypsrp and the runbooks are loaded through importlib.import_module: listed too.
    assert {"psrunbook.cli.app", "pypsrp.powershell", "psrunbook.runbooks.ssis_clustered"} <= set(
        names
    )
    state = tmp_path / "timed"
    wall, cpu = ab.after_imports(sys.executable, modules, entry, state)
    assert wall > 0 and cpu > 0
    assert (state / "journal.sqlite3").is_file() and (state / "sim").is_dir()


def test_the_read_only_runbook_is_timed_on_a_fresh_lab_of_its_own_each_round(
    tmp_path: Path,
) -> None:
    """The engine-only comparison runs ``cluster-report`` to its end on a new lab, and
    its ratio is after over before."""
    command = dict(ab.COMMANDS)[ab.READ_ONLY_RUN]
    clients = {"after": script_path("psrunbook")}
    results = ab._rounds(clients, 1, [(ab.READ_ONLY_RUN, command)], tmp_path)
    (run,) = results[("after", ab.READ_ONLY_RUN)]
    assert run.status == 0, run.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["after-fresh-0-0", "after-fresh-1-0"]
    for fresh in tmp_path.iterdir():
        assert (fresh / "journal.sqlite3").is_file() and (fresh / "sim").is_dir()


def _took(seconds: float) -> ChildRun:
    return ChildRun(wall_s=seconds, peak_rss_mb=1.0, cpu_s=seconds, status=0, output="")


def test_a_wall_ratio_is_the_after_median_over_the_before_median() -> None:
    results = {
        ("before", ab.FULL_RUN): [_took(0.9), _took(1.0), _took(5.0)],
        ("after", ab.FULL_RUN): [_took(0.4), _took(0.5), _took(0.3)],
    }
    assert ab._wall_ratio(results, ab.FULL_RUN) == pytest.approx(0.4)
