"""The Python sources are ruff-clean under the rules in pyproject.toml (``[tool.ruff.lint]``) and formatted by
``ruff format`` (``[tool.ruff]``: 120 columns).

The selection is pycodestyle (``E``, ``W``; lines of at most 120 characters), pyflakes (``F``), isort (``I``),
bugbear (``B``), pyupgrade (``UP``), comprehensions (``C4``), simplify (``SIM``), ruff's own rules (``RUF``) and
the stub rules (``PYI``). Each ignored rule has its reason beside it in pyproject.toml; a single line that keeps
a flagged form carries a ``noqa`` naming the rule.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED = ("offchain", "tests", "benchmarks", "scripts", "examples")
"""The folders of Python source: the package, its tests, benchmarks, scripts and examples."""


def ruff(command: str, *arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``ruff COMMAND`` (``check`` or ``format``) from the repository root with the project's configuration.

    Args:
        command: The ruff subcommand.
        arguments: paths, or further ruff options.
        stdin: source to read instead of files (pass ``--stdin-filename`` in ``arguments``).

    Returns:
        The finished process; for ``check --output-format concise`` its stdout lists one finding a line
        (``path:line:col: CODE message``).
    """
    return subprocess.run(
        [sys.executable, "-m", "ruff", command, "--no-cache", "--config", str(ROOT / "pyproject.toml"), *arguments],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def ruff_check(*arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """``ruff check`` with one finding a line (see :func:`ruff`)."""
    return ruff("check", "--output-format", "concise", *arguments, stdin=stdin)


def test_ruff_finds_nothing_in_the_python_sources() -> None:
    done = ruff_check(*CHECKED)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_python_sources_are_as_ruff_format_writes_them() -> None:
    done = ruff("format", "--check", *CHECKED)
    assert done.returncode == 0, f"run `ruff format`:\n{done.stdout}{done.stderr}"


def test_the_configuration_catches_unchecked_zips_late_bound_loop_variables_and_long_lines() -> None:
    probe = (
        '"""A module that breaks three of the rules."""\n\n\n'
        "def pairs(a: list[int], b: list[int]) -> list[tuple[int, int]]:\n"
        "    return list(zip(a, b))\n\n\n"
        "def late() -> list[object]:\n"
        "    return [lambda: i for i in range(3)]\n\n\n"
        f"LONG = {'x' * 120!r}\n"
    )
    done = ruff_check("--stdin-filename", "offchain/kura/probe.py", "-", stdin=probe)
    codes = {line.split()[1] for line in done.stdout.splitlines() if line.startswith("offchain/kura/probe.py:")}
    assert done.returncode == 1 and codes == {"B905", "B023", "E501"}, done.stdout + done.stderr
