"""Put each of a file's n shares on a different storage node, concurrently.

Nodes are probed first; if fewer than n answer, nothing is uploaded. Shares go to
a random choice of the live nodes (so placement reveals nothing about the file).
A node that fails mid-upload is replaced by a spare; if the spares run out, every
share already placed is unpinned again and the put fails as a whole.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from kura.errors import IpfsError, StorageError
from kura.storage.nodes import NodePool, Probe, StorageNode

ByteProgress = Callable[[int], None]


@dataclass(frozen=True)
class Placement:
    """Where one share lives."""

    index: int
    node: StorageNode
    peer_id: str
    cid: str


@dataclass(frozen=True)
class PlacementReport:
    """The placements, and the nodes that failed on the way (name → reason)."""

    placements: tuple[Placement, ...]
    failed_nodes: dict[str, str]


class _CountingReader:
    """A file wrapper that reports bytes as the HTTP client reads them."""

    def __init__(self, raw: IO[bytes], progress: ByteProgress | None) -> None:
        self._raw = raw
        self._progress = progress

    def read(self, size: int = -1) -> bytes:
        chunk = self._raw.read(size)
        if self._progress is not None and chunk:
            self._progress(len(chunk))
        return chunk

    def __getattr__(self, name: str) -> object:
        return getattr(self._raw, name)


def place_shares(
    shares: Mapping[int, Path], pool: NodePool, *, parallelism: int = 4, progress: ByteProgress | None = None,
    exclude: set[str] | None = None, rng: random.Random | None = None,
) -> PlacementReport:
    """Upload and pin every share on its own node.

    Args:
        shares: Share index → file holding the share.
        pool: The storage nodes.
        parallelism: Uploads at once.
        progress: Called with byte counts as they are sent.
        exclude: Peer ids that must not receive a share (e.g. nodes already holding one of this file).
        rng: Source of the random placement (default: the OS's CSPRNG).

    Returns:
        Where each share went, and which nodes failed.

    Raises:
        StorageError: if fewer live nodes than shares exist (nothing is uploaded then), or too many
            nodes failed during the upload (everything uploaded is unpinned again).
    """
    live = [probe for probe in pool.probe() if probe.peer_id not in (exclude or set())]
    if len(live) < len(shares):
        answering = ", ".join(probe.node.name for probe in live) or "none"
        raise StorageError(
            f"need {len(shares)} distinct live storage nodes but only {len(live)} answer ({answering}): "
            "start more nodes or choose a smaller n"
        )
    order = (rng or random.SystemRandom()).sample(live, len(live))
    spares = order[len(shares):]
    failed: dict[str, str] = {}
    guard = threading.Lock()

    def upload(index: int, probe: Probe) -> Placement:
        while True:
            try:
                with open(shares[index], "rb") as raw:
                    cid = pool.client(probe.node).add(_CountingReader(raw, progress), pin=True)
                return Placement(index, probe.node, probe.peer_id, cid)
            except IpfsError as exc:
                with guard:
                    failed[probe.node.name] = str(exc)
                    if not spares:
                        raise StorageError(
                            f"share {index} could not be placed: {probe.node.name} failed and no spare node is left"
                        ) from exc
                    probe = spares.pop(0)

    placed: list[Placement] = []
    with ThreadPoolExecutor(max_workers=max(1, parallelism)) as workers:
        futures = [workers.submit(upload, index, order[i]) for i, index in enumerate(sorted(shares))]
        error: StorageError | None = None
        for future in futures:
            try:
                placed.append(future.result())
            except StorageError as exc:
                error = error or exc
    if error is not None:
        unpin(placed, pool)
        raise error
    return PlacementReport(tuple(sorted(placed, key=lambda p: p.index)), failed)


def unpin(placements: list[Placement] | tuple[Placement, ...], pool: NodePool) -> list[str]:
    """Unpin each placement from its node, best effort.

    Returns:
        Names of nodes that could not be reached (their pins stay until they come back).
    """
    unreachable = []
    for placement in placements:
        try:
            pool.client(placement.node).pin_rm(placement.cid)
        except IpfsError:
            unreachable.append(placement.node.name)
    return unreachable
