"""Deployment: every parameter reaches its constructor in order, and the contracts are wired together."""

from __future__ import annotations

from dataclasses import replace

from kura.chain.client import Chain, uint_getter
from kura.chain.deploy import CONTRACTS, deploy_contracts
from kura.chain.deployments import Deployment
from kura.chain.params import (
    ContractParams,
    DataMarketParams,
    DeployParams,
    FileRegistryParams,
    InstitutionRegistryParams,
    NodeRegistryParams,
    SampledAuditsParams,
    ShareRepairsParams,
    StorageAuditsParams,
    TaskMarketParams,
)

FLAT: dict[str, tuple[str, type[ContractParams]]] = {
    "FileRegistry": ("files", FileRegistryParams),
    "NodeRegistry": ("nodes", NodeRegistryParams),
    "StorageAudits": ("audits", StorageAuditsParams),
    "ShareRepairs": ("repairs", ShareRepairsParams),
    "TaskMarket": ("tasks", TaskMarketParams),
    "DataMarket": ("data_market", DataMarketParams),
}
"""Contracts whose parameters are plain getters, by name: their ``DeployParams`` field and parameter class."""


def read_back(chain: Chain, addresses: dict[str, str]) -> DeployParams:
    """The parameters the deployed contracts report through their getters."""
    flat = {
        field: kind.read(uint_getter(chain, chain.contract(name, addresses[name])))
        for name, (field, kind) in FLAT.items()
    }
    registry = chain.contract("InstitutionRegistry", addresses["InstitutionRegistry"])
    min_k, min_l, min_cell_count = chain.call(registry.functions.policy())
    lifetime = chain.call(registry.functions.motionLifetime())
    ledger = chain.contract("SampledAudits", addresses["SampledAudits"])
    return DeployParams(
        **flat,
        institutions=InstitutionRegistryParams(min_k, min_l, min_cell_count, lifetime),
        sampling=SampledAuditsParams(*chain.call(ledger.functions.terms())),
    )


def test_every_parameter_reaches_its_constructor_in_order(chain: Chain) -> None:
    kura = DeployParams()
    params = replace(
        kura,
        files=replace(kura.files, min_deposit=11, difficulty_bits=7),
        nodes=replace(
            kura.nodes,
            min_stake=21,
            unbonding_delay=22,
            jail_threshold=23,
            audit_penalty=24,
            promotion_bar=25,
            max_compute_nodes=26,
        ),
        audits=replace(kura.audits, challenge_bond=31, seed_delay=32, response_window=33, slash_bps=34, reward_bps=35),
        repairs=replace(kura.repairs, repair_reward=41),
        tasks=replace(
            kura.tasks,
            commit_window=51,
            reveal_window=52,
            seed_delay=53,
            max_rounds=2,
            max_auditors=5,
            slash_bps=10_000,
            miss_bps=57,
            saboteur_fraction=58,
        ),
        institutions=replace(kura.institutions, min_k=61, min_l=62, min_cell_count=63, motion_lifetime=64),
        data_market=replace(kura.data_market, delivery_window=71, dispute_window=72),
        sampling=SampledAuditsParams(q_min=81, full_record=82, half_life=83, window=84, hold_time=85, clean_run=86),
    )
    deployed = deploy_contracts(chain, chain.account(0), params)
    assert [spec.name for spec in CONTRACTS] == list(deployed)
    addresses = {name: contract.address for name, contract in deployed.items()}
    assert read_back(chain, addresses) == params

    registry = chain.contract("NodeRegistry", addresses["NodeRegistry"])
    judges = {name for name in addresses if chain.call(registry.functions.isJudge(addresses[name]))}
    assert judges == {"StorageAudits", "ShareRepairs", "TaskMarket"}
    files = chain.contract("FileRegistry", addresses["FileRegistry"])
    assert chain.call(files.functions.repairer()) == addresses["ShareRepairs"]
    ledger = chain.contract("SampledAudits", addresses["SampledAudits"])
    assert chain.call(ledger.functions.market()) == addresses["TaskMarket"]


def test_the_session_deployment_holds_kuras_own_parameters(chain: Chain, deployment: Deployment) -> None:
    addresses = {name: deployment.address(name) for name in (*FLAT, "InstitutionRegistry", "SampledAudits")}
    assert read_back(chain, addresses) == DeployParams()
