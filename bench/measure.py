"""Run one command and report its wall time and the peak RSS of its largest process.

Usage:  python measure.py [--timeout SECONDS] -- COMMAND [ARG ...]

Prints one JSON object on stdout:
    {"wall": seconds, "maxrss_kib": KiB, "returncode": int, "stdout": str, "stderr": str}

`getrusage(RUSAGE_CHILDREN).ru_maxrss` is the maximum RSS over every descendant that has been
waited for (a process pool's workers count once the pool joins them), never a sum, and never
reset.  That is why the benchmark starts a fresh copy of this wrapper for every measured run:
the wrapper itself waits for exactly one child, so the number belongs to that run alone.
"""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time

TAIL = 4000  # characters of the command's output kept in the report


def main(argv: list[str]) -> int:
    timeout: float | None = None
    if argv[:1] == ["--timeout"]:
        timeout = float(argv[1])
        argv = argv[2:]
    if argv[:1] == ["--"]:
        argv = argv[1:]
    if not argv:
        print("usage: measure.py [--timeout SECONDS] -- COMMAND [ARG ...]", file=sys.stderr)
        return 2
    started = time.perf_counter()
    process = subprocess.Popen(
        argv,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # so a timeout can stop the whole process group
    )
    try:
        out, err = process.communicate(timeout=timeout)
        returncode = process.returncode
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        returncode = -9
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = {
        "wall": wall,
        "maxrss_kib": usage.ru_maxrss,  # KiB on Linux
        "returncode": returncode,
        "timed_out": returncode == -9 and timeout is not None,
        "stdout": out.decode("utf-8", "replace")[-TAIL:],
        "stderr": err.decode("utf-8", "replace")[-TAIL:],
    }
    json.dump(report, sys.stdout, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
