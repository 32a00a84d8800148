"""Building the native Merkle kernel (the Rust crate in ``offchain/native``) with cargo."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from kura.crypto.merkle_native import LIBRARY
from kura.devtools.toolrun import run_tool
from kura.errors import SetupError
from kura.paths import native_build_dir, project_root


def crate_dir() -> Path:
    """The Rust crate's folder (``offchain/native``)."""
    return project_root() / "offchain" / "native"


def build(log: Callable[[str], None] = print) -> Path:
    """Build the crate with ``cargo`` (a no-op in a second when nothing changed) and return the library.

    Raises:
        SetupError: if cargo is missing or the build fails (with cargo's last lines).
    """
    cargo = shutil.which("cargo")
    if cargo is None:
        raise SetupError("cargo is needed to build kura's native Merkle kernel and is not on PATH: install Rust")
    target = native_build_dir()
    log("building the native Merkle kernel (offchain/native) with cargo")
    run_tool(
        [
            cargo,
            "build",
            "--release",
            "--locked",
            "--quiet",
            "--manifest-path",
            str(crate_dir() / "Cargo.toml"),
            "--target-dir",
            str(target),
        ]
    )
    return target / "release" / LIBRARY
