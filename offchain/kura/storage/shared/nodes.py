"""The storage nodes a client can use, and one pooled RPC client per node.

Until the on-chain node registry lists nodes, the set comes from the network
configuration (the devnet's Kubo nodes, or ``ipfs_apis`` in ``kura.toml``).
Every request to a node goes through the configured SOCKS5 proxy, if any.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Self

from kura.config import NetworkConfig
from kura.errors import IpfsError, StorageError
from kura.ipfs import KuboClient

ZERO_ADDRESS = "0x" + "00" * 20
"""The operator of a node that is not registered (configured by its API address only)."""
_PROBES = ThreadPoolExecutor(max_workers=16, thread_name_prefix="kura-probe")
"""Threads that probe nodes, kept for the process: starting threads for every probe costs more than the probe
on a busy machine."""


@dataclass(frozen=True)
class StorageNode:
    """One IPFS node that can hold shares.

    Attributes:
        name: A stable label for messages (``node-3``).
        api_url: Its Kubo RPC API address.
        operator: The node's address in the NodeRegistry (zero address when nodes come from the
            configuration rather than the registry).
    """

    name: str
    api_url: str
    operator: str = ZERO_ADDRESS


@dataclass(frozen=True)
class Probe:
    """A node that answered, and how fast."""

    node: StorageNode
    peer_id: str
    latency: float


def nodes_of(network: NetworkConfig) -> list[StorageNode]:
    """The storage nodes configured for ``network``.

    Raises:
        StorageError: if the network lists no IPFS nodes.
    """
    if not network.ipfs_apis:
        raise StorageError(
            f"network {network.name!r} lists no IPFS nodes: set ipfs_apis in kura.toml or KURA_IPFS_APIS"
        )
    return [StorageNode(f"node-{i + 1}", api) for i, api in enumerate(network.ipfs_apis)]


class NodePool:
    """Pooled clients for a set of storage nodes, all through the same (optional) proxy.

    Args:
        nodes: The nodes.
        proxy: SOCKS5 proxy URL (e.g. Tor's ``socks5://127.0.0.1:9050``), or None.
        timeout: Seconds per request.
    """

    def __init__(self, nodes: Sequence[StorageNode], *, proxy: str | None = None, timeout: float = 120.0) -> None:
        names = [node.name for node in nodes]
        if len(set(names)) != len(names):
            raise StorageError(f"storage node names must be unique, got {names}")
        self.nodes = list(nodes)
        self.proxy = proxy
        self._timeout = timeout
        self._clients: dict[str, KuboClient] = {}
        self._guard = threading.Lock()

    def client(self, node: StorageNode) -> KuboClient:
        """The (shared, thread-safe) client of ``node``."""
        with self._guard:
            if node.name not in self._clients:
                self._clients[node.name] = KuboClient(node.api_url, proxy=self.proxy, timeout=self._timeout)
            return self._clients[node.name]

    def by_api(self, api_url: str) -> StorageNode:
        """The configured node with this API address (or an ad-hoc one if it is not configured)."""
        for node in self.nodes:
            if node.api_url == api_url:
                return node
        return StorageNode(api_url, api_url)

    def probe(self, nodes: Iterable[StorageNode] | None = None, *, timeout: float = 5.0) -> list[Probe]:
        """Ask every node for its identity, concurrently; the ones that answered, fastest first."""
        candidates = list(self.nodes if nodes is None else nodes)
        if not candidates:
            return []

        def ping(node: StorageNode) -> Probe | None:
            started = time.monotonic()
            try:
                peer_id = self.client(node).id(timeout=timeout).peer_id
            except IpfsError:
                return None
            return Probe(node, peer_id, time.monotonic() - started)

        answered = [probe for probe in _PROBES.map(ping, candidates) if probe is not None]
        return sorted(answered, key=lambda probe: probe.latency)

    def close(self) -> None:
        """Close every pooled client."""
        with self._guard:
            for client in self._clients.values():
                client.close()
            self._clients.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
