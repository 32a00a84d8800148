"""Helpers for the trust-layer contract tests: a reference Merkle tree, stored files, fresh contracts, time travel.

``ShareTree`` is an independent Python reading of the rule in ``contracts/libraries/ShareMerkle.sol``
(chunks of 1024 bytes, leaf = sha256(0x00 ‖ chunk), zero padding to a power of two,
inner = sha256(0x01 ‖ left ‖ right), proofs bottom-up), so the tests check the contract against it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace

from eth_account.signers.local import LocalAccount
from eth_utils import to_canonical_address
from web3.types import TxReceipt

from kura.chain.client import Chain, Deployed
from kura.chain.deployments import Deployment
from kura.chain.file_registry import FileRegistryClient
from kura.chain.node_registry import NodeRegistryClient
from kura.chain.params import DeployParams, NodeRegistryParams
from kura.chain.storage_audits import StorageAuditsClient

CHUNK_SIZE = 1024
ETH = 10**18

_KURA = DeployParams()
PARAMS = replace(
    _KURA,
    files=replace(_KURA.files, difficulty_bits=8),
    nodes=replace(_KURA.nodes, unbonding_delay=1_000, audit_penalty=5, promotion_bar=3, max_compute_nodes=2),
    audits=replace(_KURA.audits, response_window=600, reward_bps=2_500),
    repairs=replace(_KURA.repairs, repair_reward=10**16),
    tasks=replace(_KURA.tasks, commit_window=100, reveal_window=100, max_rounds=2, max_auditors=5, miss_bps=1_000),
)
"""What the contract tests deploy: kura's parameters, except that stamps are cheap to mint, deadlines short
to travel past, the promotion bar low and compute slots few so tests reach them, a reward and a penalty
that differ from their neighbours' so a test can tell them apart, and markets of at most two small rounds."""


