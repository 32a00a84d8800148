"""Storage nodes from the on-chain ``NodeRegistry``: who may receive shares, and where they listen.

Placement uses only nodes that are Active with enough stake (not jailed, exiting or
exited). Each registered address is one operator, so putting shares on distinct
registered nodes puts them with distinct operators; two addresses that claim the
same Kubo peer id count as one node (the earliest registration keeps it), so an
operator cannot collect two shares of a file by registering one daemon twice.
"""

from __future__ import annotations

from eth_account.signers.local import LocalAccount

from kura.chain.contracts import Contracts
from kura.chain.node_registry import NodeRecord, NodeRegistryClient, NodeStatus
from kura.errors import ContractRevertError, StorageError
from kura.ipfs import KuboClient
from kura.storage.shared.endpoint import NodeEndpoint, parse_endpoint
from kura.storage.shared.nodes import NodePool, StorageNode


def storage_node(record: NodeRecord) -> StorageNode:
    """The storage node of a registry record (named by its operator address)."""
    return StorageNode(name=record.address, api_url=parse_endpoint(record.endpoint).kubo_api, operator=record.address)


class NodeDirectory:
    """The storage nodes the registry lists.

    Args:
        contracts: The deployment's contracts (its NodeRegistry).
    """

    def __init__(self, contracts: Contracts) -> None:
        self.registry = contracts.nodes
        self._first_block = contracts.first_block("NodeRegistry")

    def registered(self) -> list[NodeRecord]:
        """Every node that ever registered, in registration order, with its current record."""
        logs = self.registry.contract.events.NodeRegistered.get_logs(from_block=self._first_block)
        ordered = sorted(logs, key=lambda log: (log.blockNumber, log.logIndex))
        return [self.registry.node_of(log.args.node) for log in ordered]

    def active(self) -> list[NodeRecord]:
        """Active, staked nodes, one per Kubo peer id (the earliest registration wins)."""
        seen: set[str] = set()
        chosen = []
        for record in self.registered():
            if record.status is not NodeStatus.ACTIVE or record.peer_id in seen:
                continue
            if not self.registry.is_active(record.address):
                continue
            seen.add(record.peer_id)
            chosen.append(record)
        return chosen

    def storage_nodes(self) -> list[StorageNode]:
        """The active nodes as :class:`StorageNode` s carrying their operator address."""
        return [storage_node(record) for record in self.active()]

    def pool(self, *, proxy: str | None = None, timeout: float = 120.0) -> NodePool:
        """A pool of the active nodes.

        Raises:
            StorageError: if the registry lists no active node.
        """
        nodes = self.storage_nodes()
        if not nodes:
            raise StorageError("the NodeRegistry lists no active storage node: register nodes with `kura node run`")
        return NodePool(nodes, proxy=proxy, timeout=timeout)

    def record_of(self, operator: str) -> NodeRecord:
        """The registry record of ``operator``.

        Raises:
            ContractRevertError: ``UnknownNode``.
        """
        return self.registry.node_of(operator)


def is_registered(registry: NodeRegistryClient, operator: str) -> bool:
    """True if ``operator`` ever registered (whatever its status now)."""
    try:
        registry.node_of(operator)
    except ContractRevertError as exc:
        if exc.error_name == "UnknownNode":
            return False
        raise
    return True


def register_node(
    registry: NodeRegistryClient,
    operator: LocalAccount,
    api_url: str,
    *,
    stake: int,
    proxy: str | None = None,
    repair_url: str | None = None,
) -> NodeRecord:
    """Register ``operator`` for the Kubo node at ``api_url`` (asked for its peer id) unless it already is.

    ``repair_url``, if given, is announced beside the Kubo API (:mod:`kura.storage.shared.endpoint`).

    Returns:
        The operator's record.

    Raises:
        IpfsError: if the Kubo node does not answer.
        ContractRevertError: ``StakeTooLow``.
    """
    if not is_registered(registry, operator.address):
        with KuboClient(api_url, proxy=proxy, timeout=10.0) as kubo:
            peer_id = kubo.id().peer_id
        registry.register(peer_id, NodeEndpoint(api_url, repair_url).encode(), node=operator, stake=stake)
    return registry.node_of(operator.address)
