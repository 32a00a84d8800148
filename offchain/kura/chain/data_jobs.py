"""Typed client for the ``DataJobs`` contract: compute-to-data jobs, each debited on the DataMarket and run as a
TaskMarket task gated to the listing's approved nodes; the compute dataset of a listing and the dataset key
sealed to each approved node."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.institution_registry import key_words
from kura.chain.pull_payments import PullPaymentsClient
from kura.chain.receipts import first_emitted
from kura.chain.task_market import escrow
from kura.errors import ChainError


@dataclass(frozen=True)
class JobParams:
    """What a buyer submits (``IDataJobs.JobParams``); the escrow (:meth:`escrow`) is the transaction's value.

    Attributes:
        access_id: The buyer's compute access on the DataMarket.
        module_cid: IPFS CID of the WebAssembly module. module_hash: keccak256 of its bytes.
        epsilon: ε the job spends, in ``EPSILON_ONE`` units.
        input_cid: IPFS CID of the job's public parameters. input_hash: keccak256 of them.
        fuel: Fuel limit of every run.
        reward: Wei for the worker. audit_fee: Wei for each auditor whose answer is accepted.
        auditors: Auditors drawn per round.
        theta: Group credibility needed to accept a result, WAD.
        buyer_key: The buyer's raw 64-byte account public key (the output is sealed to it).
    """

    access_id: int
    module_cid: str
    module_hash: bytes
    epsilon: int
    input_cid: str
    input_hash: bytes
    fuel: int
    reward: int
    audit_fee: int
    auditors: int
    theta: int
    buyer_key: bytes

    def escrow(self, max_rounds: int) -> int:
        """Wei the TaskMarket escrows for the job: the reward and the largest audit budget of ``max_rounds``."""
        return escrow(self.reward, self.audit_fee, self.auditors, max_rounds)

    def as_tuple(self) -> tuple[Any, ...]:
        """The ABI tuple.

        Raises:
            ChainValueError: if ``buyer_key`` is not 64 bytes.
        """
        return (
            self.access_id,
            self.module_cid,
            self.module_hash,
            self.epsilon,
            self.input_cid,
            self.input_hash,
            self.fuel,
            self.reward,
            self.audit_fee,
            self.auditors,
            self.theta,
            key_words(self.buyer_key),
        )


@dataclass(frozen=True)
class Job:
    """A job as the chain records it (``IDataJobs.Job``)."""

    job_id: int
    listing_id: int
    access_id: int
    buyer: int
    consent_snapshot: int
    epsilon: int
    settled: bool
    escrow: int
    task_id: int
    module_hash: bytes
    consent_purpose: bytes


@dataclass(frozen=True)
class Dataset:
    """The compute dataset of a listing: the kura file of per-patient rows and its manifest sealed under the key."""

    file_id: bytes
    manifest_digest: bytes


class DataJobsClient(PullPaymentsClient):
    """Calls to the deployed ``DataJobs``; reverts surface as ``ContractRevertError``."""

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.contract = chain.contract("DataJobs", deployment.address("DataJobs"))

    @property
    def address(self) -> str:
        """The contract's address (it numbers the jobs: the noise seed binds it)."""
        return str(self.contract.address)

    def set_dataset(
        self, listing_id: int, file_id: bytes, manifest_digest: bytes, *, seller: LocalAccount
    ) -> TxReceipt:
        """Name ``listing_id``'s compute dataset.

        Raises:
            ContractRevertError: ``NotListingSeller``, ``BadParameter`` or ``UnknownListing``.
        """
        call = self.contract.functions.setDataset(listing_id, file_id, manifest_digest)
        return self.chain.transact(call, sender=seller)

    def seal_key(self, listing_id: int, node: str, sealed_key: bytes, *, seller: LocalAccount) -> TxReceipt:
        """Give approved ``node`` the dataset key, sealed to it.

        Raises:
            ContractRevertError: ``NotListingSeller``, ``NodeNotApproved`` or ``BadParameter``.
        """
        return self.chain.transact(self.contract.functions.sealKey(listing_id, node, sealed_key), sender=seller)

    def submit(self, params: JobParams, *, max_rounds: int, buyer: LocalAccount) -> tuple[int, int, TxReceipt]:
        """Submit a job, escrowing ``params.escrow(max_rounds)`` (``max_rounds``: the TaskMarket's).

        Returns:
            The job id, its task id, and the receipt (for its gas).

        Raises:
            ContractRevertError: ``NotAccessBuyer``, ``BadBuyerKey``, ``NoDataset``, and the DataMarket's refusals
                (``ModuleNotApproved``, ``PrivacyBudgetExceeded``, ``NoJobsLeft``, ``ConsentNotCurrent``, ...) and
                the TaskMarket's (``WrongEscrow``, ``BadAuditorCount``, ``RewardTooLow``, ``QuorumUnreachable``, ...).
        """
        call = self.contract.functions.submit(params.as_tuple())
        receipt = self.chain.transact(call, sender=buyer, value=params.escrow(max_rounds))
        args = first_emitted(self.contract, "JobSubmitted", receipt)
        return int(args["jobId"]), int(args["taskId"]), receipt

    def settle(self, job_id: int, *, sender: LocalAccount) -> TxReceipt:
        """Credit the buyer what the job's task did not spend, once it ended (anyone).

        Raises:
            ContractRevertError: ``JobNotOver``, ``JobAlreadySettled`` or ``UnknownJob``.
        """
        return self.chain.transact(self.contract.functions.settle(job_id), sender=sender)

    def job_of(self, job_id: int) -> Job:
        """Job ``job_id``.

        Raises:
            ContractRevertError: ``UnknownJob``.
        """
        (listing, access, buyer, snapshot, epsilon, settled, escrow, task, module, purpose) = self.chain.call(
            self.contract.functions.jobOf(job_id)
        )
        return Job(
            job_id, listing, access, buyer, snapshot, epsilon, settled, escrow, task, bytes(module), bytes(purpose)
        )

    def job_of_task(self, task_id: int) -> int:
        """The job task ``task_id`` runs (0: the task is no data job)."""
        return int(self.chain.call(self.contract.functions.jobOfTask(task_id)))

    def dataset_of(self, listing_id: int) -> Dataset:
        """``listing_id``'s compute dataset (zero fields if none)."""
        file_id, digest = self.chain.call(self.contract.functions.datasetOf(listing_id))
        return Dataset(bytes(file_id), bytes(digest))

    def job_count(self) -> int:
        """How many jobs exist (ids run from 1)."""
        return int(self.chain.call(self.contract.functions.jobCount()))

    def may_compute(self, task_id: int, node: str) -> bool:
        """Whether ``node`` may claim or audit task ``task_id`` (approved for its job's listing)."""
        return bool(self.chain.call(self.contract.functions.mayCompute(task_id, node)))

    def sealed_key(self, listing_id: int, node: str, *, from_block: int = 0) -> bytes:
        """The latest dataset key of ``listing_id`` sealed to ``node`` (its ``DatasetKeySealed`` event).

        Raises:
            ChainError: if the seller never sealed the key to this node.
        """
        logs = self.contract.events.DatasetKeySealed().get_logs(
            from_block=from_block, argument_filters={"listingId": listing_id, "node": node}
        )
        if not logs:
            raise ChainError(
                f"listing {listing_id}'s seller has not sealed its dataset key to {node}: ask the "
                "seller to approve the node (`kura market job approve-node`)"
            )
        return bytes(logs[-1].args.sealedKey)

    def buyer_key(self, job_id: int, *, from_block: int = 0) -> bytes:
        """The raw 64-byte public key job ``job_id``'s output is sealed to (its ``JobSubmitted`` event).

        Raises:
            ChainError: if the chain's logs hold no such event.
        """
        logs = self.contract.events.JobSubmitted().get_logs(from_block=from_block, argument_filters={"jobId": job_id})
        if not logs:
            raise ChainError(f"no JobSubmitted event for job {job_id} from block {from_block}")
        x, y = logs[-1].args.buyerKey
        return bytes(x) + bytes(y)

    def submissions(self, *, from_block: int = 0) -> list[dict[str, Any]]:
        """Every ``JobSubmitted`` event's arguments, in chain order (with its block number)."""
        return [
            {**dict(log.args), "block": log.blockNumber}
            for log in self.contract.events.JobSubmitted().get_logs(from_block=from_block)
        ]
