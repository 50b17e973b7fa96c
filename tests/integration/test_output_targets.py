"""Files an operator names with ``-o``: checked before anything runs, never a special file.

``plan -o``, ``runs report -o``, ``sim serve --inventory-out`` and ``export -o`` refuse a
directory, a symbolic link, a FIFO, a socket or a device (and a path whose folder is
missing) with exit 2 naming the option and the fix; ``plan -o`` does so before the plan
runs or is journaled. The special files are made under ``tmp_path``, never in ``/dev``.
"""

from __future__ import annotations

import json
import os
import socket
import stat
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from psrunbook.errors import UserError
from psrunbook.sim.lab.serve import ServeOptions, serve
from tests.integration.conftest import EXAMPLES, Psrunbook

pytestmark = pytest.mark.integration


def _fifo(folder: Path) -> Path:
    path = folder / "fifo"
    os.mkfifo(path)
    return path


def _symlink(folder: Path) -> Path:
    (folder / "reviewed.json").write_text("keep me\n", encoding="utf-8")
    path = folder / "link.json"
    path.symlink_to(folder / "reviewed.json")
    return path


def _directory(folder: Path) -> Path:
    path = folder / "plans"
    path.mkdir()
    return path


def _missing_folder(folder: Path) -> Path:
    return folder / "no-such-folder" / "plan.json"


def _char_device(folder: Path) -> Path:
    """A character device like /dev/full (1, 7), made under ``folder``."""
    path = folder / "full"
    try:
        os.mknod(path, 0o600 | stat.S_IFCHR, os.makedev(1, 7))
    except PermissionError:
        pytest.skip("making a device node needs CAP_MKNOD (root)")
    return path


@pytest.fixture
def unix_socket(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "sock"
    with socket.socket(socket.AF_UNIX) as bound:
        bound.bind(str(path))
        yield path


def _kind(path: Path) -> str:
    """What is at ``path`` now, without following a link."""
    if not os.path.lexists(path):
        return "missing"
    mode = path.lstat().st_mode
    kinds = {
        stat.S_ISLNK: "link",
        stat.S_ISDIR: "dir",
        stat.S_ISFIFO: "fifo",
        stat.S_ISSOCK: "socket",
        stat.S_ISCHR: "chardev",
    }
    return next((name for test, name in kinds.items() if test(mode)), "file")


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (_fifo, "is a FIFO (named pipe), not a regular file"),
        (_symlink, "is a symbolic link"),
        (_directory, "is a directory"),
        (_missing_folder, "no-such-folder does not exist; create it first"),
        (_char_device, "is a character device, not a regular file"),
    ],
    ids=["fifo", "symlink", "directory", "missing-folder", "char-device"],
)
def test_plan_output_that_is_not_a_file_is_refused_before_planning(
    psrunbook: Psrunbook, tmp_path: Path, make: Callable[[Path], Path], reason: str
) -> None:
    """plan -o onto a special file or into a missing folder: exit 2, nothing planned."""
    target = make(tmp_path)
    before = _kind(target)
    refused = psrunbook("plan", "cluster-report", "--sim", "-o", str(target), expect=2)
    assert f"--output {target}: " in refused.stderr
    assert reason in refused.stderr
    assert "nothing was planned" in refused.stderr
    assert before == _kind(target)
    assert [] == psrunbook.runs()
    assert not (psrunbook.state_dir / "sim").exists()


def test_plan_output_onto_a_socket_is_refused(psrunbook: Psrunbook, unix_socket: Path) -> None:
    """A socket is never replaced by the plan file."""
    refused = psrunbook("plan", "cluster-report", "--sim", "-o", str(unix_socket), expect=2)
    assert "is a socket, not a regular file" in refused.stderr
    assert ("socket", []) == (_kind(unix_socket), psrunbook.runs())


