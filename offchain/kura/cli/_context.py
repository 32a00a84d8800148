"""Options shared by the ``kura`` command groups, and the one way a command connects: :func:`session`.

Commands import the API inside their bodies, so ``kura --help`` and every ``--help`` load no chain or
IPFS code; this module imports typer alone.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Literal

import typer

if TYPE_CHECKING:
    from kura.api.session import Kura
    from kura.chain.light import LightReader
    from kura.config import NetworkConfig

NETWORK = typer.Option(
    None,
    "--network",
    envvar="KURA_NETWORK",
    help="Network to use: 'devnet' (default, the one `kura devnet up` started) or a name from kura.toml.",
)
ACCOUNT = typer.Option(0, "--account", min=0, help="Index of the signing account among the network's keys.")
JSON = typer.Option(False, "--json", help="Print one machine-readable JSON document on stdout.")
NodeChoice = Literal["auto", "registry", "config"]
"""The values of :class:`kura.config.NodeSource`, spelt out: importing ``kura.config`` loads httpx (through the
devnet state), which no ``--help`` needs (``tests/unit/cli`` holds the two equal)."""
NODES = typer.Option(
    "auto",
    "--nodes",
    help="Storage nodes: the NodeRegistry's active ones, the network's configured IPFS APIs, or auto "
    "(the registry's as soon as any node is registered, else the configured ones).",
)


@contextmanager
def session(network: str | None, account: int = 0, nodes: str = "auto") -> Iterator[Kura]:
    """``kura.connect(network, account, nodes)``, closed when the command ends.

    Raises:
        KuraError: whatever :func:`kura.connect` raises (unknown network or account, no node, not deployed).
    """
    from kura.api.session import connect

    with connect(network, account, nodes) as kura:
        yield kura


@contextmanager
def reading(network: str | None) -> Iterator[tuple[NetworkConfig, LightReader]]:
    """The network and a :class:`~kura.chain.light.LightReader` on its RPC, for commands that only read: no web3
    is loaded (``kura store ls``, ``kura contracts``).

    Raises:
        ConfigError: unknown network, or one without an RPC URL.
        DevnetError: the devnet is asked for and none is recorded.
    """
    from kura.chain.light import LightReader
    from kura.config import resolve_network

    config = resolve_network(network)
    reader = LightReader(config.rpc_url)
    try:
        yield config, reader
    finally:
        reader.close()
