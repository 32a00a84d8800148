"""Put each of a file's n shares on a different storage node, concurrently.

Nodes are probed first; if fewer than n answer, nothing is uploaded. The nodes that do not answer are
named in the report, like the ones that fail mid-upload. Shares go to
a random choice of the live nodes (so placement reveals nothing about the file).
A node that fails mid-upload is replaced by a spare; if the spares run out, every
share already placed is unpinned again and the put fails as a whole.
"""

from __future__ import annotations

import queue
import random
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import IO, BinaryIO, TypeVar

from kura.errors import IpfsError, StorageError
from kura.storage.shared.nodes import NodePool, Probe, StorageNode

ByteProgress = Callable[[int], None]
T = TypeVar("T")
_STREAM_QUEUE = 8
_STREAMS = ThreadPoolExecutor(max_workers=4096, thread_name_prefix="kura-upload")
"""Upload threads, kept for the process. Every share of a put streams at once (the encoder feeds all n), so
the pool must never make a stream wait for a thread: threads are started only when none is idle, and 4096
covers sixteen puts at the largest n running at the same time."""
"""Writes buffered per live upload before the writer waits for the network (back-pressure)."""


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


class _Plan:
    """Which live node gets which share, the spares, and what failed so far (thread-safe)."""

    def __init__(self, count: int, pool: NodePool, exclude: set[str] | None, rng: random.Random | None) -> None:
        answered = pool.probe()
        live = [probe for probe in answered if probe.peer_id not in (exclude or set())]
        if len(live) < count:
            answering = ", ".join(probe.node.name for probe in live) or "none"
            raise StorageError(
                f"need {count} distinct live storage nodes but only {len(live)} answer ({answering}): "
                "start more nodes or choose a smaller n"
            )
        order = (rng or random.SystemRandom()).sample(live, len(live))
        self.assigned, self.spares = order[:count], order[count:]
        heard = {probe.node.name for probe in answered}
        self.failed: dict[str, str] = {
            node.name: f"did not answer ({node.api_url})" for node in pool.nodes if node.name not in heard
        }
        self.pool = pool
        self._guard = threading.Lock()

    def spare_for(self, index: int, probe: Probe, error: Exception) -> Probe:
        """Record that ``probe`` failed with share ``index`` and hand out a spare.

        Raises:
            StorageError: if no spare is left.
        """
        with self._guard:
            self.failed[probe.node.name] = str(error)
            if not self.spares:
                raise StorageError(
                    f"share {index} could not be placed: {probe.node.name} failed and no spare node is left"
                ) from error
            return self.spares.pop(0)

    def upload_file(self, index: int, path: Path, probe: Probe, progress: ByteProgress | None) -> Placement:
        """Upload a finished share file, moving to spares while nodes fail."""
        while True:
            try:
                with open(path, "rb") as raw:
                    cid = self.pool.client(probe.node).add(_CountingReader(raw, progress), pin=True)
                return Placement(index, probe.node, probe.peer_id, cid)
            except IpfsError as exc:
                probe = self.spare_for(index, probe, exc)


def _settle(plan: _Plan, outcomes: list[Callable[[], Placement]]) -> PlacementReport:
    """Collect every share's placement; on any failure unpin the placed ones and raise the first error."""
    placed: list[Placement] = []
    error: StorageError | None = None
    for outcome in outcomes:
        try:
            placed.append(outcome())
        except StorageError as exc:
            error = error or exc
    if error is not None:
        unpin(placed, plan.pool)
        raise error
    return PlacementReport(tuple(sorted(placed, key=lambda p: p.index)), plan.failed)


class _TeeSink:
    """A share sink that writes to its file and hands a copy of every write to a live upload."""

    def __init__(self, path: Path) -> None:
        self._file = open(path, "wb")  # noqa: SIM115 - closed by close()
        self.chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=_STREAM_QUEUE)

    def write(self, data: bytes | bytearray | memoryview) -> int:
        self._file.write(data)
        self.chunks.put(bytes(data))
        return len(data)

    def close(self) -> None:
        self._file.close()
        self.chunks.put(None)

    def drain(self) -> Iterator[bytes]:
        """The chunks written so far and to come, until the sink is closed."""
        return iter(self.chunks.get, None)


def place_while_writing(
    paths: Mapping[int, Path],
    write: Callable[[list[BinaryIO]], T],
    pool: NodePool,
    *,
    progress: ByteProgress | None = None,
    exclude: set[str] | None = None,
    rng: random.Random | None = None,
) -> tuple[T, PlacementReport]:
    """Upload every share to its own node *while* ``write`` produces the shares.

    ``write`` receives one sink per share (in index order) and writes the shares into them; each
    sink also keeps the share in ``paths[index]``, so a node that fails mid-stream is replaced by a
    spare that gets the finished file. Uploading overlaps encoding, so a put costs about the longer
    of the two instead of their sum.

    Returns:
        What ``write`` returned, and where each share went.

    Raises:
        StorageError: if fewer live nodes than shares answer (nothing is uploaded then), or nodes failed
            beyond the spares; nothing stays pinned when it is raised.
    """
    indices = sorted(paths)
    plan = _Plan(len(indices), pool, exclude, rng)
    sinks = {index: _TeeSink(paths[index]) for index in indices}

    def stream(index: int, probe: Probe) -> Placement:
        chunks = sinks[index].drain()
        counted = _counted(chunks, progress)
        try:
            return Placement(index, probe.node, probe.peer_id, plan.pool.client(probe.node).add_chunks(counted))
        except IpfsError as exc:
            for _ in chunks:
                pass
            return plan.upload_file(index, paths[index], plan.spare_for(index, probe, exc), progress)

    futures = [_STREAMS.submit(stream, index, plan.assigned[i]) for i, index in enumerate(indices)]
    try:
        result = write([sinks[index] for index in indices])  # type: ignore[misc]
    except BaseException:
        for sink in sinks.values():
            sink.close()
        unpin([f.result() for f in futures if f.exception() is None], pool)
        raise
    for sink in sinks.values():
        sink.close()
    return result, _settle(plan, [future.result for future in futures])


def _counted(chunks: Iterator[bytes], progress: ByteProgress | None) -> Iterator[bytes]:
    for chunk in chunks:
        if progress is not None:
            progress(len(chunk))
        yield chunk


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
