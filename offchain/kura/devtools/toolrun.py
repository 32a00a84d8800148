"""Running the build tools that set-up drives (``go``, ``cargo``) and reporting their failures."""

from __future__ import annotations

import subprocess
from pathlib import Path

from kura.errors import SetupError

_TAIL_LINES = 15


def run_tool(argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None) -> str:
    """Run a build tool to completion and return its standard output.

    Raises:
        SetupError: if it exits non-zero, quoting the last lines it printed.
    """
    done = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = "\n".join((done.stderr or done.stdout).strip().splitlines()[-_TAIL_LINES:])
        raise SetupError(f"`{' '.join(argv[:3])} ...` failed (exit {done.returncode}):\n{last}")
    return done.stdout
