"""Autonomous repair: find lost shares and have them rebuilt onto fresh registered nodes.

:class:`RepairAgent` (``kura repair run``, any Active registered node may run one) works
from the public share tables announced on chain (:mod:`kura.storage.shared.sharetable`).
It keeps nothing that the chain does not: a repairer started fresh (from cron, after a
crash) does exactly what a long-running one does. Each :meth:`RepairAgent.step`:

1. refuses at once if its account cannot commit repairs (not an Active node);
2. claims the timeout of every open challenge past its deadline, whoever opened it
   (:class:`~kura.storage.repairer.timeouts.OpenChallenges`), which slashes the silent
   holder and marks its share lost with on-chain proof;
3. reads every file's latest table and checks it against the on-chain commitment;
4. marks a share *lost* when its holder failed an audit of it (``ShareLost``) or is no
   longer Active (jailed, exiting, exited); a share whose holder is Active but no longer
   serves it is *suspect* and gets an audit challenge (claimed by a later step);
5. when fewer than ``min_healthy`` shares of a file are healthy (default ``n``: any loss),
   has each lost share rebuilt:

   * it checks the commit would be accepted (a dry run of ``ShareRepairs.commitRepair``)
     before anything is uploaded;
   * it picks a fresh Active node (the *newcomer*) and the helpers, relays the key
     enrolment (:mod:`kura.crypto.key_repair`: small messages, each encrypted to its
     recipient), and hands the newcomer a :class:`~kura.storage.shared.repair_plan.RebuildPlan`;
   * the newcomer pulls the repair data from the helpers itself — ``d`` helpers' MSR
     symbols (``d·beta``, the cut-set bound), or ``k`` bodies of ciphertext to decode
     and re-encode (an RS file, or fewer than ``d`` helpers), or ``k`` masked partial
     sums of a pure-Shamir file's bodies — checks the share against its committed
     SHA-256 and pins it; a helper that fails is dropped and the plan made again;
   * the repairer publishes the updated table and commits the new holder on chain,
     which pays it from the repair pool. If that fails, the newcomer drops the share and
     the table is unpinned again.

The repairer never holds a key share, plaintext, or the repair data. Helpers and
newcomers are reached by operator address through anything with the
:class:`~kura.storage.node.duties.RepairDuties` interface: a
:class:`~kura.storage.node.duties.RepairPeer` in this process, or a
:class:`~kura.storage.shared.remote.RemotePeer` over HTTP to the service each
``kura node run`` announces in the registry.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

from eth_account.signers.local import LocalAccount
from web3.logs import DISCARD

from kura.chain.contracts import Contracts
from kura.chain.node_registry import NodeRecord
from kura.chain.share_repairs import RepairCommit
from kura.codes.params import CodeParams
from kura.errors import (
    CodecError,
    ContractRevertError,
    HelperFailedError,
    IpfsError,
    KuraError,
    NotRepairerError,
    RepairPeerError,
    StorageError,
)
from kura.results import Result
from kura.storage.node.duties import RepairDuties
from kura.storage.repairer.timeouts import OpenChallenges
from kura.storage.shared import manifest_store, sharetable
from kura.storage.shared.challenges import challenge_share
from kura.storage.shared.directory import NodeDirectory, storage_node
from kura.storage.shared.manifest import ShareEntry
from kura.storage.shared.nodes import NodePool
from kura.storage.shared.repair_plan import (
    HelperRef,
    RebuildPlan,
    Rebuilt,
    RepairPath,
    helpers_needed,
    path_for,
)
from kura.storage.shared.sharetable import ShareTable

_LOG = logging.getLogger("kura.repair")
Log = Callable[[str], None]
Peers = Mapping[str, RepairDuties]
"""How the repairer reaches a node's repair duties, by operator address."""
_HELPER_FAILURES = (IpfsError, CodecError, RepairPeerError)
"""What makes a helper count as missing: its Kubo, its share, or its repair service failed."""
_DRY_RUN_DIGEST = b"\x01" * 32
"""Stands in for the table digest when a commit is tried without sending it (any non-zero digest passes)."""


