"""The devnet's Ethereum node: Anvil from the npm package ``@foundry-rs/anvil``."""

from __future__ import annotations

from pathlib import Path

from kura.devnet.processes import LOOPBACK, ProcessRecord, ensure_free, is_listening, spawn, wait_until
from kura.errors import SetupError
from kura.paths import project_root

CHAIN_ID = 31337
ACCOUNTS = 30
DEV_MNEMONIC = "test test test test test test test test test test test junk"
"""Anvil's (and Hardhat's) well-known development mnemonic: its keys guard nothing of value."""


def anvil_binary() -> Path:
    """The native Anvil executable that ``@foundry-rs/anvil`` installed for this platform.

    ``node_modules/.bin/anvil`` is a Node launcher; kura runs the native binary behind it so the
    PID it records is Anvil's own.

    Raises:
        SetupError: if the package is not installed.
    """
    candidates = sorted((project_root() / "node_modules" / "@foundry-rs").glob("anvil-*/bin/anvil"))
    if not candidates:
        raise SetupError("Anvil is not installed (node_modules/@foundry-rs/anvil-*): run `make setup`")
    return candidates[0]


def start_anvil(port: int, folder: Path, *, startup_timeout: float = 30.0) -> ProcessRecord:
    """Start Anvil on ``127.0.0.1:port`` with kura's development accounts.

    Raises:
        PortInUseError: if the port is taken.
        SetupError: if Anvil is not installed.
        DevnetError: if it does not come up.
    """
    ensure_free(port, "anvil")
    argv = [
        str(anvil_binary()),
        "--host", LOOPBACK,
        "--port", str(port),
        "--chain-id", str(CHAIN_ID),
        "--accounts", str(ACCOUNTS),
        "--mnemonic", DEV_MNEMONIC,
        # Anvil persists old states to disk (gigabytes over a test session) under ~/.foundry by default,
        # and never removes them: keep them in the devnet folder, which `down` deletes.
        "--cache-path", str(folder / "anvil-cache"),
        "--silent",
    ]
    record = spawn("anvil", argv, log=folder / "anvil.log")
    wait_until(lambda: is_listening(port), timeout=startup_timeout, what="waiting for anvil", process=record)
    return record
