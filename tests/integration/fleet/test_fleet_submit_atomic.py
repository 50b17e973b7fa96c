"""`submit` refuses every inventory before queueing any, and reads them as `run -i` does.

It queued a run for each good inventory before reaching a bad one (exit 2 with runs
queued), and read inventories whole whatever they were: a FIFO hung it, a file over the
1 MiB every other command allows was accepted. No worker here: the local journal and the
fleet file beside it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from psrunbook.fleet.location import FLEET_FILE
from psrunbook.input_files import MAX_INPUT_BYTES
from psrunbook.sim.lab.cluster_fleet import ClusterFleet
from tests.integration.conftest import Psrunbook
from tests.integration.fleet.harness import PASSWORD, PSRUNBOOK

ENV = {"PSRUNBOOK_SIM_PASSWORD": PASSWORD, "PSRUNBOOK_JOURNAL": ""}
STOP_WAITING_S = 60.0
"""A hung submit (a FIFO read) fails the test instead of hanging it."""


def _folder(tmp_path: Path, clusters: ClusterFleet, bad: str) -> Path:
    """A folder of inventories: the first cluster's (``a.toml``) and ``bad`` (``z.toml``)."""
    folder = tmp_path / "invs"
    folder.mkdir()
    first = clusters.clusters[0].inventory_path
    assert first is not None
    (folder / "a.toml").write_bytes(first.read_bytes())
    (folder / "z.toml").write_text(bad, encoding="utf-8")
    return folder


def _nothing_queued(psrunbook: Psrunbook) -> None:
    assert [] == psrunbook.runs()
    assert not (psrunbook.state_dir / FLEET_FILE).exists()


def test_one_bad_inventory_in_the_folder_queues_none(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path, tmp_path: Path
) -> None:
    """z.toml's unknown key is refused (exit 2, key named); a.toml's run is not queued."""
    second = clusters.clusters[1].inventory_path
    assert second is not None
    bad = second.read_text(encoding="utf-8").replace("[connection]", "[connection]\nbogus = 1")
    folder = _folder(tmp_path, clusters, bad)

    refused = psrunbook(
        "submit", "ssis-clustered", "--inventory-dir", str(folder),
        "--params-file", str(ssis_params), env=ENV, expect=2,
    )  # fmt: skip

    assert "z.toml: connection.bogus: unknown key" in refused.stderr
    assert "Traceback" not in refused.output
    assert "" == refused.stdout
    _nothing_queued(psrunbook)


def test_a_bad_second_inventory_queues_none(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path, tmp_path: Path
) -> None:
    """-i a.toml -i bad.toml: exit 2 naming bad.toml; the first run is not queued either."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[cluster]\n", encoding="utf-8")

    refused = psrunbook(
        "submit", "ssis-clustered", "-i", str(clusters.clusters[0].inventory_path),
        "-i", str(bad), "--params-file", str(ssis_params), env=ENV, expect=2,
    )  # fmt: skip

    assert f"{bad}: cluster.name: is required" in refused.stderr
    _nothing_queued(psrunbook)


def test_an_inventory_over_the_size_limit_is_refused_naming_the_limit(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path, tmp_path: Path
) -> None:
    """1.1 MB of valid TOML: refused as `run -i` refuses it, nothing queued."""
    big = tmp_path / "big.toml"
    first = clusters.clusters[0].inventory_path
    assert first is not None
    text = first.read_text(encoding="utf-8")
    big.write_text(text + "#" * (MAX_INPUT_BYTES + 100_000) + "\n", encoding="utf-8")

    refused = psrunbook(
        "submit", "ssis-clustered", "-i", str(big), "--params-file", str(ssis_params),
        env=ENV, expect=2,
    )  # fmt: skip

    assert f"more than the {MAX_INPUT_BYTES} bytes allowed" in refused.stderr
    assert str(big) in refused.stderr
    _nothing_queued(psrunbook)


def test_a_device_given_as_inventory_is_refused_naming_what_it_is(
    psrunbook: Psrunbook, ssis_params: Path
) -> None:
    """-i /dev/null: "is a character device", not an empty inventory's complaints."""
    refused = psrunbook(
        "submit", "ssis-clustered", "-i", os.devnull, "--params-file", str(ssis_params),
        env=ENV, expect=2,
    )  # fmt: skip

    assert "is a character device, not a regular file" in refused.stderr
    _nothing_queued(psrunbook)


def test_a_fifo_in_the_folder_is_refused_at_once(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path, tmp_path: Path
) -> None:
    """b.toml a FIFO nobody writes to: exit 2 naming it, no hang, nothing queued."""
    folder = _folder(tmp_path, clusters, "")
    (folder / "z.toml").unlink()
    os.mkfifo(folder / "b.toml")

    done = subprocess.run(
        [
            str(PSRUNBOOK), "submit", "ssis-clustered", "--inventory-dir", str(folder),
            "--params-file", str(ssis_params), "--state-dir", str(psrunbook.state_dir),
        ],
        env={**os.environ, **ENV},
        capture_output=True,
        text=True,
        timeout=STOP_WAITING_S,
        check=False,
    )  # fmt: skip

    assert 2 == done.returncode, done.stderr
    assert "b.toml: inventory is a FIFO (named pipe), not a regular file" in done.stderr
    _nothing_queued(psrunbook)


def test_one_cluster_given_twice_is_refused_and_queues_none(
    psrunbook: Psrunbook, clusters: ClusterFleet, ssis_params: Path, tmp_path: Path
) -> None:
    """A repeated -i (or a copy of an inventory under another name) would queue two runs
    that change the same cluster one after the other."""
    first = clusters.clusters[0].inventory_path
    assert first is not None
    copy = tmp_path / "copy.toml"
    copy.write_bytes(first.read_bytes())
    for second in (first, copy):
        refused = psrunbook(
            "submit", "ssis-clustered", "-i", str(first), "-i", str(second),
            "--params-file", str(ssis_params), env=ENV, expect=2,
        )  # fmt: skip
        assert "both name cluster" in refused.stderr
        assert "give each cluster once" in refused.stderr
        _nothing_queued(psrunbook)
