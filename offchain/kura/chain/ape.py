"""kura's contracts as ape ``ContractContainer`` objects, for ``ape run`` scripts.

Built from the same artifacts as the web3.py clients, so ape and kura never
compile the contracts twice or disagree about bytecode.
"""

from __future__ import annotations

from typing import Any

from ethpm_types import ContractType

from kura.chain.artifacts import load_artifact
from kura.chain.build import build


def container(name: str) -> Any:
    """An ape ``ContractContainer`` for kura contract ``name`` (building the contracts if needed)."""
    from ape.contracts import ContractContainer

    build()
    artifact = load_artifact(name)
    contract_type = ContractType.model_validate(
        {
            "contractName": artifact.name,
            "abi": artifact.abi,
            "deploymentBytecode": {"bytecode": artifact.bytecode},
            "runtimeBytecode": {"bytecode": artifact.deployed_bytecode},
        }
    )
    return ContractContainer(contract_type)
