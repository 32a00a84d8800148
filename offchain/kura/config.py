"""Which chain and which IPFS nodes a kura command talks to.

A *network* names a chain RPC URL, the IPFS nodes' API addresses and where the
signing keys come from. Resolution order for each value:

1. environment: ``KURA_RPC_URL``, ``KURA_IPFS_APIS`` (comma-separated),
   ``KURA_PRIVATE_KEYS`` (comma-separated hex keys), ``KURA_SOCKS_PROXY``;
2. the named network in ``kura.toml`` (``[networks.<name>]`` with ``rpc_url``,
   ``ipfs_apis``, ``mnemonic`` or ``private_keys``, ``socks_proxy``), found at ``KURA_CONFIG``, else in
   the project root (a checkout) or the working folder (an installed package);
3. the built-in ``devnet`` network: the endpoints recorded by ``kura devnet up``.

The network name comes from ``--network``, else ``KURA_NETWORK``, else ``devnet``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from kura.devnet.state import read_state
from kura.errors import ConfigError, DevnetError, SetupError
from kura.paths import project_root

DEVNET = "devnet"
DEV_MNEMONIC = "test test test test test test test test test test test junk"
"""The development mnemonic every devnet account derives from (Anvil's and Ganache's default; never for real funds)."""


@dataclass(frozen=True)
class NetworkConfig:
    """Endpoints and keys of one network.

    Attributes:
        name: The network's name.
        rpc_url: Ethereum JSON-RPC URL.
        ipfs_apis: Kubo RPC API addresses, one per storage node.
        mnemonic: BIP-39 mnemonic the signing accounts derive from (development chains only).
        private_keys: Explicit hex private keys; used instead of the mnemonic when given.
        socks_proxy: SOCKS5 proxy URL for all traffic to IPFS nodes (e.g. Tor), or None.
    """

    name: str
    rpc_url: str
    ipfs_apis: tuple[str, ...] = ()
    mnemonic: str | None = None
    private_keys: tuple[str, ...] = field(default=(), repr=False)
    socks_proxy: str | None = None


def _config_file() -> Path | None:
    configured = os.environ.get("KURA_CONFIG")
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise ConfigError(f"KURA_CONFIG points at {path}, which does not exist")
        return path
    try:
        path = project_root() / "kura.toml"
    except SetupError:
        path = Path.cwd() / "kura.toml"
    return path if path.is_file() else None


def _named_networks() -> dict[str, dict[str, Any]]:
    path = _config_file()
    if path is None:
        return {}
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    networks = data.get("networks", {})
    if not isinstance(networks, dict):
        raise ConfigError(f"{path}: [networks] must be a table of tables")
    return networks


def _devnet_network() -> dict[str, Any]:
    state = read_state()
    if state is None:
        raise DevnetError("no devnet is recorded here: start one with `kura devnet up` (or pick another --network)")
    return {
        "rpc_url": state.chain.rpc_url,
        "ipfs_apis": [node.api_url for node in state.kubo],
        "mnemonic": DEV_MNEMONIC,
    }


def _split(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in value.split(",") if part.strip())


def resolve_network(name: str | None = None) -> NetworkConfig:
    """The configuration of network ``name`` (or the default one), with environment overrides.

    Raises:
        ConfigError: for an unknown network name or a network without an RPC URL.
        DevnetError: if ``devnet`` is asked for and none is recorded (whether its processes answer is
            found out when they are used).
    """
    name = name or os.environ.get("KURA_NETWORK") or DEVNET
    named = _named_networks()
    env_rpc = os.environ.get("KURA_RPC_URL")
    if name in named:
        base: dict[str, Any] = dict(named[name])
    elif name == DEVNET:
        base = {} if env_rpc else _devnet_network()
    else:
        known = ", ".join(sorted({DEVNET, *named}))
        raise ConfigError(f"unknown network {name!r}: known networks are {known} (define others in kura.toml)")
    if env_rpc:
        base["rpc_url"] = env_rpc
    if os.environ.get("KURA_IPFS_APIS"):
        base["ipfs_apis"] = _split(os.environ["KURA_IPFS_APIS"])
    if os.environ.get("KURA_PRIVATE_KEYS"):
        base["private_keys"] = _split(os.environ["KURA_PRIVATE_KEYS"])
    if os.environ.get("KURA_SOCKS_PROXY"):
        base["socks_proxy"] = os.environ["KURA_SOCKS_PROXY"]
    if not base.get("rpc_url"):
        raise ConfigError(f"network {name!r} has no rpc_url: set it in kura.toml or KURA_RPC_URL")
    return NetworkConfig(
        name=name,
        rpc_url=str(base["rpc_url"]),
        ipfs_apis=tuple(base.get("ipfs_apis", ())),
        mnemonic=base.get("mnemonic"),
        private_keys=tuple(base.get("private_keys", ())),
        socks_proxy=base.get("socks_proxy"),
    )


class NodeSource(str, Enum):
    """Where storage operations take their nodes from."""

    AUTO = "auto"
    """The NodeRegistry's active nodes as soon as any is registered, else the configured IPFS APIs."""
    REGISTRY = "registry"
    """Only the NodeRegistry's active nodes."""
    CONFIG = "config"
    """Only the network's configured IPFS APIs."""

    @classmethod
    def parse(cls, value: str | NodeSource) -> NodeSource:
        """``value`` as a node source.

        Raises:
            ConfigError: if it names none.
        """
        try:
            return cls(value)
        except ValueError:
            raise ConfigError(f"nodes={value!r}: choose one of {', '.join(s.value for s in cls)}") from None
