"""Which chain and which IPFS nodes a kura command talks to.

A *network* names a chain RPC URL, the IPFS nodes' API addresses and where the
signing keys come from. Resolution order for each value:

1. environment: ``KURA_RPC_URL``, ``KURA_IPFS_APIS`` (comma-separated),
   ``KURA_PRIVATE_KEYS`` (comma-separated hex keys), ``KURA_SOCKS_PROXY``;
2. the named network in ``kura.toml`` (``[networks.<name>]`` with ``rpc_url``,
   ``ipfs_apis``, ``mnemonic`` or ``private_keys``, ``socks_proxy``), found in the
   project root or at ``KURA_CONFIG``;
3. the built-in ``devnet`` network: the endpoints recorded by ``kura devnet up``.

The network name comes from ``--network``, else ``KURA_NETWORK``, else ``devnet``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kura.devnet.anvil import DEV_MNEMONIC
from kura.devnet.manager import require_running
from kura.errors import ConfigError
from kura.paths import project_root

DEVNET = "devnet"


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
    path = project_root() / "kura.toml"
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
    state = require_running()
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
        DevnetError: if ``devnet`` is asked for and no healthy devnet runs.
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
