"""A wheel built from the repository, installed in a fresh virtual environment outside the checkout, connects to
a running devnet and stores and reads a file: the contract ABIs travel as package data, nothing reads the
checkout."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parents[2]
SCRIPT = """
import sys
import kura
with kura.connect(nodes="config") as k:
    stored = k.storage.put(sys.argv[1], k=2, n=3)
    k.storage.get(stored.file_id, sys.argv[2])
    print(stored.file_id.hex(), kura.__file__)
"""


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> str:
    done = subprocess.run(
        args, capture_output=True, text=True, cwd=cwd, timeout=timeout, env={**os.environ, **(env or {})}
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    return done.stdout


def test_a_wheel_installed_outside_the_checkout_stores_a_file(fresh_network: dict[str, str], tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(wheels), str(ROOT), cwd=tmp_path)
    [wheel] = wheels.glob("kura-*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", str(venv), cwd=tmp_path)
    python = venv / "bin" / "python"
    run(
        str(python),
        "-m",
        "pip",
        "install",
        "--quiet",
        "--no-compile",
        "--disable-pip-version-check",
        str(wheel),
        cwd=tmp_path,
    )

    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "note.txt").write_bytes(b"stored from a wheel\n" * 1000)
    env = {key: value for key, value in fresh_network.items() if key != "KURA_PROJECT"}
    env.pop("PYTHONPATH", None)
    printed = run(
        str(python),
        "-c",
        SCRIPT,
        "note.txt",
        "back.txt",
        cwd=outside,
        env={**env, "PYTHONPATH": "", "KURA_MERKLE_LIB": ""},
    )
    file_id, location = printed.split()
    assert len(bytes.fromhex(file_id)) == 32
    assert Path(location).is_relative_to(venv) and not Path(location).is_relative_to(ROOT)
    assert (outside / "back.txt").read_bytes() == (outside / "note.txt").read_bytes()
