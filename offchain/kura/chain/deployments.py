"""The deployments file: where the kura contracts live on each chain.

``<state>/deployments.json`` maps a chain id to the genesis hash it was recorded
for and the address of each contract. A record whose genesis hash differs from
the connected chain's (a restarted devnet reuses chain id 31337), or whose
address holds no code, is treated as "not deployed".
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from kura.chain.client import Chain, Deployed
from kura.errors import NotDeployedError
from kura.paths import state_dir


def deployments_file() -> Path:
    """Path of the deployments file."""
    return state_dir() / "deployments.json"


def _read() -> dict[str, Any]:
    try:
        return dict(json.loads(deployments_file().read_text()))
    except (FileNotFoundError, ValueError):
        return {}


@dataclass(frozen=True)
class Deployment:
    """The kura contracts on one chain."""

    chain_id: int
    genesis_hash: str
    contracts: dict[str, Deployed]

    def address(self, name: str) -> str:
        """Address of contract ``name``.

        Raises:
            NotDeployedError: if it is not part of this deployment.
        """
        try:
            return self.contracts[name].address
        except KeyError:
            raise NotDeployedError(f"{name} is not deployed on chain {self.chain_id}: run `kura deploy`") from None


def record(chain: Chain, contracts: dict[str, Deployed]) -> Deployment:
    """Save ``contracts`` as the deployment of ``chain`` (replacing an older one)."""
    deployment = Deployment(chain.chain_id, chain.genesis_hash, contracts)
    data = _read()
    data[str(chain.chain_id)] = {
        "genesis_hash": deployment.genesis_hash,
        "contracts": {name: asdict(d) for name, d in contracts.items()},
    }
    path = deployments_file()
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data, indent=2))
    partial.replace(path)
    return deployment


def load(chain: Chain) -> Deployment:
    """The kura deployment on the connected chain.

    Raises:
        NotDeployedError: if none is recorded for this chain id, it was recorded for another
            chain with the same id, or a recorded contract has no code.
    """
    entry = _read().get(str(chain.chain_id))
    hint = "run `kura deploy` first"
    if entry is None:
        raise NotDeployedError(f"the kura contracts are not deployed on chain id {chain.chain_id}: {hint}")
    if entry["genesis_hash"] != chain.genesis_hash:
        raise NotDeployedError(
            f"the recorded deployment for chain id {chain.chain_id} belongs to an earlier chain "
            f"(genesis {entry['genesis_hash'][:10]}…, this one {chain.genesis_hash[:10]}…): {hint}"
        )
    contracts = {name: Deployed(**d) for name, d in entry["contracts"].items()}
    for deployed in contracts.values():
        if not chain.w3.eth.get_code(to_checksum_address(deployed.address)):
            raise NotDeployedError(
                f"{deployed.name} has no code at {deployed.address} on chain {chain.chain_id}: {hint}"
            )
    return Deployment(chain.chain_id, entry["genesis_hash"], contracts)
