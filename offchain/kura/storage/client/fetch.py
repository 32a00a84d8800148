"""Fetch k verified shares of a file: fastest nodes first, falling back on failure.

Every share is streamed to a local file and checked while it arrives (by the
caller's check: header, hash, on-chain commitment) before it counts. Nodes that
do not answer, fail mid-transfer or serve bad data are reported by name and reason.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kura.errors import CodecError, IpfsError, NotEnoughSharesError
from kura.storage.client.placement import Placement
from kura.storage.shared.nodes import NodePool, Probe

_FETCHERS = ThreadPoolExecutor(max_workers=64, thread_name_prefix="kura-fetch")
"""Download threads, kept for the process (started only when none is idle), so a get starts none of its own."""


class StreamCheck(Protocol):
    """Checks one share as it arrives (:class:`kura.crypto.share.ShareVerifier` is one)."""

    def update(self, data: bytes) -> None:
        """Take the next bytes; may raise ``CodecError`` as soon as they show the share is wrong."""

    def finish(self) -> object:
        """Raise ``CodecError`` (e.g. ``ShareIntegrityError``) unless the bytes fed are the expected share."""


Verify = Callable[[Placement], StreamCheck]
"""Starts the check of the share a placement should hold."""


@dataclass
class FetchReport:
    """The verified share files, and what went wrong where."""

    shares: dict[int, Path] = field(default_factory=dict)
    bad_nodes: dict[str, str] = field(default_factory=dict)


def fetch_shares(
    placements: Sequence[Placement],
    k: int,
    pool: NodePool,
    folder: Path,
    verify: Verify,
    *,
    parallelism: int = 4,
    progress: Callable[[int], None] | None = None,
    probes: Sequence[Probe] | None = None,
) -> FetchReport:
    """Download and verify ``k`` shares into ``folder``.

    Args:
        placements: Where each share is.
        k: How many verified shares are needed.
        pool: Clients for the nodes.
        folder: Where the share files go.
        verify: Starts the check of each share as it arrives.
        parallelism: Downloads at once (at most ``k``).
        progress: Called with byte counts as shares arrive.
        probes: A probe of the pool made just now, to reuse instead of probing the holders again.

    Raises:
        NotEnoughSharesError: if fewer than ``k`` shares could be fetched and verified; the message
            names every node that failed and why.
    """
    report = FetchReport()
    holders = {p.node for p in placements}
    answered = pool.probe(holders) if probes is None else [probe for probe in probes if probe.node in holders]
    live = {probe.node.name: probe.latency for probe in answered}
    for placement in placements:
        if placement.node.name not in live:
            report.bad_nodes[placement.node.name] = "did not answer"
    queue = sorted((p for p in placements if p.node.name in live), key=lambda p: live[p.node.name])
    guard = threading.Lock()

    def next_candidate() -> Placement | None:
        with guard:
            if len(report.shares) >= k or not queue:
                return None
            return queue.pop(0)

    def worker() -> None:
        while (placement := next_candidate()) is not None:
            target = folder / f"share-{placement.index}"
            check = verify(placement)
            try:
                with open(target, "wb") as out:
                    for chunk in pool.client(placement.node).cat_stream(placement.cid, local_only=True):
                        check.update(chunk)
                        out.write(chunk)
                        if progress is not None:
                            progress(len(chunk))
                check.finish()
            except IpfsError as exc:
                target.unlink(missing_ok=True)
                with guard:
                    report.bad_nodes[placement.node.name] = f"no data for share {placement.index}: {exc}"
                continue
            except CodecError as exc:
                target.unlink(missing_ok=True)
                with guard:
                    report.bad_nodes[placement.node.name] = f"bad data for share {placement.index}: {exc}"
                continue
            with guard:
                if len(report.shares) < k:
                    report.shares[placement.index] = target
                else:
                    target.unlink(missing_ok=True)

    for future in [_FETCHERS.submit(worker) for _ in range(max(1, min(parallelism, k)))]:
        future.result()
    if len(report.shares) < k:
        problems = "; ".join(f"{name}: {why}" for name, why in sorted(report.bad_nodes.items())) or "no placements"
        raise NotEnoughSharesError(f"only {len(report.shares)} of the {k} shares needed could be fetched ({problems})")
    return report
