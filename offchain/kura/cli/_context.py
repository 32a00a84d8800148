"""Options and connections shared by the ``kura`` command groups."""

from __future__ import annotations

import typer

from kura.chain.client import Chain
from kura.config import NetworkConfig, resolve_network

NETWORK = typer.Option(
    None, "--network", envvar="KURA_NETWORK",
    help="Network to use: 'devnet' (default, the one `kura devnet up` started) or a name from kura.toml.",
)
JSON = typer.Option(False, "--json", help="Print machine-readable JSON.")


def connect(network: str | None) -> tuple[NetworkConfig, Chain]:
    """Resolve ``network`` and connect to its chain (one clear error if either fails)."""
    config = resolve_network(network)
    return config, Chain.connect(config)
