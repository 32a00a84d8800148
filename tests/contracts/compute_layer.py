"""Helpers for the TaskMarket tests: a fresh registry + market with test parameters, nodes with a given
spot-check history, and one-call drivers for each step of a task."""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.node_registry import NodeRegistryClient
from kura.chain.task_market import TaskMarketClient, TaskState
from tests.contracts.trust_layer import PROMOTION_BAR, advance, deploy_registry, join, mine

COMMIT_WINDOW = 100
REVEAL_WINDOW = 100
SEED_DELAY = 1
MAX_ROUNDS = 2
MAX_AUDITORS = 5
SLASH_BPS = 5_000
MISS_BPS = 1_000
F = 2 * 10**17
THETA = 9 * 10**17
REWARD = 10**17
AUDIT_FEE = 10**15
MARKET_PARAMS = (COMMIT_WINDOW, REVEAL_WINDOW, SEED_DELAY, MAX_ROUNDS, MAX_AUDITORS, SLASH_BPS, MISS_BPS, F)

JUDGE = 9
"""Account allowed to judge the registry directly, to give test nodes a spot-check history."""

RIGHT = keccak(b"right answer")
WRONG = keccak(b"wrong answer")


@dataclass
class ComputeLayer:
    """A fresh NodeRegistry and TaskMarket (a judge of it), plus an EOA judge for setting up histories."""

    chain: Chain
    registry: NodeRegistryClient
    market: TaskMarketClient

    @classmethod
    def deploy(cls, chain: Chain, *, params: Sequence[int] = MARKET_PARAMS) -> ComputeLayer:
        owner = chain.account(0)
        registry = deploy_registry(chain)
        market = chain.deploy("TaskMarket", registry.address, *params, sender=owner)
        deployment = Deployment(chain.chain_id, chain.genesis_hash, {"NodeRegistry": registry, "TaskMarket": market})
        layer = cls(chain, NodeRegistryClient(chain, deployment), TaskMarketClient(chain, deployment))
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
        account = self.node(index, passed=PROMOTION_BAR, pool=False)
        self.registry.promote(account.address, sender=account)
        return account

    def post(self, requester: LocalAccount, *, auditors: int, theta: int = THETA, reward: int = REWARD,
             audit_fee: int = AUDIT_FEE) -> int:
        return self.market.post(
            "bafy-module", keccak(b"module"), "bafy-input", keccak(b"input"), fuel=10**6, reward=reward,
            audit_fee=audit_fee, auditors=auditors, theta=theta, requester=requester,
        )

    def claim_and_draw(self, task_id: int, worker: LocalAccount) -> list[str]:
        """Claim as ``worker``, wait for the seed block, draw; return the drawn auditors."""
        self.market.claim(task_id, worker=worker)
        return self.draw(task_id)

    def draw(self, task_id: int) -> list[str]:
        seed_block = self.market.task_of(task_id).seed_block
        mine(self.chain, max(0, seed_block + 1 - self.chain.w3.eth.block_number))
        before = len(self.market.auditors_of(task_id))
        self.market.draw_auditors(task_id, sender=self.chain.account(0))
        return self.market.auditors_of(task_id)[before:]

    def play_round(self, task_id: int, answers: Mapping[str, bytes], accounts: Mapping[str, LocalAccount]) -> None:
        """Commit then reveal ``answers`` (node address → result) and finalize the round."""
        salts = {node: secrets.token_bytes(32) for node in answers}
        for node, result in answers.items():
            self.market.commit(task_id, result, salts[node], node=accounts[node])
        advance(self.chain, COMMIT_WINDOW + 1)
        for node, result in answers.items():
            self.market.reveal(task_id, result, salts[node], f"bafy-out-{node[-4:]}", node=accounts[node])
        task = self.market.task_of(task_id)
        if self.chain.w3.eth.get_block("latest")["timestamp"] <= task.reveal_deadline:
            advance(self.chain, REVEAL_WINDOW + 1)
        self.market.finalize(task_id, sender=self.chain.account(0))

    def state(self, task_id: int) -> TaskState:
        return self.market.task_of(task_id).state

