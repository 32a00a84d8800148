"""The devnet's Ethereum node: Anvil from the npm package ``@foundry-rs/anvil``."""

from __future__ import annotations

from pathlib import Path

from kura.config import DEV_MNEMONIC
from kura.devnet.processes import LOOPBACK, ProcessRecord, ensure_free, is_listening, spawn, wait_until
from kura.errors import SetupError
from kura.paths import project_root

CHAIN_ID = 31337
ACCOUNTS = 30
BLOCK_TIME = 1.0
"""Seconds between the devnet's blocks when no transaction arrives. Audits draw their chunk from a later block's
hash and tasks draw their auditors the same way, so a chain that mined only on transactions would stall them
until somebody sent one; with mixed mining Anvil still mines every transaction at once."""
STATE_HISTORY = 512
"""Past states Anvil keeps (in memory), so the chain can be read as it stood up to this many blocks ago (kura replays
a reverted transaction one block back). Every block, receipt and log is kept whatever this is. By default Anvil
keeps every state and writes the old ones to disk at each block, which grows to gigabytes over a test session and
makes each block cost tens of milliseconds once the chain's state is large."""


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


def start_anvil(
    port: int, folder: Path, *, block_time: float | None = BLOCK_TIME, startup_timeout: float = 30.0
) -> ProcessRecord:
    """Start Anvil on ``127.0.0.1:port`` with kura's development accounts.

    Args:
        port: The RPC port.
        folder: Where its log and state cache go.
        block_time: Mine a block every this many seconds besides one per transaction (mixed mining), so the
            chain moves on its own; None mines only on transactions and on request (``anvil_mine``): for tests
            and benchmarks that drive the clock by hand.
        startup_timeout: Seconds to wait for it to answer.

    Raises:
        PortInUseError: if the port is taken.
        SetupError: if Anvil is not installed.
        DevnetError: if it does not come up.
    """
    ensure_free(port, "anvil")
    argv = [
        str(anvil_binary()),
        "--host",
        LOOPBACK,
        "--port",
        str(port),
        "--chain-id",
        str(CHAIN_ID),
        "--accounts",
        str(ACCOUNTS),
        "--mnemonic",
        DEV_MNEMONIC,
        # Whatever Anvil caches on disk stays in the devnet folder, which `down` deletes (not under ~/.foundry).
        "--cache-path",
        str(folder / "anvil-cache"),
        "--prune-history",
        str(STATE_HISTORY),
        "--silent",
    ]
    if block_time is not None:
        argv += ["--block-time", str(block_time), "--mixed-mining"]
    record = spawn("anvil", argv, log=folder / "anvil.log")
    wait_until(lambda: is_listening(port), timeout=startup_timeout, what="waiting for anvil", process=record)
    return record
