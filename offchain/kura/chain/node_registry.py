"""Typed client for the ``NodeRegistry`` contract: stake, status, reputation and compute roles."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from kura.chain.client import Chain, uint_getter
from kura.chain.deployments import Deployment
from kura.chain.params import NodeRegistryParams
from kura.chain.pull_payments import PullPaymentsClient, reason_bytes


class NodeStatus(IntEnum):
    """``INodeRegistry.NodeStatus``."""

    NONE = 0
    ACTIVE = 1
    JAILED = 2
    EXITING = 3
    EXITED = 4


class Role(IntEnum):
    """``INodeRegistry.Role``: strays audit, trusted auditors compute."""

    STRAY = 0
    AUDITOR = 1
    COMPUTE = 2


@dataclass(frozen=True)
class NodeRecord:
    """A node as the chain records it (see ``INodeRegistry.Node``).

    Attributes:
        failures: Failed storage audits still counted now (each expires ``failure_decay`` seconds after the last).
        failed_at: When the last one was counted.
        compute_record: Audited tasks passed as a compute node since its last role change (what a sampling market
            sets its audit probability from).
    """

    address: str
    stake: int
    status: NodeStatus
    role: Role
    reputation: int
    failures: int
    failed_at: int
    passed: int
    exit_at: int
    compute_record: int
    peer_id: str
    endpoint: str


class NodeRegistryClient(PullPaymentsClient):
    """Calls to the deployed ``NodeRegistry``; reverts surface as ``ContractRevertError``.

    Node actions are signed by the node's operator account; judge actions by a judge (in
    production a contract such as StorageAudits, in tests any account the owner allowed).
    """

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.contract = chain.contract("NodeRegistry", deployment.address("NodeRegistry"))
        self._params: NodeRegistryParams | None = None

    # ---------------------------------------------------------------- node actions

    def register(self, peer_id: str, endpoint: str, *, node: LocalAccount, stake: int) -> TxReceipt:
        """Register ``node`` bonding ``stake`` wei.

        Raises:
            ContractRevertError: ``AlreadyRegistered`` or ``StakeTooLow``.
        """
        return self.chain.transact(self.contract.functions.register(peer_id, endpoint), sender=node, value=stake)

    def top_up(self, *, node: LocalAccount, amount: int) -> TxReceipt:
        """Add ``amount`` wei to ``node``'s stake.

        Raises:
            ContractRevertError: ``UnknownNode`` or ``WrongStatus`` (exiting or exited).
        """
        return self.chain.transact(self.contract.functions.topUp(), sender=node, value=amount)

    def announce_exit(self, *, node: LocalAccount) -> TxReceipt:
        """Start ``node``'s unbonding period.

        Raises:
            ContractRevertError: ``UnknownNode`` or ``WrongStatus``.
        """
        return self.chain.transact(self.contract.functions.announceExit(), sender=node)

    def withdraw_stake(self, *, node: LocalAccount) -> TxReceipt:
        """Credit ``node``'s remaining stake after unbonding (then call :meth:`withdraw_payments`).

        Raises:
            ContractRevertError: ``WrongStatus`` (no exit announced) or ``StillUnbonding``.
        """
        return self.chain.transact(self.contract.functions.withdrawStake(), sender=node)

    def promote(self, node: str, *, sender: LocalAccount) -> TxReceipt:
        """Make ``node`` a compute node (anyone may send this): an auditor at the bar, or an unused genesis node.

        Raises:
            ContractRevertError: ``NotPromotable`` (role, activity, bar or slots).
        """
        return self.chain.transact(self.contract.functions.promote(node), sender=sender)

    # ---------------------------------------------------------------- owner and judges

    def set_judge(self, judge: str, allowed: bool, *, owner: LocalAccount) -> TxReceipt:
        """Allow or disallow ``judge`` (the registry owner only)."""
        return self.chain.transact(self.contract.functions.setJudge(judge, allowed), sender=owner)

    def slash(self, node: str, fraction_bps: int, reason: str, ref: bytes, *, judge: LocalAccount) -> TxReceipt:
        """Slash ``fraction_bps`` of ``node``'s stake into the repair pool, recording ``reason`` and ``ref``.

        Raises:
            ChainValueError: if ``reason`` does not fit in 32 ASCII bytes.
            ContractRevertError: ``NotJudge``, ``BadFraction``, ``MissingReason`` or ``UnknownNode``.
        """
        call = self.contract.functions.slash(node, fraction_bps, reason_bytes(reason), ref)
        return self.chain.transact(call, sender=judge)

    def record_audit(self, node: str, passed: bool, *, judge: LocalAccount) -> TxReceipt:
        """Record a storage audit result."""
        return self.chain.transact(self.contract.functions.recordAudit(node, passed), sender=judge)

    def record_spot_check(self, node: str, passed: bool, *, judge: LocalAccount) -> TxReceipt:
        """Record a compute spot-check result."""
        return self.chain.transact(self.contract.functions.recordSpotCheck(node, passed), sender=judge)

    def record_compute_audit(self, node: str, *, judge: LocalAccount) -> TxReceipt:
        """Count one audited task ``node`` passed as a compute node."""
        return self.chain.transact(self.contract.functions.recordComputeAudit(node), sender=judge)

    def set_role(self, node: str, role: Role, reason: str, *, judge: LocalAccount) -> TxReceipt:
        """Set ``node``'s compute role, recording ``reason``.

        Raises:
            ChainValueError: if ``reason`` does not fit in 32 ASCII bytes.
            ContractRevertError: ``NotJudge``, ``MissingReason``, ``UnknownNode`` or ``NoComputeSlot``.
        """
        call = self.contract.functions.setRole(node, int(role), reason_bytes(reason))
        return self.chain.transact(call, sender=judge)

    def pay_from_repair_pool(self, to: str, amount: int, ref: bytes, *, judge: LocalAccount) -> TxReceipt:
        """Credit ``amount`` wei of the repair pool to ``to``.

        Raises:
            ContractRevertError: ``NotJudge`` or ``RepairPoolTooSmall``.
        """
        return self.chain.transact(self.contract.functions.payFromRepairPool(to, amount, ref), sender=judge)

    # ---------------------------------------------------------------- views

    def node_of(self, node: str) -> NodeRecord:
        """The record of ``node``.

        Raises:
            ContractRevertError: ``UnknownNode`` if it never registered.
        """
        stake, status, role, *rest = self.chain.call(self.contract.functions.nodeOf(node))
        return NodeRecord(node, stake, NodeStatus(status), Role(role), *rest)

    def is_active(self, node: str) -> bool:
        """True if ``node`` is Active with at least the minimum stake."""
        return bool(self.chain.call(self.contract.functions.isActive(node)))

    def is_judge(self, judge: str) -> bool:
        """True if ``judge`` may judge nodes."""
        return bool(self.chain.call(self.contract.functions.isJudge(judge)))

    def repair_pool(self) -> int:
        """Wei in the repair pool."""
        return int(self.chain.call(self.contract.functions.repairPool()))

    def compute_nodes(self) -> int:
        """Nodes holding the Compute role now."""
        return int(self.chain.call(self.contract.functions.computeNodes()))

    def params(self) -> NodeRegistryParams:
        """The deployment parameters (read once: they are immutable)."""
        if self._params is None:
            self._params = NodeRegistryParams.read(uint_getter(self.chain, self.contract))
        return self._params
