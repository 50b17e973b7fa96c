"""Starts one command from a small process and reports the command's own resource usage.

``python -I -S bench/launch.py REPORT COMMAND...`` runs COMMAND (stdin, stdout and
stderr inherited), then writes JSON to REPORT: wall seconds, the child's peak RSS and
CPU time from ``wait4``, its exit status, and ``floor_kib``, this launcher's own peak.

Why a launcher: Linux carries the old address space's high-water mark into
``ru_maxrss`` across ``exec``, and ``subprocess`` starts children with ``vfork``, so a
child of the benchmark process reported the *benchmark's* peak (a ``python -c pass``
child of a 300 MB parent read 313 MiB). This launcher starts the command with a real
``fork``, whose copy of the (small) launcher is what the command replaces at ``exec``:
the command's figure is then its own, at least the launcher's own peak (``floor_kib``,
about 10 MiB), far below anything psrunbook uses. Standalone on purpose:
run with ``-I -S`` it must not import the benchmarks, psrunbook or site-packages.
"""

import json
import os
import resource
import sys
import time
from pathlib import Path


def _own_peak_kib() -> int:
    """This process's own high-water mark (``VmHWM``: the current address space only).

    Not ``ru_maxrss``: that one carries the parent's mark, the very thing avoided here.
    """
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        sys.stderr.write("usage: python -I -S bench/launch.py REPORT COMMAND...\n")
        return 2
    report, command = argv[0], argv[1:]
    floor = _own_peak_kib()
    started = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: become COMMAND, or say why not
        try:
            os.execvp(command[0], command)
        except OSError as exc:
            sys.stderr.write(f"launch: cannot run {command[0]}: {exc}\n")
        os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    with Path(report).open("w", encoding="utf-8") as stream:
        json.dump(
            {
                "wall_s": wall,
                "peak_rss_kib": usage.ru_maxrss,  # KiB on Linux
                "cpu_s": usage.ru_utime + usage.ru_stime,
                "status": code,
                "floor_kib": floor,
            },
            stream,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
