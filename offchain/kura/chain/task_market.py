"""Typed client for the ``TaskMarket`` contract: post, claim, audit, commit, reveal and judge compute tasks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_canonical_address
from web3.logs import DISCARD
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.pull_payments import PullPaymentsClient
from kura.errors import ChainError, ChainValueError

WAD = 10**18
"""Fixed-point one: credibilities and θ are integers scaled by it."""


class TaskState(IntEnum):
    """``ITaskMarket.TaskState``."""

    NONE = 0
    OPEN = 1
    DRAWING = 2
    AUDITING = 3
    ACCEPTED = 4
    REFUNDED = 5
    CANCELLED = 6

    @property
    def ended(self) -> bool:
        """True once nothing more can happen to the task."""
        return self in (TaskState.ACCEPTED, TaskState.REFUNDED, TaskState.CANCELLED)


@dataclass(frozen=True)
class Task:
    """A task as the chain records it (see ``ITaskMarket.Task``)."""

    task_id: int
    requester: str
    reward: int
    worker: str
    audit_fee: int
    fuel: int
    theta: int
    seed_block: int
    auditors: int
    round: int
    state: TaskState
    confidential: bool
    commit_deadline: int
    reveal_deadline: int
    posted_block: int
    module_hash: bytes
    input_hash: bytes
    result: bytes
    module_cid: str
    input_cid: str


@dataclass(frozen=True)
class Entry:
    """What one participant did in a task (see ``ITaskMarket.Entry``)."""

    commitment: bytes
    result: bytes
    round: int
    revealed: bool


@dataclass(frozen=True)
class Reveal:
    """One ``ResultRevealed`` event: who revealed what, and where its output bytes are."""

    node: str
    result: bytes
    output_cid: str


@dataclass(frozen=True)
class MarketParams:
    """The TaskMarket deployment parameters."""

    commit_window: int
    reveal_window: int
    seed_delay: int
    max_rounds: int
    max_auditors: int
    slash_bps: int
    miss_bps: int
    saboteur_fraction: int


def commitment(result: bytes, salt: bytes, node: str) -> bytes:
    """``keccak256(result ‖ salt ‖ node)``: what a node commits to before revealing ``result``.

    Raises:
        ChainValueError: if ``result`` or ``salt`` is not 32 bytes.
    """
    if len(result) != 32 or len(salt) != 32:
        raise ChainValueError(f"result and salt must be 32 bytes each (got {len(result)} and {len(salt)})")
    return keccak(result + salt + to_canonical_address(node))


def escrow(reward: int, audit_fee: int, auditors: int, max_rounds: int) -> int:
    """Wei a requester must send with ``post``: the reward plus the largest possible audit budget."""
    return reward + audit_fee * auditors * max_rounds


class TaskMarketClient(PullPaymentsClient):
    """Calls to the deployed ``TaskMarket``; reverts surface as ``ContractRevertError``."""

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.contract = chain.contract("TaskMarket", deployment.address("TaskMarket"))

    # ---------------------------------------------------------------- requester

    def post(
        self,
        module_cid: str,
        module_hash: bytes,
        input_cid: str,
        input_hash: bytes,
        *,
        fuel: int,
        reward: int,
        audit_fee: int,
        auditors: int,
        theta: int,
        requester: LocalAccount,
        requester_key: bytes = b"",
    ) -> int:
        """Post a task, escrowing :func:`escrow` wei, and return its id.

        Args:
            requester_key: Empty for a public output; else the requester's raw 64-byte secp256k1 public
                key, which makes the task confidential (nodes upload the output encrypted to it).

        Raises:
            ChainValueError: if ``requester_key`` is neither empty nor 64 bytes.
            ContractRevertError: ``MissingTaskData``, ``ZeroFuel``, ``BadAuditorCount``, ``BadThreshold``,
                ``WrongEscrow`` or ``BadRequesterKey`` (not the requester's own key).
        """
        if len(requester_key) not in (0, 64):
            raise ChainValueError(f"requester_key must be empty or a raw 64-byte public key (got {len(requester_key)})")
        key = requester_key or bytes(64)
        value = escrow(reward, audit_fee, auditors, self.params().max_rounds)
        call = self.contract.functions.post(
            module_cid, module_hash, input_cid, input_hash, fuel, reward, audit_fee, auditors, theta,
            [key[:32], key[32:]],
        )
        receipt = self.chain.transact(call, sender=requester, value=value)
        events = self.contract.events.TaskPosted().process_receipt(receipt, errors=DISCARD)
        if not events:
            raise ChainError(f"transaction {receipt['transactionHash'].to_0x_hex()} posted no task")
        return int(events[0].args.taskId)

    def cancel(self, task_id: int, *, requester: LocalAccount) -> TxReceipt:
        """Cancel an unclaimed task; its escrow is credited back.

        Raises:
            ContractRevertError: ``WrongState`` (already claimed) or ``NotRequester``.
        """
        return self.chain.transact(self.contract.functions.cancel(task_id), sender=requester)

    # ---------------------------------------------------------------- nodes

    def claim(self, task_id: int, *, worker: LocalAccount) -> TxReceipt:
        """Claim an Open task as its worker.

        Raises:
            ContractRevertError: ``WrongState`` or ``NotComputeNode``.
        """
        return self.chain.transact(self.contract.functions.claim(task_id), sender=worker)

    def draw_auditors(self, task_id: int, *, sender: LocalAccount) -> TxReceipt:
        """Draw the current round's auditors (anyone, once the seed block is mined).

        Raises:
            ContractRevertError: ``WrongState`` or ``SeedNotYetAvailable``.
        """
        return self.chain.transact(self.contract.functions.drawAuditors(task_id), sender=sender)

    def commit(self, task_id: int, result: bytes, salt: bytes, *, node: LocalAccount) -> TxReceipt:
        """Commit to ``result`` under ``salt`` (keep the salt: the reveal needs it).

        Raises:
            ChainValueError: if ``result`` or ``salt`` is not 32 bytes.
            ContractRevertError: ``NotParticipant``, ``CommitClosed``, ``AlreadyCommitted`` or ``WrongState``.
        """
        call = self.contract.functions.commit(task_id, commitment(result, salt, node.address))
        return self.chain.transact(call, sender=node)

    def reveal(self, task_id: int, result: bytes, salt: bytes, output_cid: str, *, node: LocalAccount) -> TxReceipt:
        """Reveal the committed ``result`` after the commit deadline, naming the output's CID.

        Raises:
            ContractRevertError: ``RevealNotOpen``, ``RevealClosed``, ``NotCommitted``, ``AlreadyRevealed``,
                ``CommitmentMismatch``, ``NotParticipant`` or ``WrongState``.
        """
        return self.chain.transact(self.contract.functions.reveal(task_id, result, salt, output_cid), sender=node)

    def finalize(self, task_id: int, *, sender: LocalAccount) -> TxReceipt:
        """Close the current round (anyone).

        Raises:
            ContractRevertError: ``RoundNotOver`` or ``WrongState``.
        """
        return self.chain.transact(self.contract.functions.finalize(task_id), sender=sender)

    def join_audit_pool(self, *, node: LocalAccount) -> TxReceipt:
        """Offer ``node`` as an auditor.

        Raises:
            ContractRevertError: ``NodeNotActive``, ``AlreadyInPool`` or ``PoolFull``.
        """
        return self.chain.transact(self.contract.functions.joinAuditPool(), sender=node)

    def leave_audit_pool(self, *, node: LocalAccount) -> TxReceipt:
        """Stop being drawn as an auditor.

        Raises:
            ContractRevertError: ``NotInPool``.
        """
        return self.chain.transact(self.contract.functions.leaveAuditPool(), sender=node)

    # ---------------------------------------------------------------- views

    def task_of(self, task_id: int) -> Task:
        """The record of ``task_id``.

        Raises:
            ContractRevertError: ``UnknownTask``.
        """
        raw = self.chain.call(self.contract.functions.taskOf(task_id))
        (requester, reward, worker, audit_fee, fuel, theta, seed_block, auditors, round_, state, confidential,
         commit_deadline, reveal_deadline, posted_block, module_hash, input_hash, result, module_cid, input_cid) = raw
        return Task(
            task_id, requester, reward, worker, audit_fee, fuel, theta, seed_block, auditors, round_,
            TaskState(state), confidential, commit_deadline, reveal_deadline, posted_block, bytes(module_hash),
            bytes(input_hash), bytes(result), module_cid, input_cid,
        )

    def entry_of(self, task_id: int, node: str) -> Entry:
        """What ``node`` did in ``task_id``.

        Raises:
            ContractRevertError: ``UnknownTask``.
        """
        committed, result, round_, revealed = self.chain.call(self.contract.functions.entryOf(task_id, node))
        return Entry(bytes(committed), bytes(result), round_, revealed)

    def auditors_of(self, task_id: int) -> list[str]:
        """Every auditor drawn for ``task_id``, in draw order."""
        return list(self.chain.call(self.contract.functions.auditorsOf(task_id)))

    def result_of(self, task_id: int) -> bytes:
        """The accepted result hash of ``task_id`` (32 zero bytes unless Accepted)."""
        return bytes(self.chain.call(self.contract.functions.resultOf(task_id)))

    def audit_pool(self) -> list[str]:
        """The nodes auditors are drawn from."""
        return list(self.chain.call(self.contract.functions.auditPool()))

    def credibility_of(self, node: str) -> int:
        """``node``'s credibility now, in WAD."""
        return int(self.chain.call(self.contract.functions.credibilityOf(node)))

    def task_count(self) -> int:
        """Tasks posted so far (ids run from 1)."""
        return int(self.chain.call(self.contract.functions.taskCount()))

    def reveals(self, task: Task) -> list[Reveal]:
        """Every reveal of ``task``, in chain order (read from the ``ResultRevealed`` events)."""
        logs = self.contract.events.ResultRevealed().get_logs(
            from_block=task.posted_block, argument_filters={"taskId": task.task_id}
        )
        return [Reveal(log.args.node, bytes(log.args.result), log.args.outputCid) for log in logs]

    def requester_key(self, task: Task) -> bytes:
        """The raw 64-byte public key a confidential ``task``'s output is sealed to (its ``OutputSealedTo`` event).

        Raises:
            ChainError: if the task is not confidential, or the chain holds no such event (pruned logs).
        """
        if not task.confidential:
            raise ChainError(f"task {task.task_id} is not confidential: its output is public")
        logs = self.contract.events.OutputSealedTo().get_logs(
            from_block=task.posted_block, to_block=task.posted_block, argument_filters={"taskId": task.task_id}
        )
        if not logs:
            raise ChainError(f"task {task.task_id} is confidential but block {task.posted_block} holds no "
                             "OutputSealedTo event: use an RPC node that keeps logs")
        x, y = logs[0].args.publicKey
        return bytes(x) + bytes(y)

    def params(self) -> MarketParams:
        """The deployment parameters."""
        f = self.contract.functions
        return MarketParams(*(int(self.chain.call(fn())) for fn in (
            f.commitWindow, f.revealWindow, f.seedDelay, f.maxRounds, f.maxAuditors, f.slashBps, f.missBps,
            f.saboteurFraction,
        )))
