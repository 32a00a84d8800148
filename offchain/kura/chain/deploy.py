"""Deploying the kura contracts, in dependency order, and recording where they went."""

from __future__ import annotations

from collections.abc import Callable

from eth_account.signers.local import LocalAccount

from kura.chain.build import build
from kura.chain.client import Chain, Deployed
from kura.chain.deployments import Deployment, record

CONTRACTS: tuple[str, ...] = ("FileRegistry",)
"""The contracts kura deploys, in order (later ones may take earlier ones' addresses)."""


def deploy_all(chain: Chain, deployer: LocalAccount, *, progress: Callable[[str], None] = lambda _: None) -> Deployment:
    """Build if needed, deploy every kura contract and record the deployment.

    Raises:
        BuildError: if the contracts do not compile.
        ContractRevertError: if a constructor reverts.
    """
    build()
    deployed: dict[str, Deployed] = {}
    for name in CONTRACTS:
        deployed[name] = chain.deploy(name, sender=deployer)
        progress(f"{name} at {deployed[name].address} ({deployed[name].gas_used:,} gas)")
    return record(chain, deployed)
