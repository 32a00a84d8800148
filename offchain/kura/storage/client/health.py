"""How healthy a stored file is, share by share: what the chain says and what the nodes answer.

A share is

* ``lost`` when the chain says so: its holder failed an audit of it, or is no longer
  an Active node (jailed, exiting, exited) — a repairer rebuilds it;
* ``challenged`` when an audit of it is open against its holder (who must answer before the deadline);
* ``unreachable`` when its node does not answer, or answers without the share (a repairer
  challenges such a share; the holder may come back before the deadline);
* ``healthy`` otherwise.

Shares on nodes that are not registered (``--nodes config``) have no on-chain state:
only the nodes' answers count for them.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from enum import Enum

from kura.chain.contracts import Contracts
from kura.errors import IpfsError, NotDeployedError
from kura.results import Result
from kura.storage.shared.manifest import ShareEntry
from kura.storage.shared.nodes import ZERO_ADDRESS, NodePool


class ShareState(str, Enum):
    """One share's health."""

    HEALTHY = "healthy"
    LOST = "lost"
    CHALLENGED = "challenged"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class ShareHealth(Result):
    """Where one share lives and how it is doing.

    Attributes:
        index: The share.
        node: Its holder's name (the operator address on registered nodes).
        cid: Where it is.
        state: Its health.
        detail: Why, in words (empty when healthy).
    """

    index: int
    node: str
    cid: str
    state: ShareState
    detail: str = ""


def share_health(
    contracts: Contracts, pool: NodePool, file_id: bytes, shares: Sequence[ShareEntry]
) -> list[ShareHealth]:
    """The health of each of ``shares`` of ``file_id``, in index order.

    Raises:
        ChainError: if the chain cannot be read.
    """
    answering = {probe.node.name for probe in pool.probe([pool.by_api(entry.api_url) for entry in shares])}

    def one(entry: ShareEntry) -> ShareHealth:
        def health(state: ShareState, detail: str = "") -> ShareHealth:
            return ShareHealth(entry.index, entry.node, entry.cid, state, detail)

        if entry.operator != ZERO_ADDRESS:
            verdict = _on_chain(contracts, file_id, entry)
            if verdict is not None:
                return health(*verdict)
        node = pool.by_api(entry.api_url)
        if node.name not in answering:
            return health(ShareState.UNREACHABLE, f"its node {entry.node} ({entry.api_url}) does not answer")
        try:
            held = pool.client(node).has_local(entry.cid)
        except IpfsError as exc:
            return health(ShareState.UNREACHABLE, str(exc))
        if not held:
            return health(ShareState.UNREACHABLE, f"its node {entry.node} no longer holds it")
        return health(ShareState.HEALTHY)

    with ThreadPoolExecutor(max_workers=max(1, min(8, len(shares)))) as workers:
        return sorted(workers.map(one, shares), key=lambda h: h.index)


def _on_chain(contracts: Contracts, file_id: bytes, entry: ShareEntry) -> tuple[ShareState, str] | None:
    """What the chain says of a share on a registered node, or None if it says nothing bad."""
    if not contracts.nodes.is_active(entry.operator):
        status = contracts.nodes.node_of(entry.operator).status.name.lower()
        return ShareState.LOST, f"its holder {entry.operator} is {status}, no longer an Active node"
    try:
        if contracts.audits.is_share_lost(file_id, entry.index, entry.operator):
            return ShareState.LOST, f"its holder {entry.operator} failed an audit of it"
        challenge = contracts.audits.open_challenge_of(file_id, entry.index)
        # A challenge of the share's former holder (opened before a repair moved it) is void: it does not count.
        if challenge and contracts.audits.challenge_of(challenge).node == entry.operator:
            return ShareState.CHALLENGED, f"challenge {challenge} is open (`kura audit status {challenge}`)"
    except NotDeployedError:
        return None
    return None
