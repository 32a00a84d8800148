"""``Kura.repair``: the repairer — rounds that claim due audit timeouts and have lost shares rebuilt onto fresh
nodes."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kura.storage.repairer.agent import RepairAgent, RepairReport
from kura.storage.shared.directory import NodeDirectory
from kura.storage.shared.remote import registry_peers

if TYPE_CHECKING:
    from kura.api.session import Kura


class Repair:
    """Repairs signed by the session's account (an Active registered node: the registry pays it per repair)."""

    def __init__(self, session: Kura) -> None:
        self._session = session

    def agent(
        self, *, peer_timeout: float = 60.0, min_healthy: int | None = None, log: Callable[[str], None] | None = None
    ) -> RepairAgent:
        """A repair agent reaching the nodes through the repair services they announce in the registry.

        Args:
            peer_timeout: Seconds to wait for a node's repair service before counting it as a missing helper.
            min_healthy: Repair a file below this many healthy shares (default ``n``: any lost share).
            log: Called with one line per action (default: the ``kura.repair`` logger).

        Raises:
            NotRepairerError: if the session's account is not an Active registered node (before anything else).
            StorageError: if the registry lists no active storage node.
        """
        contracts = self._session.contracts
        return RepairAgent(
            contracts,
            self._session.account,
            NodeDirectory(contracts).pool(),
            registry_peers(contracts, timeout=peer_timeout),
            min_healthy=min_healthy,
            log=log,
        )

    def round(self, agent: RepairAgent, *, peer_timeout: float = 60.0) -> RepairReport:
        """One repair round of ``agent`` with the nodes as the registry lists them now (nodes join and leave).

        Raises:
            NotRepairerError: if the account can no longer commit repairs.
            ChainError, OSError: if the RPC fails (nothing half-done stays: call again).
        """
        contracts = self._session.contracts
        stale = agent.pool
        agent.peers = registry_peers(contracts, timeout=peer_timeout)
        agent.pool = NodeDirectory(contracts).pool()
        stale.close()
        return agent.step()
