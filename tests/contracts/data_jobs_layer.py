"""Helpers for the DataJobs tests: the market contracts, the compute market and DataJobs wired as ``kura deploy``
wires them (DataJobs named the DataMarket's compute market), a listing open to jobs, and job parameters."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from kura.chain.client import Chain
from kura.chain.data_jobs import DataJobsClient, JobParams
from kura.chain.deployments import Deployment
from kura.compute.sealing import account_public_key
from kura.units import EPSILON_ONE
from tests.contracts.compute_layer import FUEL, ComputeLayer
from tests.contracts.market_layer import EPIDEMIOLOGY, SELLER, Cohort, MarketLayer
from tests.contracts.trust_layer import PARAMS

MODULE = keccak(b"dp_cohort_aggregate.wasm")
JOB_PRICE = 10**15
REWARD = 10**16
AUDIT_FEE = 10**14
AUDITORS_PER_ROUND = 2
THETA = 8 * 10**17
"""Two never-checked auditors reach it (the fewest at this theta, so the market takes the task)."""
DATASET_EPSILON = EPSILON_ONE
BUYER_EPSILON = 6 * EPSILON_ONE // 10
WORKER, LIAR = 12, 13
AUDITORS = (14, 15, 16)
STRANGER_NODE = 17
"""A compute node the seller never approves."""


@dataclass
class JobsLayer:
    """The market, the compute market and DataJobs on one chain."""

    chain: Chain
    market: MarketLayer
    compute: ComputeLayer
    jobs: DataJobsClient

    @classmethod
    def deploy(cls, chain: Chain) -> JobsLayer:
        """Deploy everything, with the market's three founding institutions."""
        return cls.deploy_over(chain, MarketLayer.deploy(chain))

    @classmethod
    def deploy_over(cls, chain: Chain, market: MarketLayer) -> JobsLayer:
        """Deploy the compute market and DataJobs over ``market``, and name DataJobs its compute market."""
        compute = ComputeLayer.deploy(chain)
        owner = chain.account(0)
        deployed = chain.deploy(
            "DataJobs",
            market.deployment.address("InstitutionRegistry"),
            market.deployment.address("DataMarket"),
            compute.market.contract.address,
            sender=owner,
        )
        jobs = DataJobsClient(chain, Deployment(chain.chain_id, chain.genesis_hash, {"DataJobs": deployed}))
        market.market.set_compute_market(jobs.address, deployer=owner)
        return cls(chain, market, compute, jobs)

    def account(self, index: int) -> LocalAccount:
        return self.chain.account(index)

    def open_listing(self, *, nodes: tuple[int, ...] = (WORKER, LIAR, *AUDITORS)) -> tuple[int, Cohort]:
        """A listing open to jobs of ``MODULE``, with its compute dataset named and ``nodes`` approved."""
        listing_id, _, cohort = self.market.listing()
        seller = self.account(SELLER)
        self.market.market.configure_compute(
            listing_id, job_price=JOB_PRICE, dataset_epsilon=DATASET_EPSILON, buyer_epsilon=BUYER_EPSILON, seller=seller
        )
        self.market.market.set_module(listing_id, MODULE, 4096, seller=seller)
        self.jobs.set_dataset(listing_id, secrets.token_bytes(32), secrets.token_bytes(32), seller=seller)
        for node in nodes:
            self.market.market.set_node(listing_id, self.account(node).address, True, seller=seller)
        return listing_id, cohort

    def access(self, listing_id: int, buyer: int, jobs: int = 3) -> int:
        return self.market.market.buy_compute(
            listing_id, jobs=jobs, job_price=JOB_PRICE, purpose=EPIDEMIOLOGY, buyer=self.account(buyer)
        )

    def params(self, access_id: int, buyer: int, **changes: object) -> JobParams:
        """Job parameters that pass every check; ``changes`` override fields."""
        base = JobParams(
            access_id,
            "bafy-module",
            MODULE,
            EPSILON_ONE // 10,
            "bafy-query",
            keccak(b"query"),
            FUEL,
            REWARD,
            AUDIT_FEE,
            AUDITORS_PER_ROUND,
            THETA,
            account_public_key(bytes(self.account(buyer).key)),
        )
        return replace(base, **changes)

    def submit(self, params: JobParams, buyer: int) -> tuple[int, int]:
        """Submit ``params`` as account ``buyer``; the job and task ids."""
        job_id, task_id, _ = self.jobs.submit(params, max_rounds=PARAMS.tasks.max_rounds, buyer=self.account(buyer))
        return job_id, task_id

    @property
    def escrow(self) -> int:
        return self.params(0, 0).escrow(PARAMS.tasks.max_rounds)
