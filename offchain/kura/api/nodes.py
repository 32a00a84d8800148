"""``Kura.nodes``: a node's standing in the shared registry, registering and staking, promotion, and the
agents a node operator runs (storage node, compute node)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from web3 import Web3

from kura.api.jobs import DataJobInputs
from kura.chain.address import checksum
from kura.chain.node_registry import NodeRecord, NodeStatus
from kura.chain.pull_payments import reason_text
from kura.compute.agent import ComputeNodeAgent
from kura.compute.behaviour import Behaviour
from kura.errors import ContractRevertError
from kura.ipfs.client import KuboClient
from kura.results import Result
from kura.storage.node.agent import StorageNodeAgent
from kura.storage.shared.directory import NodeDirectory, is_registered, register_node
from kura.units import Amount, to_wei

if TYPE_CHECKING:
    from kura.api.session import Kura


@dataclass(frozen=True)
class NodeStanding(Result):
    """Everything the chain says about one node.

    Attributes:
        record: The registry record (stake in wei, status, role, reputation, failed audits still counted, passed
            spot-checks, exit time, peer id, endpoint).
        credibility: The node's credibility as an auditor, WAD (10^18 = 1); None on a deployment without a
            TaskMarket (storage only).
        min_stake: The registry's minimum stake, wei.
        below_min_stake: True when slashes left the stake under the minimum: the node gets no new shares or
            tasks until it tops up.
        jailed: True when failed audits (counted over time, see ``NodeRegistryParams.failure_decay``) jailed it.
        owed: Wei the contracts credited to it and it has not withdrawn yet, by contract.
        open_challenges: Audits of its shares it has yet to answer (``kura audit status ID``).
    """

    record: NodeRecord
    credibility: int | None
    min_stake: int
    below_min_stake: bool
    jailed: bool
    owed: dict[str, int]
    open_challenges: tuple[int, ...]


@dataclass(frozen=True)
class Promoted(Result):
    """A node promoted to compute node."""

    node: str
    role: str
    passed: int
    credibility: int
    gas: int


@dataclass(frozen=True)
class Slash(Result):
    """One slash of a node: how much stake it lost, and the reason and reference the chain recorded."""

    node: str
    amount: int
    reason: str
    ref: bytes
    block: int
    timestamp: int


@dataclass(frozen=True)
class Heartbeat(Result):
    """The last thing a node did on chain of its own accord: a sign its agent was running then.

    Attributes:
        node: The node's address.
        action: The event its own transaction caused (``ChallengePassed``, ``ShareRepaired``, ``ResultRevealed``...).
        block: Where. timestamp: When.
        repairs: Repairs it committed so far (a repairer's work).
    """

    node: str
    action: str
    block: int
    timestamp: int
    repairs: int


_OWN_ACTIONS = (
    ("NodeRegistry", "NodeRegistered", "node"),
    ("NodeRegistry", "StakeAdded", "node"),
    ("NodeRegistry", "ExitAnnounced", "node"),
    ("StorageAudits", "ChallengePassed", "node"),
    ("ShareRepairs", "ShareRepaired", "repairer"),
    ("TaskMarket", "TaskClaimed", "worker"),
    ("TaskMarket", "ResultCommitted", "node"),
    ("TaskMarket", "ResultRevealed", "node"),
    ("TaskMarket", "AuditPoolChanged", "node"),
)
"""Events that only a node's own transaction causes, and the argument naming that node: what counts as a sign of
life (being challenged, drawn or slashed is done to a node, not by it)."""
_CLIENTS = {"NodeRegistry": "nodes", "StorageAudits": "audits", "ShareRepairs": "repairs", "TaskMarket": "tasks"}
"""The attribute of :class:`~kura.chain.contracts.Contracts` holding each contract's client."""


class Nodes:
    """Node operations, signed by the session's account (the node operator)."""

    def __init__(self, session: Kura) -> None:
        self._session = session

    def is_registered(self, address: str | None = None) -> bool:
        """True if ``address`` (default: this account) ever registered.

        Raises:
            AddressError: if ``address`` is not an address.
        """
        return is_registered(self._session.contracts.nodes, self._target(address))

    def status(self, address: str | None = None) -> NodeStanding:
        """The standing of ``address`` (default: this account).

        Raises:
            AddressError: if ``address`` is not an address.
            ContractRevertError: ``UnknownNode`` if it never registered.
        """
        contracts = self._session.contracts
        target = self._target(address)
        record = contracts.nodes.node_of(target)
        min_stake = contracts.nodes.params().min_stake
        owed = {"NodeRegistry": contracts.nodes.payments(target), "StorageAudits": contracts.audits.payments(target)}
        credibility = None
        if "TaskMarket" in self._session.deployment.contracts:
            owed["TaskMarket"] = contracts.tasks.payments(target)
            credibility = contracts.tasks.credibility_of(target)
        logs = contracts.audits.contract.events.ChallengeOpened.get_logs(
            from_block=contracts.first_block("StorageAudits"), argument_filters={"node": target}
        )
        opened = sorted({int(log.args.challengeId) for log in logs})
        still_open = tuple(i for i in opened if contracts.audits.is_open(i))
        return NodeStanding(
            record=record,
            credibility=credibility,
            min_stake=min_stake,
            below_min_stake=record.stake < min_stake,
            jailed=record.status is NodeStatus.JAILED,
            owed=owed,
            open_challenges=still_open,
        )

    def registered(self) -> list[NodeRecord]:
        """Every node that ever registered, in registration order, with its current record."""
        return NodeDirectory(self._session.contracts).registered()

    def slashes(self, address: str | None = None) -> list[Slash]:
        """Every slash of ``address`` (default: every node), oldest first, with its on-chain reason.

        Raises:
            AddressError: if ``address`` is not an address.
        """
        contracts = self._session.contracts
        filters = None if address is None else {"node": checksum(address)}
        logs = contracts.nodes.contract.events.NodeSlashed().get_logs(
            from_block=contracts.first_block("NodeRegistry"), argument_filters=filters
        )
        clock = self._session.clock
        return [
            Slash(
                str(log.args.node),
                int(log.args.amount),
                reason_text(log.args.reason),
                bytes(log.args.ref),
                log.blockNumber,
                clock.time_of(log.blockNumber),
            )
            for log in logs
        ]

    def heartbeats(self) -> dict[str, Heartbeat]:
        """Each node's last action of its own on chain (see :class:`Heartbeat`), by address (one log query)."""
        session = self._session
        events = {}
        for name, event, argument in _OWN_ACTIONS:
            if name in session.deployment.contracts:
                kind = getattr(getattr(session.contracts, _CLIENTS[name]).contract.events, event)()
                events[(session.deployment.address(name).lower(), kind.topic.lower())] = (kind, event, argument)
        first = min(
            session.contracts.first_block(name)
            for name in {n for n, _, _ in _OWN_ACTIONS}
            if name in session.deployment.contracts
        )
        logs = session.chain.w3.eth.get_logs(
            {
                "fromBlock": first,
                "address": sorted({Web3.to_checksum_address(a) for a, _ in events}),
                "topics": [sorted({topic for _, topic in events})],
            }
        )
        latest: dict[str, tuple[int, int, str]] = {}
        repairs: dict[str, int] = {}
        for log in logs:
            found = events.get((str(log["address"]).lower(), Web3.to_hex(log["topics"][0]).lower()))
            if found is None:
                continue
            kind, event, argument = found
            node = str(kind.process_log(log).args[argument])
            latest[node] = max(latest.get(node, (0, 0, "")), (log["blockNumber"], log["logIndex"], event))
            if event == "ShareRepaired":
                repairs[node] = repairs.get(node, 0) + 1
        return {
            node: Heartbeat(node, event, block, session.clock.time_of(block), repairs.get(node, 0))
            for node, (block, _, event) in latest.items()
        }

    def register(self, kubo_api: str, *, stake: Amount = "1", repair_url: str | None = None) -> NodeRecord:
        """Register this account for the Kubo node at ``kubo_api`` (asked for its peer id), bonding ``stake``
        ether, unless it is registered already.

        Raises:
            IpfsError: the Kubo node does not answer. ContractRevertError: ``StakeTooLow``.
        """
        return register_node(
            self._session.contracts.nodes,
            self._session.account,
            kubo_api,
            stake=to_wei(stake),
            proxy=self._session.network.socks_proxy,
            repair_url=repair_url,
        )

    def top_up(self, amount: Amount) -> NodeRecord:
        """Add ``amount`` ether to this account's stake (e.g. after a slash left it under the minimum)."""
        registry = self._session.contracts.nodes
        registry.top_up(node=self._session.account, amount=to_wei(amount))
        return registry.node_of(self._session.address)

    def promote(self, address: str | None = None) -> Promoted:
        """Promote ``address`` (default: this account) to compute node; anyone may ask, the registry checks
        that it is an auditor at the bar, or a genesis compute node named at deployment that has not used that yet,
        and that a slot is free.

        Raises:
            AddressError: if ``address`` is not an address.
            ContractRevertError: ``NotPromotable`` (below the bar and not an unused genesis node, no free slot,
                not active, or already a compute node).
        """
        contracts = self._session.contracts
        target = self._target(address)
        receipt = contracts.nodes.promote(target, sender=self._session.account)
        record = contracts.nodes.node_of(target)
        return Promoted(
            target, record.role.name, record.passed, contracts.tasks.credibility_of(target), int(receipt["gasUsed"])
        )

    def storage_agent(
        self, kubo_api: str, *, state_file: Path | None = None, log: Callable[[str], None] | None = None
    ) -> StorageNodeAgent:
        """The storage node agent of this account for the Kubo node at ``kubo_api`` (``kura node run``).

        Args:
            kubo_api: The node's own Kubo RPC API.
            state_file: Where the agent keeps its cursor and pending challenges across restarts.
            log: Called with one line per action (default: the ``kura.node`` logger).
        """
        return StorageNodeAgent(
            self._session.contracts,
            self._session.account,
            kubo_api,
            state_file=state_file,
            proxy=self._session.network.socks_proxy,
            log=log,
        )

    def compute_agent(
        self,
        *,
        work: bool = True,
        audit: bool = True,
        auto_promote: bool = False,
        behaviour: Behaviour | None = None,
        ipfs_api: str | None = None,
        stake: Amount | None = None,
    ) -> ComputeNodeAgent:
        """The compute node agent of this account (``kura compute run``); it runs compute-to-data jobs over the
        listings whose sellers approved it (:class:`kura.api.jobs.DataJobInputs`).

        Args:
            work: Claim tasks while the node holds the compute role.
            audit: Join the audit pool and audit the tasks it is drawn for.
            auto_promote: Ask for promotion whenever the node qualifies.
            behaviour: Honest unless a saboteur mode is given (tests and demos).
            ipfs_api: The node's Kubo API (default: the network's API number ``account index mod count``).
            stake: If the account is not registered, register it with this much ether first.

        Raises:
            ContractRevertError: ``UnknownNode`` if the account is not registered and no ``stake`` is given.
        """
        ipfs = KuboClient(ipfs_api or self._session.tasks.ipfs.base_url, proxy=self._session.network.socks_proxy)
        if stake is not None and not self.is_registered():
            self._session.contracts.nodes.register(
                ipfs.id().peer_id, ipfs.base_url, node=self._session.account, stake=to_wei(stake)
            )
        elif not self.is_registered():
            raise ContractRevertError(
                "UnknownNode",
                {"node": self._session.address},
                f"{self._session.address} is not a registered node: register it first (give a stake, --stake 1)",
            )
        return ComputeNodeAgent(
            self._session.contracts.tasks,
            self._session.contracts.nodes,
            ipfs,
            self._session.account,
            sampler=self._session.contracts.sampler,
            work=work,
            audit=audit,
            auto_promote=auto_promote,
            behaviour=behaviour or Behaviour(),
            inputs=DataJobInputs(self._session),
        )

    def _target(self, address: str | None) -> str:
        return self._session.address if address is None else checksum(address)