class ShareTree:
    """A Merkle tree over chunks by kura's rule."""

    def __init__(self, chunks: Sequence[bytes]) -> None:
        self.chunks = list(chunks)
        leaves = [hashlib.sha256(b"\x00" + chunk).digest() for chunk in self.chunks]
        width = 1
        while width < len(leaves):
            width *= 2
        level = leaves + [bytes(32)] * (width - len(leaves))
        self.levels = [level]
        while len(level) > 1:
            level = [hashlib.sha256(b"\x01" + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
            self.levels.append(level)

    @classmethod
    def of_data(cls, data: bytes, chunk_size: int = CHUNK_SIZE) -> ShareTree:
        """The tree over ``data`` cut into ``chunk_size``-byte chunks."""
        return cls([data[i : i + chunk_size] for i in range(0, max(len(data), 1), chunk_size)])

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    def proof(self, index: int) -> list[bytes]:
        """Siblings of leaf ``index``, bottom-up."""
        return [level[(index >> height) ^ 1] for height, level in enumerate(self.levels[:-1])]


def share_leaf(index: int, node: str, chunk_count: int, share_root: bytes) -> bytes:
    """``abi.encodePacked(uint8 index, address node, uint32 chunkCount, bytes32 shareRoot)``."""
    return bytes([index]) + to_canonical_address(node) + chunk_count.to_bytes(4, "big") + share_root


@dataclass(frozen=True)
class Share:
    """One stored share: who holds it and its data."""

    index: int
    node: str
    tree: ShareTree

    @property
    def chunk_count(self) -> int:
        return len(self.tree.chunks)


@dataclass(frozen=True)
class StoredFile:
    """A file registered in the FileRegistry with its shares commitment."""

    file_id: bytes
    shares: tuple[Share, ...]
    commitment: ShareTree

    def shares_proof(self, index: int) -> list[bytes]:
        return self.commitment.proof(index)


def random_share(index: int, node: str, chunk_count: int, last_chunk: int = CHUNK_SIZE) -> Share:
    """A share of ``chunk_count`` random chunks, the last one ``last_chunk`` bytes long."""
    data = secrets.token_bytes(CHUNK_SIZE * (chunk_count - 1) + last_chunk)
    return Share(index, node, ShareTree.of_data(data))


def commit(shares: Sequence[Share]) -> ShareTree:
    """The shares commitment (``FileRegistry.sharesRoot``) over ``shares``, by index."""
    return ShareTree([share_leaf(s.index, s.node, s.chunk_count, s.tree.root) for s in shares])


def deploy_registry(chain: Chain, params: NodeRegistryParams = PARAMS.nodes) -> Deployed:
    """A fresh NodeRegistry with ``params``, owned by account 0."""
    return chain.deploy("NodeRegistry", *params.args(), sender=chain.account(0))


@dataclass
class TrustLayer:
    """Fresh FileRegistry, NodeRegistry and StorageAudits (a judge of the registry), with test parameters."""

    chain: Chain
    files: FileRegistryClient
    registry: NodeRegistryClient
    audits: StorageAuditsClient

    @classmethod
    def deploy(cls, chain: Chain, params: DeployParams = PARAMS) -> TrustLayer:
        """Deploy the three contracts with ``params``' files, nodes and audits parameters."""
        owner = chain.account(0)
        files = chain.deploy("FileRegistry", *params.files.args(), sender=owner)
        registry = deploy_registry(chain, params.nodes)
        audits = chain.deploy("StorageAudits", registry.address, files.address, *params.audits.args(), sender=owner)
        deployment = Deployment(
            chain.chain_id,
            chain.genesis_hash,
            {"FileRegistry": files, "NodeRegistry": registry, "StorageAudits": audits},
        )
        layer = cls(
            chain,
            FileRegistryClient(chain, deployment),
            NodeRegistryClient(chain, deployment),
            StorageAuditsClient(chain, deployment),
        )
        layer.registry.set_judge(audits.address, True, owner=owner)
        return layer

    def join(self, node: LocalAccount, stake: int = PARAMS.nodes.min_stake) -> TxReceipt:
        return join(self.registry, node, stake)

    def store(self, shares: Sequence[Share], *, owner: LocalAccount) -> StoredFile:
        """Register a file whose commitment covers ``shares``."""
        stored = StoredFile(secrets.token_bytes(32), tuple(shares), commit(shares))
        self.files.register(stored.file_id, secrets.token_bytes(32), stored.commitment.root, owner=owner)
        return stored

    def open(
        self, stored: StoredFile, index: int, *, challenger: LocalAccount, bond: int = PARAMS.audits.challenge_bond
    ) -> int:
        """Open a challenge on share ``index`` and return its id."""
        share = stored.shares[index]
        receipt = self.audits.challenge(
            stored.file_id,
            share.index,
            share.node,
            share.chunk_count,
            share.tree.root,
            stored.shares_proof(index),
            challenger=challenger,
            bond=bond,
        )
        return self.audits.challenge_id(receipt)


def join(registry: NodeRegistryClient, node: LocalAccount, stake: int = PARAMS.nodes.min_stake) -> TxReceipt:
    """Register ``node`` with a peer id and endpoint derived from its address."""
    tag = node.address[-6:]
    return registry.register(f"peer-{tag}", f"http://127.0.0.1/{tag}", node=node, stake=stake)


def mine(chain: Chain, blocks: int = 1) -> None:
    """Mine ``blocks`` empty blocks."""
    chain.w3.provider.make_request("anvil_mine", [hex(blocks)])


def advance(chain: Chain, seconds: int) -> None:
    """Move the chain's clock forward by ``seconds`` and mine a block."""
    chain.w3.provider.make_request("evm_increaseTime", [seconds])
    mine(chain)


def cost(receipt: TxReceipt) -> int:
    """Wei the sender paid in gas for ``receipt``."""
    return int(receipt["gasUsed"]) * int(receipt["effectiveGasPrice"])
