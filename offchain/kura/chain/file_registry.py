"""Typed client for the ``FileRegistry`` contract."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.logs import DISCARD
from web3.types import TxReceipt

from kura.chain.client import Chain
from kura.chain.deployments import Deployment
from kura.chain.pull_payments import PullPaymentsClient
from kura.errors import ChainError, ContractRevertError
from kura.market.merkle import MerkleTree


@dataclass(frozen=True)
class FileRecord:
    """A live file as the chain records it (see ``IFileRegistry.FileRecord``)."""

    file_id: bytes
    owner: str
    version: int
    created_at: int
    updated_at: int
    manifest_digest: bytes
    shares_root: bytes


@dataclass(frozen=True)
class Registration:
    """One file of a batch: what ``registerBatch`` takes for it."""

    file_id: bytes
    manifest_digest: bytes
    shares_root: bytes

    def leaf(self) -> bytes:
        """Its leaf in the batch's tree: ``keccak256(abi.encode(fileId, manifestDigest, sharesRoot))``."""
        return keccak(encode(["bytes32", "bytes32", "bytes32"], [self.file_id, self.manifest_digest, self.shares_root]))


def batch_root(files: Sequence[Registration]) -> bytes:
    """The root ``registerBatch`` computes over ``files`` (OpenZeppelin's sorted-pair tree, in order)."""
    return MerkleTree([file.leaf() for file in files]).root


