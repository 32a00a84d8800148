"""Autonomous repair: find lost shares and rebuild them onto fresh registered nodes.

:class:`Repairer` (``kura repair run``, any registered node may run one) works from
the public share tables announced on chain (:mod:`kura.storage.sharetable`). Each
:meth:`Repairer.step`:

1. reads every file's latest table and checks it against the on-chain commitment;
2. marks a share *lost* when its holder failed an audit of it (``ShareLost``) or is no
   longer Active (jailed, exiting, exited); a share whose holder is Active but no longer
   serves it is *suspect* and gets an audit challenge, whose timeout (claimed here too)
   turns it into a lost share with on-chain proof;
3. when fewer than ``min_healthy`` shares of a file are healthy (default ``n − 1``), rebuilds
   each lost share:

   * **MSR path** (``d = 2k − 2`` helpers answer): each helper sends ``beta`` symbols per
     stripe computed from its own share (:meth:`ProductMatrixMSR.repair_symbols`); the
     repairer solves for the lost body. Traffic: ``d·beta`` per stripe, not ``k·alpha``.
   * **Re-encode path** (fewer than ``d`` but at least ``k`` helpers, or an RS file): ``k``
     helpers send their bodies, the repairer decodes the *ciphertext* and re-encodes it.

   Either way the lost key share is rebuilt by the enrollment protocol
   (:mod:`kura.crypto.key_repair`) directly into the newcomer, which checks the rebuilt share
   against its committed SHA-256 and pins it. The repairer publishes the updated table and
   commits the new leaf on chain (``ShareRepairs.commitRepair``), which pays it from the repair
   pool. It never holds a key share or any plaintext.

Transport: helpers and newcomers are reached by operator address through anything with the
:class:`RepairDuties` interface: :class:`RepairPeer` in this process (a node's own keys), or
:class:`~kura.storage.repair_remote.RemotePeer` over HTTP to the service each ``kura node run``
announces in the registry (:func:`~kura.storage.repair_remote.registry_peers`), so a repairer
needs no node key. Every message that is not public is already encrypted to its recipient, so
any byte pipe can carry them. A helper that is down or refuses counts as missing: the next
holder is asked, and with fewer than ``d`` answering the re-encode path is taken.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from enum import Enum

from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.file_registry import FileRegistryClient
from kura.chain.node_registry import NodeRecord, NodeRegistryClient
from kura.chain.share_repairs import RepairCommit, ShareRepairsClient
from kura.chain.storage_audits import ChallengeStatus, StorageAuditsClient
from kura.crypto.codec import erasure_code
from kura.crypto.params import CodeParams, Scheme
from kura.errors import CodecError, ContractRevertError, IpfsError, KuraError, RepairPeerError, StorageError
from kura.storage import sharetable
from kura.storage.client import StorageClient
from kura.storage.manifest import ShareEntry
from kura.storage.nodes import NodePool
from kura.storage.registry_nodes import NodeDirectory, storage_node
from kura.storage.repair_peer import RepairDuties
from kura.storage.sharetable import ShareTable

_LOG = logging.getLogger("kura.repair")
Log = Callable[[str], None]
Peers = Mapping[str, RepairDuties]
"""How the repairer reaches a node's repair duties, by operator address."""
_HELPER_FAILURES = (IpfsError, CodecError, RepairPeerError)
"""What makes a helper count as missing: its Kubo, its share, or its repair service failed."""


class RepairPath(str, Enum):
    """How a share was rebuilt."""

    MSR = "msr"
    """From ``d`` helpers' repair symbols."""
    REENCODE = "reencode"
    """From ``k`` helpers' bodies: ciphertext decoded and re-encoded."""


@dataclass(frozen=True)
class RepairOutcome:
    """One rebuilt share.

    Attributes:
        file_id: The file.
        index: The share.
        old_node: Who lost it.
        new_node: Who holds it now.
        path: How it was rebuilt.
        helpers: Share indices whose holders sent data.
        payload_bytes: Repair data the helpers sent (symbols, or bodies on the re-encode path).
        overhead_bytes: Public headers and encrypted key-enrollment messages relayed.
        share_bytes: Bytes of the rebuilt share (for comparison).
        gas: Gas of the on-chain commit.
        paid: Wei credited to the repairer from the repair pool.
    """

    file_id: bytes
    index: int
    old_node: str
    new_node: str
    path: RepairPath
    helpers: tuple[int, ...]
    payload_bytes: int
    overhead_bytes: int
    share_bytes: int
    gas: int
    paid: int


