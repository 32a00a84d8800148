"""Helpers for the TaskMarket tests: a fresh registry + market with test parameters, nodes with a given
spot-check history, and one-call drivers for each step of a task."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from kura.api.tasks import explain
from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.node_registry import NodeRegistryClient
from kura.chain.params import NodeRegistryParams, SampledAuditsParams, TaskMarketParams
from kura.chain.sampled_audits import SampledAuditsClient
from kura.chain.task_market import ZERO_ADDRESS, TaskMarketClient, TaskParams, TaskState
from tests.contracts.trust_layer import PARAMS, advance, deploy_registry, join, mine

THETA = 9 * 10**17
REWARD = 10**17
AUDIT_FEE = 10**15
FUEL = 10**6

JUDGE = 9
"""Account allowed to judge the registry directly, to give test nodes a spot-check history."""

RIGHT = keccak(b"right answer")
WRONG = keccak(b"wrong answer")


@dataclass
class ComputeLayer:
    """A fresh NodeRegistry, SampledAudits and TaskMarket (a judge of the registry, the ledger's market), plus an EOA
    judge for setting up histories."""

    chain: Chain
    registry: NodeRegistryClient
    market: TaskMarketClient
    params: TaskMarketParams
    sampler: SampledAuditsClient
    salts: dict[tuple[int, str], bytes] = field(default_factory=dict)

    @classmethod
    def deploy(
        cls,
        chain: Chain,
        params: TaskMarketParams = PARAMS.tasks,
        nodes: NodeRegistryParams = PARAMS.nodes,
        sampling: SampledAuditsParams = PARAMS.sampling,
    ) -> ComputeLayer:
        """Deploy a NodeRegistry with ``nodes``, a SampledAudits with ``sampling`` and a TaskMarket with ``params``."""
        owner = chain.account(0)
        registry = deploy_registry(chain, nodes)
        sampler = chain.deploy("SampledAudits", registry.address, *sampling.args(), sender=owner)
        market = chain.deploy("TaskMarket", registry.address, sampler.address, *params.args(), sender=owner)
        deployment = Deployment(
            chain.chain_id,
            chain.genesis_hash,
            {"NodeRegistry": registry, "SampledAudits": sampler, "TaskMarket": market},
        )
        layer = cls(
            chain,
            NodeRegistryClient(chain, deployment),
            TaskMarketClient(chain, deployment),
            params,
            SampledAuditsClient(chain, deployment),
        )
        chain.transact(layer.sampler.contract.functions.setMarket(market.address), sender=owner)
        layer.registry.set_judge(market.address, True, owner=owner)
        layer.registry.set_judge(chain.account(JUDGE).address, True, owner=owner)
        return layer

    def node(self, index: int, *, passed: int = 0, pool: bool = True) -> LocalAccount:
        """Register account ``index`` with ``passed`` spot-checks behind it, in the audit pool if asked."""
        account = self.chain.account(index)
        join(self.registry, account)
        for _ in range(passed):
            self.registry.record_spot_check(account.address, True, judge=self.chain.account(JUDGE))
        if pool:
            self.market.join_audit_pool(node=account)
        return account

    def compute_node(self, index: int) -> LocalAccount:
        """Register account ``index`` and promote it to a compute node (outside the audit pool)."""
        account = self.node(index, passed=self.registry.params().promotion_bar, pool=False)
        self.registry.promote(account.address, sender=account)
        return account

    def task_params(
        self,
        *,
        auditors: int,
        theta: int = THETA,
        reward: int = REWARD,
        audit_fee: int = AUDIT_FEE,
        fuel: int = FUEL,
        gate: str = ZERO_ADDRESS,
    ) -> TaskParams:
        """The terms of a test task (its module and input are placeholders no node runs)."""
        return TaskParams(
            "bafy-module",
            keccak(b"module"),
            "bafy-input",
            keccak(b"input"),
            fuel=fuel,
            reward=reward,
            audit_fee=audit_fee,
            auditors=auditors,
            theta=theta,
            gate=gate,
        )

    def post(
        self,
        requester: LocalAccount,
        *,
        auditors: int,
        theta: int = THETA,
        reward: int = REWARD,
        audit_fee: int = AUDIT_FEE,
        fuel: int = FUEL,
    ) -> int:
        params = self.task_params(auditors=auditors, theta=theta, reward=reward, audit_fee=audit_fee, fuel=fuel)
        return self.market.post(params, requester=requester)

    def commit(self, task_id: int, node: LocalAccount, answer: bytes) -> None:
        """Commit ``answer`` as ``node`` under a fresh salt, kept for :meth:`reveal`."""
        salt = secrets.token_bytes(32)
        self.salts[(task_id, node.address)] = salt
        self.market.commit(task_id, answer, salt, node=node)

    def reveal(self, task_id: int, node: LocalAccount, answer: bytes) -> None:
        self.market.reveal(
            task_id, answer, self.salts[(task_id, node.address)], f"bafy-out-{node.address[-4:]}", node=node
        )

    def claim_and_draw(self, task_id: int, worker: LocalAccount, answer: bytes = RIGHT) -> list[str]:
        """Claim as ``worker``, commit its ``answer``, wait for the seed block, draw; return the drawn auditors."""
        self.market.claim(task_id, worker=worker)
        self.commit(task_id, worker, answer)
        return self.draw(task_id)

    def draw(self, task_id: int) -> list[str]:
        seed_block = self.market.task_of(task_id).seed_block
        mine(self.chain, max(0, seed_block + 1 - self.chain.w3.eth.block_number))
        before = len(self.market.auditors_of(task_id))
        self.market.draw_auditors(task_id, sender=self.chain.account(0))
        return self.market.auditors_of(task_id)[before:]

    def play_round(self, task_id: int, answers: Mapping[str, bytes], accounts: Mapping[str, LocalAccount]) -> None:
        """Commit (auditors) then reveal (everyone) ``answers`` (node address → result) and finalize the round.

        The worker's answer must be the one it committed at :meth:`claim_and_draw`.
        """
        worker = self.market.task_of(task_id).worker
        for node, result in answers.items():
            if node != worker:
                self.commit(task_id, accounts[node], result)
        task = self.market.task_of(task_id)
        advance(self.chain, max(1, task.commit_deadline - self.now() + 1))
        for node, result in answers.items():
            self.reveal(task_id, accounts[node], result)
        if self.now() <= task.reveal_deadline:
            advance(self.chain, task.reveal_deadline - self.now() + 1)
        self.market.finalize(task_id, sender=self.chain.account(0))

    def now(self) -> int:
        return int(self.chain.w3.eth.get_block("latest")["timestamp"])

    def state(self, task_id: int) -> TaskState:
        return self.market.task_of(task_id).state

    def status(self, task_id: int) -> str:
        """What ``kura task status`` says of ``task_id`` below its first line."""
        task = self.market.task_of(task_id)
        verdict = self.market.verdict(task)
        drawn, revealed = len(self.market.auditors_of(task_id)), len(self.market.reveals(task))
        return explain(task, verdict, drawn, revealed, self.params, sampling=self.sampler.params())
