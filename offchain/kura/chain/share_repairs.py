"""Typed client for the ``ShareRepairs`` contract: publish share tables, commit repairs, read their history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.deployments import Deployment


@dataclass(frozen=True)
class RepairCommit:
    """What a repair changes on chain (``IShareRepairs.Repair``)."""

    file_id: bytes
    index: int
    old_node: str
    new_node: str
    chunk_count: int
    share_root: bytes
    table_digest: bytes

    def as_tuple(self) -> tuple[bytes, int, str, str, int, bytes, bytes]:
        """The ABI tuple."""
        return (
            self.file_id,
            self.index,
            self.old_node,
            self.new_node,
            self.chunk_count,
            self.share_root,
            self.table_digest,
        )


@dataclass(frozen=True)
class TablePointer:
    """The latest share table of a file, as announced on chain (by its owner or a repairer)."""

    file_id: bytes
    table_digest: bytes
    shares_root: bytes
    block: int


class ShareRepairsClient:
    """Calls to the deployed ``ShareRepairs``; reverts surface as ``ContractRevertError``."""

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.contract = chain.contract("ShareRepairs", deployment.address("ShareRepairs"))
        self.first_block = deployment.contracts["ShareRepairs"].block

    def publish_table(self, file_id: bytes, table_digest: bytes, *, owner: LocalAccount) -> TxReceipt:
        """Announce the share table of ``file_id`` (its owner only).

        Raises:
            ContractRevertError: ``NotFileOwner``, ``EmptyTable`` or a FileRegistry error.
        """
        return self.chain.transact(self.contract.functions.publishTable(file_id, table_digest), sender=owner)

    def commit_repair(self, repair: RepairCommit, proof: Sequence[bytes], *, repairer: LocalAccount) -> TxReceipt:
        """Swap the lost share's leaf for the new holder's and get paid from the repair pool.

        Raises:
            ContractRevertError: ``NotRepairer``, ``NewNodeNotActive``, ``SameNode``, ``ShareNotLost``,
                ``ShareNotCommitted``, ``EmptyTable`` or ``SharesChanged`` (retry with a fresh proof).
        """
        call = self.contract.functions.commitRepair(repair.as_tuple(), list(proof))
        return self.chain.transact(call, sender=repairer)

    def repair_reward(self) -> int:
        """Wei paid per committed repair (capped by the pool)."""
        return int(self.chain.call(self.contract.functions.repairReward()))

    def tables(self, from_block: int | None = None, to_block: int | None = None) -> dict[bytes, TablePointer]:
        """The latest share table of every file announced between the two blocks (inclusive).

        A repair's table replaces the one before it, so the last announcement wins.
        """
        start = self.first_block if from_block is None else from_block
        end = self.chain.w3.eth.block_number if to_block is None else to_block
        latest: dict[bytes, TablePointer] = {}
        if end < start:
            return latest
        found = [
            (
                log.blockNumber,
                log.logIndex,
                bytes(log.args.fileId),
                bytes(log.args.tableDigest),
                bytes(log.args.sharesRoot),
            )
            for event in (self.contract.events.ShareTablePublished, self.contract.events.ShareRepaired)
            for log in event.get_logs(from_block=start, to_block=end)
        ]
        for block, _, file_id, digest, root in sorted(found):
            latest[file_id] = TablePointer(file_id, digest, root, block)
        return latest
