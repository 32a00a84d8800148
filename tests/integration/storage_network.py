"""A fresh self-healing storage network on the session devnet, for the repair and agent tests.

Fresh contracts per test (short audit window), the six devnet Kubo nodes registered by
operators 10-15, one :class:`NodeAgent` per node, and a :class:`Repairer` run by a
dedicated staked account whose endpoint is one of the nodes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount

from kura.chain.client import Chain, Deployed
from kura.chain.deploy import FILE_REGISTRY_ARGS
from kura.chain.deployments import Deployment
from kura.chain.node_registry import NodeRegistryClient
from kura.chain.storage_audits import StorageAuditsClient
from kura.crypto.params import CodeParams, Scheme
from kura.devnet.state import DevnetState
from kura.storage.agent import NodeAgent
from kura.storage.client import StorageClient
from kura.storage.registry_nodes import NodeDirectory, register_node
from kura.storage.repair import Repairer, enroll_file
from kura.storage.repair_peer import RepairPeer
from kura.storage.repair_server import RepairServer
from kura.storage.sharetable import ShareTable

ETH = 10**18
STAKE = ETH
BOND = 10**16
SEED_DELAY = 2
WINDOW = 120
SLASH_BPS = 1_000
REWARD_BPS = 1_000
REPAIR_REWARD = 10**16
FIRST_OPERATOR = 10
OWNER = 4


def deploy_network(chain: Chain) -> Deployment:
    """FileRegistry, NodeRegistry, StorageAudits and ShareRepairs, wired, with test parameters."""
    owner = chain.account(0)
    files = chain.deploy("FileRegistry", *FILE_REGISTRY_ARGS, sender=owner)
    registry = chain.deploy("NodeRegistry", STAKE, 1_000, 3, 5, 3, 2, sender=owner)
    audits = chain.deploy("StorageAudits", registry.address, files.address, BOND, SEED_DELAY, WINDOW, SLASH_BPS,
                          REWARD_BPS, sender=owner)
    repairs = chain.deploy("ShareRepairs", registry.address, audits.address, files.address, REPAIR_REWARD,
                           sender=owner)
    contracts: dict[str, Deployed] = {"FileRegistry": files, "NodeRegistry": registry, "StorageAudits": audits,
                                      "ShareRepairs": repairs}
    registry_contract = chain.contract("NodeRegistry", registry.address)
    for judge in (audits, repairs):
        chain.transact(registry_contract.functions.setJudge(judge.address, True), sender=owner)
    chain.transact(chain.contract("FileRegistry", files.address).functions.setRepairer(repairs.address), sender=owner)
    return Deployment(chain.chain_id, chain.genesis_hash, contracts)


def mine(chain: Chain, blocks: int = 1) -> None:
    """Mine ``blocks`` empty blocks."""
    chain.w3.provider.make_request("anvil_mine", [hex(blocks)])


def advance(chain: Chain, seconds: int) -> None:
    """Move the chain clock forward and mine a block."""
    chain.w3.provider.make_request("evm_increaseTime", [seconds])
    mine(chain)


@dataclass
class Network:
    """The contracts, the agents by operator address, and helpers to store, kill and repair."""

    chain: Chain
    deployment: Deployment
    devnet: DevnetState
    agents: dict[str, NodeAgent] = field(default_factory=dict)
    servers: dict[str, RepairServer] = field(default_factory=dict)
    """Repair services over HTTP, by operator (only for nodes joined with ``serve=True``)."""

    @property
    def registry(self) -> NodeRegistryClient:
        return NodeRegistryClient(self.chain, self.deployment)

    @property
    def audits(self) -> StorageAuditsClient:
        return StorageAuditsClient(self.chain, self.deployment)

    @property
    def peers(self) -> dict[str, RepairPeer]:
        return {address: agent.peer for address, agent in self.agents.items()}

    def join(self, account: int, kubo: int, *, serve: bool = False) -> NodeAgent:
        """Operator ``account`` registers Kubo node ``kubo`` and starts an agent (serving repairs over HTTP if asked)."""
        operator = self.chain.account(account)
        agent = NodeAgent(self.chain, self.deployment, operator, self.devnet.kubo[kubo].api_url, log=lambda _: None)
        if serve:
            self.servers[operator.address] = agent.serve_repairs(timeout=5.0)
        agent.ensure_registered(STAKE, repair_url=self.servers[operator.address].url if serve else None)
        self.agents[operator.address] = agent
        return agent

    def close(self) -> None:
        """Stop every repair service."""
        for server in self.servers.values():
            server.close()

    def client(self) -> StorageClient:
        return StorageClient(self.chain, self.deployment, NodeDirectory(self.chain, self.deployment).pool(),
                             self.chain.account(OWNER))

    def store(self, folder: Path, k: int, n: int, size: int) -> tuple[bytes, bytes, ShareTable]:
        """Put ``size`` random bytes as MSR k-of-n on registered nodes and enroll it; (file id, data, table)."""
        data = os.urandom(size)
        source = folder / f"data-{size}-{k}-{n}"
        source.write_bytes(data)
        client = self.client()
        stored = client.put(source, CodeParams(Scheme.MSR, k, n))
        enroll_file(client, stored.file_id)
        _, manifest = client.manifest(stored.file_id)
        return stored.file_id, data, ShareTable.of_manifest(manifest)

    def repairer(self, account: LocalAccount, **options: object) -> Repairer:
        pool = NodeDirectory(self.chain, self.deployment).pool()
        return Repairer(self.chain, self.deployment, account, pool, self.peers, log=lambda _: None,
                        **options)  # type: ignore[arg-type]

    def step_agents(self) -> None:
        for agent in self.agents.values():
            agent.step()

    def wipe(self, operator: str, cid: str) -> None:
        """The node at ``operator`` drops the share ``cid`` (unpin and garbage-collect)."""
        kubo = self.agents[operator].kubo
        kubo.pin_rm(cid)
        kubo.gc()


def network(chain: Chain, devnet: DevnetState, *, serve: bool = False) -> Network:
    """A fresh network with the six Kubo nodes registered by operators 10-15 (serving repairs over HTTP if asked)."""
    net = Network(chain, deploy_network(chain), devnet)
    for i in range(len(devnet.kubo)):
        net.join(FIRST_OPERATOR + i, i, serve=serve)
    return net


def register_repairer(net: Network, account: int) -> LocalAccount:
    """A staked account that only repairs (its endpoint points at node 0, which it does not operate)."""
    operator = net.chain.account(account)
    register_node(net.registry, operator, net.devnet.kubo[0].api_url, stake=STAKE)
    return operator