@dataclass
class RepairReport:
    """What one step did."""

    repaired: list[RepairOutcome] = field(default_factory=list)
    challenged: list[int] = field(default_factory=list)
    judged: list[int] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)


def enroll_file(client: StorageClient, file_id: bytes) -> bytes:
    """Opt ``file_id`` into autonomous repair: publish its share table and announce it on chain (owner only).

    Returns:
        The table's SHA-256 digest.

    Raises:
        ContractRevertError: ``NotFileOwner`` if the client's account does not own the file.
    """
    _, manifest = client.manifest(file_id)
    holders = [client.pool.by_api(entry.api_url) for entry in manifest.shares]
    digest = sharetable.publish(ShareTable.of_manifest(manifest), client.pool, holders)
    ShareRepairsClient(client.chain, client.deployment).publish_table(file_id, digest, owner=client.owner)
    return digest


class Repairer:
    """The repair agent.

    Args:
        chain: Connection to the chain.
        deployment: Where the kura contracts are.
        account: A registered, Active node account (commits repairs, opens challenges).
        pool: Storage nodes to read share tables from.
        peers: Repair duties of the nodes, by operator address.
        min_healthy: Repair a file when fewer shares are healthy (default ``n − 1``).
        challenge_suspects: Open audits against shares whose Active holder stopped serving them.
        rng: Source of the newcomer choice.
        log: Called with one line per action.
    """

    def __init__(self, chain: Chain, deployment: Deployment, account: LocalAccount, pool: NodePool, peers: Peers, *,
                 min_healthy: int | None = None, challenge_suspects: bool = True,
                 rng: random.Random | None = None, log: Log = _LOG.info) -> None:
        self.chain = chain
        self.account = account
        self.pool = pool
        self.peers = peers
        self.files = FileRegistryClient(chain, deployment)
        self.registry = NodeRegistryClient(chain, deployment)
        self.audits = StorageAuditsClient(chain, deployment)
        self.repairs = ShareRepairsClient(chain, deployment)
        self.directory = NodeDirectory(chain, deployment)
        self.min_healthy = min_healthy
        self.challenge_suspects = challenge_suspects
        self._rng = rng or random.SystemRandom()
        self._opened: set[int] = set()
        self.log = log

    def step(self) -> RepairReport:
        """One round over every file with a share table.

        Raises:
            ChainError, OSError: if the RPC fails (nothing half-done stays: call again).
        """
        report = RepairReport()
        self._judge_timeouts(report)
        for file_id, pointer in self.repairs.tables().items():
            label = file_id.hex()[:16]
            try:
                record = self.files.file_of(file_id)
                table = sharetable.resolve(pointer.table_digest, self.pool, expected_root=record.shares_root)
                self._tend(table, report)
            except ContractRevertError as exc:
                if exc.error_name not in {"FileIsDeleted", "UnknownFile"}:
                    report.problems[label] = str(exc)
            except (StorageError, IpfsError, CodecError) as exc:
                report.problems[label] = str(exc)
                self.log(f"file {label}…: {exc}")
        return report

    def lost(self, table: ShareTable) -> list[ShareEntry]:
        """The shares of ``table`` that are lost with on-chain proof (failed audit or holder not Active)."""
        return [entry for entry in table.shares
                if self.audits.is_share_lost(table.file_id, entry.index, entry.operator)
                or not self.registry.is_active(entry.operator)]

    # ---------------------------------------------------------------- one file

    def _tend(self, table: ShareTable, report: RepairReport) -> None:
        lost = self.lost(table)
        if self.challenge_suspects:
            self._challenge_suspects(table, {entry.index for entry in lost}, report)
        threshold = table.n - 1 if self.min_healthy is None else self.min_healthy
        if not lost or table.n - len(lost) >= threshold:
            return
        for entry in lost:
            outcome, table = self.repair_share(table, entry.index)
            report.repaired.append(outcome)

    def repair_share(self, table: ShareTable, index: int) -> tuple[RepairOutcome, ShareTable]:
        """Rebuild share ``index`` of ``table``'s file onto a fresh node and commit it.

        Returns:
            What happened, and the updated table.

        Raises:
            StorageError: if fewer than ``k`` helpers answer or no fresh node is available.
            ContractRevertError: if the chain refuses the commit (e.g. ``ShareNotLost``).
        """
        params = CodeParams(table.scheme, table.k, table.n)
        if params.scheme is Scheme.SHAMIR:
            raise StorageError("pure-Shamir files cannot be repaired without k whole shares: re-upload them")
        lost_entry = table.entry(index)
        lost_ops = {entry.operator for entry in self.lost(table)}
        holders = [e for e in table.shares if e.index != index and e.operator not in lost_ops
                   and e.operator in self.peers]
        newcomer = self._newcomer(table)
        peer = self.peers[newcomer.address]
        overhead = 0
        path, helpers, body, payload = self._rebuild_body(params, table.file_id, index, holders)
        enrolling = [e for e in holders if e.index in helpers][: params.k]
        template = self.peers[enrolling[0].operator].header(enrolling[0].cid, table.file_id, enrolling[0].index)
        overhead += len(template.to_bytes())
        sums = self._enroll(table.file_id, index, enrolling, peer)
        overhead += sum(len(s) for s in sums)
        cid = peer.accept_share(template, index, body, sums, lost_entry.sha256)
        node = storage_node(newcomer)
        moved = replace(lost_entry, cid=cid, node=node.name, api_url=node.api_url, peer_id=newcomer.peer_id,
                        operator=newcomer.address)
        updated = table.with_entry(moved)
        digest = sharetable.publish(updated, self.pool, [node, *self.pool.nodes])
        commit = RepairCommit(table.file_id, index, lost_entry.operator, newcomer.address, lost_entry.chunk_count,
                              lost_entry.merkle_root, digest)
        receipt = self.repairs.commit_repair(commit, table.leaf_proof(index), repairer=self.account)
        events = self.repairs.contract.events.ShareRepaired().process_receipt(receipt, errors=DISCARD)
        outcome = RepairOutcome(table.file_id, index, lost_entry.operator, newcomer.address, path, tuple(helpers),
                                payload, overhead, lost_entry.size, int(receipt["gasUsed"]), int(events[0].args.paid))
        self.log(f"file {table.file_id.hex()[:16]}… share {index}: {path.value} repair from helpers {helpers} onto "
                 f"{newcomer.address} ({payload} payload bytes for a {lost_entry.size}-byte share, "
                 f"{outcome.gas} gas, paid {outcome.paid} wei)")
        return outcome, updated

    def _rebuild_body(self, params: CodeParams, file_id: bytes, index: int,
                      holders: list[ShareEntry]) -> tuple[RepairPath, list[int], bytes, int]:
        code = erasure_code(params)
        if params.scheme is Scheme.MSR:
            symbols: dict[int, bytes] = {}
            for entry in holders:
                if len(symbols) == params.d:
                    break
                try:
                    symbols[entry.index] = self.peers[entry.operator].repair_symbols(
                        entry.cid, file_id, entry.index, index)
                except _HELPER_FAILURES as exc:
                    self.log(f"helper {entry.operator} (share {entry.index}) failed: {exc}")
            if len(symbols) == params.d:
                body = code.repair(index, symbols).tobytes()  # type: ignore[attr-defined]
                return RepairPath.MSR, sorted(symbols), body, sum(len(s) for s in symbols.values())
        bodies: dict[int, bytes] = {}
        sealed_size = 0
        for entry in holders:
            if len(bodies) == params.k:
                break
            try:
                peer = self.peers[entry.operator]
                sealed_size = peer.header(entry.cid, file_id, entry.index).sealed_size
                bodies[entry.index] = peer.body(entry.cid, file_id, entry.index)
            except _HELPER_FAILURES as exc:
                self.log(f"helper {entry.operator} (share {entry.index}) failed: {exc}")
        if len(bodies) < params.k:
            raise StorageError(
                f"only {len(bodies)} holders of {file_id.hex()[:16]}… answer, {params.k} are needed to rebuild "
                f"share {index}: the file cannot be repaired now"
            )
        sealed = code.decode(bodies, sealed_size)
        shares = [bytes(share) for share in code.encode(sealed)]  # type: ignore[attr-defined]
        return RepairPath.REENCODE, sorted(bodies), shares[index], sum(len(b) for b in bodies.values())

    def _enroll(self, file_id: bytes, lost: int, helpers: list[ShareEntry], newcomer: RepairDuties) -> list[bytes]:
        indices = [entry.index for entry in helpers]
        keys = {entry.index: self.peers[entry.operator].public_key for entry in helpers}
        sessions: dict[int, bytes] = {}
        outboxes: dict[int, dict[int, bytes]] = {}
        for entry in helpers:
            peer_keys = {i: key for i, key in keys.items() if i != entry.index}
            sessions[entry.index], outboxes[entry.index] = self.peers[entry.operator].start_enrollment(
                entry.cid, file_id, entry.index, indices, lost, peer_keys)
        return [
            self.peers[entry.operator].finish_enrollment(
                sessions[entry.index], {sender: outboxes[sender][entry.index] for sender in indices
                                        if sender != entry.index}, newcomer.public_key)
            for entry in helpers
        ]

    def _newcomer(self, table: ShareTable) -> NodeRecord:
        taken_ops = {entry.operator for entry in table.shares}
        taken_peers = {entry.peer_id for entry in table.shares}
        fresh = [record for record in self.directory.active()
                 if record.address not in taken_ops and record.peer_id not in taken_peers
                 and record.address in self.peers]
        if not fresh:
            raise StorageError(
                f"no fresh Active node can take a share of {table.file_id.hex()[:16]}… (every active node already "
                "holds one, or none answers): register more storage nodes"
            )
        return self._rng.choice(fresh)

    # ---------------------------------------------------------------- audits

    def _challenge_suspects(self, table: ShareTable, lost: set[int], report: RepairReport) -> None:
        for entry in table.shares:
            if entry.index in lost or self._serves(entry):
                continue
            if self.audits.open_challenge_of(table.file_id, entry.index):
                continue
            try:
                receipt = self.audits.challenge(
                    table.file_id, entry.index, entry.operator, entry.chunk_count, entry.merkle_root,
                    table.leaf_proof(entry.index), challenger=self.account, bond=self.audits.params().challenge_bond)
            except ContractRevertError as exc:
                report.problems[f"{table.file_id.hex()[:16]}/{entry.index}"] = str(exc)
                continue
            challenge_id = self.audits.challenge_id(receipt)
            self._opened.add(challenge_id)
            report.challenged.append(challenge_id)
            self.log(f"share {entry.index} of {table.file_id.hex()[:16]}… no longer resolves on {entry.operator}: "
                     f"challenge {challenge_id}")

    def _serves(self, entry: ShareEntry) -> bool:
        peer = self.peers.get(entry.operator)
        if peer is None:
            return False
        try:
            return peer.holds(entry.cid)
        except (IpfsError, RepairPeerError):
            return False

    def _judge_timeouts(self, report: RepairReport) -> None:
        now = int(self.chain.w3.eth.get_block("latest")["timestamp"])
        for challenge_id in sorted(self._opened):
            challenge = self.audits.challenge_of(challenge_id)
            if challenge.status is not ChallengeStatus.OPEN:
                self._opened.discard(challenge_id)
            elif now > challenge.deadline:
                try:
                    self.audits.claim_timeout(challenge_id, sender=self.account)
                except KuraError as exc:
                    report.problems[f"challenge {challenge_id}"] = str(exc)
                    continue
                self._opened.discard(challenge_id)
                report.judged.append(challenge_id)
                self.log(f"challenge {challenge_id}: deadline passed unanswered, claimed the timeout")