@dataclass(frozen=True)
class RepairOutcome(Result):
    """One rebuilt share.

    Attributes:
        file_id: The file.
        index: The share.
        old_node: Who lost it.
        new_node: Who holds it now.
        path: How it was rebuilt.
        helpers: Share indices whose holders sent repair data.
        payload_bytes: Repair data the newcomer pulled from the helpers (symbols, bodies or Shamir partial sums).
        overhead_bytes: The public header and encrypted key-enrolment messages the repairer relayed.
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
class RepairReport(Result):
    """What one step did: shares rebuilt, challenges opened, timeouts claimed, and every problem met (by file
    and share, or by challenge)."""

    repaired: list[RepairOutcome] = field(default_factory=list)
    challenged: list[int] = field(default_factory=list)
    judged: list[int] = field(default_factory=list)
    problems: dict[str, str] = field(default_factory=dict)

    @property
    def idle(self) -> bool:
        """True if the step found nothing to do and met no problem."""
        return not (self.repaired or self.challenged or self.judged or self.problems)


class RepairAgent:
    """The repair agent.

    Args:
        contracts: The deployment's contracts.
        account: A registered, Active node account (commits repairs, opens challenges, claims timeouts).
        pool: Storage nodes to read and pin share tables on.
        peers: Repair duties of the nodes, by operator address.
        min_healthy: Repair a file when fewer shares are healthy (default ``n``: any lost share).
        challenge_suspects: Open audits against shares whose Active holder stopped serving them.
        rng: Source of the newcomer choice.
        log: Called with one line per action.

    Raises:
        NotRepairerError: if ``account`` is not an Active registered node (checked before anything else).
    """

    def __init__(
        self,
        contracts: Contracts,
        account: LocalAccount,
        pool: NodePool,
        peers: Peers,
        *,
        min_healthy: int | None = None,
        challenge_suspects: bool = True,
        rng: random.Random | None = None,
        log: Log | None = None,
    ) -> None:
        self.chain = contracts.chain
        self.account = account
        self.pool = pool
        self.peers = peers
        self.files = contracts.files
        self.registry = contracts.nodes
        self.audits = contracts.audits
        self.repairs = contracts.repairs
        self.directory = NodeDirectory(contracts)
        self.min_healthy = min_healthy
        self.challenge_suspects = challenge_suspects
        self._rng = rng or random.SystemRandom()
        self._challenges = OpenChallenges(contracts)
        self.log = log or _LOG.info
        self.ensure_repairer()

    def ensure_repairer(self) -> None:
        """Check this agent's account may commit repairs.

        Raises:
            NotRepairerError: if it is not an Active registered node.
        """
        address = self.account.address
        if not self.registry.is_active(address):
            raise NotRepairerError(
                f"account {address} is not an Active registered node, so ShareRepairs would refuse its repairs "
                "(NotRepairer) and nothing is rebuilt: register it (`kura node run --account N`), top up its "
                "stake, or pick the --account of a registered node"
            )

    def step(self) -> RepairReport:
        """One round: claim due timeouts, then tend every file with a share table.

        Raises:
            NotRepairerError: if the account can no longer commit repairs (jailed, exiting, under-staked).
            ChainError, OSError: if the RPC fails (nothing half-done stays: call again).
        """
        self.ensure_repairer()
        report = RepairReport()
        self._judge_timeouts(report)
        for file_id, pointer in self.repairs.tables().items():
            label = file_id.hex()[:16]
            try:
                record = self.files.file_of(file_id)
                table = sharetable.resolve(pointer.table_digest, self.pool, expected_root=record.shares_root)
            except ContractRevertError as exc:
                if exc.error_name not in {"FileIsDeleted", "UnknownFile"}:
                    report.problems[label] = str(exc)
                continue
            except (StorageError, IpfsError, CodecError) as exc:
                report.problems[label] = str(exc)
                self.log(f"file {label}…: {exc}")
                continue
            self._tend(table, report)
        return report

    def lost(self, table: ShareTable) -> list[ShareEntry]:
        """The shares of ``table`` that are lost with on-chain proof (failed audit or holder not Active)."""
        return [
            entry
            for entry in table.shares
            if self.audits.is_share_lost(table.file_id, entry.index, entry.operator)
            or not self.registry.is_active(entry.operator)
        ]

    # ---------------------------------------------------------------- one file

    def _tend(self, table: ShareTable, report: RepairReport) -> None:
        lost = self.lost(table)
        if self.challenge_suspects:
            self._challenge_suspects(table, {entry.index for entry in lost}, report)
        threshold = table.n if self.min_healthy is None else self.min_healthy
        if not lost or table.n - len(lost) >= threshold:
            return
        for entry in lost:
            try:
                outcome, table = self.repair_share(table, entry.index)
            except KuraError as exc:
                report.problems[f"{table.file_id.hex()[:16]}/{entry.index}"] = str(exc)
                self.log(f"file {table.file_id.hex()[:16]}… share {entry.index} not repaired: {exc}")
                continue
            report.repaired.append(outcome)

    def repair_share(self, table: ShareTable, index: int) -> tuple[RepairOutcome, ShareTable]:
        """Have share ``index`` of ``table``'s file rebuilt onto a fresh node, and commit it.

        Returns:
            What happened, and the updated table.

        Raises:
            ContractRevertError: if the chain would refuse the commit (checked before any upload: e.g.
                ``ShareNotLost``, ``NewNodeNotActive``), or refuses it after all.
            StorageError: if fewer than ``k`` helpers answer or no fresh node is available.
            KuraError: if the newcomer fails (what it uploaded is dropped again).
        """
        params = CodeParams(table.scheme, table.k, table.n)
        lost_entry = table.entry(index)
        lost_ops = {entry.operator for entry in self.lost(table)}
        candidates = [
            e for e in table.shares if e.index != index and e.operator not in lost_ops and e.operator in self.peers
        ]
        newcomer = self._newcomer(table)
        commit = RepairCommit(
            table.file_id,
            index,
            lost_entry.operator,
            newcomer.address,
            lost_entry.chunk_count,
            lost_entry.merkle_root,
            _DRY_RUN_DIGEST,
        )
        proof = table.leaf_proof(index)
        self.chain.call(
            self.repairs.contract.functions.commitRepair(commit.as_tuple(), proof), sender=self.account.address
        )
        peer = self.peers[newcomer.address]
        plan, rebuilt, overhead = self._rebuild(params, table, index, candidates, peer)
        node = storage_node(newcomer)
        updated = table.with_entry(
            replace(
                lost_entry,
                cid=rebuilt.cid,
                node=node.name,
                api_url=node.api_url,
                peer_id=newcomer.peer_id,
                operator=newcomer.address,
            )
        )
        digest: bytes | None = None
        try:
            digest = sharetable.publish(updated, self.pool, [node, *self.pool.nodes])
            receipt = self.repairs.commit_repair(replace(commit, table_digest=digest), proof, repairer=self.account)
        except BaseException:
            self._clean_up(peer, rebuilt, digest)
            raise
        manifest_store.retract(manifest_store.digest_of(table.to_bytes()), self.pool)  # the table it replaces
        events = self.repairs.contract.events.ShareRepaired().process_receipt(receipt, errors=DISCARD)
        outcome = RepairOutcome(
            table.file_id,
            index,
            lost_entry.operator,
            newcomer.address,
            plan.path,
            tuple(ref.index for ref in plan.helpers),
            sum(rebuilt.received.values()),
            overhead,
            lost_entry.size,
            int(receipt["gasUsed"]),
            int(events[0].args.paid),
        )
        self.log(
            f"file {table.file_id.hex()[:16]}… share {index}: {plan.path.value} repair from helpers "
            f"{list(outcome.helpers)} onto {newcomer.address} ({outcome.payload_bytes} bytes pulled for a "
            f"{lost_entry.size}-byte share, {outcome.gas} gas, paid {outcome.paid} wei)"
        )
        return outcome, updated

    def _rebuild(
        self,
        params: CodeParams,
        table: ShareTable,
        index: int,
        candidates: Sequence[ShareEntry],
        newcomer: RepairDuties,
    ) -> tuple[RebuildPlan, Rebuilt, int]:
        """Plan the repair with the helpers that answer and have the newcomer carry it out; drop a helper that
        fails and plan again.

        Returns:
            The plan carried out, what the newcomer answered, and the bytes of enrolment messages relayed.

        Raises:
            StorageError: if fewer than ``k`` helpers answer.
        """
        usable = list(candidates)
        while True:
            try:
                path = path_for(params, len(usable))
            except CodecError:
                raise StorageError(
                    f"only {len(usable)} holders of {table.file_id.hex()[:16]}… answer, {params.k} are needed to "
                    f"rebuild share {index}: the file cannot be repaired now"
                ) from None
            helpers = usable[: helpers_needed(params, path)]
            try:
                plan, overhead = self._plan(table, index, path, helpers, params.k, newcomer)
                return plan, newcomer.rebuild(plan), overhead
            except HelperFailedError as exc:
                self.log(f"file {table.file_id.hex()[:16]}… share {index}: {exc}; planning without it")
                usable = [entry for entry in usable if entry.index != exc.index]

    def _plan(
        self,
        table: ShareTable,
        index: int,
        path: RepairPath,
        helpers: Sequence[ShareEntry],
        k: int,
        newcomer: RepairDuties,
    ) -> tuple[RebuildPlan, int]:
        """The plan for ``helpers``, its first ``k`` enrolled for the key share (and a Shamir body).

        Raises:
            HelperFailedError: naming the first helper that did not answer.
        """
        enrolling = list(helpers[:k])
        first = enrolling[0]
        with _helper_call(first):
            template = self.peers[first.operator].header(first.cid, table.file_id, first.index)
        sessions, sums = self._enroll(table.file_id, index, enrolling, newcomer)
        refs = tuple(
            HelperRef(e.index, e.operator, e.cid, sessions.get(e.index, b"") if path is RepairPath.SHAMIR else b"")
            for e in helpers
        )
        overhead = len(template.to_bytes()) + sum(len(s) for s in sums)
        plan = RebuildPlan(table.file_id, index, path, template, table.entry(index).merkle_root, refs, tuple(sums))
        return plan.signed(self.account), overhead

    def _enroll(
        self, file_id: bytes, lost: int, helpers: list[ShareEntry], newcomer: RepairDuties
    ) -> tuple[dict[int, bytes], list[bytes]]:
        """Run the key enrolment among ``helpers`` for the newcomer: each helper's session, and its sealed sum.

        Raises:
            HelperFailedError: naming the first helper that did not answer.
        """
        indices = [entry.index for entry in helpers]
        peers = {entry.index: self.peers[entry.operator] for entry in helpers}
        keys = {}
        for entry in helpers:
            with _helper_call(entry):
                keys[entry.index] = peers[entry.index].public_key
        newcomer_key = newcomer.public_key
        sessions: dict[int, bytes] = {}
        outboxes: dict[int, dict[int, bytes]] = {}
        for entry in helpers:
            peer_keys = {i: key for i, key in keys.items() if i != entry.index}
            with _helper_call(entry):
                sessions[entry.index], outboxes[entry.index] = peers[entry.index].start_enrollment(
                    entry.cid, file_id, entry.index, indices, lost, peer_keys
                )
        sums = []
        for entry in helpers:
            received = {sender: outboxes[sender][entry.index] for sender in indices if sender != entry.index}
            with _helper_call(entry):
                sums.append(peers[entry.index].finish_enrollment(sessions[entry.index], received, newcomer_key))
        return sessions, sums

    def _clean_up(self, newcomer: RepairDuties, rebuilt: Rebuilt, digest: bytes | None) -> None:
        """Undo the uploads of a repair whose commit failed: the newcomer's share, and the published table."""
        try:
            newcomer.abandon(rebuilt.ticket)
        except KuraError as exc:
            self.log(f"the newcomer could not drop share {rebuilt.cid} ({exc}); it sweeps it up itself later")
        if digest is not None:
            manifest_store.retract(digest, self.pool)

    def _newcomer(self, table: ShareTable) -> NodeRecord:
        taken_ops = {entry.operator for entry in table.shares}
        taken_peers = {entry.peer_id for entry in table.shares}
        fresh = [
            record
            for record in self.directory.active()
            if record.address not in taken_ops and record.peer_id not in taken_peers and record.address in self.peers
        ]
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
                challenge_id = challenge_share(self.audits, table, entry.index, challenger=self.account).challenge_id
            except ContractRevertError as exc:
                report.problems[f"{table.file_id.hex()[:16]}/{entry.index}"] = str(exc)
                continue
            report.challenged.append(challenge_id)
            self.log(
                f"share {entry.index} of {table.file_id.hex()[:16]}… no longer resolves on {entry.operator}: "
                f"challenge {challenge_id}"
            )

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
        for challenge in self._challenges.due(now):
            challenge_id = challenge.challenge_id
            try:
                self.audits.claim_timeout(challenge, sender=self.account)
            except KuraError as exc:
                report.problems[f"challenge {challenge_id}"] = str(exc)
                continue
            report.judged.append(challenge_id)
            self.log(f"challenge {challenge_id}: deadline passed unanswered, claimed the timeout")


@contextmanager
def _helper_call(entry: ShareEntry) -> Iterator[None]:
    """Turn a helper's failure inside the block into a :class:`HelperFailedError` naming it."""
    try:
        yield
    except HelperFailedError:
        raise
    except _HELPER_FAILURES as exc:
        raise HelperFailedError(entry.index, entry.operator, str(exc)) from exc
