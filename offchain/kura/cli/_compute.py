"""Connections shared by the compute command groups (``task``, ``compute``, ``node``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import typer
from eth_account.signers.local import LocalAccount

from kura.chain.client import Chain
from kura.chain.deployments import load
from kura.chain.node_registry import NodeRegistryClient
from kura.chain.task_market import TaskMarketClient
from kura.cli._context import connect
from kura.config import NetworkConfig
from kura.errors import ConfigError
from kura.ipfs.client import KuboClient

ACCOUNT = typer.Option(0, "--account", min=0, help="Index of the signing account of the network.")
IPFS_NODE = typer.Option(
    None, "--ipfs-node", min=0, help="Which of the network's IPFS APIs to use (default: account index modulo their number)."
)


@dataclass
class Session:
    """Everything a compute command talks to."""

    config: NetworkConfig
    chain: Chain
    market: TaskMarketClient
    registry: NodeRegistryClient
    account: LocalAccount
    ipfs: KuboClient


@contextmanager
def session(network: str | None, account: int, ipfs_node: int | None = None) -> Iterator[Session]:
    """Connect to the network's chain, its deployed contracts and one of its IPFS nodes.

    Raises:
        ConfigError: if the network lists no IPFS API or ``ipfs_node`` is out of range.
        NotDeployedError: if kura is not deployed on this chain.
    """
    config, chain = connect(network)
    deployment = load(chain)
    if not config.ipfs_apis:
        raise ConfigError(f"network {config.name!r} lists no IPFS API: set KURA_IPFS_APIS or start `kura devnet up`")
    index = account % len(config.ipfs_apis) if ipfs_node is None else ipfs_node
    if index >= len(config.ipfs_apis):
        raise ConfigError(f"--ipfs-node {index}: network {config.name!r} has {len(config.ipfs_apis)} IPFS APIs")
    with KuboClient(config.ipfs_apis[index], proxy=config.socks_proxy) as ipfs:
        yield Session(config, chain, TaskMarketClient(chain, deployment), NodeRegistryClient(chain, deployment),
                      chain.account(account), ipfs)


def to_wei(ether: str) -> int:
    """``"0.1"`` ether as wei.

    Raises:
        ConfigError: if it is not a non-negative decimal with at most 18 decimals.
    """
    try:
        value = Decimal(ether) * 10**18
    except InvalidOperation as exc:
        raise ConfigError(f"{ether!r} is not an amount of ether (write e.g. 0.05)") from exc
    if value < 0 or value != value.to_integral_value():
        raise ConfigError(f"{ether!r}: give a non-negative amount of ether with at most 18 decimals")
    return int(value)


def to_ether(wei: int) -> str:
    """Wei as a decimal ether string without trailing zeros."""
    text = f"{Decimal(wei) / 10**18:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
