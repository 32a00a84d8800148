"""One command's own wall time, CPU time and peak memory, for tests and benchmarks.

A forked child's peak resident size starts at its parent's (the pages it shares until ``exec`` count), and
``RUSAGE_CHILDREN`` keeps the largest of every child ever waited for. So a large parent, such as a pytest run
hundreds of tests in, cannot measure a command's memory directly. :func:`measure` starts the command from a
fresh, slim interpreter (this module run as a script, ~10 MB) that waits for it with ``wait4`` and reports that
one process's usage.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Measured:
    """A finished command: its exit code, output, wall and CPU seconds, and peak resident bytes."""

    returncode: int
    stdout: str
    stderr: str
    wall: float
    cpu: float
    peak_bytes: int


def measure(command: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float | None = None) -> Measured:
    """Run ``command`` to its end, its output captured, and measure that process alone.

    Raises:
        TimeoutError: if it runs longer than ``timeout`` seconds (it is killed, with anything it started).
    """
    with tempfile.TemporaryDirectory(prefix="kura-usage-") as folder:
        report = Path(folder) / "usage.json"
        launcher = subprocess.Popen(
            [sys.executable, "-I", __file__, str(report), *command],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=None if env is None else dict(env),
            start_new_session=True,
        )
        try:
            stdout, stderr = launcher.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(launcher.pid, signal.SIGKILL)
            launcher.communicate()
            raise TimeoutError(f"{' '.join(command)} still running after {timeout} s: killed") from None
        usage = json.loads(report.read_text())
    return Measured(launcher.returncode, stdout, stderr, usage["wall"], usage["cpu"], usage["peak_bytes"])


def _launch(report: Path, command: Sequence[str]) -> int:
    """Run ``command``, write its usage to ``report``, and return its exit code."""
    started = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    cpu = usage.ru_utime + usage.ru_stime
    report.write_text(json.dumps({"wall": wall, "cpu": cpu, "peak_bytes": usage.ru_maxrss * 1024}))
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(_launch(Path(sys.argv[1]), sys.argv[2:]))