def test_plan_output_through_a_link_leaves_the_linked_file(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """The file a link points to is neither written through nor replaced by the link's."""
    link = _symlink(tmp_path)
    psrunbook("plan", "cluster-report", "--sim", "-o", str(link), expect=2)
    assert ("link", "keep me\n") == (_kind(link), (tmp_path / "reviewed.json").read_text())


def test_plan_output_replaces_a_regular_file_and_keeps_its_mode(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """An existing regular file is replaced whole; its permission bits stay."""
    target = tmp_path / "plan.json"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    psrunbook("plan", "cluster-report", "--sim", "-o", str(target))
    assert "psrunbook-plan/1" == json.loads(target.read_text(encoding="utf-8"))["format"]
    assert 0o640 == stat.S_IMODE(target.stat().st_mode)
    assert [target.name] == [p.name for p in tmp_path.iterdir() if p.name != "state"]


def test_runs_report_output_through_a_link_is_refused(psrunbook: Psrunbook, tmp_path: Path) -> None:
    """runs report -o never writes through a link to another file."""
    psrunbook("plan", "cluster-report", "--sim")
    link = _symlink(tmp_path)
    refused = psrunbook("runs", "report", "last", "-o", str(link), expect=2)
    assert f"--output {link}: is a symbolic link" in refused.stderr
    assert "keep me\n" == (tmp_path / "reviewed.json").read_text(encoding="utf-8")


def test_runs_report_output_is_written_whole(psrunbook: Psrunbook, tmp_path: Path) -> None:
    """runs report -o FILE writes the report to a new file."""
    psrunbook("plan", "cluster-report", "--sim")
    report = tmp_path / "report.md"
    psrunbook("runs", "report", "last", "-o", str(report))
    assert "cluster-report" in report.read_text(encoding="utf-8")


def test_sim_serve_inventory_out_in_a_missing_folder_is_refused(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """sim serve --inventory-out into a missing folder: exit 2 naming it, nothing served."""
    target = tmp_path / "no-such-folder" / "inventory.toml"
    refused = psrunbook("sim", "serve", "--inventory-out", str(target), expect=2)
    assert f"--inventory-out {target}: its folder {target.parent} does not exist" in refused.stderr
    assert "nothing was served" in refused.stderr


def test_sim_serve_inventory_out_through_a_link_is_refused(tmp_path: Path) -> None:
    """serve() refuses a link as --inventory-out before a port is opened."""
    link = _symlink(tmp_path)
    stop = threading.Event()
    stop.set()  # were it served, it would stop at once
    with pytest.raises(UserError) as refused:
        serve(ServeOptions(nodes=1, inventory_out=link), password="pw", echo=print, stop=stop)
    assert f"--inventory-out {link}: is a symbolic link" in str(refused.value)
    assert "keep me\n" == (tmp_path / "reviewed.json").read_text(encoding="utf-8")


def test_sim_serve_port_base_past_the_last_port_is_refused(psrunbook: Psrunbook) -> None:
    """--port-base 65535 with 2 nodes would need port 65536: exit 2 naming the range."""
    refused = psrunbook("sim", "serve", "--port-base", "65535", "--nodes", "2", expect=2)
    assert "ports 65535..65536, but TCP ports end at 65535" in refused.stderr
    assert "give --port-base from 1 to 65534" in refused.stderr


def test_export_output_that_is_a_link_is_refused(psrunbook: Psrunbook, tmp_path: Path) -> None:
    """export -o onto a link to an empty folder: refused, nothing written through it."""
    empty = tmp_path / "empty"
    empty.mkdir()
    link = tmp_path / "bundle"
    link.symlink_to(empty)
    refused = psrunbook(
        *("export", "cluster-report", "-i", str(EXAMPLES / "inventory.toml"), "-o", str(link)),
        expect=2,
    )
    assert f"--output {link} is a symbolic link" in refused.stderr
    assert ([], "link") == (list(empty.iterdir()), _kind(link))


def test_sim_serve_state_in_a_missing_folder_is_refused_before_serving(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """--state is saved on exit: a folder that is missing is refused now, not after serving."""
    target = tmp_path / "no-such-folder" / "lab.json"
    refused = psrunbook("sim", "serve", "--state", str(target), expect=2)
    assert f"--state {target}: its folder {target.parent} does not exist" in refused.stderr
    assert "nothing was served" in refused.stderr
    assert "listening" not in refused.stdout


def test_sim_serve_state_through_a_link_is_refused(tmp_path: Path) -> None:
    """serve() refuses a link as --state before a port is opened; the linked file stays."""
    link = _symlink(tmp_path)
    stop = threading.Event()
    stop.set()  # were it served, it would stop at once
    with pytest.raises(UserError) as refused:
        serve(ServeOptions(nodes=1, state_file=link), password="pw", echo=print, stop=stop)
    assert f"--state {link}: is a symbolic link" in str(refused.value)
    assert "keep me\n" == (tmp_path / "reviewed.json").read_text(encoding="utf-8")


def test_sim_serve_state_is_saved_whole_and_loaded_by_the_next_serve(tmp_path: Path) -> None:
    """The state written on exit is the lab the next serve loads (its node count, not -n's)."""
    from psrunbook.sim.lab.lab_files import restore  # noqa: PLC0415 (simulator only)

    state = tmp_path / "lab.json"
    stop = threading.Event()
    stop.set()
    said: list[str] = []
    serve(ServeOptions(nodes=3, state_file=state), password="pw", echo=said.append, stop=stop)
    assert f"lab state saved to {state}" in said
    assert ["NODE1", "NODE2", "NODE3"] == sorted(n.name for n in restore(state).nodes.values())
    assert [] == [p.name for p in tmp_path.iterdir() if p.name.startswith(".psrunbook-")]
    said.clear()
    serve(ServeOptions(nodes=1, state_file=state), password="pw", echo=said.append, stop=stop)
    assert 3 == sum("listening on" in line for line in said)


def test_sim_serve_protocol_only_refuses_a_state_it_would_not_keep(
    psrunbook: Psrunbook, tmp_path: Path
) -> None:
    """--protocol-only has no cluster to load or save: --state beside it is refused, unwritten."""
    state = tmp_path / "lab.json"
    refused = psrunbook("sim", "serve", "--protocol-only", "--state", str(state), expect=2)
    assert "--protocol-only serves no cluster: leave out --state" in refused.stderr
    assert not state.exists()
