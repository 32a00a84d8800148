"""Deploying the kura contracts, in dependency order, and recording where they went."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from eth_account.signers.local import LocalAccount

from kura.chain.build import build
from kura.chain.client import Chain, Deployed
from kura.chain.deployments import Deployment, record

Wiring = Callable[[Chain, dict[str, Deployed], LocalAccount], None]


def _no_args(_: dict[str, Deployed]) -> tuple[Any, ...]:
    return ()


@dataclass(frozen=True)
class ContractSpec:
    """How to deploy one kura contract.

    Attributes:
        name: Artifact name.
        args: Constructor arguments, computed from the contracts deployed before it.
        wire: Transactions to run after it is deployed (e.g. granting it a role on an earlier contract).
    """

    name: str
    args: Callable[[dict[str, Deployed]], tuple[Any, ...]] = _no_args
    wire: tuple[Wiring, ...] = field(default=())


FILE_REGISTRY_ARGS = (10**15, 20)
"""FileRegistry parameters: 0.001 ETH deposit per file (refunded on removal), or a hashcash stamp of
20 leading zero bits (2^20 ≈ 1.05 M keccak hashes on average) for a client that locks no funds."""


NODE_REGISTRY_ARGS = (10**18, 3 * 24 * 3600, 3, 10, 10, 16)
"""NodeRegistry parameters: min stake 1 ETH, 3-day unbonding, jailed after 3 consecutive failed
audits, -10 reputation per failure, promotion after 10 passed spot-checks, at most 16 compute nodes."""

STORAGE_AUDITS_PARAMS = (10**16, 2, 30 * 60, 1_000, 1_000)
"""StorageAudits parameters after the two registries: 0.01 ETH challenge bond, chunk picked by the
hash of the block 2 blocks later, 30 minutes to answer (under 256 blocks at 12 s), 10 % of the stake
slashed per failed audit, 10 % of the slash paid to the challenger."""


TASK_MARKET_PARAMS = (120, 120, 1, 3, 10, 5_000, 500, 2 * 10**17)
"""TaskMarket parameters after the NodeRegistry: 2 minutes to commit, then 2 to reveal; auditors drawn
from the hash of the block after the claim; at most 3 audit rounds of at most 10 auditors (at most 30
results to weigh, within the consensus limit of 32); a wrong or silent worker loses 50 % of its stake,
a silent auditor 5 %; assumed saboteur fraction f = 0.2 (with θ = 0.99 the promotion bar is 10)."""


def judge_of_node_registry(name: str) -> Wiring:
    """A wiring step that makes contract ``name`` a judge of the NodeRegistry."""

    def wire(chain: Chain, deployed: dict[str, Deployed], deployer: LocalAccount) -> None:
        registry = chain.contract("NodeRegistry", deployed["NodeRegistry"].address)
        chain.transact(registry.functions.setJudge(deployed[name].address, True), sender=deployer)

    return wire


REPAIR_REWARD = 2 * 10**16
"""ShareRepairs parameter: 0.02 ETH from the repair pool per committed repair (capped by the pool)."""


def file_registry_repairer(name: str) -> Wiring:
    """A wiring step that names contract ``name`` the FileRegistry's repairer."""

    def wire(chain: Chain, deployed: dict[str, Deployed], deployer: LocalAccount) -> None:
        files = chain.contract("FileRegistry", deployed["FileRegistry"].address)
        chain.transact(files.functions.setRepairer(deployed[name].address), sender=deployer)

    return wire


def _share_repairs_args(deployed: dict[str, Deployed]) -> tuple[Any, ...]:
    return (deployed["NodeRegistry"].address, deployed["StorageAudits"].address, deployed["FileRegistry"].address,
            REPAIR_REWARD)


def _storage_audits_args(deployed: dict[str, Deployed]) -> tuple[Any, ...]:
    return (deployed["NodeRegistry"].address, deployed["FileRegistry"].address, *STORAGE_AUDITS_PARAMS)


CONTRACTS: tuple[ContractSpec, ...] = (
    ContractSpec("FileRegistry", args=lambda _: FILE_REGISTRY_ARGS),
    ContractSpec("NodeRegistry", args=lambda _: NODE_REGISTRY_ARGS),
    ContractSpec("StorageAudits", args=_storage_audits_args, wire=(judge_of_node_registry("StorageAudits"),)),
    ContractSpec("ShareRepairs", args=_share_repairs_args,
                 wire=(judge_of_node_registry("ShareRepairs"), file_registry_repairer("ShareRepairs"))),
    ContractSpec("TaskMarket", args=lambda d: (d["NodeRegistry"].address, *TASK_MARKET_PARAMS),
                 wire=(judge_of_node_registry("TaskMarket"),)),
)
"""The contracts kura deploys, in order (later ones may take earlier ones' addresses)."""


def deploy_all(chain: Chain, deployer: LocalAccount, *, progress: Callable[[str], None] = lambda _: None) -> Deployment:
    """Build if needed, deploy every kura contract, wire them together and record the deployment.

    Raises:
        BuildError: if the contracts do not compile.
        ContractRevertError: if a constructor or wiring transaction reverts.
    """
    build()
    deployed: dict[str, Deployed] = {}
    for spec in CONTRACTS:
        deployed[spec.name] = chain.deploy(spec.name, *spec.args(deployed), sender=deployer)
        progress(f"{spec.name} at {deployed[spec.name].address} ({deployed[spec.name].gas_used:,} gas)")
        for wire in spec.wire:
            wire(chain, deployed, deployer)
    return record(chain, deployed)
