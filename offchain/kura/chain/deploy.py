"""Deploying the kura contracts, in dependency order, and recording where they went."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from eth_account.signers.local import LocalAccount

from kura.chain.client import Chain, Deployed
from kura.chain.deployments import Deployment, record
from kura.chain.institution_registry import Founder, InstitutionRegistryClient
from kura.chain.params import DeployParams, HasArgs
from kura.devtools.contracts import build

Wiring = Callable[[Chain, dict[str, Deployed], LocalAccount], None]
Args = Callable[[dict[str, Deployed], DeployParams], tuple[Any, ...]]
"""Constructor arguments of a contract, from the contracts deployed before it and the deployment parameters."""


def constructor(*uses: str, params: Callable[[DeployParams], HasArgs] | None = None) -> Args:
    """Constructor arguments: the addresses of the contracts ``uses`` names, then ``params``' values in order."""

    def args(deployed: dict[str, Deployed], deploy_params: DeployParams) -> tuple[Any, ...]:
        own = params(deploy_params).args() if params else ()
        return (*(deployed[name].address for name in uses), *own)

    return args


@dataclass(frozen=True)
class ContractSpec:
    """How to deploy one kura contract.

    Attributes:
        name: Artifact name.
        args: Constructor arguments (see :func:`constructor`).
        wire: Transactions to run after it is deployed (e.g. granting it a role on an earlier contract).
    """

    name: str
    args: Args = field(default=constructor())
    wire: tuple[Wiring, ...] = field(default=())


def judge_of_node_registry(name: str) -> Wiring:
    """A wiring step that makes contract ``name`` a judge of the NodeRegistry."""

    def wire(chain: Chain, deployed: dict[str, Deployed], deployer: LocalAccount) -> None:
        registry = chain.contract("NodeRegistry", deployed["NodeRegistry"].address)
        chain.transact(registry.functions.setJudge(deployed[name].address, True), sender=deployer)

    return wire


def file_registry_repairer(name: str) -> Wiring:
    """A wiring step that names contract ``name`` the FileRegistry's repairer."""

    def wire(chain: Chain, deployed: dict[str, Deployed], deployer: LocalAccount) -> None:
        files = chain.contract("FileRegistry", deployed["FileRegistry"].address)
        chain.transact(files.functions.setRepairer(deployed[name].address), sender=deployer)

    return wire


def compute_market_of_data_market(name: str) -> Wiring:
    """A wiring step that names contract ``name`` the DataMarket's compute market (the one that debits jobs)."""

    def wire(chain: Chain, deployed: dict[str, Deployed], deployer: LocalAccount) -> None:
        market = chain.contract("DataMarket", deployed["DataMarket"].address)
        chain.transact(market.functions.setComputeMarket(deployed[name].address), sender=deployer)

    return wire


def market_of_sampled_audits(name: str) -> Wiring:
    """A wiring step that names contract ``name`` the market of the SampledAudits ledger."""

    def wire(chain: Chain, deployed: dict[str, Deployed], deployer: LocalAccount) -> None:
        ledger = chain.contract("SampledAudits", deployed["SampledAudits"].address)
        chain.transact(ledger.functions.setMarket(deployed[name].address), sender=deployer)

    return wire


CONTRACTS: tuple[ContractSpec, ...] = (
    ContractSpec("FileRegistry", args=constructor(params=attrgetter("files"))),
    ContractSpec("NodeRegistry", args=constructor(params=attrgetter("nodes"))),
    ContractSpec(
        "StorageAudits",
        args=constructor("NodeRegistry", "FileRegistry", params=attrgetter("audits")),
        wire=(judge_of_node_registry("StorageAudits"),),
    ),
    ContractSpec(
        "ShareRepairs",
        args=constructor("NodeRegistry", "StorageAudits", "FileRegistry", params=attrgetter("repairs")),
        wire=(judge_of_node_registry("ShareRepairs"), file_registry_repairer("ShareRepairs")),
    ),
    ContractSpec("SampledAudits", args=constructor("NodeRegistry", params=attrgetter("sampling"))),
    ContractSpec(
        "TaskMarket",
        args=constructor("NodeRegistry", "SampledAudits", params=attrgetter("tasks")),
        wire=(judge_of_node_registry("TaskMarket"), market_of_sampled_audits("TaskMarket")),
    ),
    ContractSpec("InstitutionRegistry", args=constructor(params=attrgetter("institutions"))),
    ContractSpec("ConsentRegistry", args=constructor("InstitutionRegistry")),
    ContractSpec(
        "DataMarket",
        args=constructor("InstitutionRegistry", "ConsentRegistry", "FileRegistry", params=attrgetter("data_market")),
    ),
    ContractSpec(
        "DataJobs",
        args=constructor("InstitutionRegistry", "DataMarket", "TaskMarket"),
        wire=(compute_market_of_data_market("DataJobs"),),
    ),
)
"""The contracts kura deploys, in order (later ones may take earlier ones' addresses)."""


def deploy_contracts(
    chain: Chain,
    deployer: LocalAccount,
    params: DeployParams | None = None,
    *,
    progress: Callable[[str], None] = lambda _: None,
) -> dict[str, Deployed]:
    """Deploy every kura contract in ``CONTRACTS`` order and wire them together, recording nothing.

    The artifacts must be built already (see :func:`deploy_all`).

    Args:
        chain: Where to deploy.
        deployer: Signs every deployment and wiring transaction, and owns the NodeRegistry.
        params: The contracts' parameters (kura's defaults when omitted).
        progress: Told one line per deployed contract.

    Returns:
        What was deployed, by contract name.

    Raises:
        BuildError: if an artifact is missing.
        ContractRevertError: if a constructor or wiring transaction reverts.
    """
    chosen = params or DeployParams()
    deployed: dict[str, Deployed] = {}
    for spec in CONTRACTS:
        deployed[spec.name] = chain.deploy(spec.name, *spec.args(deployed, chosen), sender=deployer)
        progress(f"{spec.name} at {deployed[spec.name].address} ({deployed[spec.name].gas_used:,} gas)")
        for wire in spec.wire:
            wire(chain, deployed, deployer)
    return deployed


def deploy_all(
    chain: Chain,
    deployer: LocalAccount,
    params: DeployParams | None = None,
    *,
    progress: Callable[[str], None] = lambda _: None,
    founders: Sequence[Founder] = (),
) -> Deployment:
    """Build if needed, deploy every kura contract, wire them together and record the deployment.

    ``chain``, ``deployer``, ``params`` and ``progress`` are those of :func:`deploy_contracts`. With
    ``founders``, the InstitutionRegistry is seeded with them and its founding closed; without, founding
    stays open (no market activity until the deployer seeds members with ``InstitutionRegistryClient.seed``).

    Raises:
        BuildError: if the contracts do not compile.
        ContractRevertError: if a constructor or wiring transaction reverts.
    """
    build()
    deployment = record(chain, deploy_contracts(chain, deployer, params, progress=progress))
    if founders:
        InstitutionRegistryClient(chain, deployment).seed(founders, deployer=deployer)
    return deployment