class FileRegistryClient(PullPaymentsClient):
    """Calls to the deployed ``FileRegistry``; reverts surface as ``ContractRevertError``.

    Removed files' deposits are credited to their owners: pull them with ``withdraw_payments``.
    """

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.contract = chain.contract("FileRegistry", deployment.address("FileRegistry"))
        self.first_block = deployment.contracts["FileRegistry"].block
        self._min_deposit: int | None = None

    def min_deposit(self) -> int:
        """Wei ``register`` locks per file (immutable, so read once)."""
        if self._min_deposit is None:
            self._min_deposit = int(self.chain.call(self.contract.functions.minDeposit()))
        return self._min_deposit

    def difficulty_bits(self) -> int:
        """Leading zero bits a stamp needs (0: the registry takes no stamps)."""
        return int(self.chain.call(self.contract.functions.difficultyBits()))

    def deposit_of(self, file_id: bytes) -> int:
        """Wei locked for ``file_id`` (0 once removed, or if it was registered on a stamp)."""
        return int(self.chain.call(self.contract.functions.depositOf(file_id)))

    def register(
        self,
        file_id: bytes,
        manifest_digest: bytes,
        shares_root: bytes,
        *,
        owner: LocalAccount,
        deposit: int | None = None,
    ) -> TxReceipt:
        """Register a new file owned by ``owner``, locking a deposit until it is removed.

        Args:
            file_id: A fresh random 32-byte id.
            manifest_digest: SHA-256 of the encrypted manifest.
            shares_root: Commitment to the shares' Merkle roots.
            owner: The account that owns the file and pays the deposit.
            deposit: Wei to lock; the registry's minimum when omitted.

        Raises:
            ContractRevertError: ``WrongDeposit``, ``FileAlreadyExists`` or ``EmptyPointer``.
        """
        value = self.min_deposit() if deposit is None else deposit
        return self.chain.transact(
            self.contract.functions.register(file_id, manifest_digest, shares_root), sender=owner, value=value
        )

    def register_with_stamp(
        self, file_id: bytes, manifest_digest: bytes, shares_root: bytes, nonce: int, *, owner: LocalAccount
    ) -> TxReceipt:
        """Register a new file without a deposit, on a stamp from ``kura.chain.stamp.mint_stamp``.

        Args:
            file_id: A fresh random 32-byte id.
            manifest_digest: SHA-256 of the encrypted manifest.
            shares_root: Commitment to the shares' Merkle roots.
            nonce: A stamp minted for ``owner.address`` and ``file_id`` at ``difficulty_bits()``.
            owner: The account that owns the file; it must be the stamp's sender.

        Raises:
            ContractRevertError: ``StampTooWeak``, ``StampsDisabled``, ``FileAlreadyExists`` or ``EmptyPointer``.
        """
        call = self.contract.functions.registerWithStamp(file_id, manifest_digest, shares_root, nonce)
        return self.chain.transact(call, sender=owner)

    def rotate(
        self, file_id: bytes, expected_version: int, manifest_digest: bytes, *, owner: LocalAccount
    ) -> TxReceipt:
        """Point the file at a new manifest, voiding ``expected_version``."""
        return self.chain.transact(
            self.contract.functions.rotate(file_id, expected_version, manifest_digest), sender=owner
        )

    def update_shares(self, file_id: bytes, shares_root: bytes, *, owner: LocalAccount) -> TxReceipt:
        """Replace the shares commitment."""
        return self.chain.transact(self.contract.functions.updateShares(file_id, shares_root), sender=owner)

    def remove(self, file_id: bytes, *, owner: LocalAccount) -> TxReceipt:
        """Delete the file; its deposit is credited to ``owner`` (pull it with ``withdraw_payments``)."""
        return self.chain.transact(self.contract.functions.remove(file_id), sender=owner)

    def register_batch(self, files: Sequence[Registration], *, owner: LocalAccount) -> TxReceipt:
        """Register ``files`` in one transaction owned by ``owner``, locking the minimum deposit for each.

        Raises:
            ContractRevertError: ``EmptyBatch``, ``WrongBatchDeposit``, ``BatchesNeedDeposits``,
                ``FileAlreadyExists`` or ``EmptyPointer``.
        """
        call = self.contract.functions.registerBatch(
            [f.file_id for f in files], [f.manifest_digest for f in files], [f.shares_root for f in files]
        )
        return self.chain.transact(call, sender=owner, value=self.min_deposit() * len(files))

    def batch_of(self, file_id: bytes) -> list[Registration]:
        """Every file registered in the same transaction as ``file_id``, in leaf order (one file for a
        single registration), read from the ``FileRegistered`` events.

        Raises:
            ChainError: if no registration of ``file_id`` is on chain.
        """
        event = self.contract.events.FileRegistered()
        logs = event.get_logs(from_block=self.first_block, argument_filters={"fileId": file_id})
        if not logs:
            raise ChainError(f"no registration of file {file_id.hex()} on chain: check the file id and deployment")
        receipt = self.chain.w3.eth.get_transaction_receipt(logs[0].transactionHash)
        return [
            Registration(bytes(log.args.fileId), bytes(log.args.manifestDigest), bytes(log.args.sharesRoot))
            for log in event.process_receipt(receipt, errors=DISCARD)
        ]

    def write_pointers(self, file_id: bytes, *, sender: LocalAccount) -> TxReceipt:
        """Store the pointers of batched ``file_id`` (read from its batch's events, with their proof).

        Raises:
            ContractRevertError: ``NotInBatch`` if its pointers are stored already; ``UnknownFile``,
                ``FileIsDeleted``.
            ChainError: if its registration cannot be found.
        """
        batch = self.batch_of(file_id)
        index = next(i for i, f in enumerate(batch) if f.file_id == file_id)
        proof = MerkleTree([f.leaf() for f in batch]).proof(index)
        mine = batch[index]
        call = self.contract.functions.writePointers(file_id, mine.manifest_digest, mine.shares_root, proof)
        return self.chain.transact(call, sender=sender)

    def transfer(self, file_id: bytes, new_owner: str, *, owner: LocalAccount) -> TxReceipt:
        """Hand ``file_id`` (and its locked deposit) to ``new_owner``.

        Raises:
            ContractRevertError: ``NotFileOwner``, ``BadNewOwner``, ``UnknownFile`` or ``FileIsDeleted``.
        """
        return self.chain.transact(self.contract.functions.transfer(file_id, new_owner), sender=owner)

    def head_of(self, file_id: bytes) -> tuple[str, bool, int, int]:
        """``(owner, in_batch, created_at, updated_at)`` of a live file, batched or not."""
        owner, in_batch, created, updated = self.chain.call(self.contract.functions.headOf(file_id))
        return owner, bool(in_batch), int(created), int(updated)

    def file_of(self, file_id: bytes) -> FileRecord:
        """The live record of ``file_id``; for a batched file whose pointers are not stored, the pointers
        of its ``FileRegistered`` event (the chain's own log of what the batch committed to).

        Raises:
            ContractRevertError: ``UnknownFile`` / ``FileIsDeleted``.
        """
        try:
            owner, version, created, updated, digest, root = self.chain.call(self.contract.functions.fileOf(file_id))
        except ContractRevertError as exc:
            if exc.error_name != "PointersInBatch":
                raise
            owner, _, created, updated = self.head_of(file_id)
            mine = next(f for f in self.batch_of(file_id) if f.file_id == file_id)
            return FileRecord(file_id, owner, 1, created, updated, mine.manifest_digest, mine.shares_root)
        return FileRecord(file_id, owner, version, created, updated, bytes(digest), bytes(root))

    def manifest_of(self, file_id: bytes, version: int) -> bytes:
        """The manifest digest of ``file_id`` at ``version`` (reverts for superseded versions)."""
        return bytes(self.chain.call(self.contract.functions.manifestOf(file_id, version)))
