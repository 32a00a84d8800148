"""Typed client for the ``TaskMarket`` contract: post, claim, audit, commit, reveal and judge compute tasks."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from enum import IntEnum
from typing import Any

from eth_abi import encode as abi_encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak, to_canonical_address
from web3.exceptions import Web3Exception
from web3.logs import DISCARD
from web3.types import TxReceipt

from kura.chain.client import Chain, uint_getter
from kura.chain.deployments import Deployment
from kura.chain.params import TaskMarketParams
from kura.chain.pull_payments import PullPaymentsClient, reason_text
from kura.errors import ChainError, ChainValueError

ZERO_ADDRESS = "0x" + "00" * 20
"""The gate of an open task."""
_MAY_COMPUTE = keccak(text="mayCompute(uint256,address)")[:4]


class TaskState(IntEnum):
    """``ITaskMarket.TaskState``."""

    NONE = 0
    OPEN = 1
    CLAIMED = 2
    DRAWING = 3
    AUDITING = 4
    ACCEPTED = 5
    REFUNDED = 6
    CANCELLED = 7
    UNAUDITED = 8
    PROVISIONAL = 9

    @property
    def ended(self) -> bool:
        """True once the task needs nobody: ACCEPTED, REFUNDED, CANCELLED, or PROVISIONAL (its unaudited result
        stands; only its worker's catch reopens it for a re-audit, see :class:`~kura.chain.sampled_audits.
        SampledAuditsClient`)."""
        return self in (TaskState.ACCEPTED, TaskState.REFUNDED, TaskState.CANCELLED, TaskState.PROVISIONAL)


class Outcome(IntEnum):
    """``ITaskMarket.Outcome``: why a task ended as it did."""

    NONE = 0
    AUDITED = 1
    NO_AUDITORS = 2
    NO_CONSENSUS = 3
    WORKER_SILENT = 4
    SAMPLED = 5
    REAUDITED = 6


@dataclass(frozen=True)
class Task:
    """A task: what the chain records (see ``ITaskMarket.Task``) and what was posted (its ``TaskPosted`` event).

    Attributes:
        commit_deadline: The current phase's: the worker's while CLAIMED, the round's while AUDITING.
        requester_key: The raw 64-byte public key a confidential task's output is sealed to, else empty.
        gate: The task's compute gate (the zero address for an open task).
        drawn: Auditors drawn so far, over every round.
        committed: Auditors of the current round who have committed (reveals open when all have).
    """

    task_id: int
    requester: str
    reward: int
    worker: str
    audit_fee: int
    fuel: int
    theta: int
    seed_block: int
    claim_block: int
    posted_block: int
    pool_size: int
    auditors: int
    round: int
    state: TaskState
    outcome: Outcome
    commit_deadline: int
    reveal_deadline: int
    worker_revealed: bool
    confidential: bool
    gate: str
    drawn: int
    committed: int
    result: bytes
    module_cid: str
    module_hash: bytes
    input_cid: str
    input_hash: bytes
    requester_key: bytes

    def reveals_open(self, now: int) -> bool:
        """Whether the current round takes reveals at chain time ``now``: once every auditor of the round has
        committed, or after its commit deadline, and until its reveal deadline (``TaskMarket._checkRevealWindow``);
        an UNAUDITED task's worker reveals until the reveal deadline."""
        if self.state == TaskState.UNAUDITED:
            return now <= self.reveal_deadline
        return (now > self.commit_deadline or self.committed >= self.auditors) and now <= self.reveal_deadline

    @property
    def reauditing(self) -> bool:
        """Whether this is a re-audit of a provisional result (its worker was caught since)."""
        return self.outcome == Outcome.SAMPLED and not self.state.ended


@dataclass(frozen=True)
class Entry:
    """What one participant did in a task (see ``ITaskMarket.Entry``).

    Attributes:
        answer: Its commitment once committed, its result once revealed, else 32 zero bytes.
        round: The round an auditor was drawn for (0 for the worker and for nodes never drawn).
        revealed: Whether it revealed.
    """

    answer: bytes
    round: int
    revealed: bool

    @property
    def committed(self) -> bool:
        """Whether it committed (a commitment or a revealed result is held)."""
        return any(self.answer)


@dataclass(frozen=True)
class Posted:
    """What a requester posted (a ``TaskPosted`` event): everything about a task the chain does not store."""

    module_cid: str
    module_hash: bytes
    input_cid: str
    input_hash: bytes
    requester_key: bytes


_RECORDED = tuple(f.name for f in fields(Task))[1 : -len(fields(Posted))]
"""The fields of :class:`Task` the chain stores, in the order of ``ITaskMarket.Task``."""


@dataclass(frozen=True)
class Reveal:
    """One ``ResultRevealed`` event: who revealed what, and where its output bytes are."""

    node: str
    result: bytes
    output_cid: str


@dataclass(frozen=True)
class Verdict:
    """How a task has been judged so far, read from its events (what ``kura task status`` explains).

    Attributes:
        inconclusive: The best group credibility of each round that ended without a result (WAD).
        accepted: The accepted result's credibility (WAD), or None.
        worker_paid: Wei paid to the worker, or None.
        worker_penalty: Why the worker was penalised (COMPUTE_WRONG_RESULT, ...), or empty.
        worker_slashed: Wei slashed from the worker for it.
        silent_auditors: Auditors that did not reveal in time.
        refund_reason: NO_AUDITORS, NO_CONSENSUS or WORKER_SILENT for a refunded task, else empty.
        replaced: Whether a re-audit replaced the worker's provisional result (``ResultReplaced``).
    """

    inconclusive: tuple[int, ...]
    accepted: int | None
    worker_paid: int | None
    worker_penalty: str
    worker_slashed: int
    silent_auditors: tuple[str, ...]
    refund_reason: str
    replaced: bool = False


@dataclass(frozen=True)
class TaskParams:
    """What a requester asks for when it posts a task (``ITaskMarket.TaskParams``).

    Attributes:
        module_cid: IPFS CID of the WebAssembly module.
        module_hash: keccak256 of the module's bytes (32 bytes).
        input_cid: IPFS CID of the input.
        input_hash: keccak256 of the input bytes (32 bytes).
        fuel: Fuel limit for every run (1 to the market's ``maxFuel``).
        reward: Wei for the worker if its answer is the decided one (at least ``fuel × minFuelPrice``).
        audit_fee: Wei for each auditor that reveals the decided result (at least ``fuel × minFuelPrice``).
        auditors: Auditors drawn per round (1 to the market's ``maxAuditors``).
        theta: Group credibility needed to accept a result, WAD, in (0.5, 1].
        requester_key: Empty for a public output; else the requester's raw 64-byte secp256k1 public key,
            which makes the task confidential (nodes upload the output encrypted to it).
        gate: The zero address for an open task; else an ``IComputeGate`` contract, which must post the task itself
            and decides which nodes may claim or audit it (compute-to-data).

    Raises:
        ChainValueError: if ``requester_key`` is neither empty nor 64 bytes.
    """

    module_cid: str
    module_hash: bytes
    input_cid: str
    input_hash: bytes
    fuel: int
    reward: int
    audit_fee: int
    auditors: int
    theta: int
    requester_key: bytes = b""
    gate: str = ZERO_ADDRESS

    def __post_init__(self) -> None:
        if len(self.requester_key) not in (0, 64):
            raise ChainValueError(
                f"requester_key must be empty or a raw 64-byte public key (got {len(self.requester_key)})"
            )

    def as_tuple(self) -> tuple[str, bytes, str, bytes, int, int, int, int, int, list[bytes], str]:
        """The ABI tuple (a public output's key is two zero words)."""
        key = self.requester_key or bytes(64)
        return (
            self.module_cid,
            self.module_hash,
            self.input_cid,
            self.input_hash,
            self.fuel,
            self.reward,
            self.audit_fee,
            self.auditors,
            self.theta,
            [key[:32], key[32:]],
            self.gate,
        )


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
        self._posted: dict[int, Posted] = {}
        self._params: TaskMarketParams | None = None

    # ---------------------------------------------------------------- requester

    def post(self, params: TaskParams, *, requester: LocalAccount) -> int:
        """Post the task ``params`` describes from ``requester``, escrowing :func:`escrow` wei.

        Returns:
            The new task's id.

        Raises:
            ContractRevertError: ``MissingTaskData``, ``BadFuel``, ``RewardTooLow``, ``AuditFeeTooLow``,
                ``BadAuditorCount``, ``BadThreshold``, ``QuorumUnreachable``, ``WrongEscrow`` or ``BadRequesterKey``
                (not the requester's own key).
        """
        value = escrow(params.reward, params.audit_fee, params.auditors, self.params().max_rounds)
        call = self.contract.functions.post(params.as_tuple())
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
        """Claim an Open task as its worker (it must then commit within :meth:`fuel_window` seconds).

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
        """Commit to ``result`` under ``salt`` (keep the salt: the reveal needs it): the worker while the task is
        CLAIMED, a drawn auditor during its round.

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
        """Close the current round, or end a CLAIMED task whose worker missed its deadline (anyone).

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
        """The record of ``task_id``, with what was posted.

        Raises:
            ContractRevertError: ``UnknownTask``.
            ChainError: if the chain holds no ``TaskPosted`` event for it (an RPC node that prunes logs).
        """
        record = dict(zip(_RECORDED, self.chain.call(self.contract.functions.taskOf(task_id)), strict=True))
        record.update(
            state=TaskState(record["state"]), outcome=Outcome(record["outcome"]), result=bytes(record["result"])
        )
        return Task(task_id, **record, **asdict(self.posted(task_id, record["posted_block"])))

    def posted(self, task_id: int, block: int) -> Posted:
        """What was posted as ``task_id`` in ``block`` (read once from its ``TaskPosted`` event, then kept).

        Raises:
            ChainError: if ``block`` holds no such event.
        """
        if task_id not in self._posted:
            logs = self.contract.events.TaskPosted().get_logs(
                from_block=block, to_block=block, argument_filters={"taskId": task_id}
            )
            if not logs:
                raise ChainError(
                    f"block {block} holds no TaskPosted event of task {task_id}: use an RPC node that keeps logs"
                )
            params = logs[0].args.params
            key = b"".join(bytes(word) for word in params["requesterKey"])
            self._posted[task_id] = Posted(
                params["moduleCid"],
                bytes(params["moduleHash"]),
                params["inputCid"],
                bytes(params["inputHash"]),
                key if any(key) else b"",
            )
        return self._posted[task_id]

    def entry_of(self, task_id: int, node: str) -> Entry:
        """What ``node`` did in ``task_id``.

        Raises:
            ContractRevertError: ``UnknownTask``.
        """
        answer, round_, revealed = self.chain.call(self.contract.functions.entryOf(task_id, node))
        return Entry(bytes(answer), round_, revealed)

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

    def fuel_window(self, fuel: int) -> int:
        """Seconds a node is given to run ``fuel`` and commit (``commitWindow + ⌈fuel / fuelRate⌉``)."""
        return int(self.chain.call(self.contract.functions.fuelWindow(fuel)))

    def may_compute(self, task: Task, node: str) -> bool:
        """Whether ``task``'s gate lets ``node`` compute it (always, for an open task), read the way the market
        reads it: only a call that succeeds with one word holding 1 (the ABI's ``true``) is a yes.

        The gate may change its answer later; the market asks it again at the claim and at every draw.
        """
        if int(task.gate, 16) == 0:
            return True
        query = _MAY_COMPUTE + abi_encode(["uint256", "address"], [task.task_id, node])
        try:
            answer = bytes(self.chain.w3.eth.call({"to": task.gate, "data": query}))
        except (Web3Exception, ValueError):
            return False
        return answer == (1).to_bytes(32, "big")

    def task_count(self) -> int:
        """Tasks posted so far (ids run from 1)."""
        return int(self.chain.call(self.contract.functions.taskCount()))

    def reveals(self, task: Task) -> list[Reveal]:
        """Every reveal of ``task``, in chain order (read from the ``ResultRevealed`` events)."""
        logs = self.contract.events.ResultRevealed().get_logs(
            from_block=task.posted_block, argument_filters={"taskId": task.task_id}
        )
        return [Reveal(log.args.node, bytes(log.args.result), log.args.outputCid) for log in logs]

    def verdict(self, task: Task) -> Verdict:
        """How ``task`` has been judged so far (read from its events)."""
        events = self.contract.events

        def logs(name: str) -> list[Any]:
            return list(
                getattr(events, name)().get_logs(
                    from_block=task.posted_block, argument_filters={"taskId": task.task_id}
                )
            )

        accepted = logs("TaskAccepted")
        paid = logs("WorkerPaid")
        penalties = logs("WorkerPenalised")
        refunds = logs("TaskRefunded")
        return Verdict(
            inconclusive=tuple(int(log.args.best) for log in logs("RoundInconclusive")),
            accepted=int(accepted[0].args.credibility) if accepted else None,
            worker_paid=int(paid[0].args.reward) if paid else None,
            worker_penalty=reason_text(penalties[0].args.reason) if penalties else "",
            worker_slashed=int(penalties[0].args.slashed) if penalties else 0,
            silent_auditors=tuple(log.args.node for log in logs("RevealMissed")),
            refund_reason=reason_text(refunds[0].args.reason) if refunds else "",
            replaced=bool(logs("ResultReplaced")),
        )

    def requester_key(self, task: Task) -> bytes:
        """The raw 64-byte public key a confidential ``task``'s output is sealed to.

        Raises:
            ChainError: if the task is not confidential.
        """
        if not task.confidential:
            raise ChainError(f"task {task.task_id} is not confidential: its output is public")
        return task.requester_key

    def params(self) -> TaskMarketParams:
        """The deployment parameters (read once: they are immutable)."""
        if self._params is None:
            self._params = TaskMarketParams.read(uint_getter(self.chain, self.contract))
        return self._params
