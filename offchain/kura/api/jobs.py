"""Compute-to-data through the public API: the seller offers a listing for jobs, the buyer runs them and reads the
checked, disclosure-controlled result; :class:`DataJobInputs` is what an approved node's agent builds inputs with.

Seller: :meth:`Jobs.offer` stores the listing's per-patient rows as a kura file, seals its manifest under a
dataset key K (never given to a buyer), names it on ``DataJobs``, sets the price and ε budgets, and approves the
shipped ``dp_cohort_aggregate`` module; :meth:`Jobs.approve_node` approves a node on the DataMarket and seals K
to its account key. Buyer: :meth:`Jobs.buy` pays for jobs; :meth:`Jobs.run` posts the query; :meth:`Jobs.result`
waits for the audited task, opens the output sealed to the buyer and checks it (:func:`kura.market.c2d.check_output`).
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

from eth_utils import keccak, to_canonical_address

from kura.api.storage import file_id_of
from kura.chain.consent_registry import purpose_id
from kura.chain.data_jobs import Job, JobParams
from kura.chain.receipts import first_emitted
from kura.chain.task_market import Task, TaskState
from kura.compute.outcome import TaskOutcome, TaskStatus
from kura.compute.requester import TaskTerms, resolve_terms
from kura.compute.sandbox import DEFAULT_FUEL
from kura.compute.sealing import account_public_key, open_output
from kura.compute.tasks import load
from kura.compute.tasks.dp_cohort_format import OUTPUT_CAP
from kura.crypto import ecies
from kura.errors import ComputeToDataError, DecryptionError, InputRefusedError, IpfsError, TaskError
from kura.market import exchange
from kura.market.c2d import TASK, CohortQuery, CohortResult, build_input, check_output, noise_seed
from kura.market.dataset import PreparedDataset
from kura.market.job_query import decode_query, encode_query, fixed_epsilon
from kura.market.snapshot import ConsentSnapshot
from kura.results import Result
from kura.storage.shared.manifest import ManifestGrant
from kura.units import Amount, to_wad, to_wei

if TYPE_CHECKING:
    from kura.api.session import Kura

_KEY_DOMAIN = b"kura/c2d-dataset-key/v1"


def key_aad(jobs: str, listing_id: int) -> bytes:
    """The associated data that binds a sealed dataset key to ``listing_id`` of the DataJobs contract at ``jobs``."""
    return _KEY_DOMAIN + to_canonical_address(jobs) + listing_id.to_bytes(32, "big")


@dataclass(frozen=True)
class ComputeOffered(Result):
    """A listing opened for compute-to-data."""

    listing_id: int
    file_id: bytes
    module_hash: bytes
    job_price: int
    dataset_epsilon: int
    buyer_epsilon: int
    rows: int


@dataclass(frozen=True)
class JobSubmitted(Result):
    """A job accepted on chain (its ε debited) and posted as a gated task."""

    job_id: int
    task_id: int
    access_id: int
    epsilon: int
    gas: int


@dataclass(frozen=True)
class JobResult(Result):
    """A job's checked result: the released cells, what disclosure control withheld, and the task's ending."""

    job_id: int
    task_id: int
    state: str
    result: CohortResult
    output: bytes


class Jobs:
    """Compute-to-data, acting as the session's account (a member institution's current account)."""

    def __init__(self, session: Kura) -> None:
        self._session = session

    # ---------------------------------------------------------------- seller

    def offer(
        self,
        listing_id: int,
        prepared: PreparedDataset,
        *,
        job_price: Amount,
        dataset_epsilon: Fraction,
        buyer_epsilon: Fraction,
        k: int = 3,
        n: int = 5,
    ) -> ComputeOffered:
        """Open listing ``listing_id`` for jobs over ``prepared``'s per-patient rows.

        Args:
            listing_id: A listing of this institution.
            prepared: The records the listing was built from (its compute rows are stored, encrypted).
            job_price: Ether per job.
            dataset_epsilon: ε all buyers together may spend on the dataset.
            buyer_epsilon: ε one buyer may spend.
            k: Shares needed to rebuild the rows file. n: Shares stored.

        Raises:
            ContractRevertError: ``NotListingSeller``/``NotInstitutionAccount``, ``BudgetRaised``, ...
            ComputeToDataError: if a budget is not a whole number of millionths.
        """
        session = self._session
        contracts = session.contracts
        with tempfile.TemporaryDirectory(prefix="kura-c2d-") as folder:
            path = Path(folder) / f"compute-rows-{listing_id}.json"
            path.write_text(json.dumps(list(map(dict, prepared.rows)), sort_keys=True, separators=(",", ":")))
            stored = session.storage.put(path, k=k, n=n)
        digest, _ = session.market.grant(stored.file_id, version=1)
        raw_id = file_id_of(stored.file_id)
        contracts.jobs.set_dataset(listing_id, raw_id, digest, seller=session.account)
        price = to_wei(job_price)
        contracts.market.configure_compute(
            listing_id,
            job_price=price,
            dataset_epsilon=fixed_epsilon(dataset_epsilon),
            buyer_epsilon=fixed_epsilon(buyer_epsilon),
            seller=session.account,
        )
        module_hash = keccak(load(TASK))
        contracts.market.set_module(listing_id, module_hash, OUTPUT_CAP, seller=session.account)
        return ComputeOffered(
            listing_id,
            raw_id,
            module_hash,
            price,
            fixed_epsilon(dataset_epsilon),
            fixed_epsilon(buyer_epsilon),
            len(prepared.rows),
        )

    def approve_node(self, listing_id: int, node_key: bytes) -> str:
        """Approve the node whose raw 64-byte account public key is ``node_key`` to compute and audit jobs over
        ``listing_id``, and seal the dataset key to it.

        Returns:
            The node's address.

        Raises:
            KeyExchangeError: if ``node_key`` is not a public key. ContractRevertError: ``TooManyNodes``, ...
        """
        session = self._session
        contracts = session.contracts
        node = exchange.key_address(node_key)
        dataset = contracts.jobs.dataset_of(listing_id)
        key = session.market.dataset_key(dataset.file_id, 1)
        sealed = ecies.encrypt(ecies.load_public_key(node_key), key, aad=key_aad(contracts.jobs.address, listing_id))
        contracts.market.set_node(listing_id, node, True, seller=session.account)
        contracts.jobs.seal_key(listing_id, node, sealed, seller=session.account)
        return node

    # ---------------------------------------------------------------- buyer

    def buy(self, listing_id: int, *, jobs: int = 1, purpose: str = "HRESCH") -> int:
        """Pay for ``jobs`` jobs over ``listing_id`` at its current job price; return the access id.

        Raises:
            ContractRevertError: ``ComputeNotOffered``, ``ConsentNotCurrent``, ``PurposeNotAllowed``, ...
        """
        market = self._session.contracts.market
        price = market.compute_terms_of(listing_id).job_price
        return market.buy_compute(
            listing_id, jobs=jobs, job_price=price, purpose=purpose_id(purpose), buyer=self._session.account
        )

    def run(
        self,
        access_id: int,
        query: CohortQuery,
        *,
        reward: Amount,
        auditors: int | None = None,
        theta: Amount = "0.9",
        fuel: int = DEFAULT_FUEL,
    ) -> JobSubmitted:
        """Post a ``dp_cohort_aggregate`` job over the listing of ``access_id``.

        Args:
            access_id: This institution's compute access.
            query: The question (its ε is debited from the dataset's and this buyer's budgets).
            reward: Ether for the compute node if its answer is accepted.
            auditors: Auditors drawn per round (default: the fewest new auditors that decide in one round).
            theta: Credibility a result needs to be accepted.
            fuel: Fuel limit of every run.

        Raises:
            ContractRevertError: ``ModuleNotApproved``, ``PrivacyBudgetExceeded``, ``NoJobsLeft``,
                ``ConsentNotCurrent``, ``NotAccessBuyer``, ... (all before anything runs).
            TaskError: if the terms break the TaskMarket's rules (pay below its price, a quorum it cannot reach).
            ComputeToDataError: if the query's ε is not a whole number of millionths.
        """
        session = self._session
        module = load(TASK)
        document = encode_query(query)
        ipfs = session.tasks.ipfs
        epsilon = fixed_epsilon(query.params.epsilon)
        market = session.contracts.tasks.params()
        terms = resolve_terms(market, TaskTerms(to_wei(reward), auditors, None, to_wad(theta), fuel))
        params = JobParams(
            access_id,
            ipfs.add(module),
            keccak(module),
            epsilon,
            ipfs.add(document),
            keccak(document),
            terms.fuel,
            terms.reward,
            terms.audit_fee,
            terms.auditors,
            terms.theta,
            account_public_key(bytes(session.account.key)),
        )
        job_id, task_id, receipt = session.contracts.jobs.submit(
            params, max_rounds=market.max_rounds, buyer=session.account
        )
        return JobSubmitted(job_id, task_id, access_id, epsilon, int(receipt["gasUsed"]))

    def job(self, job_id: int) -> Job:
        """Job ``job_id`` as the chain records it.

        Raises:
            ContractRevertError: ``UnknownJob``.
        """
        return self._session.contracts.jobs.job_of(job_id)

    def result(self, job_id: int, query: CohortQuery | None = None, *, timeout: float = 300.0) -> JobResult:
        """Wait for job ``job_id``'s task to end, open the output sealed to this account and check it against
        ``query`` (default: the job's own parameters, read from IPFS and checked against the task's input hash).

        Raises:
            TaskError: if the task ended without a result, or has not ended after ``timeout`` seconds.
            DecryptionError: if this account is not the job's buyer.
            ComputeToDataError: if the output breaks the schema or the query's disclosure rules.
        """
        session = self._session
        job = self.job(job_id)
        report = session.tasks.wait(job.task_id, timeout=timeout)
        if report.state != TaskState.ACCEPTED.name:
            raise TaskError(
                f"job {job_id}'s task {job.task_id} ended {report.state} without a result; "
                f"take the reward back with `kura market job settle {job_id}`"
            )
        task = session.contracts.tasks.task_of(job.task_id)
        asked = query or self._posted_query(task)
        output = self._sealed_output(task)
        return JobResult(job_id, job.task_id, report.state, check_output(output, asked.params), output)

    def settle(self, job_id: int) -> int:
        """Credit this job's buyer what its task did not spend, once it ended; returns the wei credited.

        Raises:
            ContractRevertError: ``JobNotOver``, ``JobAlreadySettled``.
        """
        jobs = self._session.contracts.jobs
        receipt = jobs.settle(job_id, sender=self._session.account)
        return int(first_emitted(jobs.contract, "JobSettled", receipt)["refund"])

    def _posted_query(self, task: Task) -> CohortQuery:
        document = self._session.tasks.ipfs.cat(task.input_cid, timeout=60)
        if keccak(document) != task.input_hash:
            raise ComputeToDataError(f"the parameters of task {task.task_id} on IPFS do not hash to its input hash")
        return decode_query(document)

    def _sealed_output(self, task: Task) -> bytes:
        market = self._session.contracts.tasks
        ipfs = self._session.tasks.ipfs
        for revealed in market.reveals(task):
            if revealed.result != task.result or not revealed.output_cid:
                continue
            try:
                output = open_output(
                    bytes(self._session.account.key),
                    ipfs.cat(revealed.output_cid, timeout=60),
                    market=market.contract.address,
                    task_id=task.task_id,
                )
            except (IpfsError, DecryptionError):
                continue
            if TaskOutcome(TaskStatus.OK, output=output).commitment_hash == task.result:
                return output
        raise DecryptionError(
            f"no output of task {task.task_id} revealed with the accepted result opens with "
            f"{self._session.address}'s key to matching bytes: only the job's buyer can read it"
        )


class DataJobInputs:
    """The input provider of an approved node's compute agent (:class:`kura.compute.inputs.InputProvider`).

    For a data job it reads the job document the task posts, opens the dataset key sealed to this node, reads the
    listing's rows through their sealed manifest, keeps only the members of the consent snapshot the job pinned,
    derives the noise seed from the key and the job id, and builds the module's input; the output is sealed to the
    buyer. Any other task runs on its posted bytes. Rows and snapshots are cached per (listing, file, snapshot).
    """

    def __init__(self, session: Kura) -> None:
        self._session = session
        self._rows: dict[tuple[int, bytes, bytes], list[dict[str, str]]] = {}
        self._members: dict[tuple[int, bytes, int], frozenset[str]] = {}

    def input_for(self, task: Task, posted: bytes) -> bytes:
        """The module input of a data job (``posted`` itself for any other task).

        Raises:
            InputRefusedError: if the job document is malformed or names another ε than the chain debited.
            ChainError: if the seller has not sealed the dataset key to this node.
        """
        job_id = self._job_id(task)
        if job_id == 0:
            return posted
        jobs = self._session.contracts.jobs
        job = jobs.job_of(job_id)
        try:
            query = decode_query(posted)
            if fixed_epsilon(query.params.epsilon) != job.epsilon:
                raise ComputeToDataError(
                    f"the job document spends epsilon {query.params.epsilon}, the chain "
                    f"debited {job.epsilon} millionths"
                )
        except ComputeToDataError as exc:
            raise InputRefusedError(f"data job {job_id}: {exc}") from exc
        key = ecies.decrypt(
            ecies.load_private_key(bytes(self._session.account.key)),
            jobs.sealed_key(job.listing_id, self._session.address),
            aad=key_aad(jobs.address, job.listing_id),
        )
        seed = noise_seed(key, job_id, market=jobs.address)
        return build_input(self._dataset(job.listing_id, key), query, seed, self._consented(job))

    def output_key(self, task: Task) -> bytes | None:
        """The buyer's key for a data job; None for any other task."""
        job_id = self._job_id(task)
        return None if job_id == 0 else self._session.contracts.jobs.buyer_key(job_id)

    def _job_id(self, task: Task) -> int:
        """The data job ``task`` runs, 0 for any other task (an open one never asks the DataJobs contract)."""
        if int(task.gate, 16) == 0:
            return 0
        jobs = self._session.contracts.jobs
        if task.gate != jobs.address or task.requester != jobs.address:
            return 0
        return jobs.job_of_task(task.task_id)

    def _dataset(self, listing_id: int, key: bytes) -> list[dict[str, str]]:
        dataset = self._session.contracts.jobs.dataset_of(listing_id)
        cache = (listing_id, dataset.file_id, dataset.manifest_digest)
        if cache not in self._rows:
            with tempfile.TemporaryDirectory(prefix="kura-c2d-rows-") as folder:
                target = Path(folder) / "rows.json"
                self._session.storage.client.get(
                    dataset.file_id, target, grant=ManifestGrant(dataset.manifest_digest, key)
                )
                self._rows[cache] = json.loads(target.read_text())
        return self._rows[cache]

    def _consented(self, job: Job) -> frozenset[str]:
        seller = self._session.contracts.market.listing_of(job.listing_id).seller
        cache = (seller, job.consent_purpose, job.consent_snapshot)
        if cache not in self._members:
            snapshot: ConsentSnapshot = self._session.consent.published(
                seller, job.consent_purpose, job.consent_snapshot
            )
            self._members[cache] = frozenset(member.pseudonym.hex() for member in snapshot.members)
        return self._members[cache]
