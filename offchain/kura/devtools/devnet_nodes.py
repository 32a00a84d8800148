"""Registering a devnet's Kubo nodes as staked storage nodes, one development account each."""

from __future__ import annotations

from collections.abc import Sequence

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.node_registry import NodeRecord, NodeRegistryClient
from kura.storage.shared.directory import register_node

DEVNET_FIRST_OPERATOR = 10
"""Dev accounts 0-9 are users and the deployer; storage node operators start at 10."""


def register_devnet_nodes(
    chain: Chain,
    deployment: Deployment,
    api_urls: Sequence[str],
    *,
    stake: int,
    first_account: int = DEVNET_FIRST_OPERATOR,
) -> list[NodeRecord]:
    """Register each devnet Kubo node with its own operator account (``first_account + i``).

    Args:
        chain: The devnet chain.
        deployment: The kura contracts on it.
        api_urls: The Kubo API URLs, node ``i`` going to account ``first_account + i``.
        stake: Wei each operator bonds.
        first_account: Index of the first operator account.

    Returns:
        The records, in the order of ``api_urls``.
    """
    registry = NodeRegistryClient(chain, deployment)
    return [
        register_node(registry, chain.account(first_account + i), api, stake=stake) for i, api in enumerate(api_urls)
    ]
