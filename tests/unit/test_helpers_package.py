"""``tests`` is this project's helper package wherever pytest or a test's process starts, even with a foreign
top-level ``tests`` package on the path (pymultihash installs one into site-packages), and no benchmark or script
depends on it (they use the library's own helpers, ``kura.devnet.manager`` and ``kura.demo.private_state``, which
the session fixtures call too)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import tests

ROOT = Path(__file__).resolve().parents[2]
PROBE = """
import tests, tests.unit.market.make_consent_vectors as helper
assert not hasattr(tests, "FOREIGN"), tests.__file__
print(helper.__file__)
"""


@pytest.fixture
def foreign_tests(tmp_path: Path) -> dict[str, str]:
    """An environment whose PYTHONPATH starts with a folder holding a foreign top-level ``tests`` package."""
    shadow = tmp_path / "shadow" / "tests"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("FOREIGN = True\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow.parent), os.environ.get("PYTHONPATH", "")])}


def test_this_session_imports_the_projects_helpers() -> None:
    assert Path(tests.__file__).resolve() == ROOT / "tests" / "__init__.py"


def test_pytest_started_elsewhere_imports_the_projects_helpers(tmp_path: Path, foreign_tests: dict[str, str]) -> None:
    (tmp_path / "test_probe.py").write_text(f"def test_probe():\n    exec({PROBE!r})\n")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--rootdir",
            str(ROOT),
            "-c",
            str(ROOT / "pyproject.toml"),
            str(tmp_path / "test_probe.py"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=foreign_tests,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_tests_process_imports_the_projects_helpers(tmp_path: Path) -> None:
    shadow = tmp_path / "shadow" / "tests"  # a foreign `tests` behind the path the session set, as site-packages is
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("FOREIGN = True\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([os.environ["PYTHONPATH"], str(shadow.parent)])}
    done = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=tmp_path, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).is_relative_to(ROOT / "tests")


def test_the_foreign_package_would_win_without_the_checkout_first(
    tmp_path: Path, foreign_tests: dict[str, str]
) -> None:
    """The check can fail: a process with the foreign package ahead of the checkout gets the foreign one."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=foreign_tests,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0 and "FOREIGN" not in done.stdout


@pytest.mark.parametrize(
    "path", sorted([*ROOT.glob("benchmarks/*.py"), *ROOT.glob("scripts/*.py")]), ids=lambda p: p.name
)
def test_no_benchmark_or_script_imports_the_test_helpers(path: Path) -> None:
    nodes = list(ast.walk(ast.parse(path.read_text())))
    imported = {alias.name for node in nodes if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in nodes if isinstance(node, ast.ImportFrom)}
    assert not {name for name in imported if name == "tests" or name.startswith("tests.")}
