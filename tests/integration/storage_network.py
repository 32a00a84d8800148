"""A fresh self-healing storage network on the session devnet, for the repair and agent tests.

Fresh contracts per test (short audit window), the six devnet Kubo nodes registered by
operators 10-15, one :class:`StorageNodeAgent` per node, and a :class:`RepairAgent` run by a
dedicated staked account whose endpoint is one of the nodes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from eth_account.signers.local import LocalAccount

from kura.chain.client import AccountSource, Chain, Deployed
from kura.chain.contracts import Contracts
from kura.chain.deployments import Deployment, record
from kura.chain.node_registry import NodeRegistryClient
from kura.chain.params import FileRegistryParams, NodeRegistryParams
from kura.chain.storage_audits import StorageAuditsClient
from kura.codes.params import CodeParams, Scheme
from kura.config import DEV_MNEMONIC
from kura.devnet.processes import wait_until
from kura.devnet.state import DevnetState
from kura.devtools.wiretap import Traffic, Wiretap
from kura.ipfs import KuboClient
from kura.storage.client.files import StorageClient
from kura.storage.node.agent import StorageNodeAgent
from kura.storage.node.duties import RepairPeer
from kura.storage.node.server import RepairServer
from kura.storage.repairer.agent import RepairAgent
from kura.storage.shared.directory import NodeDirectory, register_node
from kura.storage.shared.sharetable import ShareTable

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
    files = chain.deploy("FileRegistry", *FileRegistryParams().args(), sender=owner)
    registry_params = NodeRegistryParams(
        min_stake=STAKE, unbonding_delay=1_000, jail_threshold=3, audit_penalty=5, promotion_bar=3, max_compute_nodes=2
    )
    registry = chain.deploy("NodeRegistry", *registry_params.args(), sender=owner)
    audits = chain.deploy(
        "StorageAudits", registry.address, files.address, BOND, SEED_DELAY, WINDOW, SLASH_BPS, REWARD_BPS, sender=owner
    )
    repairs = chain.deploy("ShareRepairs", registry.address, audits.address, files.address, REPAIR_REWARD, sender=owner)
    contracts: dict[str, Deployed] = {
        "FileRegistry": files,
        "NodeRegistry": registry,
        "StorageAudits": audits,
        "ShareRepairs": repairs,
    }
    registry_contract = chain.contract("NodeRegistry", registry.address)
    for judge in (audits, repairs):
        chain.transact(registry_contract.functions.setJudge(judge.address, True), sender=owner)
    chain.transact(chain.contract("FileRegistry", files.address).functions.setRepairer(repairs.address), sender=owner)
    return Deployment(chain.chain_id, chain.genesis_hash, contracts)


def wait_blocks(chain: Chain, blocks: int, *, timeout: float = 30.0) -> None:
    """Wait until the chain, which makes blocks on its own, is ``blocks`` blocks further."""
    target = chain.w3.eth.block_number + blocks
    wait_until(lambda: chain.w3.eth.block_number >= target, timeout=timeout, what=f"waiting for block {target}")


def advance(chain: Chain, seconds: int) -> None:
    """Jump the chain clock ``seconds`` forward (past a deadline a test cannot wait for) and mine a block."""
    chain.w3.provider.make_request("evm_increaseTime", [seconds])
    chain.w3.provider.make_request("anvil_mine", ["0x1"])


@dataclass
class Network:
    """The contracts, the agents by operator address, and helpers to store, kill and repair."""

    chain: Chain
    deployment: Deployment
    devnet: DevnetState
    agents: dict[str, StorageNodeAgent] = field(default_factory=dict)
    servers: dict[str, RepairServer] = field(default_factory=dict)
    """Repair services over HTTP, by operator (only for nodes joined with ``serve=True``)."""
    taps: dict[str, Wiretap] = field(default_factory=dict)
    """A counting proxy in front of each repair service, announced in its stead (the wire traffic)."""

    @cached_property
    def contracts(self) -> Contracts:
        return Contracts(self.chain, self.deployment)

    @property
    def registry(self) -> NodeRegistryClient:
        return self.contracts.nodes

    @property
    def audits(self) -> StorageAuditsClient:
        return self.contracts.audits

    @property
    def peers(self) -> dict[str, RepairPeer]:
        return {address: agent.peer for address, agent in self.agents.items()}

    def join(self, account: int, kubo: int, *, serve: bool = False) -> StorageNodeAgent:
        """Operator ``account`` registers Kubo node ``kubo`` and starts an agent.

        With ``serve`` the agent serves its repair duties over HTTP behind a :class:`Wiretap`, whose address it
        announces, and reaches other nodes through the addresses they announce; without, nodes reach each other
        in this process.
        """
        operator = self.chain.account(account)
        agent = StorageNodeAgent(self.contracts, operator, self.devnet.kubo[kubo].api_url, log=lambda _: None)
        repair_url = None
        if serve:
            server = self.servers[operator.address] = agent.serve_repairs(timeout=5.0)
            tap = self.taps[operator.address] = Wiretap(("127.0.0.1", server.port))
            repair_url = tap.url
        else:
            agent.peer.reach = lambda address: self.agents[address].peer
        agent.ensure_registered(STAKE, repair_url=repair_url)
        self.agents[operator.address] = agent
        return agent

    def wire_traffic(self) -> Traffic:
        """Bytes through every repair service's wiretap so far, both directions summed per direction."""
        taps = [tap.traffic() for tap in self.taps.values()]
        return Traffic(sum(t.to_server for t in taps), sum(t.to_client for t in taps))

    def close(self) -> None:
        """Stop every repair service and wiretap."""
        for tap in self.taps.values():
            tap.close()
        for server in self.servers.values():
            server.close()

    def client(self) -> StorageClient:
        return StorageClient(self.contracts, NodeDirectory(self.contracts).pool(), self.chain.account(OWNER))

    def store(
        self, folder: Path, k: int, n: int, size: int, scheme: Scheme = Scheme.MSR
    ) -> tuple[bytes, bytes, ShareTable]:
        """Put ``size`` random bytes as ``scheme`` k-of-n on registered nodes (the put enrols it for audits and
        repair); (file id, data, table)."""
        data = os.urandom(size)
        source = folder / f"data-{size}-{k}-{n}"
        source.write_bytes(data)
        client = self.client()
        stored = client.put(source, CodeParams(scheme, k, n))
        assert stored.table_digest is not None, stored.not_enrolled
        _, manifest = client.manifest(stored.file_id)
        return stored.file_id, data, ShareTable.of_manifest(manifest)

    def cli_env(self, state: Path) -> dict[str, str]:
        """Environment for `kura` subprocesses on this network: its deployment recorded in ``state``."""
        previous = os.environ.get("KURA_STATE")
        os.environ["KURA_STATE"] = str(state)
        try:
            record(self.chain, dict(self.deployment.contracts))
        finally:
            if previous is None:
                del os.environ["KURA_STATE"]
            else:
                os.environ["KURA_STATE"] = previous
        keys = ",".join(AccountSource(mnemonic=DEV_MNEMONIC).get(i).key.to_0x_hex() for i in range(30))
        return {
            "KURA_STATE": str(state),
            "KURA_RPC_URL": self.devnet.chain.rpc_url,
            "KURA_IPFS_APIS": ",".join(node.api_url for node in self.devnet.kubo),
            "KURA_PRIVATE_KEYS": keys,
        }

    def pins(self) -> dict[str, set[str]]:
        """Every Kubo node's recursive pins, by API URL."""
        pinned = {}
        for node in self.devnet.kubo:
            with KuboClient(node.api_url) as kubo:
                pinned[node.api_url] = kubo.pins()
        return pinned

    def repairer(self, account: LocalAccount, **options: object) -> RepairAgent:
        pool = NodeDirectory(self.contracts).pool()
        return RepairAgent(self.contracts, account, pool, self.peers, log=lambda _: None, **options)  # type: ignore[arg-type]

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
